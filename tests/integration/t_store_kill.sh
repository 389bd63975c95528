#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# SIGKILL of monitor in the middle of a burst of 100 000 events: the
# database passes integrity_check, keeps every committed row, report still
# works, and the next monitor on the same database carries on.
. "$(dirname "$0")/lib.sh"

python3 "$(dirname "$0")/gen_events.py" 25000 "$T/burst"
FAKECTOR_CHUNK=65536 python3 "$(dirname "$0")/fakector.py" "$T/port" "$T/burst" &
BGPIDS="$!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port")" --db "$T/db" \
    >"$T/out" 2>"$T/err" &
mon=$!
BGPIDS="$BGPIDS $mon"
# Kill it once it has committed something and is still busy.
i=0
while [ $i -lt 300 ]; do
	n=$(sqlite3 "file:$T/db?mode=ro" "SELECT count(*) FROM stream" 2>/dev/null || echo 0)
	[ "${n:-0}" -gt 2000 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "${n:-0}" -gt 2000 ] || { tail "$T/err"; fail "nothing committed within 30 s"; }
kill -KILL "$mon"
wait "$mon" 2>/dev/null
before=$(sqlite3 "$T/db" "SELECT count(*) FROM stream")
ok "SIGKILL with $before streams committed"
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(sqlite3 "$T/db" 'PRAGMA foreign_key_check' | wc -l)" -eq 0 ] || fail "foreign_key_check"
ok "integrity_check ok"
# Every committed stream is whole as far as it got, ids 1..N with no gap.
gaps=$(sqlite3 "$T/db" "SELECT count(*) FROM stream s WHERE s.stream_id > 1 AND NOT EXISTS (SELECT 1 FROM stream t WHERE t.session = s.session AND t.stream_id = s.stream_id - 1)")
[ "$gaps" -eq 0 ] || fail "$gaps gaps in the committed streams"
"$ISOAUDIT" report --db "$T/db" --format json >"$T/r.json" || fail "report after SIGKILL"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["streams"] >= int(sys.argv[2]), d["summary"]' \
    "$T/r.json" "$before" || fail "report lost streams"
ok "report after SIGKILL: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"])' "$T/r.json")"

# A new run on the same database carries on with a new Tor session.
python3 "$(dirname "$0")/gen_events.py" 10 "$T/small"
python3 "$(dirname "$0")/fakector.py" "$T/port2" "$T/small" &
BGPIDS="$BGPIDS $!"
wait_for "$T/port2" '^[0-9]+$' 10 || fail "second fake control port"
"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port2")" --db "$T/db" \
    --duration 3 >"$T/out2" 2>"$T/err2" || { cat "$T/err2"; fail "second monitor"; }
[ "$(sqlite3 "$T/db" 'SELECT count(*) FROM tor_session')" -eq 2 ] || fail "no second session"
[ "$(sqlite3 "$T/db" 'SELECT count(*) FROM stream WHERE session = 2')" -eq 10 ] || fail "second session's streams"
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after restart"
ok "the next run carries on"
