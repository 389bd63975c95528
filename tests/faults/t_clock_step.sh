#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The wall clock stepped under a running monitor, as NTP and sdwdate step
# it: an LD_PRELOAD shim (clockstep.c) moves CLOCK_REALTIME, gettimeofday
# and time by what a file says, CLOCK_MONOTONIC untouched.  A fake control
# port feeds a steady trickle of streams; the clock goes back an hour, then
# forward an hour.  Streams keep being committed within a few flush
# intervals after each step (before the fix, the flush waited on the wall
# clock: nothing was committed for the hour it took to catch up), then
# SIGKILL loses nothing committed, and every stored time is the wall clock
# as the process saw it (never 0, never beyond the steps).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
here=$(cd "$(dirname "$0")/../integration" && pwd)
clockstep_build

# 400 streams, sent 500 bytes every 20 ms: about 10 s of events.
python3 "$here/gen_events.py" 400 "$T/trickle"
FAKECTOR_CHUNK=500 FAKECTOR_PAUSE_MS=20 python3 "$here/fakector.py" "$T/port" \
    "$T/trickle" 2>"$T/fake.err" &
BGPIDS="$BGPIDS $!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
t0=$(date +%s)
CLOCKSTEP_FILE="$T/step" LD_PRELOAD="$T/clockstep.so" \
ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" \
    "$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port")" --db "$T/db" \
    >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$BGPIDS $mon"

S=1000000
db_until "SELECT count(*) FROM stream" 20 15 ||
    { tail -5 "$T/err"; fail "no streams committed before the step"; }
before=$(db_count "SELECT count(*) FROM stream")
ok "$before streams committed on the true clock"

# An hour back.  Streams opened after the step carry times an hour early:
# those must reach the database within a few flush intervals (250 ms).
real=$(date +%s)
echo -3600 >"$T/step"
back_q="SELECT count(*) FROM stream WHERE opened < ($real - 1800) * $S"
t=$(now_ms)
db_until "$back_q" 10 5 ||
    fail "clock stepped back: $(db_count "$back_q") streams stamped after the step committed within 5 s (want 10; all: $(db_count 'SELECT count(*) FROM stream'))"
ok "clock an hour back: 10 streams of after the step committed within $(($(now_ms) - t)) ms"

# An hour ahead of the true clock.
real=$(date +%s)
echo 3600 >"$T/step"
ahead_q="SELECT count(*) FROM stream WHERE opened > ($real + 1800) * $S"
t=$(now_ms)
db_until "$ahead_q" 10 5 ||
    fail "clock stepped forward: $(db_count "$ahead_q") streams of after the step committed within 5 s (want 10)"
ok "clock an hour ahead: 10 streams of after the step committed within $(($(now_ms) - t)) ms"

# SIGKILL: what was committed stays.
committed=$(db_count "SELECT count(*) FROM stream")
closed=$(db_count "SELECT count(*) FROM stream WHERE status = 'CLOSED'")
kill -KILL "$mon"
wait "$mon" 2>/dev/null
t1=$(date +%s)
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after SIGKILL"
n=$(sqlite3 "$T/db" "SELECT count(*) FROM stream")
c=$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE status = 'CLOSED'")
[ "$n" -ge "$committed" ] && [ "$c" -ge "$closed" ] ||
    fail "after SIGKILL: $n streams ($c closed), $committed ($closed) were committed"
ok "SIGKILL: $n streams ($c closed) in the database, $committed ($closed) seen committed before it"

# Stored times: the wall clock as isoaudit saw it, steps included.
lo=$(((t0 - 3600 - 5) * S)) hi=$(((t1 + 3600 + 5) * S))
bad=$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE opened IS NULL OR opened < $lo OR opened > $hi OR coalesce(closed, opened) < $lo OR coalesce(closed, opened) > $hi")
[ "$bad" -eq 0 ] || fail "$bad streams with a time outside the clock's range"
bad=$(sqlite3 "$T/db" "SELECT count(*) FROM tor_session WHERE started < $(((t0 - 5) * S)) OR started > $(((t0 + 15) * S)) OR last_event < started OR last_event > $hi")
[ "$bad" -eq 0 ] || fail "the session's times: $(sqlite3 "$T/db" 'SELECT started, last_event FROM tor_session')"
ok "stored times within the clock's steps; the session's start and last event in order"
