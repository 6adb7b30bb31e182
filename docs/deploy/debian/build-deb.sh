#!/usr/bin/env bash
# Builds lookout_VERSION_ARCH.deb with dpkg-deb alone (no debhelper, so any
# Debian with dpkg-dev can run `make deb`): stages the release binary, man
# page, themes, docs, example configs and the agent's systemd unit under
# build/deb/root, computes Depends with dpkg-shlibdeps from the binary's own
# NEEDED libraries, and writes the package into OUTDIR.
# Usage: build-deb.sh VERSION [OUTDIR]   (from the repository root, after make)
set -euo pipefail
version="$1"
outdir="${2:-.}"
here=docs/deploy/debian
stage=build/deb
root="$stage/root"

die() { echo "make deb: $*" >&2; exit 1; }
[ -x lookout ] || die "no ./lookout: run make first"
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (a Debian system is needed)"
command -v dpkg-shlibdeps >/dev/null || die "dpkg-shlibdeps not found: apt-get install dpkg-dev (make deps does)"
arch=$(dpkg --print-architecture)

rm -rf "$stage"
umask 022
install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
    "$root/usr/share/lookout/themes" "$root/usr/share/doc/lookout/examples" \
    "$root/etc/lookout" "$root/lib/systemd/system"

# The release binary without its debug sections (the BPF object inside is data).
install -m 0755 lookout "$root/usr/bin/lookout"
strip --strip-unneeded --remove-section=.comment "$root/usr/bin/lookout"
gzip -9n <docs/lookout.1 >"$root/usr/share/man/man1/lookout.1.gz"
# Found by the binary as <exe>/../share/lookout/themes (tui/theme.c).
install -m 0644 themes/*.theme "$root/usr/share/lookout/themes/"

doc="$root/usr/share/doc/lookout"
install -m 0644 "$here/copyright" "$here/README.Debian" "$doc/"
install -m 0644 README.md "$doc/README.md"
install -m 0644 docs/*.md "$doc/"
# Debian policy: documentation over 4 KiB is compressed; copyright never is.
find "$doc" -maxdepth 1 -name '*.md' -size +4k -exec gzip -9n {} +
install -m 0644 "$here/config.yaml" docs/deploy/agent-daemonset.yaml "$doc/examples/"
when=$(git log -1 --format=%cD 2>/dev/null || date -R)
printf 'lookout (%s) unstable; urgency=medium\n\n  * Built from the source tree with make deb.\n\n -- Lookout maintainers <lookout@example.org>  %s\n' \
    "$version" "$when" | gzip -9n >"$doc/changelog.Debian.gz"

install -m 0644 "$here/agent.yaml" "$root/etc/lookout/agent.yaml"
install -m 0644 "$here/lookout-agent.service" "$root/lib/systemd/system/"
echo /etc/lookout/agent.yaml >"$root/DEBIAN/conffiles"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$root/DEBIAN/"

# dpkg-shlibdeps reads debian/control for the package list: a minimal one.
mkdir -p "$stage/src/debian"
printf 'Source: lookout\n\nPackage: lookout\nArchitecture: any\n' >"$stage/src/debian/control"
depends=$(cd "$stage/src" && dpkg-shlibdeps -O -e"../root/usr/bin/lookout" 2>/dev/null |
    sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || die "dpkg-shlibdeps found no dependencies for usr/bin/lookout"

size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
    -e "s/@DEPENDS@/$depends/" "$here/control.in" >"$root/DEBIAN/control"
# Conffiles are tracked by dpkg apart, so they stay out of md5sums (as dh_md5sums does).
(cd "$root" && find . \( -path ./DEBIAN -o -path ./etc \) -prune -o -type f -printf '%P\0' |
    sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums"

mkdir -p "$outdir"
deb="$outdir/lookout_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
