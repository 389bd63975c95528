#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# DNS queries on a Tor with three DNSPorts (tornet's own, and the
# Whonix-Gateway's 5300 and 5400 rebound: TORNET_WHONIX_DNS_5300/5400), sent
# from Python the way resolvers send them (tests/integration/dnsq.py), while
# monitor attributes them from the client's UDP socket:
#   1  connect()ed sockets (glibc, dig): the DNSPort they asked and the
#      program (python3[pid]) on every query
#   2  unconnected sockets on 5300 after (1): the program, and the DNSPort
#      by the session group (1) taught
#   3  unconnected sockets on tornet's DNSPort (no group learnt): the
#      program, and the DNSPorts it may be ("one of ...")
#   4  sockets closed right after sending: how often the socket is gone
#      when Tor's event arrives (counted and printed); gone ones name the
#      candidates
#   5  the report: UNISOLATED_PORT on 5300 names the program; the
#      candidates' finding names them; no DNS finding on listener "?"
#   6  replay of the transcript prints what monitor printed
# 1-6 run with Tracker off: they show the lookups (the fallback).
#   7  with the kernel tracker: unconnected queries and queries whose
#      socket is closed at once are all named exactly (the DNSPort and the
#      program, "tracker" in the database), recorded when sent
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
[ -n "${TORNET_WHONIX_DNS_5300:-}" ] ||
    fail "no Whonix DnsPorts in $TORNET_DIR/env (tornet too old?)"
Q="python3 $(dirname "$0")/dnsq.py"
D0=$TORNET_DNS D53=$TORNET_WHONIX_DNS_5300 D54=$TORNET_WHONIX_DNS_5400
N=10

echo "Tracker off" >"$T/off.conf"
"$ISOAUDIT" -c "$T/off.conf" monitor --control "$TORNET_CONTROL" --log-targets plain \
    --db "$T/db" --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"

# new_line PORT: the NEWRESOLVE line of the query from 127.0.0.1:PORT.
new_line() {
	wait_for "$T/mon.out" " stream [0-9]+ NEWRESOLVE [^ ]+ from 127\.0\.0\.1:$1 DNS " 20 >/dev/null ||
	    fail "no NEWRESOLVE line from 127.0.0.1:$1"
	grep -E " stream [0-9]+ NEWRESOLVE [^ ]+ from 127\.0\.0\.1:$1 DNS " "$T/mon.out"
}

# 1: connected, to 5300 and 5400.
$Q connected "$D53" $N 0.3 >"$T/c53" || fail "dnsq connected $D53"
$Q connected "$D54" $N 0.3 >"$T/c54" || fail "dnsq connected $D54"
for x in "c53 $D53" "c54 $D54"; do
	set -- $x
	for p in $(cat "$T/$1"); do
		new_line "$p" | grep -Eq " app port $2@localhost python3?[.0-9]*\[[0-9]+\]\$" ||
		    fail "query from $p to $2: $(new_line "$p")"
	done
	ok "$N connected queries to 127.0.0.1:$2: that DNSPort and python3[pid] each"
done

# 2: unconnected to 5300: the program; the DNSPort by the group of (1).
$Q unconnected "$D53" 3 0.3 >"$T/u53" || fail "dnsq unconnected"
for p in $(cat "$T/u53"); do
	new_line "$p" | grep -Eq " app port $D53@localhost python3?[.0-9]*\[[0-9]+\] \(DNSPort by session group -?[0-9]+: the query's socket did not name it\)\$" ||
	    fail "unconnected query from $p: $(new_line "$p")"
done
ok "unconnected queries to $D53: python3[pid], the DNSPort by session group"

# 3: unconnected to tornet's DNSPort: the program and the candidates.
cands="one of 127\.0\.0\.1:$D0, 127\.0\.0\.1:$D53, 127\.0\.0\.1:$D54"
$Q unconnected "$D0" 3 0.3 >"$T/u0" || fail "dnsq unconnected $D0"
for p in $(cat "$T/u0"); do
	new_line "$p" | grep -Eq " app group -?[0-9]+@localhost python3?[.0-9]*\[[0-9]+\] \(the query's socket is not connected to a DNSPort: $cands\)\$" ||
	    fail "unconnected query from $p: $(new_line "$p")"
