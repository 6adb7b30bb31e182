/* The agent wire format: encode -> parse gives the event back; hostile
 * bytes and hostile lines never break the stream or the parser. */
#include <cjson/cJSON.h>

#include "kernel/event_json.h"
#include "test.h"

static struct kevent sample(void)
{
    struct kevent e = {.kind = KEV_EXEC,
                       .severity = SEV_WARNING,
                       .seq = 42,
                       .time = 1764000000123,
                       .pid = 4242,
                       .ppid = 1,
                       .uid = 1000,
                       .cgroup_id = 123456789,
                       .ret = 0};
    STR_COPY(e.comm, "ba\"sh");
    STR_COPY(e.path, "/bin/bash");
    STR_COPY(e.args, "bash -c 'echo \\\"hi\\\"\n\t'");
    STR_COPY(e.container, "4f9a1b2c3d4e");
    STR_COPY(e.pod, "shop/cart-7d9f");
    STR_COPY(e.rule, "shell_in_container");
    STR_COPY(e.title, "Shell spawned in a container");
    return e;
}

static struct kevent roundtrip(const struct kevent *in, const char *node)
{
    struct buf b = {0};
    kevent_json_append(&b, in, node);
    CHECK(b.len > 0 && b.data[b.len - 1] == '\n');
    CHECK(memchr(b.data, '\n', b.len) == b.data + b.len - 1); /* one line */
    cJSON *j = cJSON_ParseWithLength(b.data, b.len);
    CHECK(cJSON_IsObject(j));
    cJSON_Delete(j);
    struct kevent out;
    char err[128];
    CHECK(kevent_json_parse(b.data, b.len - 1, &out, err, sizeof(err)));
    buf_free(&b);
    return out;
}

TEST(exec_roundtrip)
{
    struct kevent in = sample();
    struct kevent out = roundtrip(&in, "node-a");
    CHECK(out.kind == KEV_EXEC && out.severity == SEV_WARNING);
    CHECK(out.time == in.time && out.seq == 42 && out.pid == 4242 && out.uid == 1000);
    CHECK(out.cgroup_id == in.cgroup_id);
    CHECK_STR(out.node, "node-a");
    CHECK_STR(out.comm, in.comm);
    CHECK_STR(out.path, in.path);
    CHECK_STR(out.args, in.args);
    CHECK_STR(out.pod, "shop/cart-7d9f");
    CHECK_STR(out.container, in.container);
    CHECK_STR(out.rule, in.rule);
    CHECK_STR(out.title, in.title);
}

TEST(other_kinds_roundtrip)
{
    struct kevent o = {.kind = KEV_OPEN, .ret = -13, .time = 1000};
    STR_COPY(o.path, "/etc/shadow");
    STR_COPY(o.args, "O_RDONLY|O_CLOEXEC");
    STR_COPY(o.pod, "uid:8d2f6c1e-3b4a-4c5d-9e8f-0a1b2c3d4e5f");
    struct kevent r = roundtrip(&o, "n");
    CHECK_STR(r.path, o.path);
    CHECK_STR(r.args, o.args);
    CHECK(r.ret == -13);
    CHECK_STR(r.pod, o.pod);
    CHECK_STR(r.container, "");

    struct kevent c = {.kind = KEV_CONNECT, .sport = 40000, .dport = 4444, .time = 1000};
    STR_COPY(c.saddr, "10.0.0.7");
    STR_COPY(c.daddr, "fd00::2");
    r = roundtrip(&c, "n");
    CHECK_STR(r.saddr, c.saddr);
    CHECK_STR(r.daddr, c.daddr);
    CHECK(r.sport == 40000 && r.dport == 4444);

    struct kevent p = {.kind = KEV_PRIV, .uid = 1000, .time = 1000};
    STR_COPY(p.path, "setresuid");
    STR_COPY(p.args, "-1 0 -1");
    r = roundtrip(&p, "n");
    CHECK_STR(r.path, "setresuid");
    CHECK_STR(r.args, "-1 0 -1");

    struct kevent g = {.kind = KEV_GAP, .lost = 12345, .time = 1000, .simulated = true};
    r = roundtrip(&g, "n");
    CHECK(r.kind == KEV_GAP && r.lost == 12345 && r.simulated && !r.real);

    /* a real host event beside the demo says so on the wire */
    struct kevent h = {.kind = KEV_EXEC, .time = 1000, .real = true};
    struct buf b = {0};
    kevent_json_append(&b, &h, "n");
    CHECK(strstr(buf_cstr(&b), ",\"real\":true") != NULL);
    buf_free(&b);
    r = roundtrip(&h, "n");
    CHECK(r.real && !r.simulated);
}

TEST(hostile_bytes_stay_valid_json)
{
    struct kevent e = sample();
    memset(e.comm, 0xff, sizeof(e.comm)); /* no NUL at all, invalid UTF-8 */
    STR_COPY(e.path, "/tmp/\xc3\xa9t\xc3\xa9/\xe2\x82\xac/\xed\xa0\x80/\xc0\xaf/\x1b[31m");
    struct kevent out = roundtrip(&e, "n");
    CHECK(strstr(out.path, "\xc3\xa9t\xc3\xa9") != NULL); /* valid UTF-8 kept */
    CHECK(strstr(out.path, "\xe2\x82\xac") != NULL);
    CHECK(strstr(out.path, "\xed\xa0\x80") == NULL); /* surrogate replaced */
    CHECK(strstr(out.path, "\xc0\xaf") == NULL);     /* overlong replaced */
    CHECK(strchr(out.path, '\x1b') != NULL);         /* escaped, then restored */
    CHECK(strlen(out.comm) < sizeof(out.comm));
}

TEST(hostile_lines_are_refused_or_clamped)
{
    struct kevent ev;
    char err[128];
    CHECK(!kevent_json_parse("", 0, &ev, err, sizeof(err)));
    CHECK(!kevent_json_parse("[1,2]", 5, &ev, err, sizeof(err)));
    const char *bad_kind = "{\"kind\":\"teleport\"}";
    CHECK(!kevent_json_parse(bad_kind, strlen(bad_kind), &ev, err, sizeof(err)));
    CHECK(strstr(err, "teleport") != NULL);
    const char *huge = "{\"kind\":\"exec\",\"seq\":1e300,\"ret\":-1e300,\"process\":{\"pid\":-5,"
                       "\"uid\":1e20,\"comm\":42,\"pod\":\"x\"},\"sock\":{\"dport\":\"80\"},"
                       "\"time\":\"not a time\",\"severity\":\"apocalyptic\"}";
    CHECK(kevent_json_parse(huge, strlen(huge), &ev, err, sizeof(err)));
    CHECK(ev.pid == 0 && ev.uid == UINT32_MAX && ev.ret == INT32_MIN && ev.dport == 0);
    CHECK(ev.severity == SEV_INFO && ev.time == 0);
    CHECK_STR(ev.comm, "");
    char longline[4096];
    snprintf(longline, sizeof(longline), "{\"kind\":\"open\",\"file\":{\"path\":\"%0*d\"}}", 3000,
             7);
    CHECK(kevent_json_parse(longline, strlen(longline), &ev, err, sizeof(err)));
    CHECK(strlen(ev.path) == sizeof(ev.path) - 1); /* cut, terminated */
}

RUN_TESTS()
