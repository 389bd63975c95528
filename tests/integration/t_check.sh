#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# isoaudit check, the cron/alerting command, against databases built by
# replaying the capture fixtures (copies dated five hours ago) plus finding
# rows inserted with the sqlite3 CLI (no Tor network needed):
#   --since-last cursors: the first run prints the findings at or above the
#   severity and exits 1, the next prints nothing at all and exits 0; a new
#   finding (inserted, or from another replay) is printed once; the cursor
#   moves past findings below the severity too; cursor names (--since-last
#   NAME, --since-last=NAME); --min-severity; acknowledged rows never shown;
#   --since (age, RFC 3339, boundary, far future) neither reads nor moves a
#   cursor; the text line and --format json field by field; a check changes
#   no table but check_cursor and meta; --syslog priorities and ident seen by
#   a datagram listener on /dev/log in a private mount namespace (skipped
#   alone where that is not permitted); eight checks at once on one cursor
#   report each finding exactly once, also while rows are being inserted;
#   checks while a monitor writes the database (fake control port);
#   --max-silence and MONITOR_STOPPED once per silence per cursor name;
#   exit 3 for a missing database (not created), a newer schema and a
#   database locked past the busy timeout; usage errors exit 2 with one line.
# 0.2, a finding is a cause: rows inserted by hand go through a view
# (compat) that makes each a cause of its own; a replay's finding that is
# already a cause is a new occurrence, not news; a cause is printed once,
# and again (marked "again", "again": true in JSON) only when it came back
# after an acknowledgement.  The cursor across the 0.1 -> 0.2 migration is
# t_migrate.sh's.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
command -v timeout >/dev/null || { echo "timeout (coreutils) not installed"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
fx=${SAMPLES_DIR:-$here/../fixtures}
fx=$(cd "$fx" && pwd)
schema=$(cd "$here/../../schema" && pwd)/001-init.sql
[ -f "$schema" ] || fail "no $schema"
# No user or system config file may change what replay or check do.
: >"$T/empty.conf"

# --- helpers -------------------------------------------------------------------

# expect_rc WANT NAME CMD...: run with a time limit, stdout and stderr kept
# in $T/NAME.out and $T/NAME.err.
expect_rc() {
	want=$1 name=$2
	shift 2
	timeout 30 "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -eq 124 ] && fail "$name: still running after 30 s"
	[ "$rc" -eq "$want" ] || {
		sed 's/^/  out| /' "$T/$name.out" | head -20
		sed 's/^/  err| /' "$T/$name.err" | head -20
		fail "$name: exit $rc, want $want"
	}
}

# chk WANT NAME ARGS...: isoaudit check ARGS (no config file).
chk() {
	want=$1 name=$2
	shift 2
	expect_rc "$want" "$name" "$ISOAUDIT" -c "$T/empty.conf" check "$@"
}

# quiet NAME: nothing at all on stdout and stderr.
quiet() {
	if [ -s "$T/$1.out" ] || [ -s "$T/$1.err" ]; then
		sed 's/^/  out| /' "$T/$1.out"
		sed 's/^/  err| /' "$T/$1.err"
		fail "$1: printed something, want nothing at all"
	fi
}

# no_err NAME: stderr empty (a cron job mails anything on it).
no_err() {
	[ -s "$T/$1.err" ] && { sed 's/^/  err| /' "$T/$1.err"; fail "$1: wrote to stderr"; }
	return 0
}

# one_err NAME: one line on stderr, nothing on stdout.
one_err() {
	[ -s "$T/$1.out" ] && { sed 's/^/  out| /' "$T/$1.out"; fail "$1: wrote to stdout"; }
	one_line "$T/$1.err"
}

# text_lines NAME: every stdout line is a finding line of the contract (a
# cause: "again" after the severity when it came back after an
# acknowledgement; where it was last seen, and how often when more than
# once).
RE_TIME='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
RE_LINE="^$RE_TIME (critical|warning|notice|info)( again)? [A-Z_]+ \\(session [0-9]+(, circuit [0-9]+)?(, listener [^)]+)?(, [0-9]+ occurrences)?\\): ."
text_lines() {
	grep -Evq "$RE_LINE" "$T/$1.out" && {
		grep -Ev "$RE_LINE" "$T/$1.out" | sed 's/^/  | /'
		fail "$1: lines not of the form TIME SEVERITY RULE (session N[, circuit C][, listener L]): DETAIL"
	}
	return 0
}

# want_rules NAME RULE...: the printed lines are exactly one per RULE given
# (the rules of this test's findings are distinct where this is used).
want_rules() {
	name=$1
	shift
	text_lines "$name"
	got=$(awk '{ print ($3 == "again") ? $4 : $3 }' "$T/$name.out" | sort | tr '\n' ' ')
	exp=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	[ "$got" = "$exp" ] || {
		sed 's/^/  | /' "$T/$name.out"
		fail "$name: printed rules [$got], want [$exp]"
	}
}

# compat DB: 0.2 keeps findings as causes with occurrences (cause,
# occurrence).  This test adds findings by hand in 0.1's shape: a view
# "finding" over them in DB, where an insert makes a cause of its own
# (key 't:ID', the next seq above every cursor, as the store would) with
# one occurrence.  The view is the test's; isoaudit never reads it.
compat() {
	sqlite3 "$1" <<'SQL' || fail "cannot add the finding view to $1"
CREATE VIEW IF NOT EXISTS finding AS SELECT c.id AS id, c.rule AS rule,
    c.severity AS severity, o.session AS session, o.circ_id AS circ_id,
    c.listener AS listener, c.ident_a AS ident_a, c.ident_b AS ident_b,
    c.apps AS apps, c.identities AS identities, c.processes AS processes,
    o.streams AS streams, o.count AS count, o.first_seen AS first_seen,
    o.last_seen AS last_seen, c.detail AS detail,
    c.acknowledged AS acknowledged
    FROM cause c JOIN occurrence o ON o.cause = c.id;
CREATE TRIGGER IF NOT EXISTS finding_insert INSTEAD OF INSERT ON finding
BEGIN
    INSERT INTO cause(key, rule, severity, listener, ident_a, ident_b, apps,
        identities, processes, detail, first_seen, last_seen, acknowledged,
        ack_at, seq)
    VALUES ('t:' || (SELECT coalesce(max(id), 0) + 1 FROM cause), NEW.rule,
        NEW.severity, coalesce(NEW.listener, ''), coalesce(NEW.ident_a, ''),
        coalesce(NEW.ident_b, ''), NEW.apps, NEW.identities, NEW.processes,
        NEW.detail, NEW.first_seen, NEW.last_seen,
        coalesce(NEW.acknowledged, 0),
        CASE WHEN NEW.acknowledged THEN NEW.last_seen END,
        max((SELECT coalesce(max(seq), 0) FROM cause),
            (SELECT coalesce(max(last_seq), 0) FROM check_cursor)) + 1);
    INSERT INTO occurrence(cause, session, circ_id, streams, count,
        first_seen, last_seen)
    VALUES (last_insert_rowid(), NEW.session, coalesce(NEW.circ_id, 0),
        NEW.streams, coalesce(NEW.count, 1), NEW.first_seen, NEW.last_seen);
END;
SQL
}

# data_of DB: the dump of every table but check_cursor and meta.
data_of() {
	sqlite3 "$1" .dump | grep -Ev '^INSERT INTO "?(check_cursor|meta)"?[ (]'
}

cursors_of() {
	sqlite3 "$1" 'SELECT name, last_seq, updated FROM check_cursor ORDER BY name'
}

rfc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
now=$(date +%s)
us() { echo "$(($1 * 1000000))"; }

# replay DB FILE [CONF]: FILE is one of $T/fx.
replay() {
	"$ISOAUDIT" -c "${3:-$T/empty.conf}" replay --db "$1" "$2" >/dev/null 2>"$T/replay.err" ||
	    { cat "$T/replay.err"; fail "replay $2 into $1"; }
}

# The captures, dated five hours ago (a bare capture takes its file's time).
old=$((now - 18000))
mkdir "$T/fx"
for f in 01_ports_A_then_B 04_sessiongroup42_D_and_E 09_getinfo_tcp; do
	cp "$fx/$f.txt" "$T/fx/$f.txt" || fail "no fixture $f"
	touch -d "@$old" "$T/fx/$f.txt"
done

# --- the database ------------------------------------------------------------------
# Sessions 1-3 (01, 04, 09); 09 gives WEAK_PORT_CONFIG (notice) and
# PRE_ATTACH (info).  Added on session 2 (04, whose D and E shared circuit
# 25), times relative to now:
#   A critical SHARED_CIRCUIT circuit 25          first -30 min, last -25 min
#   B warning  SHARED_PORT_PROCESSES listener     first -2 h,    last -20 min
#   C critical CONTROLLER_ATTACH, acknowledged    first -40 min
#   D warning  NYM_EPOCH_REUSE circuit+listener   first -10 min, last -5 min
#   E notice   SHARED_EXIT (session 1)            first -15 min
db="$T/db"
for f in 01_ports_A_then_B 04_sessiongroup42_D_and_E 09_getinfo_tcp; do
	replay "$db" "$T/fx/$f.txt"
done
[ "$(sqlite3 "$db" 'SELECT count(*) FROM tor_session')" -eq 3 ] || fail "three sessions"
compat "$db"
sqlite3 "$db" <<SQL || fail "cannot add findings"
INSERT INTO finding(rule, severity, session, circ_id, listener, ident_a,
    ident_b, apps, identities, processes, streams, count, first_seen,
    last_seen, detail, acknowledged) VALUES
('SHARED_CIRCUIT', 'critical', 2, 25, '', 'App D@localhost', 'App E@localhost',
    '["App D", "App E"]', '["App D@localhost", "App E@localhost"]',
    '[{"pid": 4242, "name": "curl"}, {"pid": 4243, "name": "curl"}]',
    '["49", "50", "51"]', 3, $(us $((now - 1800))), $(us $((now - 1500))),
    'App D@localhost and App E@localhost shared exit circuit 25', 0),
('SHARED_PORT_PROCESSES', 'warning', 2, 0, '127.0.0.1:20105', 'curl[4242]',
    'wget[4243]', '["App E"]', '["App E@localhost"]',
    '[{"pid": 4242, "name": "curl"}, {"pid": 4243, "name": "wget"}]',
    '["50", "51"]', 2, $(us $((now - 7200))), $(us $((now - 1200))),
    'curl[4242] and wget[4243] used 127.0.0.1:20105 within ten minutes', 0),
('CONTROLLER_ATTACH', 'critical', 2, 26, '', 'App D@localhost', '',
    '["App D"]', '["App D@localhost"]', '[]', '["52"]', 1,
    $(us $((now - 2400))), $(us $((now - 2400))),
    'acknowledged finding: must never be printed', 1),
('NYM_EPOCH_REUSE', 'warning', 2, 27, '127.0.0.1:20104', 'App D@localhost', '',
    '["App D"]', '["App D@localhost"]', '[]', '["53"]', 1,
    $(us $((now - 600))), $(us $((now - 300))),
    'stream 53 of App D@localhost reused circuit 27 after NEWNYM', 0),
('SHARED_EXIT', 'notice', 1, 0, '', 'App A@localhost', 'App B@localhost',
    '["App A", "App B"]', '["App A@localhost", "App B@localhost"]', '[]',
    '["7", "9"]', 1, $(us $((now - 900))), $(us $((now - 900))),
    'App A@localhost and App B@localhost used the same exit', 0);
SQL
[ "$(sqlite3 "$db" "SELECT group_concat(rule || ':' || severity, ' ') FROM (SELECT rule, severity FROM finding WHERE session = 3 ORDER BY id)")" = \
    "WEAK_PORT_CONFIG:notice PRE_ATTACH:info" ] ||
    fail "replay of 09 no longer gives WEAK_PORT_CONFIG and PRE_ATTACH: $(sqlite3 "$db" 'SELECT id, rule, severity FROM finding')"
id_of() { sqlite3 "$db" "SELECT id FROM finding WHERE rule = '$1' ORDER BY id LIMIT 1"; }
idA=$(id_of SHARED_CIRCUIT) idB=$(id_of SHARED_PORT_PROCESSES) idD=$(id_of NYM_EPOCH_REUSE)
lineA="$(rfc $((now - 1500))) critical SHARED_CIRCUIT (session 2, circuit 25): App D@localhost and App E@localhost shared exit circuit 25"
lineB="$(rfc $((now - 1200))) warning SHARED_PORT_PROCESSES (session 2, listener 127.0.0.1:20105): curl[4242] and wget[4243] used 127.0.0.1:20105 within ten minutes"
lineD="$(rfc $((now - 300))) warning NYM_EPOCH_REUSE (session 2, circuit 27, listener 127.0.0.1:20104): stream 53 of App D@localhost reused circuit 27 after NEWNYM"
# Kept as it is now for the syslog part.
sqlite3 "$db" ".backup '$T/sys.db'" || fail "backup"
data_of "$db" >"$T/data.0"

# --- usage errors: exit 2, one line, no cursor -----------------------------------
nu=0
for args in "--bogus" "--min-severity loud" "--min-severity" "--since yesterday" \
    "--since 2025-13-45T99:00:00Z" "--since" "--since 2h --since-last" \
    "--since-last cron --since 2h" "--since-last=cron --since 2h" \
    "--max-silence 5x" "--max-silence" "--format xml" "extra-word-here"; do
	nu=$((nu + 1))
	# shellcheck disable=SC2086
	chk 2 "usage$nu" --db "$db" $args
	one_err "usage$nu"
done
[ "$(sqlite3 "$db" 'SELECT count(*) FROM check_cursor')" -eq 0 ] || fail "a usage error created a cursor"
ok "usage errors: exit 2, one line on stderr, nothing on stdout ($nu cases)"

# --- --since: every finding first seen at or after WHEN; no cursor --------------------
chk 1 since1h --db "$db" --since 1h
no_err since1h
want_rules since1h SHARED_CIRCUIT NYM_EPOCH_REUSE
grep -Fxq "$lineA" "$T/since1h.out" || { cat "$T/since1h.out"; fail "since1h: want the line: $lineA"; }
chk 1 since1hi --db "$db" --since 1h --min-severity info
want_rules since1hi SHARED_CIRCUIT NYM_EPOCH_REUSE SHARED_EXIT
chk 1 since7d --db "$db" --since 7d --min-severity info
want_rules since7d SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE SHARED_EXIT WEAK_PORT_CONFIG PRE_ATTACH
chk 1 since3h --db "$db" --since "$(rfc $((now - 10800)))"
want_rules since3h SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE
# At or after: A's own first_seen includes A; one second later does not.
chk 1 sinceat --db "$db" --since "$(rfc $((now - 1800)))" --min-severity critical
want_rules sinceat SHARED_CIRCUIT
chk 1 sinceafter --db "$db" --since "$(rfc $((now - 1799)))"
want_rules sinceafter NYM_EPOCH_REUSE
chk 0 sincefuture --db "$db" --since 2099-01-01T00:00:00Z --min-severity info
quiet sincefuture
chk 1 since1hjson --db "$db" --since 1h --format json
[ "$(grep -c . "$T/since1hjson.out")" -eq 2 ] || fail "--since 1h --format json: $(cat "$T/since1hjson.out")"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM check_cursor')" -eq 0 ] || fail "--since created a cursor"
ok "--since 1h, 7d, RFC 3339 (at or after), far future: right findings, no cursor"

# --- --since-last: the cursor ---------------------------------------------------------------
chk 1 first --db "$db"
no_err first
want_rules first SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE
for l in "$lineA" "$lineB" "$lineD"; do
	grep -Fxq "$l" "$T/first.out" || { sed 's/^/  | /' "$T/first.out"; fail "first run: want the line: $l"; }
done
ok "first run: the three findings at or above warning, exact lines, exit 1"
chk 0 second --db "$db"
quiet second
chk 0 second_named --db "$db" --since-last default
quiet second_named
[ "$(sqlite3 "$db" "SELECT count(*) FROM check_cursor WHERE name = 'default'")" -eq 1 ] ||
    fail "no cursor named default: $(cursors_of "$db")"
ok "second run (and --since-last default): nothing at all, exit 0"
data_of "$db" >"$T/data.1"
cmp -s "$T/data.0" "$T/data.1" || { diff "$T/data.0" "$T/data.1" | head; fail "check changed a table other than check_cursor and meta"; }
ok "read-only apart from its cursor"

# The cursor is neither read nor moved by --since.
cursors_of "$db" >"$T/cur.0"
chk 1 since_after_cursor --db "$db" --since 7d
want_rules since_after_cursor SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE
cursors_of "$db" >"$T/cur.1"
cmp -s "$T/cur.0" "$T/cur.1" || fail "--since moved a cursor: $(cat "$T/cur.0") -> $(cat "$T/cur.1")"
ok "--since ignores and keeps an existing cursor"

# A new finding is printed once.
sqlite3 "$db" "INSERT INTO finding(rule, severity, session, circ_id, ident_a,
    ident_b, apps, identities, processes, streams, first_seen, last_seen,
    detail) VALUES ('SHARED_CIRCUIT', 'critical', 1, 79, 'App A@localhost',
    'App B@localhost', '[\"App A\", \"App B\"]', '[]', '[]', '[\"3\"]',
    $(us $((now - 120))), $(us $((now - 60))),
    'App A@localhost and App B@localhost shared exit circuit 79')" || fail "insert F"
