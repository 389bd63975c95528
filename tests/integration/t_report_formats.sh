#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# report in all four formats from a database built by hand with the sqlite3
# CLI (no Tor network needed): two Tor sessions, two apps sharing a circuit,
# two identities of one label on one circuit, a conflux pair carrying two
# apps, a stream with no app, findings with JSON arrays (one not JSON), and
# hostile bytes in labels, process names and details.  Checks the JSON
# shape of SPEC.md, that HTML and CSV parse, escaping everywhere, -o modes,
# and the edge cases: missing database, empty database, empty range, bad
# --since, usage errors, a database newer than the binary.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
schema=$(cd "$(dirname "$0")/../../schema" && pwd)/001-init.sql
[ -f "$schema" ] || fail "no $schema"

# mkdb FILE: a database at schema step 1 (release 0.1) with a hash key and
# no rows; isoaudit migrates it to causes (schema step 2) when it first
# opens it, so every check below is also one of that migration.
mkdb() {
	sqlite3 "$1" <"$schema" || fail "sqlite3 could not create $1"
	sqlite3 "$1" "PRAGMA user_version = 1;
	    INSERT INTO meta(key, value) VALUES ('hash_key', randomblob(32));" ||
	    fail "sqlite3 could not set up $1"
	chmod 600 "$1"
}

# expect_rc WANT NAME CMD...: run, keep stdout/stderr in $T/NAME.{out,err}.
expect_rc() {
	want=$1 name=$2
	shift 2
	"$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -eq "$want" ] || {
		sed 's/^/  | /' "$T/$name.err"
		fail "$name: exit $rc, want $want"
	}
}

# --- edge cases first --------------------------------------------------------
expect_rc 3 missing "$ISOAUDIT" report --db "$T/nope.db"
one_line "$T/missing.err"
grep -q "no database at $T/nope.db" "$T/missing.err" || fail "missing: $(cat "$T/missing.err")"
[ -s "$T/missing.out" ] && fail "missing: wrote a report"
[ -e "$T/nope.db" ] && fail "report created a database"
ok "missing database: one line, exit 3"

mkdb "$T/empty.db"
for args in "" "--all" "--format json" "--since 2h"; do
	# shellcheck disable=SC2086
	expect_rc 0 empty "$ISOAUDIT" report --db "$T/empty.db" $args
	one_line "$T/empty.err"
	grep -q "nothing recorded in that range" "$T/empty.err" || fail "empty ($args): $(cat "$T/empty.err")"
	[ -s "$T/empty.out" ] && fail "empty ($args): wrote a report"
done
ok "empty database: one line, exit 0"

# --- the database --------------------------------------------------------------
db="$T/report.db"
mkdb "$db"
# T0 = 2025-11-24T16:00:00Z in microseconds; s(x) = T0 + x seconds.
sqlite3 "$db" <<'SQL' || fail "cannot fill the database"
CREATE TEMP TABLE c(t0 INTEGER);
INSERT INTO c VALUES (1764000000000000);
INSERT INTO tor_session(id, tor_version, control, auth, pid, source, started,
    ended, end_reason, last_event)
SELECT 1, '0.4.8.13', '127.0.0.1:9051', 'SAFECOOKIE', 4000, 'live', t0,
    t0 + 3600000000, 'closed', t0 + 3600000000 FROM c;
INSERT INTO tor_session(id, tor_version, control, auth, pid, source, started,
    ended, end_reason, last_event)
SELECT 2, '0.4.9.11', 'unix:/run/tor/control', 'SAFECOOKIE', 4001, 'live',
    t0 + 7200000000, NULL, NULL, t0 + 9000000000 FROM c;

INSERT INTO app(id, label, host, sub) VALUES
    (1, 'Tor Browser', 'localhost', ''),
    (2, 'curl', 'localhost', ''),
    (3, 'App D', 'localhost', ''),
    (4, 'App E', 'localhost', ''),
    (5, '=HYPERLINK("x")<b>&''' || char(27) || '[31m', 'localhost', ''),
    (6, 'Tor Browser', 'localhost', 'h:0123456789ab');

