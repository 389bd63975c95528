#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Debian's package: `dpkg-buildpackage -us -uc -b` on a copy of the tree
# (its tracked and new files as they are now, in a temporary directory:
# dpkg-buildpackage writes beside the source), then the .deb's contents,
# its control fields and conffiles, its maintainer scripts, lintian with no
# error and no warning, and the extracted binary and units.  What is not
# proven here (no systemd as PID 1, and this machine's own system must not
# change): a real `apt install ./isoaudit_*.deb`, the maintainer scripts
# run, the service started.  About half a minute; no Tor needed.
# ISOAUDIT_PACKAGE_KEEP=DIR keeps the .deb and the build's files there
# (`make package`).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

for c in dpkg-buildpackage dh lintian dpkg-deb fakeroot; do
	command -v $c >/dev/null 2>&1 || { echo "$c is not installed"; exit 77; }
done
version=$(sed -n 's/^VERSION[ 	]*=[ 	]*//p' "$top/Makefile")
debversion=$(sed -n '1s/^isoaudit (\([^)]*\)).*/\1/p' "$top/debian/changelog")
case $debversion in
"$version"-*) ;;
*) fail "debian/changelog's $debversion is not the Makefile's VERSION $version" ;;
esac
arch=$(dpkg --print-architecture)
deb=isoaudit_${debversion}_$arch.deb

# --- the build, on a copy ---------------------------------------------------------
src=$T/pkg/isoaudit-$version
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -c -o --exclude-standard |
	    xargs -0 cp --parents -d -t "$src") ||
	    fail "copying the tree"
else
	(cd "$top" && tar -c --exclude=./build --exclude=./isoaudit .) |
	    (cd "$src" && tar -x) || fail "copying the tree"
fi
t0=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) \
    >"$T/build.log" 2>&1 || { tail -40 "$T/build.log"; fail "dpkg-buildpackage"; }