chk 1 newone --db "$db"
no_err newone
[ "$(cat "$T/newone.out")" = "$(rfc $((now - 60))) critical SHARED_CIRCUIT (session 1, circuit 79): App A@localhost and App B@localhost shared exit circuit 79" ] ||
    fail "new finding: $(cat "$T/newone.out")"
chk 0 newone_again --db "$db"
quiet newone_again
ok "an inserted finding: printed once, then nothing"

# Below the severity, or acknowledged: not printed, and the cursor moves past
# them: lowering --min-severity under the same name brings nothing back.
sqlite3 "$db" "INSERT INTO finding(rule, severity, session, circ_id, ident_a,
    first_seen, last_seen, detail, acknowledged) VALUES
    ('PRE_ATTACH', 'info', 1, 0, 'g', $(us "$now"), $(us "$now"), 'below the severity', 0),
    ('SHARED_CIRCUIT', 'critical', 1, 80, 'h', $(us "$now"), $(us "$now"), 'acknowledged at once', 1)" ||
    fail "insert G, H"
chk 0 below --db "$db"
quiet below
chk 0 below_info --db "$db" --min-severity info
quiet below_info
chk 0 below_info2 --db "$db" --since-last default --min-severity info
quiet below_info2
ok "findings below the severity and acknowledged ones: nothing, and not brought back by --min-severity info"