INSERT INTO relay(fingerprint, nickname) VALUES
    ('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'exit1'),
    ('BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', 'exit2');

-- session 1: one app, one circuit
INSERT INTO circuit(session, circ_id, status, purpose, exit_fp, exit_nick,
    created, closed)
SELECT 1, 5, 'CLOSED', 'GENERAL', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'exit1', t0 + 10000000, t0 + 600000000 FROM c;
INSERT INTO stream(session, stream_id, circ_id, status, listener, app, pid,
    process, uid, protocol, target, target_port, opened, closed)
SELECT 1, 1, 5, 'CLOSED', '127.0.0.1:9150', 1, 1234, 'firefox', 1000,
    'SOCKS5', 'h:0123456789ab', 443, t0 + 20000000, t0 + 30000000 FROM c;
INSERT INTO attach SELECT 1, 1, 5, t0 + 21000000 FROM c;

-- session 2
INSERT INTO circuit(session, circ_id, status, purpose, exit_fp, exit_nick,
    conflux_id, created, closed)
SELECT 2, 10, 'BUILT', 'GENERAL', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'exit1', NULL, t0 + 7210000000, NULL FROM c UNION ALL
SELECT 2, 11, 'CLOSED', 'GENERAL', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
    'exit2', NULL, t0 + 7220000000, t0 + 8000000000 FROM c UNION ALL
SELECT 2, 12, 'BUILT', 'GENERAL', NULL, NULL, NULL, t0 + 7230000000, NULL
    FROM c UNION ALL
SELECT 2, 20, 'BUILT', 'CONFLUX_LINKED', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    'exit1', 'CF0123456789', t0 + 7240000000, NULL FROM c UNION ALL
SELECT 2, 21, 'BUILT', 'CONFLUX_LINKED', 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
    'exit2', 'CF0123456789', t0 + 7240000000, NULL FROM c;

INSERT INTO stream(session, stream_id, circ_id, status, listener, app, pid,
    process, uid, protocol, target, target_port, opened, closed, reason)
SELECT 2, 100, 10, 'CLOSED', '127.0.0.1:9150', 1, 1234, 'firefox', 1000,
    'SOCKS5', 'h:aaaaaaaaaaaa', 443, t0 + 7300000000, t0 + 7310000000, 'DONE'
    FROM c UNION ALL
SELECT 2, 101, 10, 'CLOSED', '127.0.0.1:9150', 6, 1234, 'firefox', 1000,
    'SOCKS5', 'h:bbbbbbbbbbbb', 443, t0 + 7301000000, t0 + 7311000000, 'DONE'
    FROM c UNION ALL
SELECT 2, 102, 11, 'CLOSED', '127.0.0.1:9152', 3, 4242, 'curl', 1000,
    'SOCKS5', 'h:cccccccccccc', 80, t0 + 7400000000, t0 + 7410000000, 'DONE'
    FROM c UNION ALL
SELECT 2, 103, 11, 'CLOSED', '127.0.0.1:9153', 4, 4243, 'wget', 1000,
    'SOCKS5', 'h:cccccccccccc', 80, t0 + 7401000000, t0 + 7411000000, 'DONE'
    FROM c UNION ALL
SELECT 2, 104, 20, 'SUCCEEDED', '127.0.0.1:9117', 2, 4300, 'curl', 1000,
    'SOCKS5', '-2+3', 443, t0 + 7500000000, NULL, NULL FROM c UNION ALL
SELECT 2, 105, 21, 'SUCCEEDED', '127.0.0.1:9040', 5, 4301,
    'ev,il"' || char(10) || char(27) || '[2J', 0, 'TRANS', '@evil', 443,
    t0 + 7501000000, NULL, NULL FROM c UNION ALL
SELECT 2, 106, 12, 'SUCCEEDED', '127.0.0.1:9050', NULL, NULL, NULL, NULL,
    'SOCKS5', NULL, 443, t0 + 7600000000, NULL, NULL FROM c UNION ALL
SELECT 2, 107, NULL, 'FAILED', '127.0.0.1:9050', NULL, NULL, NULL, NULL,
    'SOCKS5', NULL, 443, t0 + 7700000000, t0 + 7700100000, 'TIMEOUT' FROM c;
INSERT INTO attach SELECT 2, stream_id, circ_id, opened + 1000 FROM stream
    WHERE session = 2 AND circ_id IS NOT NULL;

INSERT INTO finding(id, rule, severity, session, circ_id, listener, ident_a,
    ident_b, apps, identities, processes, streams, count, first_seen,
    last_seen, detail, acknowledged)
SELECT 1, 'SHARED_CIRCUIT', 'critical', 2, 11, '', 'App D@localhost',
    'App E@localhost', '["App D", "App E"]',
    '["App D@localhost", "App E@localhost"]',
    '[{"pid": 4242, "name": "curl"}, {"pid": 4243, "name": "wget"}]',
    '["102", "103"]', 2, t0 + 7401000000, t0 + 7402000000,
    'streams of App D@localhost and App E@localhost on circuit 11', 0
    FROM c UNION ALL
SELECT 2, 'SHARED_CIRCUIT', 'critical', 2, 20, '', 'curl@localhost', 'x',
    '["curl", "=HYPERLINK(\"x\")<b>&''\u001b[31m"]',
    '["curl@localhost", "=HYPERLINK(\"x\")<b>&''\u001b[31m@localhost"]',
    '[]', '["104", "105"]', 1, t0 + 7501000000, t0 + 7501000000,
    'conflux set CF0123456789: <script>alert(1)</script> ' || char(27) ||
    '[2J', 0 FROM c UNION ALL
SELECT 3, 'UNISOLATED_PORT', 'warning', 2, 0, '127.0.0.1:9040', 'x', '',
    'not json', NULL, '[1, 2', '["105"] trailing', 1, t0 + 7501000000,
    t0 + 7501000000, 'traffic on a TransPort ' || CAST(x'ff41' AS TEXT), 0
    FROM c UNION ALL
SELECT 4, 'PRE_ATTACH', 'info', 2, 0, '', '', '', '[]', '[]', '[]', '[]', 3,
    t0 + 7200000000, t0 + 7200000000, 'streams open before attach', 1 FROM c;
SQL
ok "database built"

# --- JSON -----------------------------------------------------------------------
expect_rc 0 json "$ISOAUDIT" report --db "$db" --format json
python3 - "$T/json.out" <<'PY' || fail "JSON report"
import json, sys
raw = open(sys.argv[1], encoding="utf-8").read()
assert raw.endswith("}\n"), "no final newline"
r = json.loads(raw)
assert list(r)[:7] == ["isoaudit_report", "generated", "range", "tor_sessions",
    "apps", "circuits", "findings"], list(r)
assert list(r)[7] == "summary"
assert r["isoaudit_report"] == 1
assert r["generated"].endswith("Z") and "T" in r["generated"]
assert r["range"] == {"from": "2025-11-24T18:00:00Z", "to": "2025-11-24T18:30:00Z"}, r["range"]
s, = r["tor_sessions"]
assert list(s)[:5] == ["id", "tor_version", "control", "started", "ended"], list(s)
assert s["id"] == 2 and s["tor_version"] == "0.4.9.11" and s["ended"] is None
assert s["control"] == "unix:/run/tor/control" and s["started"] == "2025-11-24T18:00:00Z"
apps = r["apps"]
assert len(apps) == 6, apps
for a in apps:
    assert list(a)[:8] == ["app", "host", "listeners", "streams", "circuits",
        "exits", "first_seen", "last_seen"], list(a)
by = {(a["app"], a.get("sub")): a for a in apps}
tb = by[("Tor Browser", None)]
assert tb["listeners"] == ["127.0.0.1:9150"] and tb["streams"] == 1
assert tb["circuits"] == 1 and tb["exits"] == 1, tb
assert tb["first_seen"] == "2025-11-24T18:01:40Z", tb
assert tb["processes"] == [{"pid": 1234, "name": "firefox"}], tb["processes"]
assert ("Tor Browser", "h:0123456789ab") in by
evil = [a for a in apps if a["app"].startswith("=HYPERLINK")][0]
assert evil["app"] == '=HYPERLINK("x")<b>&\'\x1b[31m', repr(evil["app"])
assert evil["processes"][0]["name"] == 'ev,il"\n\x1b[2J', evil["processes"]
circs = {c["id"]: c for c in r["circuits"]}
assert sorted(circs) == ["10", "11", "12", "20", "21"], sorted(circs)
for c in r["circuits"]:
    assert list(c)[:9] == ["session", "id", "purpose", "conflux_id", "exit",
        "apps", "streams", "created", "closed"], list(c)
    assert isinstance(c["id"], str) and c["session"] == 2
assert circs["10"]["apps"] == ["Tor Browser"], circs["10"]   # one label once
assert circs["10"]["streams"] == 2
assert circs["11"]["apps"] == ["App D", "App E"]
assert circs["11"]["exit"] == {"fingerprint": "B" * 40, "nickname": "exit2"}
assert circs["11"]["closed"] == "2025-11-24T18:13:20Z"
assert circs["10"]["closed"] is None and circs["10"]["conflux_id"] is None
assert circs["12"]["exit"] is None and circs["12"]["apps"] == []
assert circs["20"]["conflux_id"] == "CF0123456789" == circs["21"]["conflux_id"]
f = r["findings"]
assert [x["rule"] for x in f] == ["SHARED_CIRCUIT", "SHARED_CIRCUIT",
    "UNISOLATED_PORT", "PRE_ATTACH"], f
for x in f:
    assert list(x)[:13] == ["rule", "severity", "session", "circuit",
        "listener", "apps", "identities", "processes", "streams", "count",
        "first_seen", "last_seen", "detail"], list(x)
    assert isinstance(x["acknowledged"], bool)
a = f[0]
assert a["circuit"] == "11" and a["listener"] is None and a["session"] == 2
assert a["apps"] == ["App D", "App E"] and a["streams"] == ["102", "103"]
assert a["processes"] == [{"pid": 4242, "name": "curl"}, {"pid": 4243, "name": "wget"}]
assert a["count"] == 2 and a["first_seen"] == "2025-11-24T18:03:21Z"
assert f[1]["apps"][1] == '=HYPERLINK("x")<b>&\'\x1b[31m'
u = f[2]
assert u["circuit"] is None and u["listener"] == "127.0.0.1:9040"
assert u["apps"] == [] and u["identities"] == [] and u["processes"] == [] and u["streams"] == []
assert u["detail"] == "traffic on a TransPort \u00ffA", repr(u["detail"])
assert f[3]["acknowledged"] is True and f[3]["severity"] == "info"
# 0.2: each 0.1 finding migrated to a cause of its own with one occurrence.
for x, fid in zip(f, (1, 2, 3, 4)):
    assert x["id"] == fid and x["cause"] == "v1:%d" % fid, x
    assert x["again"] is False, x
    o, = x["occurrences"]
    assert list(o) == ["session", "circuit", "exit", "streams", "count",
        "first_seen", "last_seen"], list(o)
    assert o["session"] == x["session"] and o["circuit"] == x["circuit"], o
    assert o["count"] == x["count"] and o["streams"] == x["streams"], o
    assert o["first_seen"] == x["first_seen"] and o["last_seen"] == x["last_seen"], o
# The exit of a migrated occurrence: its circuit's.
assert a["occurrences"][0]["exit"] == "B" * 40, a["occurrences"]
assert u["occurrences"][0]["exit"] is None and u["occurrences"][0]["circuit"] is None
assert r["summary"] == {"streams": 8, "circuits": 5, "apps": 6,
    "findings": {"critical": 2, "warning": 1, "notice": 0, "info": 1},
    "services": 0, "onion_streams": 0}, r["summary"]
assert r["services"] == [] and r["onion_targets"] == [], list(r)
PY
grep -q "$(printf '\033')" "$T/json.out" && fail "raw ESC in the JSON"
ok "JSON: the SPEC shape, escaped, bad stored arrays as []"

expect_rc 0 json1 "$ISOAUDIT" report --db "$db" --format json --session 1
python3 - "$T/json1.out" <<'PY' || fail "JSON report of session 1"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s["id"] for s in r["tor_sessions"]] == [1]
assert r["range"] == {"from": "2025-11-24T16:00:00Z", "to": "2025-11-24T17:00:00Z"}, r["range"]
assert r["tor_sessions"][0]["ended"] == "2025-11-24T17:00:00Z"
assert r["findings"] == [] and r["summary"]["streams"] == 1
assert r["circuits"][0]["exit"]["nickname"] == "exit1"
PY
expect_rc 0 jsonall "$ISOAUDIT" report --db "$db" --format json --all
python3 - "$T/jsonall.out" <<'PY' || fail "JSON report of --all"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s["id"] for s in r["tor_sessions"]] == [1, 2]
assert r["summary"]["streams"] == 9 and r["summary"]["circuits"] == 6
assert r["range"]["from"] == "2025-11-24T16:00:00Z"
PY
expect_rc 0 jsontime "$ISOAUDIT" report --db "$db" --format json \
    --since 2025-11-24T15:00:00Z --until 2025-11-24T17:30:00Z
