#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Hostile strings from "Tor" (no Tor network needed): a fake control port
# whose fake SocksPort is used by two real processes named with escape
# sequences (/proc/PID/comm: ESC [2J, BEL, 8-bit CSI 0x9b, UTF-8 CSI
# C2 9B, invalid UTF-8, markup, quotes), and STREAM/CIRC/WARN events with
# SOCKS usernames and passwords (one of 64 KiB; one starting with '=' for
# CSV formula injection), targets, relay nicknames and reasons holding the
# same: ESC sequences (clear screen, set title), BEL, 0x9b, invalid UTF-8,
# <script>, quotes, &.  With LogTargets plain (nothing hashed away) they
# reach:
#   - monitor's stdout and stderr (event lines, alerts, messages);
#   - the dashboard in tmux, every panel and a finding's details;
#   - report in text, JSON, CSV (every table) and HTML;
#   - check in text and JSON Lines, check --syslog and a monitor's Alert
#     syslog, both read back as raw datagrams from a private /dev/log
#     (unshare -m; that part alone is skipped where it is not permitted).
# Nothing is interpreted by a terminal or a browser: no raw control byte
# on any stdout/stderr, no escape sequence on the tmux screen (its title
# unchanged), JSON parses, every CSV row has the header's column count and
# no cell starts a formula, the HTML has no script element, no event
# handler attribute; the hostile strings are there, escaped.
# Checked last: two 64 KiB SOCKS usernames that differ in their last byte
# stay two identities; a SOURCE_ADDR naming a listening socket (with and
# without Tor naming its listeners) is attributed to nobody.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"

# --- the hostile scenario ------------------------------------------------------
cat >"$T/hostile.py" <<'PY'
import sys
HOLD_SOCKS = True
T = sys.argv[3]
ISO = b"ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
FP = b"085111030DA53A4D7B7C635A7B82B21F30E847C3"
NAME1 = b"\x1b[2J\x07\x9b<b>'\"&x"
NAME2 = b"\xc2\x9b31m<i>\xff\x1b]0;x"
TARGET = b"evil\x1b[2J\x9b\xc2\x9b<script>alert(1)</script>\"'&\xff\xfe.example"
NICK = b"ev\x1b]0;pwned\x07il\x9b"
# Quoted as Tor quotes them (C escapes), and some bytes raw as a broken Tor might send them.
U1 = (b'"=HYPERLINK(\\"http://x\\") \\033]0;pwned\\007 \\x9b31m <script>alert(1)</script> \'&'
      b"\x1b[5m\xc2\x9b\xff" b'"')
P1 = b'"pw\\033[2J\\x07<img src=x onerror=alert(1)>"'
U64K = b'"' + (b"\\033[2J\\x9b<script>x</script>\xff\xfe" + b"A" * 200) * 300 + b'"'
assert len(U64K) > 65536, len(U64K)
# Another 64 KiB username: the same but for its last character.
U64K_B = U64K[:-2] + b'B"'

def stream(c, i, port, user=None, pw=None, group=-4):
    extra = b""
    if user:
        extra += b" SOCKS_USERNAME=" + user
    if pw:
        extra += b" SOCKS_PASSWORD=" + pw
    tail = b" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=%d " % group + ISO + extra
    t = TARGET + b":80"
    c.send(b"650 STREAM %d NEW 0 %s SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER%s\r\n" % (i, t, port, tail)
           + b"650 STREAM %d SENTCONNECT 9 %s%s\r\n" % (i, t, tail)
           + b"650 STREAM %d SUCCEEDED 9 %s%s\r\n" % (i, t, tail)
           + b"650 STREAM %d CLOSED 9 %s REASON=DONE REMOTE_REASON=\x1b[5mEVIL\x9b%s\r\n" % (i, t, tail))

import socket
LISTENER = socket.socket()
LISTENER.bind(("127.0.0.1", 0))
LISTENER.listen(1)

def session(n, c):
    p1 = c.client(NAME1)
    p2 = c.client(NAME2)
    c.send(b"650 CIRC 9 BUILT $" + FP + b"~" + NICK + b" PURPOSE=GENERAL\r\n")
    stream(c, 1, p1)
    stream(c, 2, p2)
    stream(c, 3, p1, U1, P1)
    stream(c, 4, p2, U64K)
    stream(c, 5, p1, U64K_B)
    # A SOURCE_ADDR naming a listening socket (no client can have that
    # address), in a session group of its own: nobody's stream.
    stream(c, 6, LISTENER.getsockname()[1], group=-9)
    c.send(b"650 WARN \x1b]0;pwned\x07 Tor says \x9b2J \xc2\x9b \xff\xfe <script>alert(1)</script>\r\n")
    c.send(b"650 NOTICE \x1b[31mred\x1b[0m \x07\r\n")
    c.mark(T + "/sent.%d" % n)
    return False
