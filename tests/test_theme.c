/* Theme files and the colour fallback chain. */
#include <stdlib.h>
#include <unistd.h>

#include "tui/theme.h"
#include "test.h"

static char err[512];

TEST(parse_roles_hex_names_attrs)
{
    struct theme t;
    const char *text = "# a comment\n"
                       "name = test\n"
                       "text = #102030 on black\n"
                       "crit = bright-red bold reverse  # trailing comment\n"
                       "dim = color244\n"
                       "select = reverse\n";
    CHECK(theme_parse(&t, text, "t.theme", err, sizeof err) == 0);
    CHECK_STR(t.name, "test");
    CHECK(t.roles[ROLE_TEXT].fg.kind == COLK_RGB && t.roles[ROLE_TEXT].fg.value == 0x102030);
    CHECK(t.roles[ROLE_TEXT].bg.kind == COLK_INDEX && t.roles[ROLE_TEXT].bg.value == 0);
    CHECK(t.roles[ROLE_CRIT].fg.value == 9);
    CHECK(t.roles[ROLE_CRIT].attrs == (TA_BOLD | TA_REVERSE));
    CHECK(t.roles[ROLE_DIM].fg.kind == COLK_INDEX && t.roles[ROLE_DIM].fg.value == 244);
    CHECK(t.roles[ROLE_SELECT].fg.kind == COLK_DEFAULT && t.roles[ROLE_SELECT].attrs == TA_REVERSE);
    /* Roles not named keep the default theme's style. */
    struct theme d;
    CHECK(theme_builtin(&d, "default"));
    CHECK(memcmp(&t.roles[ROLE_OK], &d.roles[ROLE_OK], sizeof d.roles[ROLE_OK]) == 0);
}

TEST(broken_theme_reports_file_and_line)
{
    struct theme t;
    CHECK(theme_parse(&t, "text = default\nwarn = #12345\n", "bad.theme", err, sizeof err) < 0);
    CHECK(strstr(err, "bad.theme:2: bad colour '#12345'") != NULL);
    CHECK(theme_parse(&t, "\n\nfoo = red\n", "x.theme", err, sizeof err) < 0);
    CHECK(strstr(err, "x.theme:3: unknown role 'foo'") != NULL);
    CHECK(theme_parse(&t, "ok red\n", "y.theme", err, sizeof err) < 0);
    CHECK(strstr(err, "y.theme:1: expected") != NULL);
    CHECK(theme_parse(&t, "ok = red on\n", "z.theme", err, sizeof err) < 0);
    CHECK(strstr(err, "z.theme:1:") != NULL);
    CHECK(theme_parse(&t, "ok = red green blue\n", "z.theme", err, sizeof err) < 0);
}

TEST(load_falls_back_to_default)
{
    char dir[] = "/tmp/lookout-theme-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/broken.theme", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("name = broken\nheader = #zzzzzz\n", f);
    fclose(f);
    struct theme t, d;
    theme_builtin(&d, "default");
    CHECK(theme_load(&t, path, err, sizeof err) < 0);
    CHECK(strstr(err, "broken.theme:2: bad colour") != NULL);
    CHECK_STR(t.name, "default");
    CHECK(memcmp(t.roles, d.roles, sizeof d.roles) == 0);
    CHECK(theme_load(&t, "no-such-theme-anywhere", err, sizeof err) < 0);
    CHECK(strstr(err, "not found") != NULL);
    CHECK(theme_load(&t, "monochrome", err, sizeof err) == 0);
    unlink(path);
    rmdir(dir);
}

TEST(shipped_themes_parse)
{
    /* Run from the repo root by tests/run.sh; elsewhere the themes are not at hand. */
    const char *root = getenv("LOOKOUT_ROOT");
    int found = 0;
    for (int i = 0; i < theme_cycle_len; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/themes/%s.theme", root ? root : ".", theme_cycle[i]);
        if (access(path, R_OK) != 0)
            continue;
        found++;
        struct theme t;
        int rc = theme_load(&t, path, err, sizeof err);
        if (rc < 0)
            fprintf(stderr, "  %s\n", err);
        CHECK(rc == 0);
        CHECK_STR(t.name, theme_cycle[i]);
    }
    if (!root && found == 0)
        SKIP("no themes/ here: run from the repository root");
    CHECK(found == theme_cycle_len); /* every theme `t` cycles through ships */
}

