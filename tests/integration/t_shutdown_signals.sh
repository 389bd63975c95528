#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Signals during shutdown: after the first SIGTERM, monitor commits what is
# queued and ends the Tor session; a SIGHUP and more SIGTERMs arriving
# meanwhile (systemd's stop, a restart racing it, an impatient operator)
# must not kill it before that final commit.  A flood of streams from a fake
# control port, SIGTERM as soon as the last one is read (most of the last
# batch still queued), then SIGHUP and SIGTERM over and over until it
# exits: it exits 0, every stream the port sent is in the database, closed,
# and the session has its end.  (Before the fix a signal landing after the
# signal events were freed killed it: exit 129 or 143, the queue lost.)
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is not installed"; exit 77; }

N=6000
python3 "$(dirname "$0")/gen_events.py" "$N" "$T/flood"
round=0
for round in 1 2 3; do
	rm -f "$T/db" "$T/db-wal" "$T/db-shm" "$T/port" "$T/out" "$T/err"
	FAKECTOR_CHUNK=65536 python3 "$(dirname "$0")/fakector.py" "$T/port" \
	    "$T/flood" 2>"$T/fake.err" &
	fake=$!
	BGPIDS="$BGPIDS $fake"
	wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
	"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port")" --db "$T/db" \
	    >"$T/out" 2>"$T/err" &
	mon=$!
	BGPIDS="$BGPIDS $mon"
	# The last stream read: SIGTERM at once (the fake closes after 1 s idle).
	wait_for "$T/out" " stream $N CLOSED " 40 || fail "the flood was not read"
	kill -TERM "$mon"
	# Then SIGHUP and SIGTERM, again and again, until it is gone.
	i=0
	while kill -0 "$mon" 2>/dev/null && [ $i -lt 200000 ]; do
		kill -HUP "$mon" 2>/dev/null
		kill -TERM "$mon" 2>/dev/null
		i=$((i + 1))
	done
	wait "$mon"
	rc=$?
	kill "$fake" 2>/dev/null
	wait "$fake" 2>/dev/null
	[ $rc -eq 0 ] || { tail -5 "$T/err"; fail "round $round: monitor exited $rc after $i more signal pairs (killed during shutdown?)"; }
	n=$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE status = 'CLOSED'")
	[ "$n" -eq "$N" ] || fail "round $round: $n closed streams in the database, the port sent $N"
	e=$(sqlite3 "$T/db" "SELECT count(*) FROM tor_session WHERE ended IS NOT NULL AND end_reason = 'isoaudit stopped'")
	[ "$e" -eq 1 ] || fail "round $round: the session has no end ($(sqlite3 "$T/db" 'SELECT id, ended, end_reason FROM tor_session'))"
	[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "round $round: integrity_check"
	ok "round $round: SIGTERM, then $i SIGHUP+SIGTERM pairs during shutdown: exit 0, all $N streams and the session's end committed"
done
