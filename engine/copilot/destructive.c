/* Which lines of a copilot answer (or of any advice shown to a person) would
 * destroy something if run. Lookout never runs them; the TUI and the
 * Markdown post-mortem mark them so a tired reader does not paste one blind.
 *
 * A line is read as shell, prose and `code` spans alike: it is cut into
 * words and commands (at ; & | ( ) { } and backticks), and every word is
 * tried as a command head against rules that need the arguments that make
 * it destructive (rm with -r/-f or a path, kill with a pid or signal,
 * kubectl delete, terraform apply -auto-approve ...). A head that is also
 * an English word (reboot, shutdown, service) counts only where a command
 * starts, so prose such as "the error rate should drop" or "kill the noise"
 * is never a command, and a line is destructive if any command in it is. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "copilot/copilot.h"

#define MAX_WORDS 256
#define WORD_LEN  128

struct word {
    char s[WORD_LEN]; /* trailing prose punctuation removed */
    size_t off;       /* where it starts in the line */
    bool start;       /* first word after a separator, a backtick or the line start */
    bool piped;       /* the separator before it was a pipe or a substitution */
    int stmt;         /* statement number: ; && || & newline and backticks end one */
    bool cmd;         /* a command may start here (see at_command) */
};

struct line {
    const char *raw;
    struct word w[MAX_WORDS];
    int n;
};

static bool is_sep(char c)
{
    return c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '{' || c == '}';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\'' || c == '"';
}

static void strip_punct(char *s)
{
    size_t n = strlen(s);
    while (n > 1 && strchr(".,:!?", s[n - 1]))
        s[--n] = 0;
}

/* A separator is a command boundary; only some end the statement (a pipe
 * or $( ... ) keeps the download and the shell it feeds together). */
static void split(const char *raw, struct line *l)
{
    l->raw = raw;
    l->n = 0;
    bool start = true, piped = false;
    int stmt = 0;
    for (size_t i = 0; raw[i] && l->n < MAX_WORDS;) {
        char c = raw[i];
        if (c == '`' || c == '\n') {
            start = true, piped = false, stmt++, i++;
            continue;
        }
        bool placeholder =
            (c == '{' && raw[i + 1] == '}') || (c == '}' && i > 0 && raw[i - 1] == '{');
        if (is_sep(c) && !placeholder &&
            !(c == '&' && i > 0 && (raw[i - 1] == '>' || raw[i - 1] == '<'))) {
            bool pipe = (c == '|' && raw[i + 1] != '|' && (i == 0 || raw[i - 1] != '|')) ||
                        c == '(' || c == ')';
            if (!pipe && c != '{' && c != '}')
                stmt += (c == '&' && raw[i + 1] == '&') || (c == '|' && raw[i + 1] == '|') ? 0 : 1;
            start = true, piped = pipe, i++;
            continue;
        }
        if (is_space(c)) {
            i++;
            continue;
        }
        struct word *w = &l->w[l->n++];
        size_t j = 0;
        w->off = i;
        /* "{}" is find's and xargs's placeholder for a path, not a block */
        while (raw[i] && raw[i] != '`' && !is_space(raw[i]) &&
               (!is_sep(raw[i]) || (raw[i] == '{' && raw[i + 1] == '}') ||
                (raw[i] == '}' && i > 0 && raw[i - 1] == '{'))) {
            if (j + 1 < sizeof(w->s))
                w->s[j++] = raw[i];
            i++;
        }
        /* "2>&1" is a redirect, not a separator */
        while (raw[i] == '&' && i > 0 && raw[i - 1] == '>' && j + 2 < sizeof(w->s)) {
            w->s[j++] = raw[i++];
            while (isdigit((unsigned char)raw[i]) && j + 1 < sizeof(w->s))
                w->s[j++] = raw[i++];
        }
        w->s[j] = 0;
        strip_punct(w->s);
        w->start = start, w->piped = piped, w->stmt = stmt;
        start = false, piped = false;
    }
}

static bool eq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (eq(s, *list))
            return true;
    return false;
}

