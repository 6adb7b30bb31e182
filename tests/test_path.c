/* base/path: config paths as people write them (~, $HOME, the XDG base
 * directories with their defaults), and what is refused. */
#include <stdlib.h>
#include <string.h>

#include "base/path.h"
#include "test.h"

static int expand(const char *in, char *out, char *err)
{
    return path_expand(in, out, 512, err, 256);
}

TEST(home_and_xdg)
{
    char out[512], err[256];
    setenv("HOME", "/home/sre", 1);
    unsetenv("XDG_CONFIG_HOME");
    setenv("XDG_STATE_HOME", "/var/state", 1);
    CHECK(expand("~/.config/lookout/gitlab-token", out, err) == 0);
    CHECK_STR(out, "/home/sre/.config/lookout/gitlab-token");
    CHECK(expand("~", out, err) == 0);
    CHECK_STR(out, "/home/sre");
    CHECK(expand("$XDG_CONFIG_HOME/lookout/t", out, err) == 0); /* unset: its default */
    CHECK_STR(out, "/home/sre/.config/lookout/t");
    CHECK(expand("${XDG_STATE_HOME}/lookout", out, err) == 0);
    CHECK_STR(out, "/var/state/lookout");
    setenv("XDG_CONFIG_HOME", "", 1); /* empty is unset, as the spec says */
    CHECK(expand("$XDG_CONFIG_HOME/x", out, err) == 0);
    CHECK_STR(out, "/home/sre/.config/x");
    CHECK(expand("/etc/lookout/ca.pem", out, err) == 0);
    CHECK_STR(out, "/etc/lookout/ca.pem");
    CHECK(expand("relative/file~", out, err) == 0);
    CHECK_STR(out, "relative/file~");
}

TEST(refused_with_a_reason)
{
    char out[512], err[256];
    setenv("HOME", "/home/sre", 1);
    CHECK(expand("~bob/x", out, err) < 0 && strstr(err, "~user"));
    CHECK(expand("$TOKEN_DIR/x", out, err) < 0 && strstr(err, "$TOKEN_DIR") && strstr(err, "XDG"));
    CHECK(expand("${HOME/x", out, err) < 0 && strstr(err, "${NAME}"));
    CHECK(expand("a$", out, err) < 0);
    unsetenv("XDG_RUNTIME_DIR");
    CHECK(expand("$XDG_RUNTIME_DIR/s", out, err) < 0 && strstr(err, "not set"));
    unsetenv("HOME");
    CHECK(expand("~/x", out, err) < 0 && strstr(err, "HOME"));
    setenv("HOME", "/home/sre", 1);
    char small[8];
    CHECK(path_expand("~/long/path", small, sizeof(small), err, sizeof(err)) < 0 &&
          strstr(err, "longer"));
}

RUN_TESTS()
