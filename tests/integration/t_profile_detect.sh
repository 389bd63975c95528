#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Without a Profile line (and without a system's marker files, as on the
# machine running the tests), isoaudit picks the system profile from the
# listeners Tor reports (GETINFO net/listeners/...), says which, and judges
# by it: the SocksPort lines of GETCONF by what each port's programs rely
# on, findings with that system's remedy (report JSON "remedy", check's
# line).  A fake control port (fakector.py) advertises each system's real
# listener set (ENVIRONMENTS.md, auditor/audit/profile.c); 127.0.0.1 only.
. "$(dirname "$0")/lib.sh"
fake="$(dirname "$0")/fakector.py"
for f in /usr/share/anon-gw-base-files/gateway /etc/amnesia/version; do
	[ -e "$f" ] && { echo "this machine has $f: markers decide here"; exit 77; }
done

# listeners PROFILE: the net/listeners lines of that system's Tor.
listeners() {
	case $1 in
	whonix-gateway|qubes-whonix)
		gw=10.152.152.10
		[ "$1" = qubes-whonix ] && gw=10.137.0.7
		s=""
		for p in 9050 9100 9101 9102 9103 9104 9105 9106 9107 9108 9109 \
		    9110 9111 9114 9115 9117 9118 9122 9123 9124 9125 9150; do
			s="$s \"127.0.0.1:$p\" \"[::1]:$p\" \"$gw:$p\""
		done
		for p in $(seq 9152 9189); do s="$s \"$gw:$p\""; done
		echo "net/listeners/socks=${s# } \"unix:/run/tor/socks\""
		s=""
		for p in $(seq 9190 9229); do s="$s \"$gw:$p\""; done
		echo "net/listeners/httptunnel=${s# }"
		echo "net/listeners/trans=\"$gw:9040\" \"127.0.0.1:9041\""
		echo "net/listeners/dns=\"$gw:5300\" \"127.0.0.1:5400\"" ;;
	tails)
		echo 'net/listeners/socks="127.0.0.1:9050" "127.0.0.1:9062" "10.200.1.1:9050"'
		echo 'net/listeners/trans="127.0.0.1:9040"'
		echo 'net/listeners/dns="127.0.0.1:5353"' ;;
	debian)
		echo 'net/listeners/socks="127.0.0.1:9050"' ;;
	none)
		echo 'net/listeners/socks="127.0.0.1:31101" "127.0.0.1:31102"'
		echo 'net/listeners/dns="127.0.0.1:31107"' ;;
	esac
}

# run PROFILE GETCONF-LINES...: a fake Tor of that system; monitor attaches
# (no config file), then report and check read the database.
run() {
	prof=$1
	shift
	listeners "$prof" >"$T/$prof.listeners"
	: >"$T/$prof.getconf"
	for l in "$@"; do echo "$l" >>"$T/$prof.getconf"; done
	printf '650 CIRC 10 LAUNCHED PURPOSE=GENERAL\r\n' >"$T/$prof.script"
	FAKECTOR_LISTENERS="$T/$prof.listeners" FAKECTOR_GETCONF="$T/$prof.getconf" \
	    python3 "$fake" "$T/$prof.port" "$T/$prof.script" &
	BGPIDS="$BGPIDS $!"
	wait_for "$T/$prof.port" '^[0-9]+$' 10 || fail "$prof: fake Tor did not start"
	"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/$prof.port")" \
	    --db "$T/$prof.db" --duration 3 >"$T/$prof.out" 2>"$T/$prof.err" ||
	    { cat "$T/$prof.out" "$T/$prof.err"; fail "$prof: monitor exit $?"; }
	"$ISOAUDIT" report --db "$T/$prof.db" --all --format json >"$T/$prof.json" ||
	    fail "$prof: report"
	"$ISOAUDIT" check --db "$T/$prof.db" --since 1h --min-severity info \
	    >"$T/$prof.check" 2>&1
}

# detected PROFILE WHY: the monitor said it, once, and nothing else chose.
detected() {
	grep -q "profile" "$T/$1.err" && { cat "$T/$1.err"; fail "$1: a marker chose"; }
	n=$(grep -c " profile $1: detected from Tor's listeners: $2\$" "$T/$1.out")
	[ "$n" -eq 1 ] || { cat "$T/$1.out"; fail "$1: said $n times, want once: $2"; }
}

