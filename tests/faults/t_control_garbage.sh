#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The control connection fed garbage (no Tor network needed): a fake
# control port (fakeport.py) sends, between good stream lifecycles,
#   1. a line of garbage bytes (ESC, 8-bit CSI, invalid UTF-8, BEL, DEL)
#   2. an event line with NUL bytes in it
#   3. a 10 MiB line
#   4. a reply for a command never sent (a 250 reply with an escape in it)
#   5. half a line, then 3 s of silence, then the rest of it
#   6. half a line, then the connection closed; a second connection on the
#      same port is Tor session 2.
# What "keeps or re-establishes the connection" means here: 1-5 keep the
# session (one Tor session, no reconnect); 6 ends it, isoaudit says so
# and reconnects.  Each fault is logged exactly once, escaped (no raw
# control byte reaches stdout or stderr), the event loop is not held up
# by the silence (rows are committed, SIGHUP is answered), and every good
# event before and after each fault is printed and stored in its session;
# nothing of a broken line is.  The transcript replays to the same output.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
: >"$T/empty.conf"

cat >"$T/scn.py" <<PY
T = "$T"
TAIL = ("CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4 "
        "ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH")

def stream(c, i):
    c.lines(["650 STREAM %d NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER %s" % (i, 5000 + i, TAIL),
             "650 STREAM %d SENTCONNECT 8 127.0.0.1:80 %s" % (i, TAIL),
             "650 STREAM %d SUCCEEDED 8 127.0.0.1:80 %s" % (i, TAIL),
             "650 STREAM %d CLOSED 8 127.0.0.1:80 REASON=DONE %s" % (i, TAIL)])

def session(n, c):
    if n == 1:
        stream(c, 101)
        c.send(b"\x1b[31m\x9b2J\xff\xfe\x07\x7f garbage\r\n")
        stream(c, 102)
        c.send(b"650 STREAM 150 NEW 0 127.0.0.1:80 \x00\x1b[2J\x00 SOURCE_ADDR=127.0.0.1:5150\r\n")
        stream(c, 103)
        c.send(b"650 STREAM 151 NEW 0 \x1b]0;big\x07" + b"B" * (10 << 20) + b"\r\n")
        stream(c, 104)
        c.send(b"250-version=6.6.6 \x1b[2J\r\n250 OK\r\n")
        stream(c, 105)
        c.send(b"650 STREAM 106 NEW 0 127.0.0.1:80 SOURCE_AD")
        c.mark(T + "/half")
        c.wait(T + "/go")
        c.send(b"DR=127.0.0.1:5106 PURPOSE=USER " + TAIL.encode() + b"\r\n")
        c.lines(["650 STREAM 106 SENTCONNECT 8 127.0.0.1:80 " + TAIL,
                 "650 STREAM 106 SUCCEEDED 8 127.0.0.1:80 " + TAIL,
                 "650 STREAM 106 CLOSED 8 127.0.0.1:80 REASON=DONE " + TAIL])
        stream(c, 107)
        c.send(b"650 STREAM 108 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:5108 \x1b[2J")
        c.sleep(0.2)
        c.close()
        return True
    stream(c, 201)
    stream(c, 202)
    return False
PY
fakeport fk "$T/scn.py"
port=$(cat "$T/fk.port")
"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$port" \
    --db "$T/db" --record "$T/rec.txt" --log-targets plain \
    >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$BGPIDS $mon"

# 5. The half line and the silence: the loop goes on.
wait_for "$T/half" . 60 || fail "the fake Tor never got to the half line"
t_half=$(now_ms)
i=0
while [ "$(sq "$T/db" "SELECT count(*) FROM stream WHERE status = 'CLOSED'" 2>/dev/null)" != 5 ]; do
	[ $i -lt 100 ] || { sq "$T/db" 'SELECT stream_id, status FROM stream'; fail "streams 101-105 not committed during the silence"; }
	sleep 0.05
	i=$((i + 1))
done
ms_commit=$(($(now_ms) - t_half))
kill -HUP "$mon"
wait_for "$T/err" 'SIGHUP: configuration reloaded' 5 || fail "SIGHUP not answered during the silence"
ms_hup=$(($(now_ms) - t_half))
grep -q 'stream 106' "$T/out" && fail "half a line was acted on"
# 3 s of silence in all.
while [ $(($(now_ms) - t_half)) -lt 3000 ]; do sleep 0.1; done
kill -0 "$mon" 2>/dev/null || fail "monitor died during the silence"
ok "half a line, then silence: streams 101-105 committed after ${ms_commit} ms, SIGHUP answered after ${ms_hup} ms"
: >"$T/go"

# 6. Half a line, then the connection closed: session 2.
wait_for "$T/err" "reconnected to Tor at 127\.0\.0\.1:$port \(Tor session 2\)" 20 ||
    fail "no reconnect after the connection was closed mid-line"
