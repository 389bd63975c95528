#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# isoaudit SIGKILLed at a random point of a 100 000-event burst, then
# started again (no Tor network needed).  Extends
# tests/integration/t_store_kill.sh (which kills at a fixed point and
# counts what is there afterwards) with what was committed *before* the
# kill: while the burst runs, a reader polls the database and keeps the
# largest committed state it saw; at a random point (KILL_AT streams,
# printed, settable) it takes a full snapshot of the committed streams and
# the monitor is killed at once.  Then:
#   - PRAGMA integrity_check and foreign_key_check pass;
#   - every stream of the snapshot is still there, none went back to an
#     earlier status or lost its circuit, and no count seen by the poller
#     (streams, closed streams, attachments, circuits) went down;
#   - a new monitor on the same database attaches to a new fake control
#     port, writes Tor session 2 whole (2 500 streams, all closed) and
#     leaves session 1's rows as the kill left them.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
here=$(cd "$(dirname "$0")/../integration" && pwd)
: >"$T/empty.conf"

N=25000			# streams: 4 events each
KILL_AT=${KILL_AT:-$(python3 -c 'import random; print(random.randint(500, 23000))')}
echo "killing once $KILL_AT of $N streams are committed (KILL_AT=$KILL_AT to repeat)"

python3 "$here/gen_events.py" "$N" "$T/burst"
# (fakector.py's traceback when its client is killed goes to fake.err.)
FAKECTOR_CHUNK=65536 python3 "$here/fakector.py" "$T/port" "$T/burst" 2>"$T/fake.err" &
BGPIDS="$!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$(cat "$T/port")" \
    --db "$T/db" >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$BGPIDS $mon"

# The poller: the largest committed counts it saw.
Q="SELECT (SELECT count(*) FROM stream), (SELECT count(*) FROM stream WHERE status = 'CLOSED'), (SELECT count(*) FROM attach), (SELECT count(*) FROM circuit)"
max_s=0 max_c=0 max_a=0 max_ci=0 polls=0
t0=$(now_ms)
while :; do
	kill -0 "$mon" 2>/dev/null || { tail "$T/err"; fail "the monitor ended before the kill"; }
	[ $(($(now_ms) - t0)) -lt 60000 ] || fail "only $max_s streams committed after 60 s"
	r=$(sq "$T/db" "$Q" 2>/dev/null) || { sleep 0.02; continue; }
	polls=$((polls + 1))
	IFS='|' read -r s c a ci <<EOF
$r
EOF
	[ "$s" -gt "$max_s" ] && max_s=$s
	[ "$c" -gt "$max_c" ] && max_c=$c
	[ "$a" -gt "$max_a" ] && max_a=$a
	[ "$ci" -gt "$max_ci" ] && max_ci=$ci
	if [ "$s" -ge "$KILL_AT" ]; then
		sq "$T/db" "SELECT stream_id, status, circ_id FROM stream ORDER BY stream_id" >"$T/snap" ||
		    fail "snapshot"
		kill -KILL "$mon"
		break
	fi
	sleep 0.02
done
wait "$mon" 2>/dev/null
BGPIDS="${BGPIDS% *}"
ms=$(($(now_ms) - t0))
snap=$(grep -c . "$T/snap")
ok "SIGKILL after $ms ms; committed before it (max over $polls polls): $max_s streams, $max_c closed, $max_a attachments, $max_ci circuits; snapshot of $snap streams"

[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$T/db" 'PRAGMA foreign_key_check' | wc -l)" -eq 0 ] || fail "foreign_key_check"
r=$(sqlite3 "$T/db" "$Q")
IFS='|' read -r s c a ci <<EOF
$r
EOF
[ "$s" -ge "$max_s" ] && [ "$c" -ge "$max_c" ] && [ "$a" -ge "$max_a" ] && [ "$ci" -ge "$max_ci" ] ||
    fail "after the kill: $s streams, $c closed, $a attachments, $ci circuits: fewer than committed before"
sqlite3 "$T/db" "SELECT stream_id, status, circ_id FROM stream ORDER BY stream_id" >"$T/after"
python3 - "$T/snap" "$T/after" <<'PY' || fail "committed rows lost or gone back"
import sys
rank = {"NEW": 0, "SENTCONNECT": 1, "SUCCEEDED": 2, "CLOSED": 3}
rows = lambda f: {l.split("|")[0]: l.rstrip("\n").split("|")[1:] for l in open(f) if l.strip()}
snap, after = rows(sys.argv[1]), rows(sys.argv[2])
bad = [i for i in snap if i not in after]
assert not bad, "%d committed streams gone, e.g. %s" % (len(bad), bad[:5])
back = [(i, snap[i], after[i]) for i in snap
        if rank[after[i][0]] < rank[snap[i][0]] or (snap[i][1] and after[i][1] != snap[i][1])]
assert not back, "%d streams went back, e.g. %s" % (len(back), back[:5])
ids = sorted(int(i) for i in after)
assert ids == list(range(1, len(ids) + 1)), "gaps in the stream ids"
PY
ok "after the kill: integrity_check ok; $s streams ($c closed), every committed one as committed or further along"

# The next run: a new fake port, a new session, written whole.  (10 010
# events: 8 CIRC and 10 000 STREAM lines, fakector's CIRC 9 inside its
# GETINFO reply and the circuit-status entry.)
sqlite3 "$T/db" "SELECT session, stream_id, status, circ_id FROM stream ORDER BY 1, 2" >"$T/s1.before"
python3 "$here/gen_events.py" 2500 "$T/small"
FAKECTOR_CHUNK=65536 python3 "$here/fakector.py" "$T/port2" "$T/small" 2>"$T/fake2.err" &
BGPIDS="$BGPIDS $!"
wait_for "$T/port2" '^[0-9]+$' 10 || fail "second fake control port"
"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$(cat "$T/port2")" \
    --db "$T/db" --exit-after-events 10010 --duration 60 >"$T/out2" 2>"$T/err2" ||
    { cat "$T/err2"; fail "second monitor"; }
# (Its stderr holds the findings' alerts; nothing about the database.)
grep -i 'database\|integrity\|malformed' "$T/err2" && fail "the second monitor complained"
[ "$(sqlite3 "$T/db" 'SELECT group_concat(id) FROM tor_session')" = "1,2" ] || fail "no second session"
[ "$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE session = 2 AND status = 'CLOSED'")" -eq 2500 ] ||
    fail "session 2: $(sqlite3 "$T/db" 'SELECT count(*) FROM stream WHERE session = 2') streams, want 2500 closed"
sqlite3 "$T/db" "SELECT session, stream_id, status, circ_id FROM stream WHERE session = 1 ORDER BY 1, 2" >"$T/s1.after"
cmp -s "$T/s1.before" "$T/s1.after" || fail "the second run changed session 1's streams"
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after the second run"
"$ISOAUDIT" -c "$T/empty.conf" report --db "$T/db" --all --format json >"$T/r.json" 2>"$T/r.err" ||
    { cat "$T/r.err"; fail "report --all"; }
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["streams"] == int(sys.argv[2]) + 2500, d["summary"]' \
    "$T/r.json" "$s" || fail "report --all does not count every stream"
ok "the next run carries on: Tor session 2 with 2500 streams, session 1 untouched, report --all counts $((s + 2500))"