TEST(depth_detection)
{
    CHECK(color_depth_detect("1", true, 256, "truecolor", true) == DEPTH_MONO);
    CHECK(color_depth_detect("", true, 256, NULL, false) == DEPTH_256);
    CHECK(color_depth_detect(NULL, false, 0, NULL, false) == DEPTH_MONO);
    CHECK(color_depth_detect(NULL, true, 0x1000000, NULL, false) == DEPTH_TRUE);
    CHECK(color_depth_detect(NULL, true, 256, "truecolor", true) == DEPTH_TRUE);
    CHECK(color_depth_detect(NULL, true, 256, "truecolor", false) == DEPTH_256);
    CHECK(color_depth_detect(NULL, true, 16, NULL, false) == DEPTH_16);
    CHECK(color_depth_detect(NULL, true, 8, "24bit", false) == DEPTH_8);
}

TEST(rgb_to_256_and_16)
{
    CHECK(color_rgb_to_256(0xff0000) == 196);
    CHECK(color_rgb_to_256(0x000000) == 16);
    CHECK(color_rgb_to_256(0x5fafff) == 75);
    CHECK(color_rgb_to_256(0x808080) == 244);
    CHECK(color_256_to_16(196) == 9);
    CHECK(color_256_to_16(46) == 10);
    CHECK(color_256_to_16(3) == 3);
    struct color red = {COLK_RGB, 0xff0000}, idx = {COLK_INDEX, 4}, def = {COLK_DEFAULT, 0};
    CHECK(color_resolve(red, DEPTH_TRUE) == (COLOR_RGB_FLAG | 0xff0000));
    CHECK(color_resolve(red, DEPTH_256) == 196);
    CHECK(color_resolve(red, DEPTH_16) == 9);
    CHECK(color_resolve(red, DEPTH_8) == 1);
    CHECK(color_resolve(red, DEPTH_MONO) == -1);
    CHECK(color_resolve(idx, DEPTH_TRUE) == 4);
    CHECK(color_resolve(def, DEPTH_256) == -1);
}

/* RGB a resolved colour stands for; "default" as the resolver assumes it
 * (light text on black unless the theme's text is dark). */
static int shown_rgb(int v, int assumed)
{
    if (v < 0)
        return assumed;
    return (v & COLOR_RGB_FLAG) ? (v & 0xffffff) : color_256_rgb(v & 255);
}

static int gap(int a, int b)
{
    int dr = ((a >> 16) & 255) - ((b >> 16) & 255), dg = ((a >> 8) & 255) - ((b >> 8) & 255),
        db = (a & 255) - (b & 255);
    return dr * dr * 2 + dg * dg * 4 + db * db * 3;
}

/* Every role of one theme at every depth, on the screen and in the header:
 * a foreground never resolves to (or at 8/16 colours next to) its background. */
static void check_theme_readable(const struct theme *t)
{
    static const enum color_depth depths[] = {DEPTH_8, DEPTH_16, DEPTH_256, DEPTH_TRUE};
    for (size_t di = 0; di < sizeof depths / sizeof depths[0]; di++) {
        enum color_depth d = depths[di];
        struct role_colors text = theme_role_colors(t, ROLE_TEXT, false, d);
        bool dark_text = text.fg >= 0 && shown_rgb(text.fg, 0) == 0;
        int screen_bg = shown_rgb(text.bg, dark_text ? 0xe5e5e5 : 0);
        for (int r = 0; r < ROLE_COUNT; r++) {
            for (int h = 0; h < 2; h++) {
                struct role_colors rc = theme_role_colors(t, r, h, d);
                int bg = shown_rgb(rc.bg, screen_bg);
                int fg = shown_rgb(rc.fg, gap(screen_bg, 0) < gap(screen_bg, 0xffffff) ? 0xe5e5e5
                                                                                       : 0x000000);
                bool ok = rc.fg != rc.bg || rc.fg < 0;
                if (d <= DEPTH_16)
                    ok = ok && gap(fg, bg) >= 20000 && rc.fg < (d == DEPTH_8 ? 8 : 16) &&
                         rc.bg < (d == DEPTH_8 ? 8 : 16);
                if (!ok)
                    fprintf(stderr, "  theme %s role %s%s depth %d: fg %d on bg %d\n", t->name,
                            theme_role_names[r], h ? " (header)" : "", (int)d, rc.fg, rc.bg);
                CHECK(ok);
            }
        }
    }
}

