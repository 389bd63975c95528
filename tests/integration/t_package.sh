#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Debian's package: `dpkg-buildpackage -us -uc -b` on a copy of the tree
# (its tracked and new files as they are now, in a temporary directory:
# dpkg-buildpackage writes beside the source), then the .deb's contents,
# its control fields and conffiles, its maintainer scripts, lintian with no
# error and no warning, and the extracted binary and units; then, as root
# with systemd-nspawn, `apt install ./isoaudit_*.deb` on this machine's own
# Debian booted in a container through an overlay (nothing here changes):
# the service running and attached to tor@default, the timer, a check, a
# reload, and `apt purge`.  About a minute; no test network needed.
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

# --- apt install ./isoaudit_*.deb on a booted Debian --------------------------------
# What a user does, on this machine's own Debian booted as a container:
# its root seen through an overlay whose changes live in a tmpfs (nothing of
# this machine changes), systemd as its PID 1 (systemd-nspawn), a network
# namespace of its own with loopback only.  Its Tor is kept off any network:
# its one bridge is 127.0.0.1:1 in the container (refused), so it opens its
# control socket and makes no other connection.  A policy-rc.d (container
# images ship one that forbids starting services) is taken away, as a
# Debian machine has none.
boot_ok=""
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: the package was not installed on a booted system"
elif ! command -v systemd-nspawn >/dev/null 2>&1; then
	echo "note: systemd-nspawn (systemd-container) not installed: the package was not installed on a booted system"
else
	boot_ok=yes
