#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A transcript without its "# session" notes (cut by hand, or written by
# another tool) replays as one Tor session, said once, and stores what a
# bare capture of the same lines stores; events between an "end" note and
# the next "start" are counted and said, never stored under no session.
. "$(dirname "$0")/lib.sh"

fx=$(cd "$(dirname "$0")/../fixtures" && pwd)
src="$fx/04_sessiongroup42_D_and_E.txt"
# The capture as --record writes Tor's lines: "SECONDS.MICROS < LINE".
awk '{ sub(/\r$/, ""); printf "1764000000.%06d < %s\n", NR, $0 }' "$src" >"$T/bare-tr.txt"

"$ISOAUDIT" replay --db "$T/cap.db" "$src" >"$T/cap.out" 2>/dev/null || fail "replay of the capture"
"$ISOAUDIT" replay --db "$T/tr.db" "$T/bare-tr.txt" >"$T/tr.out" 2>"$T/tr.err" || { cat "$T/tr.err"; fail "replay of the transcript"; }
n=$(grep -c "no session notes; replayed as one Tor session" "$T/tr.err")
[ "$n" -eq 1 ] || { cat "$T/tr.err"; fail "said $n times that the notes are missing"; }
want=$(sqlite3 "$T/cap.db" 'SELECT count(*) FROM stream')
[ "$want" -gt 0 ] || fail "the capture stored no stream"
got=$(sqlite3 "$T/tr.db" 'SELECT count(*) FROM stream')
[ "$got" -eq "$want" ] || fail "the transcript stored $got streams, the capture $want"
[ "$(sqlite3 "$T/tr.db" "SELECT count(*) FROM tor_session WHERE ended IS NOT NULL AND end_reason = 'end of transcript'")" -eq 1 ] ||
    fail "the session has no end: $(sqlite3 "$T/tr.db" 'SELECT * FROM tor_session')"
# The same events, the same lines (but for the times and the hashes'
# keys, which differ between the two databases).
norm() { sed -e 's/^[^ ]* //' -e 's/h:[0-9a-f]\{12\}/h:X/g' "$1" | grep -v '^attached to\|^Tor session'; }
norm "$T/cap.out" >"$T/cap.n"
norm "$T/tr.out" >"$T/tr.n"
cmp -s "$T/cap.n" "$T/tr.n" || { diff "$T/cap.n" "$T/tr.n" | head; fail "the transcript's lines differ from the capture's"; }
ok "a transcript without session notes is one session"

# With notes: an event after "end" and before the next "start" is no
# session's: counted, said, not stored.
{
	echo "1764000000.000001 # session 1 start 127.0.0.1:9051 null"
	echo "1764000000.000002 # session 1 ready"
	sed -n 3,7p "$T/bare-tr.txt"
	echo "1764000000.000020 # session 1 end Tor closed the connection"
	sed -n 8,9p "$T/bare-tr.txt"
} >"$T/gap.txt"
"$ISOAUDIT" replay --db "$T/gap.db" "$T/gap.txt" >/dev/null 2>"$T/gap.err" || fail "replay with a gap"
grep -q "2 events outside any Tor session, ignored" "$T/gap.err" || { cat "$T/gap.err"; fail "events outside a session not said"; }
[ "$(sqlite3 "$T/gap.db" 'SELECT count(*) FROM stream')" -eq 1 ] || fail "streams outside the session stored"
ok "events outside a session are said, not stored"
