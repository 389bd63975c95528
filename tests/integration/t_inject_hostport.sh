#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# CONTROL_INJECTION whose first line has a valid host:port (docs/isolation.md
# section 5), through a real SocksPort of the private network: the client's
# name is "x:80 REASON=DONE ... CR LF <lines of its own> CR LF x", so the
# line Tor starts looks whole.  Two attacks, each by one SOCKS5 CONNECT:
# - erasing a real finding: App D's stream is on circuit N (SocksPorts D
#   and E share SessionGroup 42); a forged "650 CIRC N CLOSED" comes before
#   App E's stream joins it: the SHARED_CIRCUIT (App D, App E) must stay;
# - forging a pair: two made-up streams (999, 998) attached to circuit N.
# Wanted: no forged stream or finding, the real SHARED_CIRCUIT kept, one
# CONTROL_INJECTION naming SocksPort C, and `check` prints the real finding.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
[ -n "${TORNET_CONTROL:-}" ] || { echo "no Tor network (TORNET_DIR/env has no TORNET_CONTROL)"; exit 77; }

# Two programs (an application is its executable): copies of curl.
mkdir -p "$T/bin"
cp "$(command -v curl)" "$T/bin/app-d"
cp "$(command -v curl)" "$T/bin/app-e"
cat >"$T/conf" <<CONF
App $TORNET_SOCKS_C "App C"
App $TORNET_SOCKS_D "App D"
App $TORNET_SOCKS_E "App E"
LogTargets plain
CONF
"$ISOAUDIT" -c "$T/conf" monitor --control "$TORNET_CONTROL" --db "$T/db" \
    --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"
# A stream on C teaches the monitor C's session group.
fetch "$TORNET_SOCKS_C" >/dev/null
# inject PORT NAME: one SOCKS5 CONNECT to port 443 with that name.
inject() {
	python3 - "$1" "$2" <<'PY'
import socket, struct, sys
name = sys.argv[2].encode().replace(b"\\r\\n", b"\r\n")
assert len(name) < 256, len(name)
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
s.sendall(b"\x05\x01\x00\x03" + bytes([len(name)]) + name + struct.pack(">H", 443))
print("socks reply", s.recv(10)[:2].hex())
s.close()
PY
}
tail="REASON=SOCKS_PROTOCOL CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-3"

# circ_of PORT: the circuit the stream from 127.0.0.1:PORT succeeded on.
circ_of() {
	id=$(sed -n "s/.*stream \([0-9]*\) NEW .* from 127\.0\.0\.1:$1 .*/\1/p" "$T/mon.out" | tail -1)
	[ -n "$id" ] || return 1
	wait_for "$T/mon.out" "stream $id CLOSED" 20 || return 1
	sed -n "s/.*stream $id SUCCEEDED .* circ \([0-9]*\) .*/\1/p" "$T/mon.out" | tail -1
}

# Tor puts App E's stream on App D's circuit (SessionGroup 42) most of the
# time, but may open another (a conflux set just built): a round whose two
# streams Tor kept apart proves nothing, and is done again (4 at most).
round=0
while :; do
	round=$((round + 1))
	pd=$(CURL=$T/bin/app-d fetch "$TORNET_SOCKS_D")
	circ=$(circ_of "$pd") || fail "App D's stream not attached"
	n=$(grep -c "smuggled" "$T/mon.err")
	inject "$TORNET_SOCKS_C" "x:80 $tail\\r\\n650 CIRC $circ CLOSED REASON=FINISHED\\r\\nx" >"$T/inj1.out" 2>&1 ||
	    { cat "$T/inj1.out"; fail "the erasing client failed"; }
	# The injection sets off a cross-check (GETINFO circuit-status
	# stream-status); its answer read, App E's stream comes in its own
	# reads, while its short-lived socket is still there to be attributed.
	i=0
	while [ "$(grep -c "smuggled" "$T/mon.err")" -le "$n" ] && [ $i -lt 200 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ $i -lt 200 ] || fail "the injection was not seen"
	sleep 1
	pe=$(CURL=$T/bin/app-e fetch "$TORNET_SOCKS_E")
	ce=$(circ_of "$pe") || fail "App E's stream not attached"
	[ "$ce" = "$circ" ] && break
	[ $round -lt 4 ] || { echo "Tor put App D and App E on different circuits in 4 rounds"; exit 77; }
	echo "round $round: Tor put App E on circuit $ce, App D on $circ: again"