python3 - "$T/jsontime.out" <<'PY' || fail "JSON report of a time range"
import json, sys
r = json.load(open(sys.argv[1]))
assert [s["id"] for s in r["tor_sessions"]] == [1], r["tor_sessions"]
assert r["range"] == {"from": "2025-11-24T15:00:00Z", "to": "2025-11-24T17:30:00Z"}
PY
ok "JSON: --session, --all, --since/--until"

# --- text -----------------------------------------------------------------------
expect_rc 0 text "$ISOAUDIT" report --db "$db"
grep -q "$(printf '\033')" "$T/text.out" && fail "raw ESC in the text report"
grep -q '^isoaudit report: Tor session 2 ' "$T/text.out" || fail "text: no header"
grep -q '0\.4\.9\.11' "$T/text.out" || fail "text: no Tor version"
grep -q 'unix:/run/tor/control' "$T/text.out" || fail "text: no control address"
grep -q 'App D@localhost' "$T/text.out" || fail "text: no App D"
grep -q '\\x1b\[31m' "$T/text.out" || fail "text: hostile label not escaped"
grep -q 'exit2 \$BBBBBBBB' "$T/text.out" || fail "text: no exit of the shared circuit"
grep -q 'CF012345' "$T/text.out" || fail "text: conflux legs not listed"
grep -q 'TransPort \\xffA' "$T/text.out" || fail "text: byte 0xff not escaped"
grep -q 'SHARED_CIRCUIT' "$T/text.out" || fail "text: no finding"
grep -q '(acknowledged)' "$T/text.out" || fail "text: acknowledgement not shown"
grep -q '^  critical (2)' "$T/text.out" || fail "text: findings not grouped"
grep -q 'no findings' "$T/text.out" && fail "text: says no findings"
# The sharing matrix: Tor Browser (4) with its sub-identity (5), App D (2)
# with App E (3), the hostile app (1) with curl (6) through conflux.
python3 - "$T/text.out" <<'PY' || fail "text: sharing matrix"
import sys
lines = open(sys.argv[1]).read().splitlines()
i = next(n for n, l in enumerate(lines) if l.startswith("CIRCUIT SHARING"))
rows = lines[i + 2:i + 8]
cells = [r.split()[-6:] for r in rows]
want = [["-", ".", ".", ".", ".", "1"],
        [".", "-", "1", ".", ".", "."],
        [".", "1", "-", ".", ".", "."],
        [".", ".", ".", "-", "1", "."],
        [".", ".", ".", "1", "-", "."],
        ["1", ".", ".", ".", ".", "-"]]