# Another capture replayed into the same database, with WEAK_PORT_CONFIG
# raised to critical by its config: a new session, but the same causes (a
# finding is a cause, 0.2): a new occurrence of each, and nothing new to
# tell, whatever its severity now.
printf 'Rule WEAK_PORT_CONFIG critical\n' >"$T/crit.conf"
replay "$db" "$T/fx/09_getinfo_tcp.txt" "$T/crit.conf"
[ "$(sqlite3 "$db" "SELECT count(*) FROM occurrence o JOIN cause c ON c.id = o.cause WHERE c.rule = 'WEAK_PORT_CONFIG'")" -eq 2 ] ||
    fail "replayed: WEAK_PORT_CONFIG is not one cause with two occurrences"
[ "$(sqlite3 "$db" "SELECT severity FROM cause WHERE rule = 'WEAK_PORT_CONFIG'")" = critical ] ||
    fail "replayed: the cause's severity is not the latest"
chk 0 replayed --db "$db"
quiet replayed
ok "a cause already passed, again in another replay: a second occurrence, nothing to tell"
data_of "$db" >"$T/data.2"

# --- cursor names and --min-severity ----------------------------------------------------
chk 1 all --db "$db" --since-last all --min-severity info
no_err all
# Each cause once: 09's WEAK_PORT_CONFIG (one cause, two occurrences), and
# PRE_ATTACH, whose cause is the Tor session: sessions 3 and 4, and the one
# written by hand.
want_rules all SHARED_CIRCUIT SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE SHARED_EXIT \
    WEAK_PORT_CONFIG PRE_ATTACH PRE_ATTACH PRE_ATTACH
