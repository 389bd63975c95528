#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# report reads one snapshot: while a writer commits streams (with their
# application, circuit and attachment) and causes continuously, every JSON
# report's totals equal the sum of its parts: summary.streams against the
# applications' streams, summary.circuits against the circuits listed,
# the findings counted against the findings listed.  Without one read
# transaction the counts are taken at other moments than the lists and
# disagree.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)
db=$T/db
sh "$top/tests/integration/gen_large.sh" "$ISOAUDIT" "$db" 20000 2000 0 ||
    fail "gen_large.sh"

# The writer: batches of 50 streams (each with its app, circuit and
# attachment) and 5 causes with an occurrence, a commit each, until told.
cat >"$T/writer.py" <<'PY'
import sqlite3, sys, os, time
db = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
sid, cid, cause = 100000, 100000, 3000000
while not os.path.exists(sys.argv[2]):
    db.execute("BEGIN IMMEDIATE")
    for i in range(50):
        sid += 1
        if sid % 2 == 0:
            cid += 1
            db.execute("INSERT INTO circuit(session, circ_id, status, purpose, exit_fp, created) VALUES (9000, ?, 'BUILT', 'GENERAL', 'AB', 1893457000000000)", (cid,))
        db.execute("INSERT INTO stream(session, stream_id, circ_id, status, listener, app, pid, process, opened) VALUES (9000, ?, ?, 'SUCCEEDED', '127.0.0.1:9150', 90000 + ? % 26, 77, 'w', 1893457000000000 + ?)", (sid, cid, sid, sid))
        db.execute("INSERT INTO attach(session, stream_id, circ_id, at) VALUES (9000, ?, ?, 1893457000000000)", (sid, cid))
    for i in range(5):
        cause += 1
        db.execute("INSERT INTO cause(id, key, rule, severity, first_seen, last_seen, seq) VALUES (?, ?, 'SHARED_EXIT', 'notice', 1893457000000000, 1893457000000000, ?)", (cause, "w:%d" % cause, cause))
        db.execute("INSERT INTO occurrence(cause, session, circ_id, first_seen, last_seen) VALUES (?, 9000, ?, 1893457000000000, 1893457000000000)", (cause, cid))
    db.execute("COMMIT")
    time.sleep(0.02)
PY
cat >"$T/sums.py" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["summary"]
bad = []
apps = sum(a["streams"] for a in r["apps"])
if s["streams"] != apps:
    bad.append("summary.streams %d, the applications' %d" % (s["streams"], apps))
if s["circuits"] != len(r["circuits"]):
    bad.append("summary.circuits %d, %d listed" % (s["circuits"], len(r["circuits"])))
if sum(c["streams"] for c in r["circuits"]) != s["streams"]:
    bad.append("circuits' streams %d, summary.streams %d" % (sum(c["streams"] for c in r["circuits"]), s["streams"]))
n = sum(s["findings"].values())
if n != len(r["findings"]):
    bad.append("summary.findings %d, %d listed" % (n, len(r["findings"])))
print("; ".join(bad))
sys.exit(1 if bad else 0)
PY
"$ISOAUDIT" report --db "$db" --format json >"$T/r0.json" 2>"$T/e" ||
    { cat "$T/e"; fail "report before the writer"; }
python3 "$T/sums.py" "$T/r0.json" || fail "totals disagree with no writer"

python3 "$T/writer.py" "$db" "$T/stop" &
BGPIDS="$BGPIDS $!"
sleep 0.5
i=0 seen=""
while [ $i -lt 6 ]; do
	"$ISOAUDIT" report --db "$db" --format json >"$T/r.json" 2>"$T/e" ||
	    { cat "$T/e"; touch "$T/stop"; fail "report $i beside the writer"; }
	why=$(python3 "$T/sums.py" "$T/r.json") ||
	    { touch "$T/stop"; fail "report $i beside a writer: $why"; }
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["streams"])' "$T/r.json")
	seen="$seen $n"
	i=$((i + 1))
done
touch "$T/stop"
wait
# The writer did write between reports (else this proved nothing).
first=${seen# }; first=${first%% *}; last=${seen##* }
[ "$last" -gt "$first" ] || fail "the writer wrote nothing between reports:$seen"
ok "6 JSON reports beside a writer, totals equal their parts (streams:$seen)"
