#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A real 0.1 database migrates to causes without loss (no Tor network):
# tests/fixtures/db-0.1.sql is `sqlite3 X .dump` of a database the 0.1
# binary made by replaying every capture fixture, then 02, 04 and 09 again
# (09 gives WEAK_PORT_CONFIG and PRE_ATTACH), with finding 1 acknowledged
# by hand and the check cursor "default" set by 0.1's
# `check --min-severity info` between the two rounds (it told findings 1
# and 2; 3 and 4 came after it).  Loaded with the sqlite3 CLI, it is
# opened by this isoaudit, and then:
#   - every 0.1 finding is a cause ('v1:ID', the same id) with exactly one
#     occurrence: rule, severity, listener, identities, lists, detail,
#     count, first and last seen and acknowledged as they were;
#   - report --format json shows each as a finding with "cause" and one
#     occurrence, counts and times as 0.1 stored them;
#   - check prints nothing 0.1's check already told (1 and 2), prints 3 and
#     4 once (they came after the cursor), then nothing;
#   - a new cursor name sees every unacknowledged cause (not 1).
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

dump=$(cd "$(dirname "$0")/../fixtures" && pwd)/db-0.1.sql
[ -f "$dump" ] || fail "no $dump"
db="$T/db"
# .dump keeps no user_version: the dump is schema step 1 (001-init.sql).
{ cat "$dump"; echo 'PRAGMA user_version = 1;'; } | sqlite3 "$db" ||
    fail "sqlite3 could not load $dump"
sqlite3 "$db" .dump >"$T/before.sql"
sqlite3 "$db" "SELECT id, rule, severity, session, circ_id, listener, ident_a,
    ident_b, apps, identities, processes, streams, count, first_seen,
    last_seen, detail, acknowledged FROM finding ORDER BY id" >"$T/findings.0"
[ "$(wc -l <"$T/findings.0")" -ge 4 ] || fail "the fixture holds too few findings"
[ "$(sqlite3 "$db" 'SELECT acknowledged FROM finding WHERE id = 1')" = 1 ] ||
    fail "finding 1 is not acknowledged in the fixture"
[ "$(sqlite3 "$db" "SELECT last_finding FROM check_cursor WHERE name = 'default'")" = 2 ] ||
    fail "the fixture's cursor is not at finding 2"

# --- the report migrates it (a writable database), and shows it ---------------------
"$ISOAUDIT" report --db "$db" --all --format json >"$T/report.json" 2>"$T/report.err" ||
    { cat "$T/report.err"; fail "report on the 0.1 database"; }
[ ! -s "$T/report.err" ] || { cat "$T/report.err"; fail "report wrote to stderr"; }
# Every step since (schema/*.sql), the onion step included.
steps=$(ls "$(dirname "$0")"/../../schema/[0-9]*.sql | wc -l)
[ "$(sqlite3 "$db" 'PRAGMA user_version')" = "$steps" ] ||
    fail "not migrated to step $steps"
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'onion_service'")" = 1 ] ||
    fail "no onion_service table after the onion step"
[ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_master WHERE name = 'finding'")" = 0 ] ||
    fail "the finding table is still there"
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ -z "$(sqlite3 "$db" 'PRAGMA foreign_key_check')" ] || fail "foreign_key_check"

# Every finding, as a cause with exactly one occurrence, field by field.
sqlite3 "$db" "SELECT c.id, c.rule, c.severity, o.session, o.circ_id,
    c.listener, c.ident_a, c.ident_b, c.apps, c.identities, c.processes,
    o.streams, o.count, o.first_seen, o.last_seen, c.detail, c.acknowledged
    FROM cause c JOIN occurrence o ON o.cause = c.id ORDER BY c.id" >"$T/findings.1"
cmp -s "$T/findings.0" "$T/findings.1" || {
	diff "$T/findings.0" "$T/findings.1"
	fail "a finding changed in the migration"
}
[ "$(sqlite3 "$db" "SELECT count(*) FROM cause WHERE key != 'v1:' || id OR seq != id OR again != 0")" = 0 ] ||
    fail "a cause's key, seq or again is not its finding's"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM (SELECT cause FROM occurrence GROUP BY cause HAVING count(*) != 1)')" = 0 ] ||
    fail "a cause has other than one occurrence"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM occurrence')" = "$(wc -l <"$T/findings.0")" ] ||
    fail "occurrences lost or added"