PY

# start_fake NAME: a fakeport with the scenario, and NAME.conf naming its
# fake SocksPort an App isolated by SOCKS username (so the usernames become
# identities and reach the findings).
start_fake() {
	fakeport "$1" "$T/hostile.py" "$T"
	printf 'App 127.0.0.1:%s "hostile-app" IsolateBy socks-username\n' "$(cat "$T/$1.port.socks")" >"$T/$1.conf"
}

# --- monitor ---------------------------------------------------------------------
start_fake m
"$ISOAUDIT" -c "$T/m.conf" monitor --control "127.0.0.1:$(cat "$T/m.port")" \
    --log-targets plain --record "$T/rec.txt" --db "$T/db" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$BGPIDS $mon"
wait_for "$T/sent.1" . 30 || fail "the scenario did not run"
wait_for "$T/mon.out" 'stream 6 CLOSED ' 20 || fail "stream 6 not seen"
kill -TERM "$mon"	# (it writes what is queued before it exits)
wait "$mon"
rc=$?
[ "$rc" -eq 0 ] || { tail "$T/mon.err"; fail "monitor exit $rc"; }
raw_bytes "$T/mon.out" "$T/mon.err"
grep -qF 'evil\x1b[2J\x9b\xc2\x9b<script>alert(1)</script>"'"'"'&\xff\xfe.example:80' "$T/mon.out" ||
    fail "the hostile target is not shown escaped"
grep -qF '\x1b[2J\x07\x9b<b>'"'"'"&x[' "$T/mon.out" || fail "the hostile process name is not shown escaped"
grep -q 'SHARED_PORT_PROCESSES' "$T/mon.err" || fail "no SHARED_PORT_PROCESSES alert: the two named processes were not found"
grep -q 'SHARED_CIRCUIT' "$T/mon.err" || fail "no SHARED_CIRCUIT alert between the SOCKS-username identities"
ok "monitor: stdout $(wc -c <"$T/mon.out") bytes, stderr $(wc -c <"$T/mon.err") bytes, all printable ASCII; hostile strings escaped"
findings=$(sq "$T/db" 'SELECT group_concat(rule, " ") FROM cause')
ok "findings: $findings"
# Streams 4 and 5 came with different SOCKS usernames (64 KiB each, the
# last byte differs): under IsolateBy socks-username they are two
# identities, whatever LogTargets says.  Checked at the end.
idents=$(sq "$T/db" "SELECT count(*) FROM app WHERE label = 'hostile-app'")
# Stream 6's SOURCE_ADDR is a listening socket: no client, no process.
s6=$(sq "$T/db" "SELECT coalesce(s.listener, '-') || ' ' || coalesce(s.pid, '-') || ' ' || coalesce(s.process, '-') || ' ' || a.label FROM stream s LEFT JOIN app a ON a.id = s.app WHERE s.stream_id = 6")

# The same with Tor naming no listeners (an older Tor, or a control-port
# filter that refuses GETINFO net/listeners): attribution falls back to
# /proc/net/tcp.  Checked at the end.
cat >"$T/lsn.py" <<'PY'
import socket
L = socket.socket()
L.bind(("127.0.0.1", 0))
L.listen(1)
def session(n, c):
    c.line("650 STREAM 7 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER SESSION_GROUP=-9" % L.getsockname()[1])
    return False
PY
fakeport l "$T/lsn.py"
"$ISOAUDIT" -c "$T/m.conf" monitor --control "127.0.0.1:$(cat "$T/l.port")" \
    --db "$T/l.db" --duration 2 >"$T/l.out" 2>"$T/l.err" || { cat "$T/l.err"; fail "monitor (no listeners)"; }
s7=$(sq "$T/l.db" "SELECT coalesce(s.listener, '-') || ' ' || coalesce(s.pid, '-') || ' ' || coalesce(s.process, '-') || ' ' || a.label FROM stream s LEFT JOIN app a ON a.id = s.app WHERE s.stream_id = 7")

# --- the dashboard ------------------------------------------------------------------
. "$(dirname "$0")/../ui/uilib.sh"
start_fake d
ui_start 160 40 -- -c "$T/d.conf" --control "127.0.0.1:$(cat "$T/d.port")" \
    --log-targets plain --db "$T/d.db"
