#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# CONTROL_INJECTION against the real Tor (docs/isolation.md, section 5):
# a SOCKS5 client sends a hostname with CR LF in it; Tor 0.4.9 rejects it
# but copies its raw bytes into the STREAM event, so that a fake STREAM NEW
# and a fake CIRC BUILT reach every controller as lines of their own.
# - monitor says CONTROL_INJECTION (critical) naming the listener the
#   client used, once;
# - the smuggled lines change nothing: no stream 999 and no circuit 4242 in
#   the output, the database or the report;
# - a replay of the transcript says the same and ignores the same lines;
# - a second client doing it again is the same cause, another occurrence.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
[ -n "${TORNET_CONTROL:-}" ] || { echo "no Tor network (TORNET_DIR/env has no TORNET_CONTROL)"; exit 77; }

"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --db "$T/db" --log-targets plain \
    --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"
# A program on A first: its stream teaches the monitor A's session group,
# which is all Tor's injected event says of the listener.
fetch "$TORNET_SOCKS_A" >/dev/null

# inject PORT: one SOCKS5 CONNECT with the smuggling hostname; Tor refuses.
inject() {
	python3 - "$1" <<'PY'
import socket, struct, sys
fp = "A" * 40
name = (b"bad\r\n650 STREAM 999 NEW 0 injected.example:80 SOURCE_ADDR=6.6.6.6:1 "
        b"PURPOSE=USER\r\n650 CIRC 4242 BUILT $" + fp.encode() + b"~evil PURPOSE=GENERAL\r\nx")
assert len(name) < 256
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", 443))
reply = s.recv(10)
print("socks reply", reply[:2].hex())
s.close()
PY
}
inject "$TORNET_SOCKS_A" >"$T/inj1.out" 2>&1 || { cat "$T/inj1.out"; fail "the injecting client failed"; }
wait_for "$T/mon.out" "FINDING critical CONTROL_INJECTION: .*127\.0\.0\.1:$TORNET_SOCKS_A" 20 ||
    { cat "$T/mon.err"; fail "no CONTROL_INJECTION naming SocksPort A"; }
# Again, from another client: the same cause, no second FINDING line.
inject "$TORNET_SOCKS_A" >"$T/inj2.out" 2>&1 || fail "the second injecting client failed"
sleep 2
# Ordinary traffic after it goes on as before.
fetch "$TORNET_SOCKS_B" >/dev/null
wait_for "$T/mon.out" "stream [0-9]+ CLOSED 127\.0\.0\.1:$TORNET_TARGET " 20 || fail "traffic after the injection not seen"
kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { cat "$T/mon.err"; fail "monitor exit $rc"; }

[ "$(grep -c 'FINDING critical CONTROL_INJECTION' "$T/mon.out")" -eq 1 ] || fail "CONTROL_INJECTION said more than once"
grep -q 'stream 999\|circ 4242\|injected' "$T/mon.out" && fail "a smuggled line reached the output: $(grep 'stream 999\|circ 4242\|injected' "$T/mon.out")"
ok "monitor: CONTROL_INJECTION on 127.0.0.1:$TORNET_SOCKS_A once; the smuggled stream and circuit are nowhere"

"$ISOAUDIT" report --db "$T/db" --format json >"$T/r.json" 2>"$T/r.err" || { cat "$T/r.err"; fail "report"; }
python3 - "$T/r.json" "$T/db" "$TORNET_SOCKS_A" <<'PY' || fail "the report (see above)"
import json, sqlite3, sys
R = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
f = [x for x in R["findings"] if x["rule"] == "CONTROL_INJECTION"]
assert len(f) == 1, ("one CONTROL_INJECTION cause", f)
f = f[0]
assert f["severity"] == "critical", f
assert f["listener"] == "127.0.0.1:" + sys.argv[3], f
assert f["count"] == 2 and len(f["occurrences"]) == 1, ("two injections, one cause, one occurrence (one session)", f)
assert db.execute("SELECT count(*) FROM stream WHERE stream_id = 999").fetchone()[0] == 0, "stream 999 stored"
assert db.execute("SELECT count(*) FROM circuit WHERE circ_id = 4242").fetchone()[0] == 0, "circuit 4242 stored"
assert all(c["id"] != "4242" for c in R["circuits"]), "circuit 4242 reported"
print("cause", f["cause"], "detail:", f["detail"])
PY
ok "report: one CONTROL_INJECTION cause (count 2) on SocksPort A; no smuggled stream or circuit stored"

# The transcript replays the same: the finding, and nothing smuggled.
"$ISOAUDIT" replay --log-targets plain --db "$T/replay.db" "$T/rec.txt" >"$T/rep.out" 2>"$T/rep.err" ||
    { cat "$T/rep.err"; fail "replay"; }
[ "$(grep -c 'FINDING critical CONTROL_INJECTION' "$T/rep.out")" -eq 1 ] || fail "replay: CONTROL_INJECTION not once"
grep -q 'stream 999\|circ 4242\|injected' "$T/rep.out" && fail "replay: a smuggled line reached the output"
[ "$(sqlite3 "$T/replay.db" 'SELECT count(*) FROM stream WHERE stream_id = 999')" -eq 0 ] || fail "replay stored stream 999"
ok "replay of the transcript: the same finding, the smuggled lines ignored the same way"

# The reproducer for Tor's developers (docs/isolation.md section 5) shows
# the bug on this Tor: SOCKS5 and DNSPort, the client's line as an event.
python3 "$(dirname "$0")/../../scripts/tor-crlf-repro" --socks "127.0.0.1:$TORNET_SOCKS_A" \
    --control "$TORNET_CONTROL" --cookie "$TORNET_COOKIE" --dns "127.0.0.1:$TORNET_DNS" >"$T/repro.out" 2>&1 ||
    { cat "$T/repro.out"; fail "scripts/tor-crlf-repro did not reproduce the bug"; }
grep -q "^   b'650 STREAM 999 NEW 0 injected.example:80 SOURCE_ADDR=6.6.6.6:1 PURPOSE=USER'\$" "$T/repro.out" ||
    { cat "$T/repro.out"; fail "the reproducer's output lacks the smuggled line"; }
ok "scripts/tor-crlf-repro reproduces it (SOCKS5 and DNSPort)"
