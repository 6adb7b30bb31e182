/* Terminal safety: hostile bytes never come out raw, widths are cells. */
#include <locale.h>

#include "base/textsafe.h"
#include "test.h"

static char out[512];

/* No byte a terminal would interpret: no C0 (except none at all), no DEL,
 * no C1 in UTF-8 form (C2 80..C2 9F), no bidi controls. */
static int raw_controls(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return 1;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return 1;
        if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae)
            return 1;
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)
            return 1;
    }
    return 0;
}

static void utf8_locale(void)
{
    if (!setlocale(LC_ALL, "C.UTF-8"))
        setlocale(LC_ALL, "en_US.UTF-8");
}

TEST(plain_ascii_unchanged)
{
    utf8_locale();
    CHECK(ts_sanitize("nginx-7f9c", (size_t)-1, out, sizeof out, false) == 10);
    CHECK_STR(out, "nginx-7f9c");
}

TEST(escape_sequences_become_visible)
{
    utf8_locale();
    int w = ts_sanitize("a\x1b[2Jb\x1b]0;pwned\x07", (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "a^[[2Jb^[]0;pwned^G");
    CHECK(w == (int)strlen("a^[[2Jb^[]0;pwned^G"));
    CHECK(!raw_controls(out));
    ts_sanitize("tab\there\r\nDEL\x7f", (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "tab^Ihere^M^JDEL^?");
}

TEST(c1_controls_escaped)
{
    utf8_locale();
    /* U+009B is CSI in C1 form; U+0085 NEL. */
    ts_sanitize("x\xc2\x9b"
                "31my\xc2\x85",
                (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "x<U+009B>31my<U+0085>");
    CHECK(!raw_controls(out));
}

TEST(bidi_overrides_escaped)
{
    utf8_locale();
    /* RLO ... PDF, LRI, RLM: "Trojan Source" style reordering. */
    ts_sanitize("evil\xe2\x80\xaetxt.exe\xe2\x80\xac\xe2\x81\xa6x\xe2\x80\x8f", (size_t)-1, out,
                sizeof out, false);
    CHECK_STR(out, "evil<U+202E>txt.exe<U+202C><U+2066>x<U+200F>");
    CHECK(!raw_controls(out));
}

TEST(zero_width_and_tags_escaped)
{
    utf8_locale();
    /* ZWSP, ZWJ, word joiner, soft hyphen, an invisible tag character */
    ts_sanitize("a\xe2\x80\x8b"
                "b\xe2\x80\x8d"
                "c\xe2\x81\xa0"
                "d\xc2\xad"
                "e\xf3\xa0\x81\x81",
                (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "a<U+200B>b<U+200D>c<U+2060>d<U+00AD>e<U+E0041>");
}

TEST(invalid_utf8_replaced)
{
    utf8_locale();
    /* lone continuation, overlong '/', surrogate, truncated sequence */
    ts_sanitize("a\x80"
                "b\xc0\xaf"
                "c\xed\xa0\x80"
                "d\xe2\x82",
                (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "a\xef\xbf\xbd"
                   "b\xef\xbf\xbd\xef\xbf\xbd"
                   "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                   "d\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(cjk_and_emoji_are_two_cells)
{
    utf8_locale();
    CHECK(ts_sanitize("日本", (size_t)-1, out, sizeof out, false) == 4);
    CHECK(ts_width("日本") == 4);
    CHECK(ts_width("a\xf0\x9f\x94\xa5") == 3); /* a + fire emoji */
    CHECK(ts_width("caf\xc3\xa9") == 4);
}

TEST(clip_to_cells_with_ellipsis)
{
    utf8_locale();
    CHECK(ts_clip("checkout-api", 6, out, sizeof out, false) == 6);
    CHECK_STR(out, "check\xe2\x80\xa6");
    CHECK(ts_clip("short", 10, out, sizeof out, false) == 5);
    CHECK_STR(out, "short");
    /* A wide char never straddles the limit. */
    CHECK(ts_clip("日本語", 4, out, sizeof out, false) == 3);
    CHECK_STR(out, "日\xe2\x80\xa6");
    CHECK(ts_clip("abc", 0, out, sizeof out, false) == 0);
    CHECK_STR(out, "");
    CHECK(ts_clip("abc", 1, out, sizeof out, false) == 1);
    CHECK_STR(out, "\xe2\x80\xa6");
    /* An escape is never cut in half into raw bytes. */
    ts_clip("\x1b\x1b\x1b", 3, out, sizeof out, false);
    CHECK(!raw_controls(out));
}

TEST(clip_respects_small_buffers)
{
    utf8_locale();
    char small[5];
    ts_clip("日本語日本語", 40, small, sizeof small, false);
    CHECK(strlen(small) < sizeof small);
    ts_sanitize("\x1b\x1b\x1b\x1b", (size_t)-1, small, sizeof small, false);
    CHECK_STR(small, "^[^[");
}

TEST(ascii_mode)
{
    utf8_locale();
    ts_sanitize("caf\xc3\xa9 \xff \xe2\x80\xae", (size_t)-1, out, sizeof out, true);
    CHECK_STR(out, "caf? ? <U+202E>");
    ts_clip("abcdef", 4, out, sizeof out, true);
    CHECK_STR(out, "abc~");
}

TEST(leading_combining_mark_escaped)
{
    utf8_locale();
    ts_sanitize("\xcc\x81x", (size_t)-1, out, sizeof out, false);
    CHECK_STR(out, "<U+0301>x");
}

TEST(wrap_words)
{
    utf8_locale();
    const char *t = "roll back checkout to v41 now", *next;
    size_t n = ts_wrap(t, 10, &next);
    CHECK(n == 9 && strncmp(t, "roll back", 9) == 0);
    CHECK_STR(next, "checkout to v41 now");
    n = ts_wrap(next, 10, &next);
    CHECK(n == 8);
    const char *longword = "abcdefghijkl";
    n = ts_wrap(longword, 5, &next);
    CHECK(n == 5);
    CHECK_STR(next, "fghijkl");
    n = ts_wrap("", 5, &next);
    CHECK(n == 0 && *next == 0);
    n = ts_wrap("日本語日本語", 5, &next);
    CHECK(n == 6); /* two wide chars = 4 cells */
}

TEST(fuzzish_never_raw)
{
    utf8_locale();
    unsigned char in[64];
    unsigned x = 12345;
    for (int round = 0; round < 2000; round++) {
        for (size_t i = 0; i < sizeof in - 1; i++) {
            x = x * 1103515245u + 12345u;
            in[i] = (unsigned char)(x >> 16);
            if (!in[i])
                in[i] = 0x1b;
        }
        in[sizeof in - 1] = 0;
        int w = ts_clip((const char *)in, 30, out, sizeof out, false);
        CHECK(w <= 30);
        CHECK(!raw_controls(out));
        CHECK(ts_width(out) == w);
    }
}

RUN_TESTS()