assert cells == want, (rows, cells)
long_lines = [l for l in lines if len(l) > 100]
assert not long_lines, long_lines
PY
expect_rc 0 text1 "$ISOAUDIT" report --db "$db" --session 1
grep -q '^  no findings$' "$T/text1.out" || fail "session 1: no 'no findings'"
ok "text: header, apps, matrix, findings, escaped"

# --- HTML -----------------------------------------------------------------------
expect_rc 0 html "$ISOAUDIT" report --db "$db" --format html -o "$T/r.html"
[ -s "$T/html.out" ] && fail "html: -o also wrote to stdout"
python3 - "$T/r.html" <<'PY' || fail "HTML report"
import sys
from html.parser import HTMLParser
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: must be UTF-8
assert text.startswith("<!DOCTYPE html>"), text[:40]
assert '<meta charset="utf-8">' in text and "<title>" in text
assert "<script" not in text.lower(), "a script tag got through"
assert "\x1b" not in text, "raw ESC"
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
assert "=HYPERLINK(&quot;x&quot;)&lt;b&gt;&amp;&#39;\\x1b[31m" in text
assert 'class="shared"' in text
assert "ev,il&quot;\\n\\x1b[2J[4301]" in text      # process name, visible
assert "TransPort \\xffA" in text                   # not UTF-8: shown as \xff
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []
    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()
