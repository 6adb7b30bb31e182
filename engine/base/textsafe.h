/* The one sanitiser for text Lookout writes for people: untrusted process
 * names, paths, pod names, log lines and LLM output on the terminal, in the
 * Markdown post-mortem and in the copilot answer stored for display. Pure
 * functions, no curses (it lives in base/ so the engine can use it): every
 * string that reaches a person goes through ts_clip(), ts_sanitize() or
 * ts_sanitize_buf() first.
 *
 * - C0 controls, DEL and ESC become caret escapes (^[, ^A, ^?), so an escape
 *   sequence is shown as text and never interpreted by the terminal;
 * - C1 controls, bidi overrides/isolates/marks, zero-width characters,
 *   invisible tag characters, line/paragraph separators and other
 *   non-printable code points become <U+XXXX>;
 * - invalid UTF-8 (overlongs, surrogates, truncated sequences) becomes U+FFFD;
 * - widths are terminal cells (wcwidth under the current LC_CTYPE), so CJK
 *   and emoji count as two cells and columns stay aligned.
 * In ASCII mode (the locale is not UTF-8) every non-ASCII code point is
 * shown as "?" and U+FFFD as "?". */
#ifndef LOOKOUT_TEXTSAFE_H
#define LOOKOUT_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

/* Sanitises in (inlen bytes, or strlen when inlen is (size_t)-1) into out,
 * always NUL-terminated, whole characters only. Returns the width in cells. */
int ts_sanitize(const char *in, size_t inlen, char *out, size_t outsz, bool ascii);

/* Like ts_sanitize, but keeps at most maxcells cells; a cut string ends with
 * an ellipsis ("…", or "~" in ASCII mode) within maxcells. Returns cells. */
int ts_clip(const char *in, int maxcells, char *out, size_t outsz, bool ascii);

/* ts_sanitize_buf flags. */
#define TS_ASCII         1u /* the locale is not UTF-8 */
#define TS_KEEP_NEWLINES 2u /* multi-line text: keep "\n" and "\t" as they are */

/* Appends the whole of in (len bytes), sanitised, to out: for text with no
 * fixed size that is not measured in cells (an answer, a Markdown document),
 * so printable code points are kept whatever the locale. */
void ts_sanitize_buf(const char *in, size_t len, struct buf *out, unsigned flags);

/* Width in cells of already sanitised text. */
int ts_width(const char *safe);

/* Word wrap of sanitised text: the byte length of the next line of at most
 * width cells starting at safe (breaking after a space when it can, inside a
 * word when it must; never 0 unless *safe is 0). *next is where the line
 * after it starts (spaces at the break are skipped; a '\n' ends a line). */
size_t ts_wrap(const char *safe, int width, const char **next);

#endif