grep -q ' WEAK_PORT_CONFIG (session 4, listener 127\.0\.0\.1:20105, 2 occurrences): ' "$T/all.out" ||
    fail "all: WEAK_PORT_CONFIG not once, at its latest occurrence, with its count"
grep -q 'acknowledged' "$T/all.out" && fail "an acknowledged finding was printed"
chk 1 crit --db "$db" --since-last crit --min-severity critical
want_rules crit SHARED_CIRCUIT SHARED_CIRCUIT WEAK_PORT_CONFIG
grep -q ' critical WEAK_PORT_CONFIG (session 4' "$T/crit.out" || fail "crit: not session 4's WEAK_PORT_CONFIG"
chk 1 notice --db "$db" --since-last notice --min-severity notice
want_rules notice SHARED_CIRCUIT SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE SHARED_EXIT \
    WEAK_PORT_CONFIG
chk 1 cron1 --db "$db" --since-last cron
want_rules cron1 SHARED_CIRCUIT SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE WEAK_PORT_CONFIG
chk 0 cron2 --db "$db" --since-last=cron
quiet cron2
chk 0 all2 --db "$db" --since-last all --min-severity info
quiet all2
chk 0 default3 --db "$db"
quiet default3
[ "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM check_cursor ORDER BY name)")" = "all crit cron default notice" ] ||
    fail "cursors: $(cursors_of "$db")"
ok "cursor names (--since-last NAME, --since-last=NAME) are independent; --min-severity info, notice, critical"
chk 1 ack_since --db "$db" --since 7d --min-severity info
grep -q 'acknowledged' "$T/ack_since.out" && fail "--since printed an acknowledged finding"
[ "$(grep -c . "$T/ack_since.out")" -eq "$(sqlite3 "$db" 'SELECT count(*) FROM cause WHERE acknowledged = 0')" ] ||
    fail "--since 7d --min-severity info: $(grep -c . "$T/ack_since.out") lines"
ok "acknowledged findings are never printed"

# --- --format json ----------------------------------------------------------------------------
chk 1 json --db "$db" --since-last json --min-severity info --format json
no_err json
python3 - "$T/json.out" "$db" "$now" "$idA" "$idB" "$idD" <<'PY' || fail "--format json"
import json, re, sqlite3, sys, time
out, db, now, idA, idB, idD = sys.argv[1], sys.argv[2], int(sys.argv[3]), *map(int, sys.argv[4:7])
rfc = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
lines = open(out, encoding="utf-8").read().splitlines()
objs = [json.loads(l) for l in lines]          # JSON Lines: one object a line
assert all(isinstance(o, dict) for o in objs), objs
KEYS = ["id", "rule", "severity", "session", "circuit", "listener", "apps",
        "identities", "processes", "streams", "count", "first_seen",
        "last_seen", "detail", "acknowledged"]
ts = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
for o in objs:
    missing = [k for k in KEYS if k not in o]
    assert not missing, (missing, o)
    assert isinstance(o["id"], int) and isinstance(o["session"], int), o
    assert isinstance(o["count"], int) and o["count"] >= 1, o
    for k in ("apps", "identities", "processes", "streams"):
        assert isinstance(o[k], list), (k, o)
    for k in ("circuit", "listener"):
        assert o[k] is None or isinstance(o[k], str), (k, o)
    assert ts.match(o["first_seen"]) and ts.match(o["last_seen"]), o
    assert o["severity"] in ("critical", "warning", "notice", "info"), o
    assert o["acknowledged"] is False, o
    assert isinstance(o["detail"], str), o