done
inject "$TORNET_SOCKS_C" "x:80 $tail\\r\\n650 STREAM 999 SENTCONNECT $circ a.example:80\\r\\n650 STREAM 998 SENTCONNECT $circ b.example:80\\r\\nx" >"$T/inj2.out" 2>&1 ||
    { cat "$T/inj2.out"; fail "the forging client failed"; }
sleep 2
kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { cat "$T/mon.err"; fail "monitor exit $rc"; }

grep -q "circ $circ CLOSED" "$T/mon.out" && fail "the forged CIRC $circ CLOSED reached the output"
grep -q 'stream 99[89]' "$T/mon.out" && fail "a forged stream reached the output"
grep -Eq "FINDING critical SHARED_CIRCUIT: .*(app-d.*app-e|app-e.*app-d)" "$T/mon.out" ||
    { grep FINDING "$T/mon.out"; fail "the real SHARED_CIRCUIT (App D, App E) was erased"; }
[ "$(grep -c 'FINDING critical CONTROL_INJECTION' "$T/mon.out")" -eq 1 ] || fail "CONTROL_INJECTION not said once"
grep -q "FINDING critical CONTROL_INJECTION: .*127\.0\.0\.1:$TORNET_SOCKS_C" "$T/mon.out" || fail "CONTROL_INJECTION does not name SocksPort C"
ok "monitor: the forged CIRC CLOSED and streams are nowhere, SHARED_CIRCUIT (App D, App E) kept, one CONTROL_INJECTION on SocksPort C"

python3 - "$T/db" <<'PY' || fail "the database (see above)"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
assert db.execute("SELECT count(*) FROM stream WHERE stream_id IN (998, 999)").fetchone()[0] == 0, "forged streams stored"
PY
"$ISOAUDIT" -c "$T/conf" report --db "$T/db" --format json >"$T/r.json" || fail "report"
python3 - "$T/r.json" <<'PY' || fail "the report (see above)"
import json, sys
R = json.load(open(sys.argv[1]))
sc = [f for f in R["findings"] if f["rule"] == "SHARED_CIRCUIT"]
assert len(sc) == 1, ("one SHARED_CIRCUIT cause, the real one", [f["detail"] for f in sc])
assert sorted(sc[0]["apps"]) == ["App D", "App E"], sc[0]
assert len([f for f in R["findings"] if f["rule"] == "CONTROL_INJECTION"]) == 1
PY
ok "report: one SHARED_CIRCUIT (App D, App E), one CONTROL_INJECTION, no forged stream stored"

: >"$T/empty.conf"
"$ISOAUDIT" -c "$T/empty.conf" check --db "$T/db" >"$T/chk.out" 2>"$T/chk.err"
grep -q "SHARED_CIRCUIT" "$T/chk.out" || { cat "$T/chk.out" "$T/chk.err"; fail "check did not print the real SHARED_CIRCUIT"; }
ok "check prints the real SHARED_CIRCUIT"

"$ISOAUDIT" -c "$T/conf" replay --db "$T/replay.db" "$T/rec.txt" >"$T/rep.out" 2>"$T/rep.err" || { cat "$T/rep.err"; fail "replay"; }
for f in "$T/mon.out" "$T/rep.out"; do
	grep -o 'FINDING [a-z]* [A-Z_]*' "$f" | sort
done >"$T/both"
[ "$(sort "$T/both" | uniq -c | awk '$1 != 2' | wc -l)" -eq 0 ] || { cat "$T/both"; fail "replay's findings differ from the live run's"; }
ok "replay of the transcript: the same findings"
