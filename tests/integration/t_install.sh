#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# make install / uninstall as a distribution uses them: every file where it
# belongs with its mode (binary, manuals, units, timer, sysusers, tmpfiles,
# bash completion, AppArmor profile, config), the units' ExecStart on the
# installed binary, the units verify, the sysusers and tmpfiles entries
# make the user and its directory in a scratch root, the profile parses,
# the completion completes, the binary is hardened, DESTDIR needs no root,
# and uninstall takes it all away (an edited config stays).  No Tor needed.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# --- install under /usr, as the Debian package does ---------------------------
dest=$T/dest
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make install"; }
while read -r mode f; do
	[ -f "$dest$f" ] || fail "make install did not install $f"
	m=$(stat -c %a "$dest$f")
	[ "$m" = "$mode" ] || fail "$f has mode $m, not $mode"
done <<EOF
755 /usr/bin/isoaudit
644 /usr/share/man/man1/isoaudit.1
644 /usr/share/man/man5/isoaudit.conf.5
644 /usr/lib/systemd/system/isoaudit.service
644 /usr/lib/systemd/system/isoaudit-check.service
644 /usr/lib/systemd/system/isoaudit-check.timer
644 /usr/lib/systemd/system/isoaudit-agent.service
644 /usr/lib/sysusers.d/isoaudit.conf
644 /usr/lib/tmpfiles.d/isoaudit.conf
644 /usr/share/bash-completion/completions/isoaudit
644 /etc/apparmor.d/usr.bin.isoaudit
644 /etc/isoaudit/isoaudit.conf
644 /usr/share/doc/isoaudit/README.md
644 /usr/share/doc/isoaudit/CHANGELOG.md
644 /usr/share/doc/isoaudit/examples/cron
EOF
"$dest/usr/bin/isoaudit" --version | grep -q '^isoaudit ' ||
    fail "the installed binary does not run"
"$dest/usr/bin/isoaudit" config --check "$dest/etc/isoaudit/isoaudit.conf" \
    >/dev/null || fail "the installed config is refused"
ok "make install PREFIX=/usr DESTDIR=: every file, with its mode"

# --- the units ------------------------------------------------------------------
units=$dest/usr/lib/systemd/system
for u in isoaudit.service isoaudit-check.service isoaudit-agent.service; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units/$u")
	[ "$exe" = /usr/bin/isoaudit ] ||
	    fail "$u: ExecStart runs '$exe', not the installed /usr/bin/isoaudit"