i=0
while [ "$(sq "$T/db" "SELECT count(*) FROM stream WHERE session = 2 AND status = 'CLOSED'" 2>/dev/null)" != 2 ]; do
	[ $i -lt 100 ] || fail "session 2's streams not committed"
	sleep 0.05
	i=$((i + 1))
done
kill -TERM "$mon"
wait "$mon"
rc=$?
[ "$rc" -eq 0 ] || { tail "$T/err"; fail "monitor exit $rc"; }
echo "--- stdout"; cat "$T/out"; echo "--- stderr"; cat "$T/err"; echo "---"

# Nothing raw reached the terminal.
raw_bytes "$T/out" "$T/err"
ok "no raw control byte on stdout or stderr"

# Each fault logged once, escaped.
once() {
	n=$(count_of "$T/err" "$1")
	[ "$n" -eq 1 ] || fail "want one line with [$1] on stderr, got $n"
}
once 'malformed line, skipped: \x1b[31m\x9b2J\xff\xfe\x07\x7f garbage'
once 'NUL byte in line, skipped: 650 STREAM 150 NEW 0 127.0.0.1:80 \x00\x1b[2J\x00'
once 'line too long, truncated, skipped: 650 STREAM 151 NEW 0 \x1b]0;big\x07BBBB'
once "sent a reply to no command (250), ignored"
once "lost the control connection to Tor at 127.0.0.1:$port (Tor closed the connection in the middle of a line (65 bytes discarded)); reconnecting in 1 s"
once "reconnected to Tor at 127.0.0.1:$port (Tor session 2)"
[ "$(grep -c . "$T/err")" -eq 7 ] || fail "want 7 lines on stderr (4 faults, SIGHUP, lost, reconnected), got $(grep -c . "$T/err")"
ok "each fault logged once, escaped"

# The broken lines were not acted on; every good event was.
for bad in 'stream 108 ' 'stream 150 ' 'stream 151 ' '6.6.6'; do
	grep -qF "$bad" "$T/out" && fail "printed from a broken line: $bad"
done
for s in 101 102 103 104 105 106 107 201 202; do
	[ "$(grep -c "stream $s \(NEW\|SENTCONNECT\|SUCCEEDED\|CLOSED\) " "$T/out")" -eq 4 ] ||
	    fail "stream $s: not every event printed"
done
got=$(sq "$T/db" "SELECT group_concat(session || ':' || stream_id || ':' || status || ':' || client_addr, ' ') FROM (SELECT * FROM stream ORDER BY session, stream_id)")
want="1:101:CLOSED:127.0.0.1:5101 1:102:CLOSED:127.0.0.1:5102 1:103:CLOSED:127.0.0.1:5103 1:104:CLOSED:127.0.0.1:5104 1:105:CLOSED:127.0.0.1:5105 1:106:CLOSED:127.0.0.1:5106 1:107:CLOSED:127.0.0.1:5107 2:201:CLOSED:127.0.0.1:5201 2:202:CLOSED:127.0.0.1:5202"
[ "$got" = "$want" ] || fail "stored streams: $got, want $want"
ok "every good stream stored whole in its session, none from a broken line"
sess=$(sq "$T/db" "SELECT group_concat(id || '|' || tor_version || '|' || pid || '|' || end_reason, ' / ') FROM tor_session")
case $sess in
"1|0.4.9.11|4242|Tor closed the connection in the middle of a line (65 bytes discarded) / 2|0.4.9.11|4243|isoaudit stopped") ;;
*) fail "tor_session rows: $sess" ;;
esac
ok "sessions: $sess"
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"

# The transcript replays to what the live run printed.
"$ISOAUDIT" -c "$T/empty.conf" replay --log-targets plain --db "$T/replay.db" \
    "$T/rec.txt" >"$T/replay.out" 2>"$T/replay.err" || { cat "$T/replay.err"; fail "replay"; }
diff "$T/out" "$T/replay.out" || fail "the replay of the transcript differs from the live output"
raw_bytes "$T/replay.out" "$T/replay.err"
ok "the transcript replays to the same output"
# ... and to the same database rows.  The reply nobody asked for
# (250-version=6.6.6) was ignored live; a replay must ignore it too.
for q in "SELECT session, stream_id, status, client_addr, circ_id FROM stream ORDER BY 1, 2" \
    "SELECT id, tor_version, pid, end_reason FROM tor_session ORDER BY id"; do
	live=$(sq "$T/db" "$q")
	rep=$(sq "$T/replay.db" "$q")
	[ "$live" = "$rep" ] || {
		printf 'live:\n%s\nreplay:\n%s\n' "$live" "$rep"
		fail "the replay's database differs from the live one: $q"
	}
done
ok "the replay's database holds the same sessions and streams"
