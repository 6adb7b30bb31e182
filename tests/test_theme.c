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

RUN_TESTS()
