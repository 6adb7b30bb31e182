/* Untrusted text made inert for a Markdown document (the post-mortem):
 * whatever a model answer or a record's data rows hold, the rendered page
 * runs no HTML, fetches no image, follows no link and shows no hidden or
 * reordered characters.
 *
 * - every string first goes through the base sanitiser (textsafe): no C0/C1
 *   controls, no bidi overrides or isolates, no zero-width characters;
 * - outside code spans, & < > are escaped, so raw HTML and character
 *   references (&#x202E;) are shown as text;
 * - links and images, [label](url) and ![alt](url), and reference
 *   definitions [x]: url, are shown as text inside a code span; bare URLs
 *   get their scheme broken (https[:]//, www[.]) so no autolink forms;
 * - lines the destructive-command classifier flags are marked with
 *   COPILOT_DESTRUCTIVE_MARK. */
#ifndef LOOKOUT_COPILOT_MARKDOWN_H
#define LOOKOUT_COPILOT_MARKDOWN_H

#include <stddef.h>

#include "base/buf.h"

/* One line of untrusted data (a timeline row, evidence, a title): controls
 * become spaces, '|' becomes '/' (table cells stay cells), then inert. */
void md_data(const char *in, struct buf *out);

/* A model's Markdown answer, line by line: headings demoted one level
 * (under the post-mortem's own), code fences kept, every line inert, and
 * destructive lines marked (a shell comment inside a fence). */
void md_answer(const char *text, struct buf *out);

#endif