# --- Whonix-Gateway: the listeners as shipped, its own GETCONF lines ----------
run whonix-gateway \
    "SocksPort=127.0.0.1:9050 IPv6Traffic" \
    "SocksPort=127.0.0.1:9115 IPv6Traffic IsolateDestAddr IsolateDestPort" \
    "SocksPort=127.0.0.1:9150 IPv6Traffic PreferIPv6 KeepAliveIsolateSOCKSAuth" \
    "SocksPort=10.152.152.10:9180 IPv6Traffic IsolateDestAddr IsolateDestPort"
detected whonix-gateway "Tor listens on 9050 and 99 of Whonix-Gateway's ports"
python3 - "$T/whonix-gateway.json" <<'PY' || fail "whonix-gateway: findings"
import json, sys
F = json.load(open(sys.argv[1]))["findings"]
assert F == [], ("Whonix's own lines judged weak", F)
PY
ok "whonix-gateway: detected from its listeners; its shipped SocksPort lines (9115 with IsolateDestAddr) raise nothing"

# --- Whonix-Gateway misconfigured: 9050 without IsolateSOCKSAuth --------------
rm -f "$T/whonix-gateway".*
run whonix-gateway "SocksPort=127.0.0.1:9050 NoIsolateSOCKSAuth" \
    "SocksPort=127.0.0.1:9150 KeepAliveIsolateSOCKSAuth"
python3 - "$T/whonix-gateway.json" <<'PY' || fail "whonix-gateway: the misconfiguration"
import json, sys
F = json.load(open(sys.argv[1]))["findings"]
assert len(F) == 1, F
f = F[0]
assert f["rule"] == "WEAK_PORT_CONFIG" and f["listener"] == "127.0.0.1:9050", f
assert f["apps"] == ["default (torsocks, uwt)"], f
assert "told apart by their SOCKS credentials" in f["detail"], f
assert f["remedy"].startswith("compare the line with /usr/share/tor/tor-service-defaults-torrc.anondist.base"), f
PY
grep -q "WEAK_PORT_CONFIG (session 1, listener 127.0.0.1:9050): .*; what to do: compare the line with /usr/share/tor/tor-service-defaults-torrc.anondist.base" "$T/whonix-gateway.check" ||
    { cat "$T/whonix-gateway.check"; fail "whonix-gateway: check's line lacks the remedy"; }
ok "whonix-gateway: NoIsolateSOCKSAuth on 9050 is one WEAK_PORT_CONFIG cause, with Whonix's remedy in report and check"

# --- Qubes-Whonix: the same ports on a Qubes address ---------------------------
run qubes-whonix "SocksPort=10.137.0.7:9104 IPv6Traffic"
detected qubes-whonix "Tor listens on 9050 and 99 of Whonix-Gateway's ports, on a Qubes address"
ok "qubes-whonix: detected (Whonix's ports on a 10.137.0.0/16 address)"

# --- Tails ------------------------------------------------------------------------
run tails "SocksPort=127.0.0.1:9050 IsolateDestAddr IsolateDestPort" \
    "SocksPort=127.0.0.1:9062 IsolateDestAddr IsolateDestPort" \
    "SocksPort=10.200.1.1:9050 IsolateSOCKSAuth KeepAliveIsolateSOCKSAuth IsolateDestAddr"
detected tails "Tor listens on 10.200.1.1:9050 (Tails' Tor Browser namespace)"
python3 - "$T/tails.json" <<'PY' || fail "tails: findings"
import json, sys
F = json.load(open(sys.argv[1]))["findings"]
# Only the injected line: destination isolation on Tor Browser's port.
assert len(F) == 1, F
f = F[0]
assert f["rule"] == "WEAK_PORT_CONFIG" and f["listener"] == "10.200.1.1:9050", f
assert f["apps"] == ["Tor Browser"] and "IsolateDestAddr on a browser port" in f["detail"], f
assert f["remedy"].startswith("Tails' torrc was changed"), f
PY
ok "tails: detected; its 9050/9062 lines fine, IsolateDestAddr on Tor Browser's port one cause with Tails' remedy"

# --- Debian -----------------------------------------------------------------------
run debian "SocksPort=9050"
detected debian "Tor listens on 9050 and nothing of Whonix or Tails"
ok "debian: detected (9050 alone)"

# --- none: the private test network's ports ---------------------------------------
run none "SocksPort=127.0.0.1:31101 NoIsolateSOCKSAuth"
detected none "Tor's listeners match no known system"
python3 - "$T/none.json" <<'PY' || fail "none: findings"
import json, sys
F = json.load(open(sys.argv[1]))["findings"]
assert F == [], ("no App, no kind: nothing to expect of its flags", F)
PY
ok "none: said; no map, no expectations"
exit 0