# The rest of the database is as it was.
for t in tor_session circuit stream attach app relay meta; do
	[ "$(sqlite3 "$db" "SELECT count(*) FROM $t")" = \
	    "$(grep -Ec "^INSERT INTO \"?$t\"? " "$T/before.sql")" ] || fail "table $t changed"
done
ok "every 0.1 finding is a cause with one occurrence, nothing lost"

python3 - "$T/findings.0" "$T/report.json" <<'PY' || fail "report JSON of the migrated findings"
import datetime, json, sys
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
r = json.load(open(sys.argv[2]))
def t(us):
    return datetime.datetime.fromtimestamp(int(us) // 1000000,
        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
byid = {f["id"]: f for f in r["findings"]}
assert len(byid) == len(rows), (len(byid), len(rows))
for (fid, rule, sev, session, circ, listener, a, b, apps, idents, procs,
     streams, count, first, last, detail, ack) in rows:
    f = byid[int(fid)]
    assert f["cause"] == "v1:" + fid, f
    assert f["rule"] == rule and f["severity"] == sev, f
    assert f["session"] == int(session), f
    assert f["circuit"] == (None if circ == "0" else circ), f
    assert f["listener"] == (listener or None), f
    assert f["count"] == int(count), f
    assert f["first_seen"] == t(first) and f["last_seen"] == t(last), f
    assert f["detail"] == detail, f
    assert f["acknowledged"] == (ack == "1"), f
    assert f["again"] is False, f
    assert f["streams"] == json.loads(streams), f
    o = f["occurrences"]
    assert len(o) == 1, f
    o = o[0]
    assert o["session"] == int(session) and o["count"] == int(count), o
    assert o["circuit"] == (None if circ == "0" else circ), o
    assert o["first_seen"] == t(first) and o["last_seen"] == t(last), o
    assert o["streams"] == json.loads(streams), o
    assert set(o) == {"session", "circuit", "exit", "streams", "count",
        "first_seen", "last_seen"}, o
PY
ok "report --format json: each 0.1 finding, with its cause and its one occurrence"

# --- check: nothing 0.1 told already ------------------------------------------------
[ "$(sqlite3 "$db" "SELECT last_seq FROM check_cursor WHERE name = 'default'")" = 2 ] ||
    fail "the cursor moved in the migration"
"$ISOAUDIT" check --db "$db" --min-severity info >"$T/check1.out" 2>"$T/check1.err"
rc=$?
[ "$rc" = 1 ] || { cat "$T/check1.out" "$T/check1.err"; fail "check after the migration: exit $rc, want 1"; }
[ ! -s "$T/check1.err" ] || { cat "$T/check1.err"; fail "check wrote to stderr"; }
[ "$(wc -l <"$T/check1.out")" = 2 ] || { cat "$T/check1.out"; fail "check: want the two findings after the cursor"; }
grep -q ' WEAK_PORT_CONFIG (session 8,' "$T/check1.out" &&
    grep -q ' PRE_ATTACH (session 8)' "$T/check1.out" ||
    { cat "$T/check1.out"; fail "check: not findings 3 and 4 (session 8)"; }
grep -q '(session 5' "$T/check1.out" && { cat "$T/check1.out"; fail "check told again what 0.1 told"; }
grep -q ' again ' "$T/check1.out" && fail "check: 'again' on a new cause"
"$ISOAUDIT" check --db "$db" --min-severity info >"$T/check2.out" 2>&1
rc=$?
[ "$rc" = 0 ] && [ ! -s "$T/check2.out" ] || { cat "$T/check2.out"; fail "second check: exit $rc, want 0 and nothing"; }
ok "check after the migration: only what 0.1's cursor had not told, once"

"$ISOAUDIT" check --db "$db" --since-last fresh --min-severity info --format json >"$T/fresh.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$T/fresh.out"; fail "fresh cursor: exit $rc"; }
python3 - "$T/fresh.out" <<'PY' || fail "a new cursor's JSON lines"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
assert sorted(f["cause"] for f in got) == ["v1:2", "v1:3", "v1:4"], got
assert all(f["again"] is False and len(f["occurrences"]) == 1 for f in got), got
PY
ok "a new cursor: every unacknowledged cause, the acknowledged one not"