done
ok "unconnected queries to $D0: python3[pid], $(echo "$cands" | tr -d '\\')"

# 4: closed at once.  Measured: how many sockets were gone.
$Q gone "$D0" $N >"$T/g0" || fail "dnsq gone"
gone=0 found=0
for p in $(cat "$T/g0"); do
	l=$(new_line "$p")
	case $l in
	*"(no socket for the query here (closed already, or on another host): one of "*) gone=$((gone + 1)) ;;
	*"python"*"the query's socket is not connected to a DNSPort: one of "*) found=$((found + 1)) ;;
	*) fail "query from $p: $l" ;;
	esac
done
ok "closed at once: $gone of $N sockets gone before Tor's event was looked up, $found still there; the candidates named"

kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { cat "$T/mon.err"; fail "monitor exit $rc after SIGTERM"; }

# 5: the report.
"$ISOAUDIT" report --format json --db "$T/db" >"$T/report.json" || fail "report"
python3 - "$T/report.json" "$D0" "$D53" "$D54" <<'PY' || fail "report: DNS findings"
import json, sys
r = json.load(open(sys.argv[1]))
d0, d53, d54 = sys.argv[2:5]
dns = [f for f in r["findings"] if f["rule"] == "UNISOLATED_PORT"]
by = {f["listener"]: f for f in dns}
f = by.get("127.0.0.1:" + d53)
assert f is not None, sorted(by)
assert any("python" in p.get("name", "") for p in f["processes"]), f
assert any("python" in i for i in f["identities"]), f
assert "127.0.0.1:" + d54 in by, sorted(by)
c = "one of 127.0.0.1:%s, 127.0.0.1:%s, 127.0.0.1:%s" % (d0, d53, d54)
assert c in by, sorted(by)
assert c in by[c]["detail"], by[c]
for f in dns:
    assert f["listener"] not in (None, "", "DNS", "?"), f
    assert "listener ?" not in f["detail"], f
print("findings:", ", ".join(sorted(by)))
PY
ok "report: UNISOLATED_PORT on each DNSPort with the program, and on the candidates"

# 6: replay.
"$ISOAUDIT" replay --log-targets plain "$T/rec.txt" >"$T/replay.out" 2>"$T/replay.err" ||
    fail "replay failed"
diff "$T/mon.out" "$T/replay.out" >"$T/diff" || { cat "$T/diff"; fail "replay differs from live"; }
ok "replay reproduces the live output ($(wc -l <"$T/mon.out") lines)"

# 7: the kernel tracker records each query when it is sent.
"$ISOAUDIT" monitor -v --control "$TORNET_CONTROL" --log-targets plain \
    --db "$T/db7" >"$T/mon.out" 2>"$T/mon7.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "7: monitor did not attach"
wait_for "$T/mon7.err" "attribution:" 10 || fail "7: no attribution line"
if grep -q "TCP connects and DNS queries" "$T/mon7.err"; then
	$Q unconnected "$D0" $N 0.3 >"$T/t0" || fail "dnsq unconnected (tracker)"
	$Q gone "$D54" $N >"$T/t54" || fail "dnsq gone (tracker)"
	for f in t0 t54; do
		[ $f = t0 ] && d=$D0 || d=$D54
		for p in $(cat "$T/$f"); do
			new_line "$p" | grep -Eq " app port $d@localhost python3?[.0-9]*\[[0-9]+\]\$" ||
			    fail "7: query from $p to $d: $(new_line "$p")"
		done
	done
	kill -TERM "$mon"
	wait "$mon"
	BGPIDS=""
	n=$(sqlite3 "$T/db7" "SELECT count(*) FROM stream WHERE attribution = 'tracker' AND purpose = 'DNS_REQUEST'")
	[ "$n" -eq $((2 * N)) ] || fail "7: $n DNS streams stored 'tracker', want $((2 * N))"
	ok "tracker: $N unconnected queries and $N closed at once: each names its DNSPort and python3[pid] ('tracker')"
else
	echo "  7: the tracker cannot trace DNS queries here: $(grep "attribution:" "$T/mon7.err")"
	kill -TERM "$mon"
	wait "$mon"
	BGPIDS=""
fi
exit 0
