#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The store's flush policy (docs/reliability.md, "When rows reach the
# disk"), against a fake control port that keeps its connection open:
#  (c) rows below warning (streams; a finding made notice by a Rule line)
#      are not committed before the window (ISOAUDIT_TEST_FLUSH_MS, 4 s
#      here), and are committed after it;
#  (d) a monitor with nothing queued is not woken at all: its voluntary
#      context switches over 3 s (the old 250 ms tick and 1 s stat() gave
#      15);
#  (b) with the default window (30 s), a new finding at warning is visible
#      to a reader within 2 s, while streams that came after it are not yet
#      committed;
#  (a) SIGTERM commits what is queued: every stream is in the database and
#      the Tor session has its end.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)

FP="16B0637A639FAF85A8992C2B11130BDC9E35FF53"
ISO="CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
# stream ID CIRC GROUP: one stream's life, NEW to CLOSED (CRLF lines).
# Its source port is below 1024, which no client's connect gets: no socket
# of this host answers for it (CI's private Tor network listens from
# 30000; a source port there named its tor process, one application for
# all three streams, and no SHARED_CIRCUIT).
stream() {
	t="SESSION_GROUP=$3 $ISO"
	printf '650 STREAM %d NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER %s\r\n' "$1" $((900 + $1)) "$t"
	printf '650 STREAM %d SENTCONNECT %d 127.0.0.1:80 %s\r\n' "$1" "$2" "$t"
	printf '650 STREAM %d SUCCEEDED %d 127.0.0.1:80 %s\r\n' "$1" "$2" "$t"
	printf '650 STREAM %d CLOSED %d 127.0.0.1:80 REASON=DONE %s\r\n' "$1" "$2" "$t"
}
circ() {
	printf '650 CIRC %d BUILT $%s~exit1 PURPOSE=GENERAL\r\n' "$1" "$FP"
}
# FAKECTOR_DELAY_MS (a wait before each handshake answer) also keeps the
# fake's connection open after the script, however long the client is
# quiet: no session end (which commits) in the middle of the test.
q() { sqlite3 "file:$1?mode=ro" "$2" 2>/dev/null || echo -1; }
vcs() { sed -n 's/^voluntary_ctxt_switches:[[:space:]]*//p' "/proc/$1/status"; }

# --- (c) the window, (d) idle ------------------------------------------------
# Two applications on one circuit (SHARED_CIRCUIT, made notice here;
# CONTROLLER_ATTACH, critical, off) and a third stream: nothing at warning.
# The circuit first, the streams a second later (after the new session's
# commit, which is at once).
circ 1 >"$T/a.p1"
{ stream 1 1 -4; stream 2 1 -5; stream 3 1 -4; } >"$T/a.p2"
cat "$T/a.p1" "$T/a.p2" >"$T/a.script"
printf 'Tracker off\nRule SHARED_CIRCUIT notice\nRule CONTROLLER_ATTACH off\n' >"$T/a.conf"
FAKECTOR_DELAY_MS=1 FAKECTOR_PAUSE_MS=1000 \
    FAKECTOR_CHUNK="$(wc -c <"$T/a.p1"),$(wc -c <"$T/a.p2")" \
    python3 "$here/fakector.py" "$T/a.port" "$T/a.script" 2>"$T/a.fake.err" &
BGPIDS="$!"
wait_for "$T/a.port" '^[0-9]+$' 10 || fail "fake control port did not start"
ISOAUDIT_TEST_FLUSH_MS=4000 "$ISOAUDIT" -c "$T/a.conf" monitor \
    --control "127.0.0.1:$(head -1 "$T/a.port")" --db "$T/a.db" >"$T/a.out" 2>"$T/a.err" &
mon=$!
BGPIDS="$BGPIDS $mon"
wait_for "$T/a.out" " stream 3 CLOSED " 20 || fail "the streams were not read"
t0=$(date +%s)
grep -q "FINDING notice SHARED_CIRCUIT" "$T/a.out" || { cat "$T/a.out"; fail "no notice finding"; }
[ "$(q "$T/a.db" 'SELECT count(*) FROM tor_session')" = 1 ] ||
    fail "the new Tor session was not committed at once"