static bool prefixed(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

/* The command's name without its directory: /usr/sbin/reboot -> reboot. */
static const char *base(const char *s)
{
    const char *slash = strrchr(s, '/');
    return slash && slash[1] ? slash + 1 : s;
}

/* The words of the command headed at h: up to the next separator. */
static int cmd_end(const struct line *l, int h)
{
    int e = h + 1;
    while (e < l->n && !l->w[e].start)
        e++;
    return e;
}

static bool has_arg(const struct line *l, int h, int e, const char *a)
{
    for (int i = h + 1; i < e; i++)
        if (eq(l->w[i].s, a))
            return true;
    return false;
}

/* A short-option cluster (-rf, -fdx) holding any of chars. */
static bool has_short(const struct line *l, int h, int e, const char *chars)
{
    for (int i = h + 1; i < e; i++) {
        const char *s = l->w[i].s;
        if (s[0] == '-' && s[1] && s[1] != '-' && strpbrk(s + 1, chars))
            return true;
    }
    return false;
}

/* The first argument that is not an option (nor the value of one of
 * value_opts): kubectl's, docker's and git's subcommand. */
static int subcommand(const struct line *l, int h, int e, const char *const *value_opts)
{
    for (int i = h + 1; i < e; i++) {
        const char *s = l->w[i].s;
        if (s[0] != '-')
            return i;
        if (value_opts && one_of(s, value_opts))
            i++;
    }
    return -1;
}

static bool sub_is(const struct line *l, int i, const char *const *verbs)
{
    return i >= 0 && one_of(l->w[i].s, verbs);
}

static bool destructive_at(const struct line *l, int h, int depth);

/* The text of the command from its head to the end of the line, with
 * quotes, spaces and backslashes removed: JSON patches compare as
 * replicas:0 however they are quoted. */
static bool squeezed_has(const struct line *l, int h, const char *what)
{
    char buf[1024];
    size_t j = 0;
    for (const char *p = l->raw + l->w[h].off; *p && *p != '`' && j + 1 < sizeof(buf); p++)
        if (!strchr(" \t\"'\\", *p))
            buf[j++] = (char)tolower((unsigned char)*p);
    buf[j] = 0;
    for (const char *p = buf; (p = strstr(p, what)); p++)
        if (!isdigit((unsigned char)p[strlen(what)]))
            return true;
    return false;
}

/* Words that may come before a command where it still starts one. */
static bool lead_in(const char *s)
{
    static const char *const words[] = {
        "sudo", "doas", "nohup", "exec",  "command", "builtin", "env", "time", "then", "Then",
        "do",   "else", "!",     "$",     "#",       ">",       "-",   "*",    "+",    "run",
        "Run",  "--",   "-c",    "xargs", "watch",   "nice",    "sh",  "bash", "zsh",  NULL,
    };
    size_t n = strlen(s);
    if (one_of(s, words))
        return true;
    if (n > 1 && s[n - 1] == ':') /* "Run:", "DESTRUCTIVE:" */
        return true;
    if (strchr(s, '=') && (isupper((unsigned char)s[0]) || s[0] == '_'))
        return true; /* FOO=bar cmd */
    size_t d = strspn(s, "0123456789");
    return d && d + 1 == n && (s[d] == '.' || s[d] == ')'); /* a list number */
}

/* Where a command starts: after a separator, possibly behind lead-in words
 * (sudo, env FOO=1, a list number, "Then"), or after ssh HOST. */
static bool at_command(const struct line *l, int h)
{
    for (int i = h; i >= 0; i--) {
        if (l->w[i].start)
            return true;
        const char *prev = l->w[i - 1].s;
        if (lead_in(prev))
            continue;
        return i >= 2 && eq(base(l->w[i - 2].s), "ssh");
    }
    return false;
}

static bool no_args_or_option(const struct line *l, int h, int e)
{
    if (e == h + 1)
        return true;
    const char *a = l->w[h + 1].s;
    return a[0] == '-' || a[0] == '+' || eq(a, "now") || isdigit((unsigned char)a[0]);
}

static bool rule_rm(const struct line *l, int h, int e)
{
    if (has_short(l, h, e, "rRf") || has_arg(l, h, e, "--recursive") ||
        has_arg(l, h, e, "--force") || has_arg(l, h, e, "--no-preserve-root"))
        return true;
    for (int i = h + 1; i < e; i++)
        if (l->w[i].s[0] != '-' && strpbrk(l->w[i].s, "/*.~${"))
            return true;
    return false;
}

/* dd writing anywhere: of= is where the bytes land. */
static bool rule_dd(const struct line *l, int h, int e)
{
    for (int i = h + 1; i < e; i++)
        if (prefixed(l->w[i].s, "of="))
            return true;
    return false;
}

static bool rule_kill(const struct line *l, int h, int e)
{
    if (e == h + 1)
        return false;
    const char *a = l->w[h + 1].s;
    return (a[0] == '-' && a[1]) || isdigit((unsigned char)a[0]) || a[0] == '%' || a[0] == '$';
}

static bool rule_find(const struct line *l, int h, int e, int depth)
{
    if (has_arg(l, h, e, "-delete"))
        return true;
    for (int i = h + 1; i + 1 < e; i++)
        if (one_of(l->w[i].s, (const char *const[]){"-exec", "-execdir", "-ok", "-okdir", NULL}) &&
            destructive_at(l, i + 1, depth + 1))
            return true;
    return false;
}

static bool rule_xargs(const struct line *l, int h, int e, int depth)
{
    static const char *const value_opts[] = {"-I", "-n", "-P", "-L", "-d", "-a", "-E", "-s", NULL};
    int i = subcommand(l, h, e, value_opts);
    return i >= 0 && destructive_at(l, i, depth + 1);
}

/* sh -c 'cmd', and the command after "--" (kubectl exec pod -- rm -rf /x). */
static bool shell_c(const struct line *l, int h, int e)
{
    static const char *const shells[] = {"sh", "bash", "ash", "dash", "zsh", "ksh", NULL};
    for (int i = h + 1; i + 1 < e; i++)
        if (one_of(base(l->w[i].s), shells) && eq(l->w[i + 1].s, "-c"))
            return true;
    return false;
}

static bool nested_after_dashdash(const struct line *l, int h, int e, int depth)
{
    for (int i = h + 1; i + 1 < e; i++)
        if (eq(l->w[i].s, "--"))
            return destructive_at(l, i + 1, depth + 1);
    return false;
}

static bool rule_kubectl(const struct line *l, int h, int e, int depth)
{
    static const char *const value_opts[] = {"-n",        "--namespace",  "--context",
                                             "--cluster", "--kubeconfig", "--user",
                                             "-s",        "--server",     NULL};
    static const char *const verbs[] = {"delete", "drain", NULL}; /* cordon is undone by uncordon */
    int s = subcommand(l, h, e, value_opts);
    if (s < 0)
        return false;
    const char *v = l->w[s].s;
    if (sub_is(l, s, verbs) || has_arg(l, h, e, "--force") || has_arg(l, h, e, "--grace-period=0"))
        return true;
    if (eq(v, "scale"))
        return has_arg(l, h, e, "--replicas=0") ||
               (has_arg(l, h, e, "--replicas") && squeezed_has(l, h, "--replicas0"));
    if (eq(v, "patch"))
        return squeezed_has(l, h, "replicas:0") || squeezed_has(l, h, "op:remove") ||
               squeezed_has(l, h, "finalizers:null") || squeezed_has(l, h, "finalizers:[]");
    if (eq(v, "taint"))
        return squeezed_has(l, h, "noexecute");
    if (eq(v, "apply") || eq(v, "create") || eq(v, "replace")) {
        if (has_arg(l, h, e, "--prune"))
            return true;
        for (int i = s + 1; i < e; i++) {
            const char *a = l->w[i].s;
            if ((eq(a, "-f") || eq(a, "--filename")) && i + 1 < e)
                a = l->w[i + 1].s;
            else if (prefixed(a, "-f=") || prefixed(a, "--filename="))
                a = strchr(a, '=') + 1;
            else
                continue;
            if (prefixed(a, "http://") || prefixed(a, "https://"))
                return true;
        }
        return false;
    }
    if (eq(v, "exec"))
        return shell_c(l, s, e) || nested_after_dashdash(l, s, e, depth);
    return false;
}

static bool rule_docker(const struct line *l, int h, int e)
{
    static const char *const value_opts[] = {"-H", "--host", "--context", "-c", NULL};
    static const char *const verbs[] = {"rm", "rmi", "kill", "stop", "rmp", "stopp", NULL};
    static const char *const objects[] = {"volume", "network", "image",  "container",
                                          "system", "builder", "buildx", NULL};
    int s = subcommand(l, h, e, value_opts);
    if (s < 0)
        return false;
    if (sub_is(l, s, verbs) || has_arg(l, h, e, "prune"))
        return true;
    if (sub_is(l, s, objects) && s + 1 < e &&
        one_of(l->w[s + 1].s, (const char *const[]){"rm", "remove", "prune", NULL}))
        return true;
    return eq(l->w[s].s, "exec") && shell_c(l, s, e);
}

static bool rule_git(const struct line *l, int h, int e)
{
    static const char *const value_opts[] = {"-C", "-c", "--git-dir", "--work-tree", NULL};
    int s = subcommand(l, h, e, value_opts);
    if (s < 0)
        return false;
    const char *v = l->w[s].s;
    if (eq(v, "reset"))
        return has_arg(l, s, e, "--hard");
    if (eq(v, "clean"))
        return has_short(l, s, e, "f") || has_arg(l, s, e, "--force");
    if (eq(v, "push")) {
        if (has_short(l, s, e, "fd") || has_arg(l, s, e, "--force") ||
            has_arg(l, s, e, "--delete") || has_arg(l, s, e, "--mirror"))
            return true;
        for (int i = s + 1; i < e; i++)
            if (l->w[i].s[0] == '+' || l->w[i].s[0] == ':')
                return true;
        return false;
    }
    if (eq(v, "branch"))
        return has_arg(l, s, e, "-D") ||
               (has_arg(l, s, e, "--delete") && has_arg(l, s, e, "--force"));
    if (eq(v, "stash"))
        return has_arg(l, s, e, "drop") || has_arg(l, s, e, "clear");
    if (eq(v, "checkout") || eq(v, "restore"))
        return has_arg(l, s, e, ".");
    if (eq(v, "reflog"))
        return has_arg(l, s, e, "expire");
    if (eq(v, "update-ref"))
        return has_arg(l, s, e, "-d");
    return eq(v, "filter-branch") || eq(v, "filter-repo") ||
           (eq(v, "gc") && has_arg(l, s, e, "--prune=now"));
}

static bool rule_terraform(const struct line *l, int h, int e)
{
    int s = subcommand(l, h, e, (const char *const[]){"-chdir", NULL});
    if (s < 0)
        return false;
    const char *v = l->w[s].s;
    if (eq(v, "destroy") || eq(v, "force-unlock") || eq(v, "taint"))
        return true;
    if (eq(v, "state"))
        return s + 1 < e && (eq(l->w[s + 1].s, "rm") || eq(l->w[s + 1].s, "replace-provider"));
    if (eq(v, "apply") || eq(v, "up"))
        for (int i = s + 1; i < e; i++) {
            const char *a = l->w[i].s;
            a += a[0] == '-' && a[1] == '-' ? 1 : 0;
            if (prefixed(a, "-auto-approve") || eq(a, "-destroy") || eq(a, "-yes") || eq(a, "-y") ||
                eq(a, "-f"))
                return true;
        }
    return eq(v, "stack") && s + 1 < e && eq(l->w[s + 1].s, "rm");
}

static bool rule_cloud(const struct line *l, int h, int e)
{
    const char *head = base(l->w[h].s);
    for (int i = h + 1; i < e; i++) {
        const char *a = l->w[i].s;
        if (prefixed(a, "delete") || prefixed(a, "terminate-") || prefixed(a, "remove-") ||
            prefixed(a, "deregister-") || prefixed(a, "purge") || eq(a, "rb"))
            return true;
        if (eq(a, "rm") && (eq(head, "gsutil") || (i > h + 1 && eq(l->w[i - 1].s, "s3"))))
            return true;
        if ((eq(a, "sync") || eq(a, "rsync")) &&
            (has_arg(l, i, e, "--delete") || has_arg(l, i, e, "-d")))
            return true;
    }
    return false;
}

static bool rule_firewall(const struct line *l, int h, int e)
{
    const char *head = base(l->w[h].s);
    if (prefixed(head, "iptables") || prefixed(head, "ip6tables"))
        return has_arg(l, h, e, "-F") || has_arg(l, h, e, "--flush") || has_arg(l, h, e, "-X") ||
               has_arg(l, h, e, "--delete-chain") || has_arg(l, h, e, "-D") ||
               has_arg(l, h, e, "--delete") ||
               (has_arg(l, h, e, "-P") && (has_arg(l, h, e, "DROP") || has_arg(l, h, e, "REJECT")));
    if (eq(head, "nft"))
        return has_arg(l, h, e, "flush") || has_arg(l, h, e, "delete");
    return has_arg(l, h, e, "disable") || has_arg(l, h, e, "reset") || has_arg(l, h, e, "delete");
}

static bool rule_chmod(const struct line *l, int h, int e)
{
    static const char *const open_modes[] = {"777", "0777", "666", "0666", "a+rwx", "ugo+rwx",
                                             "o+w", "a+w",  "000", "0000", "o+rwx", NULL};
    for (int i = h + 1; i < e; i++)
        if (one_of(l->w[i].s, open_modes))
            return true;
    return (has_short(l, h, e, "R") || has_arg(l, h, e, "--recursive")) && has_arg(l, h, e, "/");
}

static bool rule_systemctl(const struct line *l, int h, int e)
{
    static const char *const verbs[] = {"stop",    "disable", "mask",      "kill",
                                        "isolate", "reboot",  "poweroff",  "halt",
                                        "kexec",   "rescue",  "emergency", NULL};
    int s = subcommand(l, h, e, NULL);
    return sub_is(l, s, verbs);
}

static bool rule_packages(const struct line *l, int h, int e)
{
    static const char *const verbs[] = {"remove", "purge",     "erase", "autoremove",
                                        "del",    "uninstall", NULL};
    int s = subcommand(l, h, e, NULL);
    return sub_is(l, s, verbs) || (eq(base(l->w[h].s), "pacman") && has_short(l, h, e, "R"));
}

static bool rule_redis(const struct line *l, int h, int e)
{
    for (int i = h + 1; i < e; i++) {
        const char *a = l->w[i].s;
        if (!strcasecmp(a, "shutdown") || !strcasecmp(a, "del") || !strcasecmp(a, "unlink"))
            return true;
    }
    return false;
}

static bool rule_ip(const struct line *l, int h, int e)
{
    if (eq(base(l->w[h].s), "ifconfig"))
        return has_arg(l, h, e, "down");
    return has_arg(l, h, e, "flush") || (has_arg(l, h, e, "link") && has_arg(l, h, e, "down"));
}

/* Heads that only need an argument to be destructive. */
static const char *const any_arg[] = {
    "shred",   "wipefs",     "mke2fs",   "mkswap",   "fdisk",    "sfdisk", "sgdisk",
    "parted",  "blkdiscard", "lvremove", "vgremove", "pvremove", "pkill",  "killall",
    "userdel", "deluser",    "groupdel", "ifdown",   NULL,
};

/* Files, disks, processes, the host's services, firewall and packages. */
static bool host_rule(const struct line *l, int h, int e, int depth)
{
    const char *head = base(l->w[h].s);
    bool args = e > h + 1, at_start = l->w[h].cmd;
    if (eq(head, "rm"))
        return rule_rm(l, h, e);
    if (one_of(head, any_arg) || prefixed(head, "mkfs"))
        return args || prefixed(head, "mkfs.");
    if (eq(head, "dd"))
        return rule_dd(l, h, e);
    if (eq(head, "truncate"))
        return has_arg(l, h, e, "--size") || has_short(l, h, e, "s");
    if (eq(head, "kill"))
        return rule_kill(l, h, e);
    if (eq(head, "find"))
        return rule_find(l, h, e, depth);
    if (eq(head, "xargs"))
        return rule_xargs(l, h, e, depth);
    if (one_of(head, (const char *const[]){"reboot", "poweroff", "halt", "shutdown", NULL}))
        return at_start && no_args_or_option(l, h, e);
    if (eq(head, "init") || eq(head, "telinit"))
        return at_start && args && (eq(l->w[h + 1].s, "0") || eq(l->w[h + 1].s, "6"));
    if (eq(head, "service"))
        return at_start && has_arg(l, h, e, "stop");
    if (eq(head, "systemctl"))
        return rule_systemctl(l, h, e);
    if (prefixed(head, "iptables") || prefixed(head, "ip6tables") || eq(head, "nft") ||
        eq(head, "ufw"))
        return rule_firewall(l, h, e);
    if (eq(head, "chmod") || eq(head, "chown"))
        return rule_chmod(l, h, e);
    if (one_of(head, (const char *const[]){"apt", "apt-get", "yum", "dnf", "zypper", "apk",
                                           "pacman", "pip", "pip3", "npm", "yarn", NULL}))
        return rule_packages(l, h, e);
    if (eq(head, "ip") || eq(head, "ifconfig"))
        return rule_ip(l, h, e);
    if (eq(head, "crontab"))
        return has_arg(l, h, e, "-r");
    return eq(head, "mv") && has_arg(l, h, e, "/dev/null");
}

/* Clusters, containers, repositories, infrastructure code, clouds, stores. */
static bool platform_rule(const struct line *l, int h, int e, int depth)
{
    const char *head = base(l->w[h].s);
    if (eq(head, "kubectl") || eq(head, "oc"))
        return rule_kubectl(l, h, e, depth);
    if (eq(head, "helm"))
        return sub_is(l, subcommand(l, h, e, (const char *const[]){"-n", "--namespace", NULL}),
                      (const char *const[]){"uninstall", "delete", "del", "un", NULL}) ||
               has_arg(l, h, e, "--force");
    if (one_of(head, (const char *const[]){"docker", "podman", "nerdctl", "crictl", "ctr", NULL}))
        return rule_docker(l, h, e);
    if (eq(head, "git"))
        return rule_git(l, h, e);
    if (eq(head, "terraform") || eq(head, "tofu") || eq(head, "pulumi"))
        return rule_terraform(l, h, e);
    if (one_of(head, (const char *const[]){"aws", "gcloud", "gsutil", "az", NULL}))
        return rule_cloud(l, h, e);
    if (eq(head, "redis-cli"))
        return rule_redis(l, h, e);
    if (eq(head, "etcdctl"))
        return has_arg(l, h, e, "del");
    if (one_of(head, (const char *const[]){"virsh", "vagrant", "zpool", "zfs", NULL}))
        return has_arg(l, h, e, "destroy") || has_arg(l, h, e, "undefine") ||
               has_arg(l, h, e, "rollback");
    return false;
}

/* Is the command headed by word h destructive? depth bounds the nesting
 * (sh -c, find -exec, xargs, kubectl exec --). */
static bool destructive_at(const struct line *l, int h, int depth)
{
    if (h >= l->n || depth > 4)
        return false;
    int e = cmd_end(l, h);
    return host_rule(l, h, e, depth) || platform_rule(l, h, e, depth);
}

/* ---- patterns that are not one command's arguments ---- */

/* SQL and Redis verbs that are not English on their own: DROP TABLE,
 * TRUNCATE TABLE, DELETE FROM, FLUSHALL, db.x.drop(). */
static bool data_wipe(const struct line *l)
{
    static const char *const dropped[] = {"table", "database", "schema",   "index",      "user",
                                          "view",  "column",   "keyspace", "collection", NULL};
    for (int i = 0; i < l->n; i++) {
        const char *s = l->w[i].s;
        const char *next = i + 1 < l->n ? l->w[i + 1].s : "";
        char low[WORD_LEN];
        size_t k = 0;
        for (; next[k] && k + 1 < sizeof(low); k++)
            low[k] = (char)tolower((unsigned char)next[k]);
        low[k] = 0;
        if (!strcasecmp(s, "flushall") || !strcasecmp(s, "flushdb"))
            return true;
        if (!strcasecmp(s, "drop") && one_of(low, dropped))
            return true;
        if ((eq(s, "TRUNCATE") && next[0]) || (!strcasecmp(s, "truncate") && eq(low, "table")))
            return true;
        if (eq(s, "DELETE") && eq(next, "FROM"))
            return true;
        if (strcasestr(s, ".drop()") || strcasestr(s, "dropdatabase"))
            return true;
    }
    return false;
}

/* Writing to the kernel's sysrq trigger or straight onto a block device. */
static bool raw_write(const struct line *l)
{
    static const char *const disks[] = {"/dev/sd",    "/dev/nvme",    "/dev/vd",
                                        "/dev/xvd",   "/dev/hd",      "/dev/mmcblk",
                                        "/dev/disk/", "/dev/mapper/", NULL};
    for (int i = 0; i < l->n; i++) {
        const char *s = l->w[i].s, *target = NULL;
        if ((eq(s, ">") || eq(s, ">>")) && i + 1 < l->n)
            target = l->w[i + 1].s;
        else if (s[0] == '>')
            target = s + strspn(s, ">");
        else if (eq(base(s), "tee") && i + 1 < l->n)
            target = l->w[i + 1].s;
        if (!target)
            continue;
        if (strstr(target, "sysrq-trigger"))
            return true;
        for (const char *const *d = disks; *d; d++)
            if (prefixed(target, *d))
                return true;
    }
    return false;
}

/* A download fed to a shell in one statement: curl ... | sh,
 * bash <(curl ...), sh -c "$(wget -O- ...)". */
static bool fetch_to_shell(const struct line *l)
{
    static const char *const fetchers[] = {"curl", "wget", "fetch", NULL};
    static const char *const shells[] = {"sh",   "bash", "zsh",    "dash", "ksh", "ash",
                                         "fish", "eval", "source", ".",    NULL};
    static const char *const interpreters[] = {"python", "python2", "python3", "perl",
                                               "ruby",   "node",    "php",     NULL};
    for (int i = 0; i < l->n; i++) {
        if (!one_of(base(l->w[i].s), fetchers) || !l->w[i].cmd)
            continue;
        for (int j = 0; j < l->n; j++) {
            if (j == i || l->w[j].stmt != l->w[i].stmt || !l->w[j].cmd)
                continue;
            const char *h = base(l->w[j].s);
            int e = cmd_end(l, j);
            if (one_of(h, shells) ||
                (one_of(h, interpreters) && (e == j + 1 || (e == j + 2 && eq(l->w[j + 1].s, "-")))))
                return true;
        }
    }
    return false;
}

/* :(){ :|:& };: and the same with any name. */
static bool fork_bomb(const char *raw)
{
    char s[512];
    size_t j = 0;
    for (const char *p = raw; *p && j + 1 < sizeof(s); p++)
        if (!isspace((unsigned char)*p))
            s[j++] = *p;
    s[j] = 0;
    for (const char *p = s; (p = strstr(p, "(){")); p++) {
        const char *n = p;
        while (n > s && (isalnum((unsigned char)n[-1]) || n[-1] == '_' || n[-1] == ':'))
            n--;
        size_t len = (size_t)(p - n);
        if (!len || len > 32)
            continue;
        char pat[80];
        snprintf(pat, sizeof(pat), "%.*s|%.*s&", (int)len, n, (int)len, n);
        if (strstr(p, pat))
            return true;
    }
    return false;
}

bool copilot_line_is_destructive(const char *line)
{
    /* the model's own label, which the prompt asks for */
    if (strstr(line, "DESTRUCTIVE"))
        return true;
    static struct line l; /* one thread; too big for a small stack */
    split(line, &l);
    for (int i = 0; i < l.n; i++)
        l.w[i].cmd = at_command(&l, i);
    for (int i = 0; i < l.n; i++)
        if (destructive_at(&l, i, 0))
            return true;
    return data_wipe(&l) || raw_write(&l) || fetch_to_shell(&l) || fork_bomb(line);
}