ui_wait 'attached \(NULL' 30 || fail "no attach"
wait_for "$T/sent.1" . 30 || fail "the scenario did not run for the dashboard"
title0=$(tm display -p -t d '#{pane_title}')
screens=""
shot() {	# NAME: the screen as text and with its escapes
	sleep 0.3
	ui_cap >"$T/scr.$1.txt"
	ui_cap -e >"$T/scr.$1.esc"
	screens="$screens $1"
}
ui_wait 'evil\\x1b\[2J' 10 || fail "circuits panel: the hostile target is not shown escaped"
shot circuits
ui_keys 2
ui_wait 'hostile-app' 10 || fail "applications panel"
shot apps
ui_keys 3
ui_wait 'SHARED_(CIRCUIT|PORT_PROCESSES)' 10 || fail "findings panel"
shot findings
ui_keys Enter
shot details
ui_keys Escape
ui_keys 4
ui_wait 'Tor says' 10 || fail "the log panel does not show Tor's WARN"
shot log
ui_keys q
st=$(ui_exit 20) || fail "q did not end the dashboard"
[ "$st" = 0 ] || { cat "$T/err"; fail "dashboard exit $st"; }
title1=$(tm display -p -t d '#{pane_title}')
[ "$title0" = "$title1" ] || fail "the pane title changed: $title0 -> $title1"
case $title1 in *pwned*) fail "a title sequence reached the terminal" ;; esac
python3 - "$T" $screens <<'PY' || fail "the dashboard let an escape sequence through (see above)"
import re, sys
T, bad = sys.argv[1], 0
for name in sys.argv[2:]:
    esc = open("%s/scr.%s.esc" % (T, name), "rb").read().decode("utf-8", "replace")
    # tmux's own colours (SGR) are the only sequences allowed.
    rest = re.sub(r"\x1b\[[0-9;:]*m", "", esc)
    for i, ch in enumerate(rest):
        o = ord(ch)
        if (o < 0x20 and ch != "\n") or 0x7f <= o <= 0x9f:
            print("%s: U+%04X on the screen near %r" % (name, o, rest[max(0, i - 30):i + 10]))
            bad += 1
            break
    txt = open("%s/scr.%s.txt" % (T, name), "rb").read().decode("utf-8", "replace")
    if "\\x1b" not in txt:
        print("%s: no escaped \\x1b on the screen: the hostile strings are not shown" % name)
        bad += 1
sys.exit(1 if bad else 0)
PY
raw_bytes "$T/err"
ok "dashboard: panels 1-4 and a finding's details show the hostile strings escaped; no escape sequence reached the terminal; title unchanged"