n=$(q "$T/a.db" 'SELECT count(*) FROM stream')
[ "$n" = 0 ] || fail "$n streams committed at once (the window is 4 s)"
sleep 1.5
n=$(q "$T/a.db" 'SELECT count(*) FROM stream')
c=$(q "$T/a.db" 'SELECT count(*) FROM occurrence')
[ "$n" = 0 ] && [ "$c" = 0 ] ||
    fail "committed before the window: $n streams, $c occurrences after 1.5 s"
ok "rows below warning wait for the window (nothing after 1.5 s of 4)"
i=0
while [ "$(q "$T/a.db" 'SELECT count(*) FROM stream')" != 3 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(q "$T/a.db" 'SELECT count(*) FROM stream')" = 3 ] ||
    fail "the streams were not committed 10 s after the window"
[ "$(q "$T/a.db" 'SELECT count(*) FROM occurrence')" = 1 ] || fail "the notice finding was not committed"
ok "committed after the window ($(($(date +%s) - t0)) s after the last stream)"

# Nothing queued now: the monitor sleeps.  (The fake sends nothing more.)
sleep 0.5
v0=$(vcs "$mon")
sleep 3
v1=$(vcs "$mon")
[ -n "$v0" ] && [ -n "$v1" ] || fail "cannot read /proc/$mon/status"
[ $((v1 - v0)) -le 1 ] || fail "idle monitor woke $((v1 - v0)) times in 3 s"
ok "idle with nothing queued: $((v1 - v0)) wakeups in 3 s"
kill -TERM "$mon"
wait "$mon" || fail "monitor exit $? after SIGTERM"
BGPIDS=""

# --- (b) a finding at warning at once, (a) SIGTERM -----------------------------
# Part 1: two applications on circuit 2 (SHARED_CIRCUIT, made warning);
# part 2, a second later: three more streams of one application.
{ circ 2; stream 1 2 -4; stream 2 2 -5; } >"$T/b.p1"
{ stream 3 2 -4; stream 4 2 -4; stream 5 2 -4; } >"$T/b.p2"
cat "$T/b.p1" "$T/b.p2" >"$T/b.script"
printf 'Tracker off\nRule SHARED_CIRCUIT warning\nRule CONTROLLER_ATTACH off\n' >"$T/b.conf"
FAKECTOR_DELAY_MS=1 FAKECTOR_PAUSE_MS=1000 \
    FAKECTOR_CHUNK="$(wc -c <"$T/b.p1"),$(wc -c <"$T/b.p2")" \
    python3 "$here/fakector.py" "$T/b.port" "$T/b.script" 2>"$T/b.fake.err" &
BGPIDS="$!"
wait_for "$T/b.port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" -c "$T/b.conf" monitor --control "127.0.0.1:$(head -1 "$T/b.port")" \
    --db "$T/b.db" >"$T/b.out" 2>"$T/b.err" &
mon=$!
BGPIDS="$BGPIDS $mon"
wait_for "$T/b.out" "FINDING warning SHARED_CIRCUIT" 20 || fail "no warning finding"
i=0
while [ "$(q "$T/b.db" 'SELECT count(*) FROM occurrence')" != 1 ] && [ $i -lt 20 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ "$(q "$T/b.db" 'SELECT count(*) FROM occurrence')" = 1 ] ||
    fail "the warning finding was not committed within 2 s (the window is 30 s)"
[ "$(q "$T/b.db" "SELECT severity FROM cause")" = warning ] || fail "cause severity"
ok "a finding at warning was committed at once (within $((i * 100 + 100)) ms)"
wait_for "$T/b.out" " stream 5 CLOSED " 20 || fail "part 2 was not read"
sleep 0.5
n=$(q "$T/b.db" 'SELECT count(*) FROM stream WHERE stream_id >= 3')
[ "$n" = 0 ] || fail "$n streams after the finding committed before the window"
kill -TERM "$mon"
wait "$mon" || fail "monitor exit $? after SIGTERM"
[ "$(q "$T/b.db" 'SELECT count(*) FROM stream')" = 5 ] ||
    fail "after SIGTERM: $(q "$T/b.db" 'SELECT count(*) FROM stream') of 5 streams"
[ "$(q "$T/b.db" "SELECT count(*) FROM tor_session WHERE end_reason = 'isoaudit stopped'")" = 1 ] ||
    fail "after SIGTERM: the session has no end"
ok "SIGTERM committed the queued streams and the session's end"
