#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Onion services, both sides, on the tornet client: an onion service added
# with ADD_ONION (Flags=Detach) on the client Tor, pointing at the target
# HTTP server, reached through SocksPort A by two curls with different
# SOCKS credentials (two rendezvous circuits on each side).  monitor names
# the client's streams as onion (h:….onion:80) and the service's
# rendezvous circuits under the service; the report (JSON) has the service
# with its rendezvous circuits and the onion target; the dashboard shows
# the service's line in the circuits panel.  LogTargets hash throughout:
# the address itself is nowhere in isoaudit's output or database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../ui/uilib.sh"

TORNET="$(dirname "$0")/../tornet/tornet"
svc=""
onion_cleanup() {
	[ -n "$svc" ] && sh "$TORNET" ctl "$TORNET_DIR" "DEL_ONION $svc" \
	    >/dev/null 2>&1
	ui_cleanup
}
trap onion_cleanup EXIT

t0=$(date +%s)
sh "$TORNET" ctl "$TORNET_DIR" "ADD_ONION NEW:ED25519-V3 Flags=Detach,DiscardPK Port=80,127.0.0.1:$TORNET_TARGET" \
    >"$T/add.out" 2>&1 || { cat "$T/add.out"; fail "ADD_ONION"; }
svc=$(sed -n 's/^250-ServiceID=\([a-z2-7]\{56\}\)$/\1/p' "$T/add.out")
[ -n "$svc" ] || { cat "$T/add.out"; fail "no ServiceID"; }

# Attached after the service exists: learnt from GETINFO onions/detached
# and from its intro circuits in circuit-status.
cat >"$T/conf" <<CONF
App $TORNET_SOCKS_A "alpha"
Database $T/db
CONF
"$ISOAUDIT" -c "$T/conf" monitor --control "$TORNET_CONTROL" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"
ui_start 120 30 -- --control "$TORNET_CONTROL" -c "$T/conf" --db "$T/ui.db"
ui_wait 'attached \(SAFECOOKIE, Tor session 1\)' 30 || fail "no attach on screen"

# Publishing took about 2 s on tornet (the descriptor goes to every HSDir
# at once): retry until the body comes.
fetch_onion() {
	i=0
	while :; do
		out=$(curl -sS --max-time 20 --socks5-hostname "127.0.0.1:$TORNET_SOCKS_A" \
		    --proxy-user "$1:x" "http://$svc.onion/" 2>&1) && \
		    [ "$out" = "isoaudit-target $TORNET_TARGET" ] && return 0
		i=$((i + 1))
		[ "$i" -lt 15 ] || fail "curl to the onion service: $out"
		sleep 1
	done
}
fetch_onion one
fetch_onion two
echo "reached the service twice $(( $(date +%s) - t0 )) s after ADD_ONION"

# monitor: the service learnt, its name the keyed hash; the streams onion.
re_name='h:[0-9a-f]{12}\.onion'
wait_for "$T/mon.out" "onion service $re_name \(from GETINFO onions/detached\)" 5 ||
    fail "service not learnt from GETINFO onions/detached"
name=$(grep -Eo "onion service $re_name \(from GETINFO" "$T/mon.out" | head -1 |
    sed 's/^onion service \([^ ]*\) .*/\1/')
wait_for "$T/mon.out" "stream [0-9]+ SUCCEEDED $name:80 circ" 10 ||
    fail "client stream not labelled as onion"
wait_for "$T/mon.out" "circ [0-9]+ BUILT HS_CLIENT_REND .* onion $name\$" 5 ||
    fail "client rendezvous circuit without its onion"
wait_for "$T/mon.out" "circ [0-9]+ BUILT HS_SERVICE_REND .* service $name\$" 5 ||
    fail "service rendezvous circuit without its service"
nrend=$(grep -Ec "circ [0-9]+ BUILT HS_SERVICE_REND .* service $name\$" "$T/mon.out")
[ "$nrend" -ge 2 ] || fail "expected 2 service rendezvous circuits, saw $nrend"
ok "monitor: onion streams to $name, $nrend rendezvous circuits of the service"

# The dashboard (its own database, so its own key: another hash): the
# client's circuits name the onion; the service's line, with its
# rendezvous circuits, comes last: a filter on ".onion" (the onion
# circuits and the service) brings it up.
ui_wait "hs-c-rend .* alpha@localhost  onion $re_name" 10 ||
    fail "dashboard: the client's rendezvous circuit without its onion"
ui_keys / . o n i o n Enter
ui_wait "^filter: \.onion" 5 || fail "dashboard: filter not shown"
ui_wait "onion service $re_name \(ADD_ONION, detached\): [2-9] rendezvous circuits \(clients served\)" 10 ||
    fail "dashboard: no service line with two rendezvous circuits"
grep -Eq "hs-s-(rend|intro) .* service $re_name" "$T/screen" ||
    fail "dashboard: no circuit under the service"
ui_keys q
[ "$(ui_exit 10)" = 0 ] || fail "dashboard exit status $(cat "$T/status" 2>/dev/null)"
ok "dashboard: the service and its rendezvous circuits in the circuits panel"

kill -TERM "$mon"
wait "$mon" || fail "monitor exit status after SIGTERM"
BGPIDS=""
"$ISOAUDIT" -c "$T/conf" report --format json >"$T/r.json" 2>"$T/r.err" ||
    { cat "$T/r.err"; fail "report"; }
python3 - "$T/r.json" "$name" <<'PY' || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
name = sys.argv[2]
svcs = [s for s in r["services"] if s["service"] == name]
assert len(svcs) == 1, r["services"]
s = svcs[0]
assert s["source"] == "detached", s
assert s["rend_circuits"] >= 2, s
assert s["intro_circuits"] >= 1, s
assert s["rend_open"] == 0, s          # the session has ended
assert s["first_rend"] and s["last_rend"], s
t = [o for o in r["onion_targets"] if o["target"] == name]
assert len(t) == 1 and t[0]["port"] == 80, r["onion_targets"]
assert t[0]["streams"] >= 2 and t[0]["apps"] == ["alpha"], t
assert r["summary"]["services"] >= 1 and r["summary"]["onion_streams"] >= 2
for k in ("tor_sessions", "apps", "circuits", "findings"):   # 0.1 keys kept
    assert k in r, k
PY
"$ISOAUDIT" -c "$T/conf" report >"$T/r.txt" 2>&1 || fail "text report"
grep -Eq "^  $name +detached +[2-9]" "$T/r.txt" || { cat "$T/r.txt"; fail "text: services"; }
ok "report: the service with its rendezvous circuits, the onion target"

# The address is nowhere: output, dashboard log, report, database.
for f in "$T/mon.out" "$T/mon.err" "$T/err" "$T/r.json" "$T/r.txt" "$T/screen"; do
	grep -q "$svc" "$f" && fail "the onion address in clear in $f"
done
python3 - "$T/db" "$T/ui.db" "$svc" <<'PY' || fail "the onion address in a database"
import sqlite3, sys
for db in sys.argv[1:3]:
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        for row in c.execute('SELECT * FROM "%s"' % t):
            assert not any(isinstance(v, str) and sys.argv[3] in v for v in row), (db, t)
PY
ok "LogTargets hash: the onion address in clear nowhere"