done
grep -q '/usr/local' "$units"/* "$dest/etc/apparmor.d/usr.bin.isoaudit" \
    "$dest/usr/share/doc/isoaudit/examples/cron" &&
    fail "a path of another prefix is left in an installed file"
grep -q '^After=.*tor@default.service' "$units/isoaudit.service" ||
    fail "the service is not ordered after Debian's tor@default.service"
grep -q '^OnCalendar=' "$units/isoaudit-check.timer" &&
    grep -q '^Persistent=true' "$units/isoaudit-check.timer" &&
    grep -q '^RandomizedDelaySec=' "$units/isoaudit-check.timer" ||
    fail "the timer lacks OnCalendar, Persistent or RandomizedDelaySec"
grep -q '^ExecStart=.* check --since-last ' "$units/isoaudit-check.service" ||
    fail "the check service does not run check --since-last"
# The privileges the monitor needs for other users' processes (/proc/PID/fd
# and exe) and the cookie; nothing beyond them.
for want in '^AmbientCapabilities=.*CAP_SYS_PTRACE' \
    '^AmbientCapabilities=.*CAP_DAC_READ_SEARCH' \
    '^CapabilityBoundingSet=CAP_DAC_READ_SEARCH CAP_SYS_PTRACE CAP_BPF CAP_PERFMON$' \
    '^SupplementaryGroups=debian-tor' '^SystemCallFilter=@system-service '; do
	grep -Eq "$want" "$units/isoaudit.service" ||
	    fail "the service lacks $want"
done
ok "the units run the installed binary, after tor@default, with the privileges they need"

if command -v systemd-analyze >/dev/null 2>&1; then
	# The installed units as they are, but for the binary's path, which
	# must exist for verify: the one under DESTDIR.
	mkdir "$T/verify.d"
	for u in "$units"/*; do
		sed "s|^\(Exec[A-Za-z]*=\)/usr/bin/isoaudit|\1$dest/usr/bin/isoaudit|" \
		    "$u" >"$T/verify.d/${u##*/}"
	done
	systemd-analyze verify --man=no "$T"/verify.d/* >"$T/verify" 2>&1 ||
	    { cat "$T/verify"; fail "systemd-analyze verify failed"; }
	[ -s "$T/verify" ] && { cat "$T/verify"; fail "systemd-analyze verify warned"; }
	ok "systemd-analyze verify: the service, the check service and timer, the agent"
else
	echo "note: systemd-analyze not installed: the units were not verified"
fi

# --- sysusers and tmpfiles, in a scratch root -------------------------------------
if command -v systemd-sysusers >/dev/null 2>&1 &&
    command -v systemd-tmpfiles >/dev/null 2>&1; then
	for tor in absent present; do
		r=$T/root-$tor
		mkdir -p "$r/etc"
		echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
		echo 'root:x:0:' >"$r/etc/group"
		if [ $tor = present ]; then
			echo 'debian-tor:x:101:104::/var/lib/tor:/bin/false' >>"$r/etc/passwd"
			echo 'debian-tor:x:104:' >>"$r/etc/group"
		fi
		systemd-sysusers --root="$r" "$dest/usr/lib/sysusers.d/isoaudit.conf" \
		    >"$T/sysusers" 2>&1 || { cat "$T/sysusers"; fail "systemd-sysusers ($tor)"; }
		grep -Eq '^isoaudit:x:[0-9]+:[0-9]+:[^:]*:/var/lib/isoaudit:/usr/sbin/nologin$' \
		    "$r/etc/passwd" || { cat "$r/etc/passwd"; fail "no isoaudit system user ($tor)"; }
		grep -Eq '^debian-tor:x:[0-9]+:(.*,)?isoaudit(,.*)?$' "$r/etc/group" ||
		    { cat "$r/etc/group"; fail "isoaudit is not in debian-tor (tor $tor)"; }
		[ $tor = absent ] || grep -q '^debian-tor:x:104:' "$r/etc/group" ||
		    fail "tor's own debian-tor group was changed"
		systemd-tmpfiles --root="$r" --create "$dest/usr/lib/tmpfiles.d/isoaudit.conf" \
		    >"$T/tmpfiles" 2>&1 || { cat "$T/tmpfiles"; fail "systemd-tmpfiles"; }
		uid=$(sed -n 's/^isoaudit:x:\([0-9]*\):.*/\1/p' "$r/etc/passwd")
		st=$(stat -c '%a %u' "$r/var/lib/isoaudit")
		[ "$st" = "700 $uid" ] ||
		    fail "/var/lib/isoaudit is '$st', not mode 700 owned by isoaudit ($uid)"
	done
	ok "sysusers makes the isoaudit user in debian-tor (tor installed or not), tmpfiles its 0700 directory"
else
	echo "note: systemd-sysusers/tmpfiles not installed: the entries were not applied"
fi

# --- the AppArmor profile -------------------------------------------------------
prof=$dest/etc/apparmor.d/usr.bin.isoaudit
grep -q '^profile isoaudit /usr/bin/isoaudit ' "$prof" ||
    fail "the profile is not attached to /usr/bin/isoaudit"
grep -q 'include if exists <local/usr.bin.isoaudit>' "$prof" ||
    fail "the profile does not include its local/ file"
grep -Eq 'flags=\([^)]*complain' "$prof" && fail "the profile is in complain mode"
if command -v apparmor_parser >/dev/null 2>&1; then
	apparmor_parser -Q -T -K "$prof" >"$T/aa" 2>&1 ||
	    { cat "$T/aa"; fail "apparmor_parser refuses the profile"; }
	# What the code needs must be granted (a parsed profile can still
	# forget the capabilities or the Tor socket).
	for want in 'capability sys_ptrace,' 'capability dac_read_search,' \
	    'ptrace (read),' 'network netlink raw,' '/{,var/}run/tor/control rw,' \
	    '/var/lib/isoaudit/\*\* rwk,' '@{PROC}/\[0-9\]\*/fd/ r,'; do
		grep -q "^  $want" "$prof" || fail "the profile lacks: $want"
	done
	ok "the AppArmor profile parses (apparmor_parser -Q -T -K), enforced, on /usr/bin/isoaudit"
else
	echo "note: apparmor_parser not installed: the profile was not parsed"
fi

# --- bash completion --------------------------------------------------------------
if command -v bash >/dev/null 2>&1; then
	cat >"$T/comp.bash" <<'EOS'