TEST(every_role_readable_at_every_depth)
{
    struct theme t;
    CHECK(theme_builtin(&t, "default"));
    check_theme_readable(&t);
    const char *root = getenv("LOOKOUT_ROOT");
    for (int i = 0; i < theme_cycle_len; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/themes/%s.theme", root ? root : ".", theme_cycle[i]);
        if (access(path, R_OK) == 0 && theme_load(&t, path, err, sizeof err) == 0)
            check_theme_readable(&t);
    }
}

TEST(eight_colours_keep_gray_and_state)
{
    struct theme t;
    theme_builtin(&t, "default");
    /* The bug this guards: bright black folded to black, so dim text and the
     * header's figures were black on black with TERM=xterm. */
    CHECK(color_resolve((struct color){COLK_INDEX, 8}, DEPTH_8) == 7);
    CHECK(color_resolve((struct color){COLK_RGB, 0x8a8a8a}, DEPTH_8) == 7);
    struct role_colors dim = theme_role_colors(&t, ROLE_DIM, true, DEPTH_8);
    CHECK(dim.fg != 0 && (dim.fg != dim.bg || dim.fg < 0));
    /* State roles: the standard colours, bright ones at 16 on a dark theme. */
    static const int roles[] = {ROLE_CRIT, ROLE_OK, ROLE_WARN, ROLE_INFO};
    for (int i = 0; i < 4; i++) {
        CHECK(theme_role_colors(&t, roles[i], false, DEPTH_8).fg == i + 1);
        CHECK(theme_role_colors(&t, roles[i], false, DEPTH_16).fg == i + 9);
        CHECK(theme_role_colors(&t, roles[i], true, DEPTH_8).fg == i + 1);
    }
    /* The header's dark blue is black at 8 colours: the strip falls back to
     * the monochrome reverse, a state inside it to a reversed colour block. */
    struct role_colors hdr = theme_role_colors(&t, ROLE_HEADER, false, DEPTH_8);
    CHECK(hdr.attrs & TA_REVERSE);
    CHECK(hdr.bg == -1);
    struct role_colors crit = theme_role_colors(&t, ROLE_CRIT, true, DEPTH_8);
    CHECK(crit.fg == 1 && (crit.attrs & TA_REVERSE));
    /* 256 colours keep the theme as it is. */
    struct role_colors h256 = theme_role_colors(&t, ROLE_HEADER, false, DEPTH_256);
    CHECK(h256.bg == color_rgb_to_256(0x1c3f5e) && !(h256.attrs & TA_REVERSE));
    /* A named colour is the user's palette: kept even for a state role. */
    CHECK(theme_parse(&t, "ok = cyan\n", "t", err, sizeof err) == 0);
    CHECK(theme_role_colors(&t, ROLE_OK, false, DEPTH_8).fg == 6);
    /* Monochrome: attributes only. */
    struct role_colors m = theme_role_colors(&t, ROLE_CRIT, false, DEPTH_MONO);
    CHECK(m.fg == -1 && m.bg == -1 && (m.attrs & TA_REVERSE) && (m.attrs & TA_BOLD));
}

TEST(unreadable_pairs_fall_back)
{
    struct theme t;
    CHECK(theme_parse(&t,
                      "text = white on black\n"
                      "warn = black\n"
                      "badge = red on bright-red\n"
                      "title = blue on blue\n",
                      "t", err, sizeof err) == 0);
    for (int d = DEPTH_8; d <= DEPTH_TRUE; d++) {
        struct role_colors w = theme_role_colors(&t, ROLE_WARN, false, (enum color_depth)d);
        CHECK(w.fg != 0 && w.fg != w.bg);
        struct role_colors ti = theme_role_colors(&t, ROLE_TITLE, false, (enum color_depth)d);
        CHECK(ti.fg != ti.bg);
    }
    struct role_colors b = theme_role_colors(&t, ROLE_BADGE, false, DEPTH_16);
    CHECK(b.bg == 9 && (b.fg == 0 || b.fg == 15));
    CHECK(b.attrs & TA_BOLD); /* the monochrome badge's attributes */
}

RUN_TESTS()
