#!/usr/bin/env bash
# make deb end to end: builds the package, checks Depends against the
# binary's own NEEDED libraries, installs it with dpkg -i + apt-get -f
# install, runs the installed binary, checks the files the package promises
# (docs/install.md) and purges it, leaving the machine as it was. Needs root
# and dpkg; a machine that already has a lookout package or a foreign
# /usr/bin/lookout is left alone (skipped).
set -u
. "$(dirname "$0")/lib/check.sh"
cd "${LOOKOUT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}"
exec </dev/null

if [ "$(id -u)" != 0 ]; then skip t_deb "not root (dpkg -i needs it)"; finish; exit; fi
for tool in dpkg dpkg-deb dpkg-shlibdeps apt-get; do
    command -v $tool >/dev/null || { skip t_deb "$tool not found"; finish; exit; }
done
if dpkg-query -W -f='${Status}' lookout 2>/dev/null | grep -q installed; then
    skip t_deb "a lookout package is installed here already"; finish; exit
fi
if [ -e /usr/bin/lookout ]; then skip t_deb "/usr/bin/lookout exists (not ours)"; finish; exit; fi

tmp=$(mktemp -d)
installed=0
# Install and purge defer dpkg's triggers (man-db reindexes the manual on
# each, the slowest step here): they run once, at the end, so the man
# database and every package's state are as they were before the test.
cleanup() {
    [ $installed = 1 ] && dpkg --purge --no-triggers lookout >/dev/null 2>&1
    timeout 120 dpkg --triggers-only --pending >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
arch=$(dpkg --print-architecture)
deb="$tmp/lookout_${version}_${arch}.deb"
make -s --no-print-directory deb DEB_OUT="$tmp" >"$tmp/build.log" 2>&1
check "make deb writes lookout_${version}_${arch}.deb" test -s "$deb"
[ -s "$deb" ] || { cat "$tmp/build.log"; finish; exit; }

field() { dpkg-deb -f "$deb" "$1"; }
check "Version is the Makefile's" test "$(field Version)" = "$version"
check "Architecture is dpkg's" test "$(field Architecture)" = "$arch"

# Every library the binary links directly comes from a package in Depends.
# Looked up as */lib/ARCH/NAME: with merged /usr a library is registered
# under /lib or /usr/lib whichever ldd names.
depends=$(field Depends)
bin=build/deb/root/usr/bin/lookout
paths=$(ldd "$bin" | awk 'NR == FNR { if ($1 == "NEEDED") need[$2] = 1; next }
                         ($1 in need) { print $3 }' <(objdump -p "$bin") -)
missing=""
while read -r pkg; do
    [[ ", $depends" == *", $pkg "* || ", $depends," == *", $pkg,"* ]] || missing="$missing $pkg"
done < <(for p in $paths; do echo "*${p#/usr}"; done | xargs dpkg -S 2>&1 | sed -e 's/:.*//' | sort -u)
[ "$(wc -w <<<"$paths")" -ge 5 ] || missing="$missing (only: $paths)"
check "Depends names the package of every NEEDED library" test -z "$missing"
[ -z "$missing" ] || echo "     not in Depends:$missing; Depends: $depends"

export DEBIAN_FRONTEND=noninteractive
timeout 60 dpkg -i --no-triggers "$deb" >"$tmp/install.log" 2>&1
installed=1
# Nothing to fetch when Depends are installed (make deps): never wait on a network.
timeout 120 apt-get -f install -y -qq -o Acquire::Retries=0 -o DPkg::Lock::Timeout=30 \
    >>"$tmp/install.log" 2>&1
check "dpkg -i + apt-get -f install leave it installed" \
    bash -c "dpkg-query -W -f='\${Status}' lookout | grep -q 'install ok installed'"

check "installed lookout --version says $version" \
    test "$(/usr/bin/lookout --version 2>&1)" = "lookout $version"
/usr/bin/lookout gate --help >"$tmp/gate" 2>&1
check "installed lookout gate --help exits 0 with its usage" \
    bash -c "[ \$? -eq 0 ] && grep -q 'usage: lookout gate' '$tmp/gate'"

for f in /usr/share/man/man1/lookout.1.gz /usr/share/doc/lookout/copyright \
    /usr/share/doc/lookout/examples/config.yaml /usr/share/lookout/themes/default.theme \
    /lib/systemd/system/lookout-agent.service /etc/lookout/agent.yaml; do
    check "installs $f" test -s "$f"
done
check "the man page is gzip and roff" bash -c "zcat /usr/share/man/man1/lookout.1.gz | grep -q '^\\.TH'"
check "/etc/lookout/agent.yaml is a conffile" \
    bash -c "dpkg-query -W -f='\${Conffiles}' lookout | grep -q ' /etc/lookout/agent.yaml '"
check "the agent unit is not enabled" test ! -e /etc/systemd/system/multi-user.target.wants/lookout-agent.service

# The shipped configs load (exit 2 is a config error; a source failing is not).
/usr/bin/lookout agent --check-rules --config /etc/lookout/agent.yaml >"$tmp/agent" 2>&1
check "agent.yaml loads (lookout agent --check-rules)" test $? -eq 0
timeout 20 /usr/bin/lookout --once --json --no-kernel --timeout 2 \
    --config /usr/share/doc/lookout/examples/config.yaml >/dev/null 2>"$tmp/cfg"
check "examples/config.yaml loads" test $? -ne 2
if command -v systemd-analyze >/dev/null; then
    out=$(timeout 20 systemd-analyze verify --man=no /lib/systemd/system/lookout-agent.service 2>&1)
    check "systemd-analyze verify: no complaint about the unit" test -z "$out"
    [ -z "$out" ] || echo "     $out"
else
    skip "systemd-analyze verify" "systemd-analyze not installed"
fi

timeout 60 dpkg --purge --no-triggers lookout >"$tmp/purge.log" 2>&1
check "dpkg --purge succeeds" test $? -eq 0
installed=0
check "purge leaves no /usr/bin/lookout, unit or /etc/lookout" bash -c \
    "! [ -e /usr/bin/lookout ] && ! [ -e /lib/systemd/system/lookout-agent.service ] && ! [ -e /etc/lookout ]"
finish