. "$1"
t() {
	COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
	_isoaudit
	echo "${COMPREPLY[*]}"
}
EOS
	comp() {
		PATH="$dest/usr/bin:$PATH" bash -c '. "$0" "$1"; shift 1; t "$@"' \
		    "$T/comp.bash" "$dest/usr/share/bash-completion/completions/isoaudit" \
		    isoaudit "$@"
	}
	check_comp() {
		want=$1; shift
		got=$(cd "$T" && comp "$@")
		[ "$got" = "$want" ] ||
		    fail "completing 'isoaudit $*': got '$got', want '$want'"
	}
	check_comp "monitor replay report check prune config agent help" ""
	check_comp "replay report" re
	check_comp "monitor replay report check prune config agent" help ""
	check_comp "--format" report --fo
	check_comp "text json csv html" report --format ""
	check_comp "text json" check --format ""
	check_comp "warning" check --min-severity w
	check_comp "hash plain none" monitor --log-targets ""
	check_comp "on off" agent --tracker ""
	check_comp "--db --dump" replay --d
	check_comp "--format" -c /etc/x report --fo
	touch "$T/comp-file.db"
	check_comp "comp-file.db" report --db comp-f
	check_comp "comp-file.db" --password-file comp-f
	check_comp "comp-file.db" replay comp-f
	# Every option of every command's usage is completed.
	for c in $(comp ""); do
		[ "$c" = help ] && continue
		got=$(comp "$c" -)
		for o in $("$dest/usr/bin/isoaudit" "$c" --help 2>&1 |
		    sed -n 's/^  \(-[^ ].*\)$/\1/p' | sed 's/   .*//' |
		    grep -o -- '--[a-z][a-z-]*'); do
			case " $got " in
			*" $o "*) ;;
			*) fail "completing 'isoaudit $c -': $o missing" ;;
			esac
		done
	done
	ok "bash completion: commands, options of each command from its usage, values, files"
fi

# --- hardening of the default build ------------------------------------------
if command -v readelf >/dev/null 2>&1; then
	b=$dest/usr/bin/isoaudit
	readelf -d "$b" | grep -q 'BIND_NOW' || fail "no BIND_NOW (-z now)"
	readelf -l "$b" | grep -q 'GNU_RELRO' || fail "no GNU_RELRO"
	readelf -h "$b" | grep -q 'Type:.*DYN' || fail "not a PIE"
	readelf -W --dyn-syms "$b" | grep -q '__stack_chk_fail' ||
	    fail "no stack protector"
	readelf -W --dyn-syms "$b" | grep -q '__[a-z]*printf_chk' ||
	    fail "no FORTIFY (_chk functions)"
	ok "the default build: PIE, full RELRO, stack protector, FORTIFY"
fi

# --- DESTDIR needs no root ----------------------------------------------------------
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
    test -r "$top/Makefile" -a -r "$top/isoaudit"; then
	nd=$(mktemp -d /tmp/isoaudit-inst.XXXXXX)
	chown nobody "$nd"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    make -s -C "$top" install DESTDIR="$nd/d" PREFIX=/usr/local \
	    >"$T/make" 2>&1 || { cat "$T/make"; rm -rf "$nd"; fail "make install as nobody"; }
	[ -f "$nd/d/etc/apparmor.d/usr.local.bin.isoaudit" ] ||
	    { rm -rf "$nd"; fail "PREFIX=/usr/local: profile not named usr.local.bin.isoaudit"; }
	grep -q '^profile isoaudit /usr/local/bin/isoaudit ' \
	    "$nd/d/etc/apparmor.d/usr.local.bin.isoaudit" &&
	    grep -q '^ExecStart=/usr/local/bin/isoaudit ' \
	    "$nd/d/usr/local/lib/systemd/system/isoaudit.service" ||
	    { rm -rf "$nd"; fail "PREFIX=/usr/local: paths not rewritten"; }
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    make -s -C "$top" uninstall DESTDIR="$nd/d" PREFIX=/usr/local \
	    >"$T/make" 2>&1 || { cat "$T/make"; rm -rf "$nd"; fail "make uninstall as nobody"; }
	left=$(find "$nd/d" -type f | wc -l)
	rm -rf "$nd"
	[ "$left" -eq 0 ] || fail "uninstall as nobody left $left files"
	ok "make install/uninstall DESTDIR= PREFIX=/usr/local as nobody: no root needed, paths for the prefix"
else
	echo "note: not root, or the tree is not readable by nobody: install as another user not tried"
fi

# --- uninstall -----------------------------------------------------------------------
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make uninstall"; }
left=$(find "$dest" -type f | wc -l)
[ "$left" -eq 0 ] || { find "$dest" -type f; fail "uninstall left $left files"; }
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make install (again)"; }
echo 'Retention 7d' >>"$dest/etc/isoaudit/isoaudit.conf"
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make install over an edited config"; }
grep -q '^Retention 7d' "$dest/etc/isoaudit/isoaudit.conf" ||
    fail "make install overwrote the administrator's config"
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make uninstall"; }
left=$(find "$dest" -type f)
[ "$left" = "$dest/etc/isoaudit/isoaudit.conf" ] ||
    { echo "$left"; fail "uninstall: only the edited config should be left"; }
ok "make uninstall removes every file; an edited config is neither overwritten nor removed"