fi
if [ -n "$boot_ok" ]; then
	B=$T/boot
	mkdir -p "$B/rw" "$B/root"
	NSPAWN=""
	boot_down() {
		if [ -n "$NSPAWN" ]; then
			kill -TERM "$NSPAWN" 2>/dev/null	# the container powers off
			i=0
			while kill -0 "$NSPAWN" 2>/dev/null && [ $i -lt 150 ]; do
				sleep 0.1
				i=$((i + 1))
			done
			kill -KILL "$NSPAWN" 2>/dev/null
			wait "$NSPAWN" 2>/dev/null
		fi
		for m in "$B/root" "$B/rw"; do
			mountpoint -q "$m" && { umount "$m" 2>/dev/null || umount -l "$m"; }
		done
		cleanup_bg
	}
	trap boot_down EXIT
	mount -t tmpfs -o size=1g,mode=0700 isoaudit-boot "$B/rw" ||
	    fail "tmpfs for the overlay"
	mkdir "$B/rw/upper" "$B/rw/work"
	mount -t overlay isoaudit-boot \
	    -o "lowerdir=/,upperdir=$B/rw/upper,workdir=$B/rw/work" "$B/root" ||
	    fail "an overlay of / (overlayfs)"
	r=$B/root
	rm -f "$r/usr/sbin/policy-rc.d" "$r/etc/machine-id"
	if [ -f "$r/etc/tor/torrc" ]; then
		printf '\n# t_package: no network\nUseBridges 1\nBridge 127.0.0.1:1\n' \
		    >>"$r/etc/tor/torrc"
	else
		fail "tor is not installed (scripts/deps installs it)"
	fi
	mkdir -p "$r/var/cache/isoaudit-test"
	cp "$T/pkg/$deb" "$r/var/cache/isoaudit-test/"
	uuid=$(tr -d - </proc/sys/kernel/random/uuid)
	systemd-nspawn -q -D "$r" --private-network --register=no --keep-unit \
	    --link-journal=no --uuid="$uuid" --console=passive --boot \
	    </dev/null >"$T/nspawn.log" 2>&1 &
	NSPAWN=$!
	# The container's PID 1, and commands run in it as root would type them.
	leader=""
	i=0
	while [ -z "$leader" ] && [ $i -lt 100 ]; do
		leader=$(pgrep -P "$NSPAWN" 2>/dev/null | head -1)
		kill -0 "$NSPAWN" 2>/dev/null || { cat "$T/nspawn.log"; fail "systemd-nspawn ended"; }
		sleep 0.1
		i=$((i + 1))
	done
	[ -n "$leader" ] || { cat "$T/nspawn.log"; fail "no container"; }
	inside() {
		nsenter -t "$leader" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive sh -c "cd / && $1"
	}
	i=0
	until inside 'systemctl is-system-running' 2>/dev/null |
	    grep -Eq '^(running|degraded)$'; do
		i=$((i + 1))
		[ $i -le 120 ] || { inside 'systemctl --failed --no-pager'; fail "the container did not boot in 60 s"; }
		sleep 0.5
	done
	t0=$(date +%s)
	inside "cd /var/cache/isoaudit-test && apt-get install -y -q ./$deb" \
	    >"$T/apt.log" 2>&1 || { cat "$T/apt.log"; fail "apt install ./$deb"; }
	grep -Eq 'policy-rc.d|not running' "$T/apt.log" &&
	    { cat "$T/apt.log"; fail "apt install: the services were not started"; }
	ok "apt install ./$deb on a booted Debian ($(( $(date +%s) - t0 ))s)"

	# The service: running as isoaudit (in debian-tor), started Tor's
	# instance, attached through /run/tor/control with its cookie.
	i=0
	until inside "runuser -u isoaudit -- isoaudit report \
	    --db /var/lib/isoaudit/isoaudit.db" 2>/dev/null >"$T/report" &&
	    grep -q 'control   unix:/run/tor/control (SAFECOOKIE)' "$T/report"; do
		i=$((i + 1))
		[ $i -le 60 ] || { cat "$T/report"; inside 'systemctl status --no-pager isoaudit tor@default; journalctl --no-pager -u isoaudit'; fail "the service did not attach to tor@default"; }
		sleep 0.5
	done
	[ "$(inside 'systemctl is-active isoaudit.service tor@default.service' | tr '\n' ' ')" = "active active " ] ||
	    fail "isoaudit.service or tor@default.service is not active"
	mp=$(inside 'systemctl show -p MainPID --value isoaudit.service')
	[ "$(inside "ps -o user= -p $mp")" = isoaudit ] || fail "the service does not run as isoaudit"
	inside 'id -nG isoaudit' | grep -qw debian-tor || fail "isoaudit is not in debian-tor"
	[ "$(inside 'stat -c "%U %a" /var/lib/isoaudit /var/lib/isoaudit/isoaudit.db' | tr '\n' ' ')" = "isoaudit 700 isoaudit 600 " ] ||
	    fail "/var/lib/isoaudit: $(inside 'stat -c "%n %U %a" /var/lib/isoaudit /var/lib/isoaudit/isoaudit.db')"
	# The journal: isoaudit's messages, not a line per stream (Tor's own
	# directory streams are there to be seen).
	inside 'journalctl --no-pager -q -o cat -u isoaudit.service' >"$T/journal"
	grep -E ' stream [0-9]+ (NEW|CLOSED) ' "$T/journal" &&
	    fail "the journal has a line per stream"
	ok "isoaudit.service runs as isoaudit (debian-tor), started tor@default and attached through /run/tor/control; database 0600 in 0700; no stream in the journal"

	# The timer is waiting; the check it starts runs to success.
	inside 'systemctl is-enabled isoaudit-check.timer' | grep -qx enabled ||
	    fail "isoaudit-check.timer is not enabled"
	inside 'systemctl list-timers --no-pager --all isoaudit-check.timer' >"$T/timers"
	grep -q 'isoaudit-check.timer *isoaudit-check.service' "$T/timers" ||
	    { cat "$T/timers"; fail "isoaudit-check.timer is not scheduled"; }
	grep -Eq '^n/a ' "$T/timers" && { cat "$T/timers"; fail "isoaudit-check.timer has no next run"; }
	inside 'systemctl start isoaudit-check.service' ||
	    { inside 'journalctl --no-pager -u isoaudit-check'; fail "isoaudit-check.service failed"; }
	[ "$(inside 'systemctl show -p Result --value isoaudit-check.service')" = success ] ||
	    fail "isoaudit-check.service: $(inside 'systemctl show -p Result --value isoaudit-check.service')"
	ok "isoaudit-check.timer scheduled; isoaudit-check.service ran to success"

	# Reload keeps it running; purge stops it and leaves no file of it.
	inside 'systemctl reload isoaudit.service' || fail "systemctl reload isoaudit"
	inside 'systemctl is-active isoaudit.service' | grep -qx active ||
	    fail "not active after reload"
	inside 'apt-get purge -y -q isoaudit' >"$T/purge.log" 2>&1 ||
	    { cat "$T/purge.log"; fail "apt purge isoaudit"; }
	inside 'systemctl is-active isoaudit.service' | grep -qx active &&
	    fail "the service runs after purge"
	for f in /usr/bin/isoaudit /etc/isoaudit /var/lib/isoaudit \
	    /lib/systemd/system/isoaudit.service /etc/apparmor.d/usr.bin.isoaudit \
	    /etc/systemd/system/multi-user.target.wants/isoaudit.service \
	    /etc/systemd/system/timers.target.wants/isoaudit-check.timer; do
		inside "test -e $f" && fail "$f is left after apt purge"
	done
	ok "systemctl reload: still running; apt purge: stopped, no file left (the database with it)"
fi