# --- reports --------------------------------------------------------------------
rep() {	# FORMAT OUT [ARGS...]
	f=$1 o=$2
	shift 2
	"$ISOAUDIT" -c "$T/m.conf" report --db "$T/db" --all --format "$f" "$@" >"$o" 2>"$T/rep.err" ||
	    { cat "$T/rep.err"; fail "report --format $f"; }
	[ -s "$T/rep.err" ] && { cat "$T/rep.err"; fail "report --format $f wrote to stderr"; }
	return 0
}
rep text "$T/r.txt"
raw_bytes "$T/r.txt"
grep -qF 'x1b[2J\\x07\\x9b<b>' "$T/r.txt" || fail "text report: the process name is missing or not escaped"
rep json "$T/r.json"
safe_utf8 "$T/r.json"
python3 - "$T/r.json" <<'PY' || fail "JSON report"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
s = json.dumps(d)
assert "\\u001b[2J" in s, "the hostile strings are not in the JSON report"
assert d["findings"], "no findings in the JSON report"
PY
mkdir "$T/csv"
rep csv "$T/csv.out" -o "$T/csv"
ls "$T/csv"/*.csv >/dev/null 2>&1 || fail "report --format csv -o DIR wrote no file"
safe_utf8 "$T"/csv/*.csv
python3 - "$T"/csv/*.csv <<'PY' || fail "CSV report"
import csv, re, sys
csv.field_size_limit(1 << 26)	# a 64 KiB username, escaped, is a big cell
hostile = 0
for f in sys.argv[1:]:
    rows = list(csv.reader(open(f, newline="", encoding="utf-8"), strict=True))
    assert rows, "%s: empty" % f
    n = len(rows[0])
    for k, r in enumerate(rows[1:], 2):
        assert len(r) == n, "%s:%d: %d columns, the header has %d: %r" % (f, k, len(r), n, r[:3])
        for cell in r:
            if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not re.fullmatch(r"-[0-9.]+", cell)):
                raise SystemExit("%s:%d: a cell starts a formula: %r" % (f, k, cell[:60]))
            hostile += "\\x1b" in cell
assert hostile, "the hostile strings are in no CSV cell"
print("csv ok: %s" % " ".join("%s" % f.rsplit("/", 1)[1] for f in sys.argv[1:]))
PY
rep html "$T/r.html.out" -o "$T/r.html"
safe_utf8 "$T/r.html"
python3 - "$T/r.html" <<'PY' || fail "HTML report"
import html.parser, re, sys
doc = open(sys.argv[1], encoding="utf-8").read()
# The pictures are inline SVG made of shapes and text only: no script,
# foreignObject, use, image, link or animation in them; no event handler,
# javascript: or outside reference anywhere (href only to "#...").
SVG_OK = ("svg", "g", "rect", "line", "circle", "text", "title", "path", "polyline")
class P(html.parser.HTMLParser):
    bad = []
    svg = 0
    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "img", "math", "base", "meta", "link", "form"):
            if not (tag == "meta" and all(k in ("charset", "name", "content", "http-equiv") for k, _ in attrs)):
                self.bad.append("<%s %r>" % (tag, attrs))
        if tag == "svg":
            self.svg += 1
        if self.svg and tag not in SVG_OK:
            self.bad.append("<%s> in an SVG" % tag)
        for k, v in attrs:
            if k.startswith("on") or (v and "javascript:" in v.lower()):
                self.bad.append("<%s %s=%r>" % (tag, k, v))
            if k in ("href", "xlink:href", "src") and not (v or "").startswith("#"):
                self.bad.append("<%s %s=%r>" % (tag, k, v))
            if v and re.search(r"url\s*\(", v, re.I):
                self.bad.append("<%s %s=%r>" % (tag, k, v))
    def handle_endtag(self, tag):
        if tag == "svg" and self.svg:
            self.svg -= 1
p = P()
p.feed(doc)
p.close()
assert not p.bad, "active content in the HTML report: %s" % p.bad[:5]
assert "<svg" in doc, "no picture in the HTML report"
assert not re.search(r"<script", doc, re.I), "a raw <script in the HTML report"
assert "&lt;script&gt;" in doc, "the hostile strings are not in the HTML report (escaped)"
PY
ok "reports: text printable ASCII, JSON parses, CSV rows whole and no formula, HTML without active content; hostile strings present, escaped"

# --- check, and syslog ---------------------------------------------------------------
"$ISOAUDIT" -c "$T/m.conf" check --db "$T/db" --since-last text --min-severity info \
    >"$T/chk.txt" 2>"$T/chk.err"
[ $? -eq 1 ] || { cat "$T/chk.err"; fail "check: exit status, want 1 (findings)"; }
raw_bytes "$T/chk.txt" "$T/chk.err"
[ -s "$T/chk.err" ] && fail "check wrote to stderr"
grep -qF '\x1b' "$T/chk.txt" || fail "check: the hostile strings are not in its lines"
"$ISOAUDIT" -c "$T/m.conf" check --db "$T/db" --since-last json --min-severity info \
    --format json >"$T/chk.json" 2>"$T/chk.err"
[ $? -eq 1 ] || { cat "$T/chk.err"; fail "check --format json: exit status"; }
safe_utf8 "$T/chk.json"
python3 -c '
import json, sys
n = 0
for l in open(sys.argv[1], encoding="utf-8"):
    json.loads(l); n += 1
assert n > 0
' "$T/chk.json" || fail "check --format json: not JSON Lines"
ok "check: $(grep -c . "$T/chk.txt") lines, printable ASCII; JSON Lines parse"

syslog_part() {
	if ! unshare -m true 2>"$T/unshare.err"; then
		echo "syslog part skipped: unshare -m not permitted here: $(head -1 "$T/unshare.err")"
		return 0
	fi
	# A monitor with Alert syslog, on a fake port of its own (a replay
	# sends its alerts to stderr, never to syslog).
	start_fake s
	printf 'Alert syslog\n' >"$T/alert.conf"
	cat "$T/s.conf" >>"$T/alert.conf"
	cat >"$T/body.sh" <<NS
"$ISOAUDIT" -c "$T/m.conf" check --db "$T/db" --since-last sys --min-severity info --syslog >"$T/sys.out" 2>"$T/sys.err"
echo \$? >"$T/sys.rc"
"$ISOAUDIT" -c "$T/alert.conf" monitor --control "127.0.0.1:$(cat "$T/s.port")" --log-targets plain --db "$T/alert.db" --duration 4 >"$T/alert.out" 2>"$T/alert.err"
echo \$? >"$T/alert.rc"
NS
	: >"$T/syslog.hex"
	T="$T" timeout 90 unshare -m sh "$FAULTS/../integration/with_syslog.sh" --hex "$T/syslog.hex" "$T/body.sh"
	rc=$?
	if [ "$rc" -eq 77 ]; then
		echo "syslog part skipped: $(cat "$T/ns.skip")"
		return 0
	fi
	[ "$rc" -eq 0 ] || fail "syslog namespace: exit $rc $(cat "$T/ns.fail" 2>/dev/null)"
	[ "$(cat "$T/sys.rc")" -eq 1 ] || { cat "$T/sys.err"; fail "check --syslog: exit $(cat "$T/sys.rc")"; }
	[ "$(cat "$T/alert.rc")" -eq 0 ] || { cat "$T/alert.err"; fail "monitor with Alert syslog: exit $(cat "$T/alert.rc")"; }
	[ -s "$T/alert.err" ] && { cat "$T/alert.err"; fail "monitor with Alert syslog wrote to stderr"; }
	grep -q 'stream 6 CLOSED' "$T/alert.out" || fail "monitor with Alert syslog did not see the events"
	raw_bytes "$T/sys.out" "$T/sys.err" "$T/alert.out" "$T/alert.err"
	python3 - "$T/syslog.hex" "$T/sys.out" <<'PY' || fail "syslog datagrams (see above)"
import sys
grams = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
grams = [g for g in grams if b"end-of-test-marker" not in g]
printed = [l for l in open(sys.argv[2]).read().splitlines() if l]
check = [g for g in grams if b"[critical]" not in g and b"[warning]" not in g
         and b"[notice]" not in g and b"[info]" not in g]
alerts = [g for g in grams if g not in check]
assert len(check) == len(printed), "%d check datagrams for %d lines" % (len(check), len(printed))
assert alerts, "no alert datagram from the monitor with Alert syslog"
bad = 0
for g in grams:
    body = g.rstrip(b"\0").rstrip(b"\n")
    for i, b in enumerate(body):
        if b < 0x20 or b >= 0x7f:
            print("raw byte 0x%02x in a syslog datagram: %r" % (b, body[max(0, i - 40):i + 20]))
            bad += 1
            break
assert any(b"\\x1b" in g for g in grams), "the hostile strings are in no datagram"
assert not bad
print("syslog ok: %d datagrams from check --syslog, %d alerts from a monitor with Alert syslog" % (len(check), len(alerts)))
PY
	ok "syslog: every datagram printable ASCII"
}
syslog_part

# --- checked last, so that everything above runs first ---------------------------
# Long SOCKS usernames must not merge identities: with LogTargets plain
# the sub-identity is the escaped username cut to 63 bytes
# (auditor/pipeline.c, attribute(): char sub[64]; sub_identity()
# snprintf), so two usernames sharing their first 63 escaped bytes became
# one application, and the judge did not see them share a circuit.
case $s6 in "- - - "*) ;; *) s6_bad=1 ;; esac
case $s7 in "- - - "*) ;; *) s7_bad=1 ;; esac
late=""
[ "$idents" -eq 4 ] ||
    late="$late
FAIL: 4 identities expected (no username, U1, two 64 KiB usernames differing in the last byte), the database has $idents: long SOCKS usernames were cut and merged"
# A SOURCE_ADDR that names a listening socket is no client's.  With Tor
# naming no listeners, the /proc fallback of attribution
# (auditor/attrib.c, match_sock(): the "client's own socket" branch does
# not skip LISTEN sockets) took the listening socket for the client, its
# 0.0.0.0:0 remote end for the listener ("port 0") and the listener's
# owner for the process.
[ -z "${s6_bad:-}" ] ||
    late="$late
FAIL: stream 6 (SOURCE_ADDR = a listening socket) attributed: listener pid process app = $s6"
[ -z "${s7_bad:-}" ] ||
    late="$late
FAIL: with no listeners named by Tor, a stream whose SOURCE_ADDR is a listening socket was attributed to it: listener pid process app = $s7"
if [ -n "$late" ]; then
	echo "$late" | sed 1d
	exit 1
fi
ok "distinct long SOCKS usernames stay distinct identities"
ok "a SOURCE_ADDR naming a listening socket is attributed to nobody"
