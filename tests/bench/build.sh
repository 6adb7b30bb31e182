# Sourced by the benchmark scripts, from the repo root: a scratch dir $B
# (removed at exit) and bench_build NAME, which links tests/bench/NAME.c
# against the release engine library into $B/NAME.
B=$(mktemp -d)
trap 'rm -rf "$B"' EXIT
bench_build() {
    make -s build/rel/liblookout.a >/dev/null || return 1
    # shellcheck disable=SC2046 # pkg-config's flags are meant to split
    gcc -O2 -std=c11 -D_GNU_SOURCE -Iengine -I. -Ibuild -Itests/bench -Itests \
        $(pkg-config --cflags libcjson libcurl libpcre2-8) \
        -o "$B/$1" "tests/bench/$1.c" build/rel/liblookout.a \
        $(pkg-config --libs ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1) -lm
}