p = P()
p.feed(text)
p.close()
assert p.stack == [], p.stack
PY
ok "HTML: well-formed, escaped, no script"

# --- CSV ------------------------------------------------------------------------
for tbl in sessions apps circuits streams findings occurrences; do
	expect_rc 0 "csv_$tbl" "$ISOAUDIT" report --db "$db" --format csv --table "$tbl"
done
umask 022
expect_rc 0 csvdir "$ISOAUDIT" report --db "$db" --format csv -o "$T/csv"
[ "$(stat -c %a "$T/csv")" = 700 ] || fail "csv dir mode $(stat -c %a "$T/csv")"
for tbl in sessions apps circuits streams findings occurrences; do
	[ "$(stat -c %a "$T/csv/$tbl.csv")" = 600 ] || fail "$tbl.csv not 0600"
	cmp -s "$T/csv/$tbl.csv" "$T/csv_$tbl.out" || fail "$tbl.csv differs from --table $tbl"
done
python3 - "$T/csv" <<'PY' || fail "CSV tables"
import csv, sys, os
d = sys.argv[1]
def rows(name):
    with open(os.path.join(d, name + ".csv"), newline="", encoding="utf-8") as f:
        return list(csv.reader(f, strict=True))
s = rows("sessions")
assert s[0] == ["id", "tor_version", "control", "auth", "source", "pid",
    "started", "ended", "end_reason", "last_event"], s[0]
