#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Every sample capture replayed into a database; report in every format,
# the JSON checked field by field; targets hashed by default, in the
# database too; prune empties it.
. "$(dirname "$0")/lib.sh"

fx=$(cd "$(dirname "$0")/../fixtures" && pwd)
for f in "$fx"/0*.txt; do
	"$ISOAUDIT" replay --db "$T/db" "$f" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay $f"; }
done
[ "$(stat -c %a "$T/db")" = 600 ] || fail "database mode"
[ "$(sqlite3 "$T/db" 'SELECT count(*) FROM tor_session')" -eq 5 ] || fail "five sessions"
# Only alerts of findings on stderr (09 holds a SessionGroup shared by two
# ports and two streams open before attach), nothing else.
grep -v '^isoaudit: \[\(notice\|info\)\] \(WEAK_PORT_CONFIG\|PRE_ATTACH\) at ' "$T/err" | grep -q . &&
    { cat "$T/err"; fail "replay complained"; }

# Privacy: the default LogTargets hash keeps no target in clear.
sqlite3 "$T/db" .dump | grep -q "127\.0\.0\.1'" && {
	sqlite3 "$T/db" "SELECT target FROM stream WHERE target LIKE '127%' LIMIT 3"
	fail "a target in clear in the database"; }
n=$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE target NOT GLOB 'h:[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'")
[ "$n" -eq 0 ] || fail "$n targets not in h:+12 hex form"
ok "targets hashed in the database"

# The other LogTargets modes: plain keeps the address, none only the port;
# SOCKS usernames stay hashed unless plain (04 has carol:x).
"$ISOAUDIT" replay --db "$T/plain.db" --log-targets plain "$fx/04_sessiongroup42_D_and_E.txt" >/dev/null || fail "replay plain"
"$ISOAUDIT" replay --db "$T/none.db" --log-targets none "$fx/04_sessiongroup42_D_and_E.txt" >/dev/null || fail "replay none"
[ "$(sqlite3 "$T/plain.db" "SELECT count(*) FROM stream WHERE target = '127.0.0.1' AND target_port = 20180")" -eq 3 ] || fail "plain targets"
[ "$(sqlite3 "$T/none.db" "SELECT count(*) FROM stream WHERE target IS NULL AND target_port = 20180")" -eq 3 ] || fail "none: targets kept"
printf '650 STREAM 7 NEW 0 example.org:443 SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER SOCKS_USERNAME="alice-secret" SOCKS_PASSWORD="pw-secret"\r\n' >"$T/user.txt"
for m in hash none plain; do
	"$ISOAUDIT" replay --db "$T/u-$m.db" --log-targets $m "$T/user.txt" >/dev/null || fail "replay $m"
done
for m in hash none; do
	sqlite3 "$T/u-$m.db" .dump | grep -q 'secret\|example' && fail "a secret in clear with LogTargets $m"
	[ "$(sqlite3 "$T/u-$m.db" "SELECT count(*) FROM stream WHERE socks_username GLOB 'h:*' AND socks_password GLOB 'h:*'")" -eq 1 ] ||
	    fail "credentials not hashed with LogTargets $m"
done
[ "$(sqlite3 "$T/u-plain.db" "SELECT socks_username || ' ' || target FROM stream")" = '"alice-secret" example.org' ] ||
    fail "plain: $(sqlite3 "$T/u-plain.db" "SELECT socks_username, target FROM stream")"
ok "LogTargets plain and none"

"$ISOAUDIT" report --db "$T/db" --all --format json >"$T/all.json" || fail "report --all"
python3 - "$T/all.json" <<'PY' || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
keys = ["isoaudit_report", "generated", "range", "tor_sessions", "apps",
        "circuits", "findings", "summary"]
assert list(r)[:len(keys)] == keys, list(r)
assert r["isoaudit_report"] == 1
assert len(r["tor_sessions"]) == 5
for s in r["tor_sessions"]:
    for k in ("id", "tor_version", "control", "started", "ended"):
        assert k in s, (k, s)
    assert isinstance(s["id"], int)
    assert s["started"].endswith("Z") and "T" in s["started"]
for a in r["apps"]:
    for k in ("app", "host", "listeners", "streams", "circuits", "exits",
              "first_seen", "last_seen"):
        assert k in a, (k, a)
    assert isinstance(a["listeners"], list) and isinstance(a["streams"], int)
labels = {a["app"] for a in r["apps"]}
# Captures have no live attribution: unix listeners come from SOURCE_ADDR,
# TCP ones are labelled by session group.
assert "unix:/tmp/tornet/client/socks.sock" in labels, labels
assert "group 42" in labels and "group -4" in labels, labels
for c in r["circuits"]:
    for k in ("session", "id", "purpose", "conflux_id", "exit", "apps",
              "streams", "created", "closed"):
        assert k in c, (k, c)
    assert isinstance(c["id"], str) and isinstance(c["apps"], list)