ids = [o["id"] for o in objs]
assert len(ids) == len(set(ids)), ids
want = {r[0] for r in sqlite3.connect(db).execute(
    "SELECT id FROM cause WHERE acknowledged = 0")}
assert set(ids) == want, (sorted(ids), sorted(want))
by = {o["id"]: o for o in objs}
a, b, d = by[idA], by[idB], by[idD]
assert (a["rule"], a["severity"], a["session"], a["circuit"], a["listener"]) == \
    ("SHARED_CIRCUIT", "critical", 2, "25", None), a
assert a["apps"] == ["App D", "App E"], a
assert a["identities"] == ["App D@localhost", "App E@localhost"], a
assert len(a["processes"]) == 2 and a["streams"] == ["49", "50", "51"], a
assert a["count"] == 3, a
assert a["first_seen"][:19] + "Z" == rfc(now - 1800), a
assert a["last_seen"][:19] + "Z" == rfc(now - 1500), a
assert a["detail"] == "App D@localhost and App E@localhost shared exit circuit 25", a
assert (b["rule"], b["severity"], b["circuit"], b["listener"], b["count"]) == \
    ("SHARED_PORT_PROCESSES", "warning", None, "127.0.0.1:20105", 2), b
assert (d["circuit"], d["listener"]) == ("27", "127.0.0.1:20104"), d
print("json ok: %d objects" % len(objs))
PY
chk 0 json2 --db "$db" --since-last json --min-severity info --format json
quiet json2
ok "--format json: JSON Lines with every key, values as stored, acknowledged false; then nothing"
data_of "$db" >"$T/data.3"
cmp -s "$T/data.2" "$T/data.3" || { diff "$T/data.2" "$T/data.3" | head; fail "check changed a table other than check_cursor and meta"; }
ok "still read-only apart from check_cursor after all these checks"

# --- concurrent checks on one cursor name ---------------------------------------------------
# Eight checks at once, three rounds: on 30 findings, on 30 more, and while
# 30 more are being inserted; then one last check.  Every unacknowledged
# finding is printed exactly once between them all.
cdb="$T/conc.db"
replay "$cdb" "$T/fx/09_getinfo_tcp.txt"
compat "$cdb"
add_race() {
	sqlite3 -cmd '.timeout 10000' "$cdb" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30)
	    INSERT INTO finding(rule, severity, session, circ_id, ident_a, apps,
	        identities, processes, streams, first_seen, last_seen, detail,
	        acknowledged)
	    SELECT 'SHARED_CIRCUIT', CASE i % 4 WHEN 0 THEN 'critical'
	        WHEN 1 THEN 'warning' WHEN 2 THEN 'notice' ELSE 'info' END, 1,
	        $1 * 1000 + i, 'race', '[]', '[]', '[]', '[]', $(us "$now"),
	        $(us "$now"), 'race $1 finding ' || i, i % 10 = 0 FROM n" ||
	    fail "insert race round $1"
}
race() {
	round=$1
	i=1
	while [ "$i" -le 8 ]; do
		(timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$cdb" \
		    --since-last race --min-severity info --format json \
		    >"$T/race.$round.$i.out" 2>"$T/race.$round.$i.err"
		echo $? >"$T/race.$round.$i.rc") &
		BGPIDS="$BGPIDS $!"
		i=$((i + 1))
	done
	[ -n "${2:-}" ] && add_race "$2"
	wait
	BGPIDS=""
	i=1
	while [ "$i" -le 8 ]; do
		rc=$(cat "$T/race.$round.$i.rc")
		[ "$rc" -le 1 ] || { cat "$T/race.$round.$i.err"; fail "concurrent check $round.$i: exit $rc"; }
		no_err "race.$round.$i"
		i=$((i + 1))
	done
}
add_race 1
race 1
add_race 2
race 2
race 3 3
# The last one gets what the third round's checks ran too early to see.
timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$cdb" --since-last race \
    --min-severity info --format json >"$T/race.4.1.out" 2>"$T/race.4.1.err"
rc=$?
[ "$rc" -le 1 ] || { cat "$T/race.4.1.err"; fail "last race check: exit $rc"; }
no_err race.4.1
python3 - "$cdb" "$T"/race.*.out <<'PY' || fail "concurrent checks"
import json, sqlite3, sys
from collections import Counter
seen = Counter()
per = []
for f in sys.argv[2:]:
    objs = [json.loads(l) for l in open(f, encoding="utf-8").read().splitlines()]
    seen.update(o["id"] for o in objs)
    per.append(len(objs))