assert len(s) == 2 and s[1][0] == "2" and s[1][7] == "", s
a = rows("apps")
assert a[0][:3] == ["id", "label", "host"] and len(a) == 7
evil = [r for r in a if r[0] == "5"][0]
assert evil[1] == "'=HYPERLINK(\"x\")<b>&'\\x1b[31m", repr(evil[1])
c = rows("circuits")
assert len(c) == 6 and c[0][:2] == ["session", "circ_id"]
st = rows("streams")
assert len(st) == 9, len(st)
hdr = st[0]
by = {r[1]: dict(zip(hdr, r)) for r in st[1:]}
assert by["105"]["process"] == 'ev,il"\\n\\x1b[2J', repr(by["105"]["process"])
assert by["105"]["target"] == "'@evil" and by["104"]["target"] == "'-2+3"
assert by["106"]["app"] == "" and by["107"]["circ_id"] == ""
assert by["100"]["opened"] == "2025-11-24T18:01:40Z"
f = rows("findings")
assert len(f) == 5 and f[0][-4:] == ["acknowledged", "cause", "occurrences", "remedy"], f[0]
# Causes made without a profile (0.1's, migrated) have no remedy.
assert [r[17] for r in f[1:]] == ["", "", "", ""], f
assert f[3][13] == "traffic on a TransPort \\xffA", repr(f[3][13])
assert [r[15] for r in f[1:]] == ["v1:1", "v1:2", "v1:3", "v1:4"], f
assert [r[16] for r in f[1:]] == ["1", "1", "1", "1"], f
o = rows("occurrences")
assert o[0] == ["cause", "session", "circ_id", "exit_fp", "streams", "count",
    "first_seen", "last_seen"], o[0]
