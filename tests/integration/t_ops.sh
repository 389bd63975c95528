#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Operations: `monitor` under a service manager (SIGHUP reloads the config
# and keeps the session, a broken file changes nothing, SIGTERM flushes and
# exits 0), the systemd unit verifies, the cron line is the documented one,
# and `make install DESTDIR=...` installs what it should (and uninstall
# takes it away).
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

# --- SIGHUP and SIGTERM ------------------------------------------------------
cat >"$T/conf" <<EOC
App $TORNET_SOCKS_A "alpha"
EOC
"$ISOAUDIT" -c "$T/conf" monitor --control "$TORNET_CONTROL" --db "$T/db" \
    >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/out" 'attached to Tor .* Tor session 1:' 30 || fail "no attach"
fetch "$TORNET_SOCKS_A" >/dev/null
wait_for "$T/out" 'app alpha@localhost' 20 || fail "alpha not attributed"

cat >"$T/conf" <<EOC
App $TORNET_SOCKS_A "renamed"
Database /elsewhere.db
Tracker off
EOC
kill -HUP "$mon"
wait_for "$T/err" 'SIGHUP: configuration reloaded from' 10 || fail "no reload"
wait_for "$T/err" 'SIGHUP: Database Tracker changed: that takes a restart' 5 ||
    fail "no word about what needs a restart"
fetch "$TORNET_SOCKS_A" >/dev/null
wait_for "$T/out" 'app renamed@localhost' 20 || fail "the new App label is not used"
grep -q 'Tor session 2' "$T/out" && fail "SIGHUP started a new Tor session"
ok "SIGHUP: the new App map applies, the Tor session goes on"

printf 'App %s\n' "$TORNET_SOCKS_A" >"$T/conf"
kill -HUP "$mon"
wait_for "$T/err" "SIGHUP: $T/conf:1: .*; keeping the configuration in use" 10 ||
    fail "a broken config is not refused with FILE:LINE"
fetch "$TORNET_SOCKS_A" >/dev/null
sleep 0.5
tail -3 "$T/out" | grep -q 'app renamed@localhost' ||
    { tail -5 "$T/out"; fail "a broken config changed something"; }
kill -0 "$mon" || fail "the monitor died of a broken config"
ok "SIGHUP with a broken file: FILE:LINE, nothing changes, monitoring goes on"

kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || fail "SIGTERM: exit $rc"
ended=$(sqlite3 "$T/db" "select end_reason from tor_session order by id desc limit 1")
[ "$ended" = "isoaudit stopped" ] || fail "session not ended in the database ($ended)"
n=$(sqlite3 "$T/db" "select count(*) from stream s join app a on a.id = s.app where a.label in ('alpha', 'renamed')")
[ "$n" -ge 3 ] || fail "only $n of 3 streams stored"
ok "SIGTERM: exit 0, the session ended and every stream flushed ($n)"

# --- the systemd unit and the cron line -----------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
	# The unit as installed would run the installed binary: point it at
	# the one under test; man pages are not installed here.
	sed "s|/usr/local/bin/isoaudit|$ISOAUDIT|" "$top/docs/examples/isoaudit.service" \
	    >"$T/isoaudit.service"
	systemd-analyze verify --man=no "$T/isoaudit.service" >"$T/verify" 2>&1 ||
	    { cat "$T/verify"; fail "systemd-analyze verify failed"; }
	[ -s "$T/verify" ] && { cat "$T/verify"; fail "systemd-analyze verify warned"; }
	sed "s|/usr/local/bin/isoaudit|$ISOAUDIT|" "$top/docs/examples/isoaudit-agent.service" \
	    >"$T/isoaudit-agent.service"
	systemd-analyze verify --man=no "$T/isoaudit-agent.service" >"$T/verify" 2>&1 ||
	    { cat "$T/verify"; fail "systemd-analyze verify (the agent's unit) failed"; }
	[ -s "$T/verify" ] && { cat "$T/verify"; fail "systemd-analyze verify (the agent's unit) warned"; }
	ok "the systemd units (monitor, agent) verify"
else
	echo "note: systemd-analyze not installed: the unit was not verified"
fi
u="$top/docs/examples/isoaudit.service"
for want in '^Type=simple' '^User=isoaudit' '^SupplementaryGroups=debian-tor' \
    '^NoNewPrivileges=yes' '^ProtectSystem=strict' '^ProtectHome=yes' \
    '^PrivateTmp=yes' '^StateDirectory=isoaudit' '^ReadWritePaths=/var/lib/isoaudit' \
    '^ExecReload=/bin/kill -HUP \$MAINPID' '^ExecStart=.* monitor '; do
	grep -Eq "$want" "$u" || fail "the unit lacks $want"
done
ok "the unit has the user, group and hardening the docs promise"
u="$top/docs/examples/isoaudit-agent.service"
for want in '^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_SYS_PTRACE CAP_DAC_READ_SEARCH$' \
    '^SystemCallFilter=@system-service bpf perf_event_open$' '^NoNewPrivileges=yes' \
    '^ExecStart=.* agent --gateway '; do
	grep -Eq "$want" "$u" || fail "the agent's unit lacks $want"
done
grep -Eq '^\*/10 \* \* \* \* isoaudit .*isoaudit check --since-last cron' \
    "$top/docs/examples/cron" || fail "the cron example is not the recommended line"
"$ISOAUDIT" config --check "$top/docs/examples/isoaudit.conf" >/dev/null ||
    fail "the example config is refused"
ok "the cron line and the example config"

# --- make install / uninstall ------------------------------------------------------
dest=$(mktemp -d "$T/dest.XXXXXX")
make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr/local >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make install"; }
for f in bin/isoaudit share/man/man1/isoaudit.1 share/man/man5/isoaudit.conf.5 \
    share/doc/isoaudit/README.md share/doc/isoaudit/examples/isoaudit.service \
    share/doc/isoaudit/examples/cron share/doc/isoaudit/examples/isoaudit.conf; do
	[ -f "$dest/usr/local/$f" ] || fail "make install did not install $f"
done
[ -x "$dest/usr/local/bin/isoaudit" ] || fail "the binary is not executable"
"$dest/usr/local/bin/isoaudit" --version | grep -q '^isoaudit ' || fail "installed binary"
MANPATH="$dest/usr/local/share/man" man -w isoaudit >/dev/null 2>&1 ||
    echo "note: man -w did not find the installed page (no man-db here?)"
make -s -C "$top" uninstall DESTDIR="$dest" PREFIX=/usr/local >"$T/make" 2>&1 ||
    { cat "$T/make"; fail "make uninstall"; }
left=$(find "$dest" -type f | wc -l)
[ "$left" -eq 0 ] || { find "$dest" -type f; fail "uninstall left $left files"; }
ok "make install DESTDIR= installs binary, manuals and examples; uninstall removes them"