dup = {i: n for i, n in seen.items() if n > 1}
assert not dup, "printed more than once: %s" % dup
want = {r[0] for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT id FROM cause WHERE acknowledged = 0")}
assert set(seen) == want, ("missing", sorted(want - set(seen)), "extra", sorted(set(seen) - want))
print("race ok: %d findings over %d checks, per check %s" % (len(want), len(per), per))
PY
ok "8 checks at once on one cursor name (3 rounds, one during inserts): every finding exactly once"

# --- checks while a monitor writes the database ------------------------------------------------
ldb="$T/live.db"
python3 "$here/gen_events.py" 2000 "$T/burst"
FAKECTOR_PAUSE_MS=10 FAKECTOR_CHUNK=4096 python3 "$here/fakector.py" "$T/port" "$T/burst" &
fk=$!
BGPIDS="$fk"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$(cat "$T/port")" \
    --db "$ldb" --duration 6 >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$BGPIDS $mon"
i=0
while [ "$i" -lt 100 ]; do
	n=$(sqlite3 "file:$ldb?mode=ro" 'SELECT count(*) FROM tor_session' 2>/dev/null)
	[ "${n:-0}" -ge 1 ] && break
	sleep 0.1
	i=$((i + 1))
done
[ "${n:-0}" -ge 1 ] || { tail "$T/mon.err"; fail "the monitor wrote no session within 10 s"; }
k=0 during=0
while kill -0 "$mon" 2>/dev/null && [ "$k" -lt 1000 ]; do
	k=$((k + 1))
	if [ $((k % 2)) -eq 1 ]; then
		timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$ldb" \
		    --since-last live --min-severity info --format json \
		    --max-silence 1h >"$T/live.$k.out" 2>"$T/live.$k.err"
	else
		timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$ldb" \
		    --since 1h >"$T/since.$k.out" 2>"$T/since.$k.err"
	fi
	rc=$?
	[ "$rc" -le 1 ] || {
		cat "$T/live.$k.err" "$T/since.$k.err" 2>/dev/null
		fail "check $k while the monitor writes: exit $rc"
	}
	kill -0 "$mon" 2>/dev/null && during=$((during + 1))
	sleep 0.02	# pace: a few hundred checks are plenty
done
wait "$mon"
rc=$?
BGPIDS="$fk"
[ "$rc" -eq 0 ] || { tail "$T/mon.err"; fail "monitor exit $rc"; }
[ "$during" -ge 4 ] || fail "only $during checks ran while the monitor was writing"
streams=$(sqlite3 "$ldb" 'SELECT count(*) FROM stream')
[ "$streams" -gt 0 ] || fail "the monitor wrote no streams"
cat "$T"/live.*.err "$T"/since.*.err | grep -q . && { cat "$T"/live.*.err "$T"/since.*.err | head; fail "a check during the monitor wrote to stderr"; }
timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$ldb" --since-last live \
    --min-severity info --format json >"$T/live.final.out" 2>"$T/live.final.err"
rc=$?
[ "$rc" -le 1 ] || { cat "$T/live.final.err"; fail "check after the monitor: exit $rc"; }
python3 - "$ldb" "$T"/live.*.out <<'PY' || fail "checks during the monitor"
import json, sqlite3, sys
from collections import Counter
seen = Counter()
for f in sys.argv[2:]:
    for l in open(f, encoding="utf-8").read().splitlines():
        o = json.loads(l)
        assert o["rule"] != "MONITOR_STOPPED", o
        seen[o["id"]] += 1
dup = {i: n for i, n in seen.items() if n > 1}
assert not dup, "printed more than once: %s" % dup
want = {r[0] for r in sqlite3.connect(sys.argv[1]).execute(
    "SELECT id FROM cause WHERE acknowledged = 0")}
assert want, "the burst gave no findings"
assert set(seen) == want, ("missing", sorted(want - set(seen)), "extra", sorted(set(seen) - want))
print("live ok: %d findings" % len(want))
PY
ok "$during checks while a monitor wrote $streams streams: exit 0 or 1, each finding once, no MONITOR_STOPPED"

# --- a cause: once, and again only after an acknowledgement -------------------------
# 09 replayed: WEAK_PORT_CONFIG (notice) is told once, by text and by JSON.
# Replayed again: a second occurrence, nothing told.  Acknowledged (before
# the next replay's time), then replayed: told once more, marked again
# (text: "again" after the severity; JSON: "again": true, the same cause,
# its three occurrences).  Acknowledged after the next replay's time: that
# replay does not bring it back.
adb="$T/again.db"
replay "$adb" "$T/fx/09_getinfo_tcp.txt"
chk 1 again1 --db "$adb" --since-last t --min-severity notice
want_rules again1 WEAK_PORT_CONFIG
grep -q ' notice WEAK_PORT_CONFIG (session 1, listener 127\.0\.0\.1:20105): ' "$T/again1.out" ||
    fail "again1: $(cat "$T/again1.out")"
chk 1 againj1 --db "$adb" --since-last j --min-severity notice --format json
replay "$adb" "$T/fx/09_getinfo_tcp.txt"
chk 0 again2 --db "$adb" --since-last t --min-severity notice
quiet again2
chk 0 againj2 --db "$adb" --since-last j --min-severity notice --format json
quiet againj2
ok "a cause is told once: its next occurrence is not news"
sqlite3 "$adb" "UPDATE cause SET acknowledged = 1, ack_at = $(us $((old - 60))) WHERE rule = 'WEAK_PORT_CONFIG'" ||
    fail "acknowledge"
chk 0 again3 --db "$adb" --since-last t --min-severity notice
quiet again3
replay "$adb" "$T/fx/09_getinfo_tcp.txt"
chk 1 again4 --db "$adb" --since-last t --min-severity notice
want_rules again4 WEAK_PORT_CONFIG
grep -q '^[^ ]* notice again WEAK_PORT_CONFIG (session 3, listener 127\.0\.0\.1:20105, 3 occurrences): ' "$T/again4.out" ||
    fail "again4: $(cat "$T/again4.out")"
chk 1 againj4 --db "$adb" --since-last j --min-severity notice --format json
python3 - "$T/againj1.out" "$T/againj4.out" <<'PY' || fail "JSON again"
import json, sys
first, = [json.loads(l) for l in open(sys.argv[1])]
back, = [json.loads(l) for l in open(sys.argv[2])]
assert first["again"] is False and back["again"] is True, (first, back)
assert first["cause"] == back["cause"] and first["id"] == back["id"], (first, back)
assert first["rule"] == back["rule"] == "WEAK_PORT_CONFIG"
assert len(first["occurrences"]) == 1 and len(back["occurrences"]) == 3, back
assert [o["session"] for o in back["occurrences"]] == [1, 2, 3], back
assert back["session"] == 3 and back["acknowledged"] is False, back
PY
chk 0 again5 --db "$adb" --since-last t --min-severity notice
quiet again5
[ "$(sqlite3 "$adb" "SELECT again FROM cause WHERE rule = 'WEAK_PORT_CONFIG'")" = 1 ] || fail "again count"
sqlite3 "$adb" "UPDATE cause SET acknowledged = 1, ack_at = $(us "$now") WHERE rule = 'WEAK_PORT_CONFIG'" ||
    fail "acknowledge"
replay "$adb" "$T/fx/09_getinfo_tcp.txt"
chk 0 again6 --db "$adb" --since-last t --min-severity notice
quiet again6
[ "$(sqlite3 "$adb" "SELECT acknowledged FROM cause WHERE rule = 'WEAK_PORT_CONFIG'")" = 1 ] ||
    fail "an occurrence from before the acknowledgement brought the cause back"
ok "acknowledged and back: told once more, marked again (text and JSON); not back from before the acknowledgement"

# --- --syslog ------------------------------------------------------------------------------------
# glibc's syslog() writes to /dev/log, which may be missing (or be the real
# syslog): a private mount namespace gets a tmpfs /dev holding null, zero,
# full, random and urandom from the real one and a datagram listener on
# /dev/log.  sys.db is the database as it was before any check: A critical,
# B and D warning, E and WEAK_PORT_CONFIG notice, PRE_ATTACH info.
#   nosys    --since-last nosys             prints A B D, nothing to syslog
#   sys      --since-last sys --syslog      A B D: <26> <28> <28>
#   sysinfo  --since-last sysinfo --syslog --min-severity info: all six
#   sysagain --since-last sys --syslog      nothing at all
syslog_part() {
	if ! unshare -m true 2>"$T/unshare.err"; then
		echo "syslog part skipped: unshare -m not permitted here: $(head -1 "$T/unshare.err")"
		return 0
	fi
	cat >"$T/body.sh" <<NS
run() {
	name=\$1
	shift
	timeout 30 "$ISOAUDIT" -c "$T/empty.conf" check --db "$T/sys.db" "\$@" >"$T/\$name.out" 2>"$T/\$name.err"
	echo \$? >"$T/\$name.rc"
}
run nosys --since-last nosys
run sys --since-last sys --syslog
run sysinfo --since-last sysinfo --syslog --min-severity info
run sysagain --since-last sys --syslog
NS
	: >"$T/syslog.txt"
	T="$T" timeout 90 unshare -m sh "$here/with_syslog.sh" "$T/syslog.txt" "$T/body.sh"
	rc=$?
	if [ "$rc" -eq 77 ]; then
		echo "syslog part skipped: $(cat "$T/ns.skip")"
		return 0
	fi
	[ "$rc" -eq 0 ] || fail "syslog namespace: exit $rc $(cat "$T/ns.fail" 2>/dev/null)"
	grep -q end-of-test-marker "$T/syslog.txt" || fail "syslog listener received nothing: $(cat "$T/sink.err")"
	for x in nosys:1 sys:1 sysinfo:1 sysagain:0; do
		name=${x%:*} want=${x#*:}
		rc=$(cat "$T/$name.rc")
		[ "$rc" -eq "$want" ] || { cat "$T/$name.err"; fail "$name: exit $rc, want $want"; }
	done
	want_rules nosys SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE
	want_rules sys SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE
	want_rules sysinfo SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE SHARED_EXIT WEAK_PORT_CONFIG PRE_ATTACH
	quiet sysagain
	no_err sys
	no_err sysinfo
	python3 - "$T/syslog.txt" "$T/sys.out" "$T/sysinfo.out" <<'PY' || { sed 's/^/  syslog| /' "$T/syslog.txt"; fail "syslog datagrams"; }
import re, sys
PRI = {"critical": 26, "warning": 28, "notice": 29, "info": 30}
grams = [l for l in open(sys.argv[1], encoding="utf-8").read().splitlines()
         if "end-of-test-marker" not in l]
printed = []
for f in sys.argv[2:]:
    printed += open(f, encoding="utf-8").read().splitlines()
assert len(grams) == len(printed), \
    "%d datagrams for %d lines printed with --syslog (nosys must send none)" % (len(grams), len(printed))
rx = re.compile(r"^<(\d+)>.*?\bisoaudit(\[\d+\])?: (.*)$")
parsed = []
for g in grams:
    m = rx.match(g)
    assert m, "not a syslog datagram from ident isoaudit: %r" % g
    parsed.append((int(m.group(1)), m.group(3)))
for line in printed:
    sev, rest = line.split(" ")[1], line.split(" ", 2)[2]
    hits = [p for p, msg in parsed if rest in msg]
    assert hits, "printed but not in syslog: %r" % line
    assert PRI[sev] in hits, "%r sent with priority %s, want <%d>" % (line, hits, PRI[sev])
pris = sorted(p for p, _ in parsed)
assert pris == [26, 26, 28, 28, 28, 28, 29, 29, 30], pris
print("syslog ok:", pris)
PY
	ok "--syslog: one datagram per printed line, ident isoaudit, LOG_DAEMON with <26> <28> <29> <30>; none without --syslog"
}
syslog_part

# --- --max-silence: MONITOR_STOPPED ----------------------------------------------------------
# ms.db holds the captures of five hours ago: findings below warning only.
RE_STOP="^$RE_TIME critical MONITOR_STOPPED: ."
stopped() {
	if ! { [ "$(grep -c . "$T/$1.out")" -eq 1 ] && grep -Eq "$RE_STOP" "$T/$1.out"; }; then
		sed 's/^/  | /' "$T/$1.out"
		fail "$1: want one line TIME critical MONITOR_STOPPED: ..."
	fi
	no_err "$1"
}
mdb="$T/ms.db"
replay "$mdb" "$T/fx/01_ports_A_then_B.txt"
replay "$mdb" "$T/fx/09_getinfo_tcp.txt"
data_of "$mdb" >"$T/ms.data.0"
chk 0 ms_off --db "$mdb" --since-last msoff
quiet ms_off
chk 0 ms_long --db "$mdb" --since-last mslong --max-silence 52w
quiet ms_long
chk 1 ms1 --db "$mdb" --since-last ms --max-silence 1s
stopped ms1
chk 0 ms2 --db "$mdb" --since-last ms --max-silence 1s
quiet ms2
chk 0 ms2b --db "$mdb" --since-last ms --max-silence 1s
quiet ms2b
chk 1 ms_other --db "$mdb" --since-last other --max-silence 1s
stopped ms_other
chk 1 ms_json --db "$mdb" --since-last msjson --max-silence 1s --format json
python3 -c '
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(objs) == 1 and objs[0]["rule"] == "MONITOR_STOPPED", objs
assert objs[0].get("severity", "critical") == "critical", objs
' "$T/ms_json.out" || fail "MONITOR_STOPPED in JSON: $(cat "$T/ms_json.out")"
data_of "$mdb" >"$T/ms.data.1"
cmp -s "$T/ms.data.0" "$T/ms.data.1" || { diff "$T/ms.data.0" "$T/ms.data.1" | head; fail "--max-silence changed a table other than check_cursor and meta"; }
ok "MONITOR_STOPPED: off by default, not within the age, once per silence per cursor name, in JSON too"

# A new event ends the silence; when it is old enough, that is a new silence.
n2=$(date +%s)
sqlite3 "$mdb" "UPDATE tor_session SET last_event = $(us $((n2 - 10))) WHERE id = (SELECT max(id) FROM tor_session)" ||
    fail "cannot update last_event"
chk 0 ms_live --db "$mdb" --since-last ms --max-silence 1h
quiet ms_live
chk 1 ms_new --db "$mdb" --since-last ms --max-silence 5s
stopped ms_new
chk 0 ms_new2 --db "$mdb" --since-last ms --max-silence 5s
quiet ms_new2
ok "a newer event ends the silence; the next silence is reported once again"

# With findings new under the name: they and MONITOR_STOPPED, exit 1.
chk 1 ms_find --db "$T/sys.db" --since-last msfind --max-silence 1s
text_lines_or_stop() {
	grep -Ev "$RE_LINE" "$T/$1.out" | grep -Evq "$RE_STOP" &&
	    { sed 's/^/  | /' "$T/$1.out"; fail "$1: a line neither finding nor MONITOR_STOPPED"; }
	return 0
}
text_lines_or_stop ms_find
[ "$(grep -c ' MONITOR_STOPPED: ' "$T/ms_find.out")" -eq 1 ] || fail "ms_find: no single MONITOR_STOPPED"
[ "$(grep -c ' (session ' "$T/ms_find.out")" -eq 3 ] || fail "ms_find: want the three findings"
chk 0 ms_find2 --db "$T/sys.db" --since-last msfind --max-silence 1s
quiet ms_find2
ok "MONITOR_STOPPED together with new findings, then nothing"

# No Tor session at all: stopped too.
edb="$T/empty.db"
sqlite3 "$edb" <"$schema" || fail "sqlite3 could not create $edb"
sqlite3 "$edb" "PRAGMA user_version = 1; INSERT INTO meta(key, value) VALUES ('hash_key', randomblob(32));" ||
    fail "sqlite3 could not set up $edb"
chk 0 empty_db --db "$edb"
quiet empty_db
chk 1 empty_ms --db "$edb" --max-silence 1h
stopped empty_ms
chk 0 empty_ms2 --db "$edb" --max-silence 1h
quiet empty_ms2
ok "no Tor session recorded: MONITOR_STOPPED once; without --max-silence: nothing"

# --- databases check cannot use: exit 3 ---------------------------------------------------------
chk 3 missing --db "$T/nope.db"
one_err missing
grep -qF "$T/nope.db" "$T/missing.err" || fail "missing: the path is not named: $(cat "$T/missing.err")"
for x in "" -wal -shm -journal; do
	[ -e "$T/nope.db$x" ] && fail "check created $T/nope.db$x"
done
chk 3 missing_since --db "$T/nope.db" --since 1h
one_err missing_since
chk 3 missing_default
one_err missing_default
grep -qF "$XDG_STATE_HOME/isoaudit/isoaudit.db" "$T/missing_default.err" ||
    fail "missing default database: the path is not named: $(cat "$T/missing_default.err")"
[ -e "$XDG_STATE_HOME/isoaudit/isoaudit.db" ] && fail "check created the default database"
[ -e "$T/nope.db" ] && fail "check created $T/nope.db"
ok "missing database: exit 3, one line naming the path, nothing created"

sqlite3 "$db" ".backup '$T/newer.db'" || fail "backup"
sqlite3 "$T/newer.db" "PRAGMA user_version = 99" || fail "cannot set user_version"
data_of "$T/newer.db" >"$T/newer.data.0"
cursors_of "$T/newer.db" >"$T/newer.cur.0"
chk 3 newer --db "$T/newer.db"
one_err newer
chk 3 newer_since --db "$T/newer.db" --since 7d
one_err newer_since
[ "$(sqlite3 "$T/newer.db" 'PRAGMA user_version')" -eq 99 ] || fail "check changed a newer database's version"
data_of "$T/newer.db" >"$T/newer.data.1"
cmp -s "$T/newer.data.0" "$T/newer.data.1" || fail "check changed a newer database"
cursors_of "$T/newer.db" >"$T/newer.cur.1"
cmp -s "$T/newer.cur.0" "$T/newer.cur.1" || fail "check moved a cursor in a newer database"
ok "newer schema (user_version 99): exit 3, one line, database untouched"

# Locked: another connection holds the write lock longer than the busy
# timeout.  check gives up with exit 3 and one line within about 10 s, prints
# no finding (its cursor could not move), and the next check under that name
# reports them all.
python3 - "$db" "$T/lock.ready" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").write("locked\n")
time.sleep(20)
c.execute("ROLLBACK")
PY
holder=$!
BGPIDS="$BGPIDS $holder"
wait_for "$T/lock.ready" locked 10 || fail "could not lock the database"
t0=$(date +%s)
chk 3 locked --db "$db" --since-last locked
t1=$(date +%s)
one_err locked
[ $((t1 - t0)) -le 12 ] || fail "locked: exit 3 only after $((t1 - t0)) s"
# It waited for the lock first (a monitor's commit must not make it fail).
[ $((t1 - t0)) -ge 2 ] || fail "locked: gave up after $((t1 - t0)) s, no busy timeout"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
BGPIDS="$fk"
chk 1 unlocked --db "$db" --since-last locked
want_rules unlocked SHARED_CIRCUIT SHARED_CIRCUIT SHARED_PORT_PROCESSES NYM_EPOCH_REUSE WEAK_PORT_CONFIG
ok "locked past the busy timeout: exit 3 after $((t1 - t0)) s, one line; the findings come with the next check"
exit 0