assert len(o) == 5, o
oc = {r[0]: r for r in o[1:]}
assert oc["1"][1:] == ["2", "11", "B" * 40, '["102", "103"]', "2",
    "2025-11-24T18:03:21Z", oc["1"][7]], oc["1"]
assert oc["3"][2] == "" and oc["3"][3] == "", oc["3"]
for t in (s, a, c, st, f, o):
    assert all(len(r) == len(t[0]) for r in t), "ragged table"
PY
grep -q "$(printf '\033')" "$T/csv/streams.csv" && fail "raw ESC in a CSV table"
ok "CSV: six tables, RFC 4180, escaped, formula injection neutralised, 0600 in 0700"

# -o: 0600 whatever the umask, never through a symlink.
expect_rc 0 ofile "$ISOAUDIT" report --db "$db" --format json -o "$T/r.json"
[ "$(stat -c %a "$T/r.json")" = 600 ] || fail "-o file mode $(stat -c %a "$T/r.json")"
python3 -m json.tool "$T/r.json" >/dev/null || fail "-o JSON does not parse"
ln -s "$T/victim" "$T/link.json"
expect_rc 3 olink "$ISOAUDIT" report --db "$db" --format json -o "$T/link.json"
one_line "$T/olink.err"
[ -e "$T/victim" ] && fail "-o followed a symlink"
ok "-o: 0600, no symlink followed"

# --- usage errors and more edge cases ---------------------------------------------
expect_rc 0 s99 "$ISOAUDIT" report --db "$db" --session 99
one_line "$T/s99.err"
grep -q "nothing recorded in that range (database $db)" "$T/s99.err" || fail "--session 99: $(cat "$T/s99.err")"
expect_rc 2 badsince "$ISOAUDIT" report --db "$db" --since yesterday
one_line "$T/badsince.err"
grep -q '^isoaudit: --since: cannot read yesterday (use RFC 3339 or an age like 2h, 7d)$' "$T/badsince.err" ||
    fail "bad --since: $(cat "$T/badsince.err")"
expect_rc 2 baduntil "$ISOAUDIT" report --db "$db" --until 2025-13-45
one_line "$T/baduntil.err"
expect_rc 2 csvnoout "$ISOAUDIT" report --db "$db" --format csv
one_line "$T/csvnoout.err"
grep -q 'sessions, apps, circuits, streams, findings, occurrences' "$T/csvnoout.err" || fail "csv: tables not named"
expect_rc 2 allsess "$ISOAUDIT" report --db "$db" --all --session 1
one_line "$T/allsess.err"
expect_rc 2 badfmt "$ISOAUDIT" report --db "$db" --format xml
one_line "$T/badfmt.err"
expect_rc 2 badtbl "$ISOAUDIT" report --db "$db" --format csv --table relays
one_line "$T/badtbl.err"
expect_rc 2 tblnocsv "$ISOAUDIT" report --db "$db" --table apps
one_line "$T/tblnocsv.err"
ok "usage errors: one line, exit 2; empty range: exit 0"

cp "$db" "$T/newer.db"
sqlite3 "$T/newer.db" "PRAGMA user_version = 99" || fail "cannot set user_version"
expect_rc 3 newer "$ISOAUDIT" report --db "$T/newer.db"
one_line "$T/newer.err"
grep -q 'newer' "$T/newer.err" || fail "newer database: $(cat "$T/newer.err")"
ok "newer database: one line, exit 3"
exit 0
