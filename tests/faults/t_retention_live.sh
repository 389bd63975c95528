#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Retention and prune inside a Tor session that is still running (before
# the fix they deleted whole sessions by their last activity: a session
# that runs for months was never pruned).  A monitor with `Retention 30d`
# attached to a fake control port that feeds a steady trickle of streams;
# its wall clock (the LD_PRELOAD shim clockstep.c) is first 40 days back,
# so the first streams are stored 40 days old, then right again.
# 1. `isoaudit prune --older-than 30d` beside the running monitor deletes
#    the old closed streams of its live session; the session, its open
#    circuits and the recent streams stay; the monitor goes on writing.
# 2. 40 days back again for a moment, then SIGHUP: the monitor's own
#    Retention deletes the new old rows of its own session at its next
#    tick, and says so.
# Then SIGTERM: exit 0, the session ended, the database whole.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
here=$(cd "$(dirname "$0")/../integration" && pwd)
clockstep_build

S=1000000

python3 "$here/gen_events.py" 1000 "$T/trickle"
FAKECTOR_CHUNK=500 FAKECTOR_PAUSE_MS=20 python3 "$here/fakector.py" "$T/port" \
    "$T/trickle" 2>"$T/fake.err" &
BGPIDS="$BGPIDS $!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
printf 'Retention 30d\n' >"$T/conf"
echo -3456000 >"$T/step"
CLOCKSTEP_FILE="$T/step" LD_PRELOAD="$T/clockstep.so" \
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    "$ISOAUDIT" -c "$T/conf" monitor --control "127.0.0.1:$(cat "$T/port")" \
    --db "$T/db" >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$BGPIDS $mon"

# Streams all of whose times are older than 30 days (one opened before the
# clock came back and closed after is recent by its own age, and stays).
old="SELECT count(*) FROM stream WHERE opened < ($(date +%s) - 30 * 86400) * $S"
old_closed="$old AND closed < ($(date +%s) - 30 * 86400) * $S"
db_until "$old_closed" 20 15 || { tail -5 "$T/err"; fail "no old streams committed"; }
echo 0 >"$T/step"
real=$(date +%s)
recent="SELECT count(*) FROM stream WHERE opened >= ($real - 60) * $S"
db_until "$recent" 10 5 || fail "no recent streams committed after the clock came back"
circs=$(db_count "SELECT count(*) FROM circuit WHERE closed IS NULL")
[ "$circs" -gt 0 ] || fail "no open circuits (the feed's are never closed)"
ok "$(db_count "$old") streams stored 40 days old, $(db_count "$recent") recent ones, in one live session"

# 1. prune beside the running monitor.
"$ISOAUDIT" prune --db "$T/db" --older-than 30d >"$T/prune.out" 2>"$T/prune.err" ||
    { cat "$T/prune.err"; fail "prune beside the monitor: exit $?"; }
cat "$T/prune.out"
[ "$(db_count "$old_closed")" -eq 0 ] || fail "prune left $(db_count "$old_closed") old closed streams of the live session"
grep -q "pruned [1-9][0-9]* streams, .* and 0 Tor sessions" "$T/prune.out" || fail "prune's line: $(cat "$T/prune.out")"
[ "$(db_count "SELECT count(*) FROM tor_session WHERE ended IS NULL")" -eq 1 ] || fail "the live session went"
[ "$(db_count "SELECT count(*) FROM circuit WHERE closed IS NULL")" -eq "$circs" ] || fail "open circuits of the live session went"
[ "$(db_count "SELECT count(*) FROM stream WHERE closed IS NULL AND opened < ($real - 30 * 86400) * $S")" -le 1 ] || fail "old open streams?"
n=$(db_count "SELECT count(*) FROM stream")
db_until "SELECT count(*) FROM stream" $((n + 10)) 5 || fail "the monitor stopped writing after the prune"
ok "prune --older-than 30d beside the monitor: the old streams of its live session gone, the session, its open circuits and recent streams kept, writing goes on"

# 2. The monitor's own Retention (SIGHUP: at its next tick).
echo -3456000 >"$T/step"
db_until "$old_closed" 10 5 || fail "no new old streams"
echo 0 >"$T/step"
sleep 0.5
kill -HUP "$mon"
wait_for "$T/err" 'retention: deleted [1-9][0-9]* streams' 10 || fail "Retention did not prune"
[ "$(db_count "$old_closed")" -eq 0 ] || fail "Retention left $(db_count "$old_closed") old closed streams"
grep 'retention:' "$T/err"
n=$(db_count "SELECT count(*) FROM stream")
db_until "SELECT count(*) FROM stream" $((n + 10)) 5 || fail "the monitor stopped writing after Retention"
ok "the monitor's Retention pruned its own live session's old rows and went on"

kill -TERM "$mon"
wait "$mon"
rc=$?
[ $rc -eq 0 ] || { tail -5 "$T/err"; fail "monitor exited $rc"; }
grep -q 'a row was refused' "$T/err" && { grep 'a row was refused' "$T/err"; fail "rows refused"; }
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$T/db" 'PRAGMA foreign_key_check' | wc -l)" -eq 0 ] || fail "foreign_key_check"
[ "$(sqlite3 "$T/db" "SELECT count(*) FROM tor_session WHERE ended IS NOT NULL")" -eq 1 ] || fail "the session has no end"
ok "SIGTERM: exit 0, the session ended, integrity and foreign keys ok, nothing refused"