secs=$(( $(date +%s) - t0 ))
[ -f "$T/pkg/$deb" ] || { ls "$T/pkg"; fail "no $deb"; }
if [ -n "${ISOAUDIT_PACKAGE_KEEP:-}" ]; then
	mkdir -p "$ISOAUDIT_PACKAGE_KEEP"
	cp "$T"/pkg/*.deb "$T"/pkg/*.changes "$T"/pkg/*.buildinfo \
	    "$ISOAUDIT_PACKAGE_KEEP"/
	echo "kept in $ISOAUDIT_PACKAGE_KEEP: $(cd "$T/pkg" && echo *.deb)"
fi
ok "dpkg-buildpackage -us -uc -b built $deb (${secs}s)"

# --- contents and control fields ----------------------------------------------------
dpkg-deb -c "$T/pkg/$deb" | awk '{ print $1, $6 }' >"$T/contents"
while read -r mode f; do
	grep -q "^$mode \./${f#/}\$" "$T/contents" ||
	    { cat "$T/contents"; fail "the package lacks $f ($mode)"; }
done <<EOF
-rwxr-xr-x /usr/bin/isoaudit
-rw-r--r-- /usr/share/man/man1/isoaudit.1.gz
-rw-r--r-- /usr/share/man/man5/isoaudit.conf.5.gz
-rw-r--r-- /lib/systemd/system/isoaudit.service
-rw-r--r-- /lib/systemd/system/isoaudit-check.service
-rw-r--r-- /lib/systemd/system/isoaudit-check.timer
-rw-r--r-- /lib/systemd/system/isoaudit-agent.service
-rw-r--r-- /usr/lib/sysusers.d/isoaudit.conf
-rw-r--r-- /usr/lib/tmpfiles.d/isoaudit.conf
-rw-r--r-- /usr/share/bash-completion/completions/isoaudit
-rw-r--r-- /etc/apparmor.d/usr.bin.isoaudit
-rw-r--r-- /etc/isoaudit/isoaudit.conf
-rw-r--r-- /usr/share/doc/isoaudit/copyright
EOF
grep -q ' \./var/lib/isoaudit' "$T/contents" &&
    fail "the package ships /var/lib/isoaudit (tmpfiles.d makes it, owned by isoaudit)"
field() { dpkg-deb -f "$T/pkg/$deb" "$1"; }
[ "$(field Package)" = isoaudit ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$debversion" ] || fail "Version: $(field Version)"
[ "$(field Section)" = net ] || fail "Section: $(field Section)"
[ "$(field Priority)" = optional ] || fail "Priority: $(field Priority)"
for d in libc6 libevent- libsodium libsqlite3- libncursesw6 \
    'systemd | systemd-standalone-sysusers'; do
	field Depends | grep -q -- "$d" || fail "Depends lacks $d: $(field Depends)"
done
field Recommends | grep -qw tor || fail "Recommends: $(field Recommends)"
field Suggests | grep -q tor-geoipdb || fail "Suggests: $(field Suggests)"
dpkg-deb -e "$T/pkg/$deb" "$T/control"
for f in /etc/isoaudit/isoaudit.conf /etc/apparmor.d/usr.bin.isoaudit; do
	grep -qx "$f" "$T/control/conffiles" || fail "$f is not a conffile"
done
ok "contents, control fields (Section net, shlibs Depends, Recommends tor, Suggests tor-geoipdb), conffiles"

# --- maintainer scripts ---------------------------------------------------------------
p=$T/control/postinst
for s in postinst postrm prerm; do
	[ -f "$T/control/$s" ] || continue
	sh -n "$T/control/$s" || fail "$s: a syntax error"
done
# The order in postinst: the profile loaded, the user made, then its
# directory, then the units enabled and started.
line() { grep -n -m1 -- "$1" "$p" | cut -d: -f1; }
a=$(line 'apparmor_parser -r -T -W "$APP_PROFILE"')
u=$(line 'systemd-sysusers .*isoaudit.conf')
d=$(line 'systemd-tmpfiles .*--create isoaudit.conf')
e=$(line "deb-systemd-helper enable 'isoaudit.service'")
st=$(line "deb-systemd-invoke \$_dh_action .*'isoaudit.service'")
[ -n "$a" ] && [ -n "$u" ] && [ -n "$d" ] && [ -n "$e" ] && [ -n "$st" ] ||
    { cat "$p"; fail "postinst lacks the profile, sysusers, tmpfiles, enable or start"; }
[ "$a" -lt "$u" ] && [ "$u" -lt "$d" ] && [ "$d" -lt "$e" ] ||
    fail "postinst: profile ($a), sysusers ($u), tmpfiles ($d), units ($e) out of order"
grep -q "deb-systemd-helper enable 'isoaudit-check.timer'" "$p" ||
    fail "the check timer is not enabled"
grep "deb-systemd-invoke" "$p" | grep -q 'isoaudit-check.timer' ||
    fail "the check timer is not started"
grep "deb-systemd-invoke" "$p" | grep -q 'isoaudit-agent' &&
    fail "the agent (a workstation's) is started on install"
sed -n "/deb-systemd-helper debian-installed 'isoaudit-agent.service'/,/^fi/p" "$p" |
    grep -q 'was-enabled' || fail "the agent is enabled on install"
grep -q 'rm -f /etc/apparmor.d/local/usr.bin.isoaudit' "$T/control/postrm" ||
    fail "postrm does not remove the profile's local/ file on purge"
ok "maintainer scripts: profile, sysusers, tmpfiles, then the service and timer; the agent left off"

# --- lintian ------------------------------------------------------------------------
lintian --fail-on error,warning "$T/pkg/$deb" >"$T/lintian" 2>&1 ||
    { cat "$T/lintian"; fail "lintian: errors or warnings"; }
grep -E '^[EW]: ' "$T/lintian" && fail "lintian: errors or warnings"
ok "lintian: no error, no warning (overrides: debian/isoaudit.lintian-overrides)"

# --- the extracted package --------------------------------------------------------------
x=$T/root
dpkg-deb -x "$T/pkg/$deb" "$x"
"$x/usr/bin/isoaudit" --version | grep -q "^isoaudit $version" ||
    fail "the packaged binary does not say $version"
"$x/usr/bin/isoaudit" config --check "$x/etc/isoaudit/isoaudit.conf" >/dev/null ||
    fail "the packaged config is refused"
if command -v readelf >/dev/null 2>&1; then
	b=$x/usr/bin/isoaudit
	readelf -d "$b" | grep -q BIND_NOW && readelf -l "$b" | grep -q GNU_RELRO &&
	    readelf -h "$b" | grep -q 'Type:.*DYN' &&
	    readelf -W --dyn-syms "$b" | grep -q __stack_chk_fail &&
	    readelf -W --dyn-syms "$b" | grep -q '__[a-z]*printf_chk' ||
	    fail "the packaged binary is not hardened (bindnow, relro, PIE, stack protector, fortify)"
fi
if command -v systemd-analyze >/dev/null 2>&1; then
	mkdir "$T/units"
	for u in "$x"/lib/systemd/system/*; do
		grep -q '^ExecStart=/usr/bin/isoaudit ' "$u" || [ "${u##*.}" = timer ] ||
		    fail "${u##*/}: ExecStart is not /usr/bin/isoaudit"
		sed "s|^\(Exec[A-Za-z]*=\)/usr/bin/isoaudit|\1$x/usr/bin/isoaudit|" \
		    "$u" >"$T/units/${u##*/}"
	done
	systemd-analyze verify --man=no "$T"/units/* >"$T/verify" 2>&1 &&
	    ! [ -s "$T/verify" ] || { cat "$T/verify"; fail "systemd-analyze verify"; }
fi
if command -v apparmor_parser >/dev/null 2>&1; then
	apparmor_parser -Q -T -K "$x/etc/apparmor.d/usr.bin.isoaudit" >"$T/aa" 2>&1 ||
	    { cat "$T/aa"; fail "apparmor_parser refuses the packaged profile"; }
fi
ok "the extracted package: the binary runs (isoaudit $version, hardened), the units verify, the profile parses"