# 04: D, E and E with credentials all rode circuit 25.
c25 = [c for c in r["circuits"] if c["id"] == "25"]
assert c25 and c25[0]["streams"] == 3, c25
# 09: D and E share SessionGroup=42 (WEAK_PORT_CONFIG) and two streams
# were open before the capture (PRE_ATTACH).  04's D and E streams are one
# identity here ("group 42": a capture has no listener), so no sharing.
rules = sorted((f["rule"], f["severity"], f["session"]) for f in r["findings"])
assert rules == [("PRE_ATTACH", "info", 5), ("WEAK_PORT_CONFIG", "notice", 5)], rules
w = [f for f in r["findings"] if f["rule"] == "WEAK_PORT_CONFIG"][0]
assert w["listener"] == "127.0.0.1:20105" and "SessionGroup=42" in w["detail"], w
p = [f for f in r["findings"] if f["rule"] == "PRE_ATTACH"][0]
assert p["count"] == 2, p
sm = r["summary"]
assert sm["streams"] == sum(a["streams"] for a in r["apps"]), sm
assert sm["circuits"] == len(r["circuits"]) and sm["apps"] == len(r["apps"])
assert sm["findings"] == {"critical": 0, "warning": 0, "notice": 1, "info": 1}, sm
print("json ok:", sm)
PY
ok "JSON report of all sessions"

# Default range: the latest session only (the last replayed: 09, no streams
# but a session).
"$ISOAUDIT" report --db "$T/db" --format json >"$T/last.json" || fail "report (latest)"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [s["id"] for s in r["tor_sessions"]] == [5], r["tor_sessions"]' "$T/last.json" ||
    fail "default range is not the latest session"
"$ISOAUDIT" report --db "$T/db" --session 3 --format json >"$T/s3.json" || fail "report --session 3"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert [s["id"] for s in r["tor_sessions"]] == [3] and r["summary"]["streams"] == 3, r["summary"]' "$T/s3.json" ||
    fail "--session 3"
ok "ranges"

for fmt in text html; do
	"$ISOAUDIT" report --db "$T/db" --all --format $fmt -o "$T/r.$fmt" || fail "report $fmt"
	[ -s "$T/r.$fmt" ] || fail "empty $fmt report"
	[ "$(stat -c %a "$T/r.$fmt")" = 600 ] || fail "$fmt report mode"
done
grep -q "group 42" "$T/r.text" || fail "text report lacks an application"
python3 -c '
import sys, html.parser
class P(html.parser.HTMLParser):
    pass
p = P(); p.feed(open(sys.argv[1]).read()); p.close()
s = open(sys.argv[1]).read()
assert s.lstrip().lower().startswith("<!doctype html>") and "group 42" in s
assert "http://" not in s and "https://" not in s and "<script src" not in s
' "$T/r.html" || fail "html report"
mkdir -p "$T/csv"
"$ISOAUDIT" report --db "$T/db" --all --format csv -o "$T/csv" || fail "report csv"
for t in sessions apps circuits streams findings; do
	[ -f "$T/csv/$t.csv" ] || fail "no $t.csv"
done
python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
assert len(rows) == 1 + int(sys.argv[2]), (len(rows), sys.argv[2])
' "$T/csv/streams.csv" "$(sqlite3 "$T/db" 'SELECT count(*) FROM stream')" || fail "streams.csv"
ok "text, html and csv reports"

# prune: a year keeps everything (the captures are recent), 1 s not.
"$ISOAUDIT" prune --db "$T/db" --older-than 52w >"$T/prune.out" || fail "prune 52w"
grep -q "pruned 0 streams, 0 circuits, 0 finding occurrences and 0 Tor sessions older than 52w" "$T/prune.out" || { cat "$T/prune.out"; fail "prune 52w count"; }
"$ISOAUDIT" prune --db "$T/db" --older-than 1x >/dev/null 2>&1
[ $? -eq 2 ] || fail "prune accepted a bad age"
sleep 1
"$ISOAUDIT" prune --db "$T/db" --older-than 1s >"$T/prune.out" || fail "prune"
grep -q " and 5 Tor sessions older than 1s" "$T/prune.out" || { cat "$T/prune.out"; fail "prune count"; }
[ "$(sqlite3 "$T/db" 'SELECT (SELECT count(*) FROM stream) + (SELECT count(*) FROM circuit) + (SELECT count(*) FROM attach) + (SELECT count(*) FROM app)')" -eq 0 ] ||
    fail "prune left rows"
[ "$(sqlite3 "$T/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity after prune"
"$ISOAUDIT" report --db "$T/db" >"$T/empty.out" 2>"$T/empty.err"
[ $? -eq 0 ] || fail "report on an empty database must exit 0"
grep -q "nothing recorded" "$T/empty.err" || { cat "$T/empty.err" "$T/empty.out"; fail "empty range message"; }
ok "prune"
