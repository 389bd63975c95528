#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Each system isoaudit has a profile for, on a real private Tor network, with
# the system's own listener lines on their real port numbers and its clients
# driven as the system drives them (the issue: "no finding at warning or
# above; each listener labelled as the system names it; then one injected
# misconfiguration per profile caught as one cause").
#
# Design
# - Real ports (9050, 9062, 9100-9229, 9040, 5300, 5353, ...) would collide
#   with a Tor on the machine, so the whole network runs in a network
#   namespace of its own (isoaudit-prof-PID): `ip netns add`, lo up, and on
#   lo inside it only the addresses the systems' listeners and clients need:
#   10.152.152.10/.11 (Whonix-Gateway's workstation-facing address and the
#   Workstation), 10.137.0.7/.20 (sys-whonix's Qubes address and an AppVM),
#   10.200.1.1/.2 (Tails' Tor Browser namespace: Tor's end and the
#   browser's).  Nothing is ever added to the root namespace and no traffic
#   leaves lo.  Every command that touches the network (tornet, the clients,
#   isoaudit, the checks) runs under `ip netns exec`.  The EXIT trap stops
#   what was started (background pids, `tornet down`, then whatever is still
#   in the namespace, by pid) and deletes the namespace, also on failure.
#   No permission for `ip netns add` (not root): exit 77.
# - tornet comes up with TORNET_BASE=8900, so the Whonix-Gateway listeners it
#   adds land on their real ports (shift BASE-8900 = 0).  No clash at that
#   base: ORPorts 8901-8907, DirPorts 8911-8913, control 9000, tornet's own
#   SocksPorts A-E 9001-9005, HTTPTunnelPort 9006, DNSPorts 9007-9009,
#   targets 9080-9082 (exits accept 9080-9099); Whonix 9050 and 9100-9229;
#   the ports set below (9040, 9062, 5300, 5353, 5400) are none of these.
#   isoaudit attaches to tornet's control port (127.0.0.1:9000, cookie).
# - Between systems the client Tor's listeners are switched with SETCONF
#   (measured: ~0.1 s; restarting the client takes ~2 s and loses nothing
#   we need): first every listener off, then the system's set, so that no
#   listener keeps another system's flags or session group.  The sets:
#   * Whonix-Gateway: tornet's whonix_listeners lines (read back from the
#     client's torrc, all on 127.0.0.1) and, as upstream binds them, 9050-9150
#     also on 10.152.152.10; TransPort 9040, DnsPort 5300 IsolateDestPort,
#     DnsPort 5400.
#   * Qubes-Whonix: the same with 10.137.0.7 for 10.152.152.10.
#   * Tails: SocksPort 127.0.0.1:9050 and 127.0.0.1:9062 IsolateDestAddr
#     IsolateDestPort, 10.200.1.1:9050 IsolateSOCKSAuth
#     KeepAliveIsolateSOCKSAuth, TransPort 127.0.0.1:9040, DNSPort
#     127.0.0.1:5353.
#   * Debian: SocksPort 9050 (tor's default).  Not its unix:/run/tor/socks:
#     /run is not private to the namespace, so it could meet a real Tor's.
#   TransPorts and DNSPorts are listed (they decide detection and labels)
#   but carry nothing: a TransPort needs firewall redirection, and the exits
#   resolve nothing.
# - Per system a fresh `isoaudit monitor` without any config file (no
#   Profile line; XDG_CONFIG_HOME empty) must say `profile NAME: detected
#   from Tor's listeners: ...`, then:
#   1 the system's clients, all at once, each a real program (a copy of
#     curl under the program's name): Whonix: torsocks with Whonix's
#     torsocks.conf (IsolatePID 1) for apt-get, git (twice), wget on 9050;
#     uwt's curl and dnf wrappers with `<torS0X>0:TOOL-wrapper_RANDOM` on
#     9050; tb-updater with `<torS0X>0` on 9115; sdwdate on 9108 (gateway, two
#     destinations, and the Workstation's from 10.152.152.11); Tor Browser
#     from the Workstation on 10.152.152.10:9150 with a username per site.
#     Tails: two applications on 127.0.0.1:9050 to different destinations,
#     two of Tails' tools on 9062, Tor Browser from 10.200.1.2 to
#     10.200.1.1:9050 with a username per site.  Debian: apt with username
#     apt-transport-tor (twice), git and wget under `torsocks --isolate` with
#     Debian's own /etc/tor/torsocks.conf (TorPort 9050).  Qubes-Whonix:
#     tinyproxy on 127.0.0.1:9104 (template updates), an AppVM's sdwdate and
#     Tor Browser on 10.137.0.7.  Checked from the database and the JSON
#     report: every stream on its listener, labelled as the profile names
#     it, with the host the profile names, program and credentials as sent;
#     no finding at warning or above, and `check --min-severity warning`
#     prints nothing (exit 0).
#   2 one misconfiguration, with a fresh monitor: Whonix: electrum and
#     bitcoin-qt without credentials on the custom port 9152
#     (SHARED_PORT_PROCESSES); Tails: two applications to one destination on
#     its shared 9050 (UNISOLATED_PORT); Debian: two programs without
#     credentials on 9050 (SHARED_PORT_PROCESSES); Qubes-Whonix: a program
#     beside tinyproxy on 9104 without credentials (SHARED_PORT_PROCESSES).
#     Exactly one cause of that rule, for the right pair (the programs'
#     executables) and listener, labelled as the profile names the listener,
#     with the system's remedy in the JSON `remedy` and in check's `what to
#     do:` line (check exits 1); SHARED_CIRCUIT once for the pair if Tor put
#     them on one circuit; no rule twice for a pair; nothing else at warning
#     or above.
# Clients from the Workstation, a qube or Tails' browser namespace are
# another host: isoaudit names them by Host label, and the test does not ask
# for their process (they are local here only because of the namespace).
# Every client is `curl -w '%{local_ip}:%{local_port}'`: its stream row is
# found by that client address.
# torsocks refuses loopback targets, so torsocks clients fetch
# $TORNET_MAPPED_ADDR, which the client maps to 127.0.0.1 (MapAddress).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
command -v torsocks >/dev/null || { echo "torsocks not installed (scripts/deps)"; exit 77; }
command -v ip >/dev/null || { echo "ip (iproute2) not installed"; exit 77; }
for f in /usr/share/anon-gw-base-files/gateway /etc/amnesia/version; do
	[ -e "$f" ] && { echo "this machine has $f: markers decide here"; exit 77; }
done
[ -e /etc/isoaudit/isoaudit.conf ] &&
    { echo "/etc/isoaudit/isoaudit.conf exists: the monitor would read it"; exit 77; }
TORNET="$(cd "$(dirname "$0")/../tornet" && pwd)/tornet"
t_start=$(date +%s)

NS=isoaudit-prof-$$
TN=$T/tn
NS_MADE=""
TN_UP=""
nx() { ip netns exec "$NS" "$@"; }

prof_cleanup() {
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	for p in $BGPIDS; do wait "$p" 2>/dev/null; done
	BGPIDS=""
	if [ -n "$NS_MADE" ]; then
		[ -n "$TN_UP" ] && nx bash "$TORNET" down "$TN" >/dev/null 2>&1
		# Anything else still in our namespace was started by this test.
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null || echo "warning: could not delete network namespace $NS"
	fi
	cleanup_bg
}
trap prof_cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! ip netns add "$NS" 2>"$T/netns.err"; then
	echo "cannot create a network namespace (needs root): $(head -n 1 "$T/netns.err")"
	exit 77
fi
NS_MADE=1
ip -n "$NS" link set lo up || fail "ip -n $NS link set lo up"
for a in 10.152.152.10 10.152.152.11 10.137.0.7 10.137.0.20 10.200.1.1 10.200.1.2; do
	ip -n "$NS" addr add "$a/32" dev lo || fail "ip -n $NS addr add $a/32 dev lo"
done

# --- the network, in the namespace ---------------------------------------------------
t0=$(date +%s)
TN_UP=1
nx env TORNET_BASE=8900 bash "$TORNET" up "$TN" >"$T/tornet.out" 2>&1 ||
    { tail -n 30 "$T/tornet.out"; fail "tornet up (TORNET_BASE=8900) in $NS"; }
t_up=$(( $(date +%s) - t0 ))
. "$TN/env"
[ "${TORNET_WHONIX_9050:-}" = 9050 ] || fail "tornet at base 8900 did not put Whonix's 9050 on 9050 (${TORNET_WHONIX_9050:-unset})"
echo "tornet up in ${t_up} s (namespace $NS)"
# shellcheck disable=SC2086 # a list of ports
set -- $TORNET_TARGETS
T0=$1 T1=$2 T2=$3
MAPPED=$TORNET_MAPPED_ADDR
export XDG_CONFIG_HOME="$T/cfg"	# empty: no config file anywhere
mkdir -p "$XDG_CONFIG_HOME"

mkdir -p "$T/bin"
for x in apt-get git wget dnf curl sdwdate tb-updater firefox.real electrum bitcoin-qt \
    thunderbird pidgin tails-upgrade-frontend htpdate tinyproxy; do
	cp "$(command -v curl)" "$T/bin/$x"
done
rand43() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 43; }

# --- listeners -------------------------------------------------------------------------

# whonix_set GW: Whonix's listeners as tornet carries them (127.0.0.1), 9050-9150
# also on GW as upstream binds them, the TransPort and DnsPorts; one
# KEY="VALUE" per line.
whonix_set() {
	for p in $TORNET_WHONIX_PORTS; do
		l=$(grep -E "^(SocksPort|HTTPTunnelPort) 127\\.0\\.0\\.1:$p( |\$)" "$TORNET_CLIENT_TORRC")
		[ -n "$l" ] || fail "no line for Whonix's $p in $TORNET_CLIENT_TORRC"
		echo "${l%% *}=\"${l#* }\""
		if [ "$p" -le 9150 ]; then
			rest=${l#* 127.0.0.1:"$p"}
			echo "${l%% *}=\"$1:$p$rest\""
		fi
	done
	echo "TransPort=\"127.0.0.1:9040\""
	echo "TransPort=\"$1:9040\""
	echo "DNSPort=\"127.0.0.1:5300 IsolateDestPort\""
	echo "DNSPort=\"$1:5300 IsolateDestPort\""
	echo "DNSPort=\"127.0.0.1:5400\""
}

system_set() {
	case $1 in
	whonix-gateway) whonix_set 10.152.152.10 ;;
	qubes-whonix) whonix_set 10.137.0.7 ;;
	tails) cat <<'EOF'
SocksPort="127.0.0.1:9050 IsolateDestAddr IsolateDestPort"
SocksPort="127.0.0.1:9062 IsolateDestAddr IsolateDestPort"
SocksPort="10.200.1.1:9050 IsolateSOCKSAuth KeepAliveIsolateSOCKSAuth"
TransPort="127.0.0.1:9040"
DNSPort="127.0.0.1:5353"
HTTPTunnelPort=0
EOF
		;;
	debian) cat <<'EOF'
SocksPort=9050
TransPort=0
DNSPort=0
HTTPTunnelPort=0
EOF
		;;
	esac
}

# switch SYSTEM: every listener off, then the system's; the listeners Tor
# reports go to $T/SYSTEM.listeners.
switch() {
	t1=$(date +%s)
	nx bash "$TORNET" ctl "$TN" "SETCONF SocksPort=0 HTTPTunnelPort=0 TransPort=0 DNSPort=0" \
	    >"$T/$1.setconf0" 2>&1 || { cat "$T/$1.setconf0"; fail "$1: SETCONF (listeners off)"; }
	args=$(system_set "$1" | paste -sd ' ' -)
	nx bash "$TORNET" ctl "$TN" "SETCONF $args" \
	    "GETINFO net/listeners/socks net/listeners/httptunnel net/listeners/trans net/listeners/dns" \
	    >"$T/$1.listeners" 2>&1 || { cat "$T/$1.listeners"; fail "$1: SETCONF of its listeners"; }
	echo "$1: $(grep -o '"[^"]*"' "$T/$1.listeners" | wc -l) listeners set in $(( $(date +%s) - t1 )) s"
}

# has_listener SYSTEM ADDR:PORT...: Tor says it listens there.
has_listener() {
	s=$1
	shift
	for l in "$@"; do
		grep -qF "\"$l\"" "$T/$s.listeners" || { cat "$T/$s.listeners"; fail "$s: Tor does not listen on $l"; }
	done
}

# --- monitor, clients ------------------------------------------------------------------

# mon_start N PROFILE: a fresh monitor (no config) into $T/db.N; it must say
# that it detected PROFILE from Tor's listeners, once.
mon_start() {
	n=$1
	: >"$T/clients.$n"
	# Not through nx: $! must be isoaudit's own pid (ip netns exec execs it).
	ip netns exec "$NS" "$ISOAUDIT" monitor --control "$TORNET_CONTROL" --log-targets plain \
	    --db "$T/db.$n" >"$T/mon.$n.out" 2>"$T/mon.$n.err" &
	mon=$!
	BGPIDS="$BGPIDS $mon"
	wait_for "$T/mon.$n.out" "attached to Tor" 20 ||
	    { cat "$T/mon.$n.err"; fail "$n: monitor did not attach"; }
	c=$(grep -c " profile $2: detected from Tor's listeners: " "$T/mon.$n.out")
	[ "$c" -eq 1 ] || { sed 's/^/  | /' "$T/mon.$n.out" "$T/mon.$n.err"; fail "$n: 'profile $2: detected from Tor's listeners' said $c times, want once"; }
	grep -i "profile" "$T/mon.$n.out" | grep -v " profile $2: detected from Tor's listeners: " | grep . &&
	    fail "$n: another profile line"
	grep "profile" "$T/mon.$n.out" | sed "s/^[^ ]* /$n: /"
}

# mon_stop: SIGTERM, exit 0 expected; report --format json to $T/r.N.json;
# check --min-severity warning to $T/check.N (exit in $T/check.N.rc).
mon_stop() {
	kill -TERM "$mon"
	wait "$mon"
	rc=$?
	BGPIDS=$(echo "$BGPIDS" | sed "s/ $mon\$//; s/ $mon / /")
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$T/mon.$n.err"; fail "$n: monitor exit $rc after SIGTERM"; }
	nx "$ISOAUDIT" report --db "$T/db.$n" --format json --all \
	    >"$T/r.$n.json" 2>"$T/r.$n.err" || { cat "$T/r.$n.err"; fail "$n: report"; }
	nx "$ISOAUDIT" check --db "$T/db.$n" --min-severity warning >"$T/check.$n" 2>"$T/check.$n.err"
	echo $? >"$T/check.$n.rc"
}

# run NAME CMD...: the client CMD (a curl, under torsocks or not, the URL
# among its arguments) in the namespace, in the background.
RUNNING=""
run() {
	name=$1
	shift
	ip netns exec "$NS" "$@" -sS --max-time 60 -w ' %{local_ip}:%{local_port}' \
	    >"$T/$name.out" 2>"$T/$name.err" &
	echo $! >"$T/$name.pid"
	RUNNING="$RUNNING $name"
}

# finish_round N: every client of the round succeeded with the target's body,
# and the monitor saw its stream closed; "NAME ADDR:PORT" to $T/clients.N.
finish_round() {
	for c in $RUNNING; do
		wait "$(cat "$T/$c.pid")" || fail "$c failed: $(cat "$T/$c.err")"
		out=$(cat "$T/$c.out")
		case $out in
		"isoaudit-target "*) ;;
		*) fail "$c: unexpected body: $out ($(cat "$T/$c.err"))" ;;
		esac
		echo "$c ${out##* }" >>"$T/clients.$1"
	done
	for c in $RUNNING; do
		a=$(sed -n "s/^$c //p" "$T/clients.$1" | sed 's/\./\\./g')
		wait_for "$T/mon.$1.out" "stream [0-9]+ CLOSED .* from $a " 20 ||
		    fail "$1: the stream of $c (from $a) not seen closed"
	done
	RUNNING=""
}

# The Python prelude: R (report), F (findings), DB, C (client -> address).
cat >"$T/jc.py" <<'PY'
import json, os, sqlite3, sys, traceback
R = json.load(open(sys.argv[1]))
DB = sqlite3.connect(sys.argv[2])
C = dict(l.split() for l in open(sys.argv[3]))
ARGS = sys.argv[4:]
F = R["findings"]
T = os.path.dirname(sys.argv[1])
def _hook(t, v, tb):
    traceback.print_exception(t, v, tb)
    print("findings:", json.dumps(F, indent=1))
sys.excepthook = _hook
def stream_of(client):
    rows = DB.execute("SELECT s.stream_id, s.circ_id, a.label, a.host, a.sub, s.process, s.pid, s.listener, "
        "s.socks_username, s.socks_password, s.nym_epoch, s.session FROM stream s "
        "LEFT JOIN app a ON a.id = s.app WHERE s.client_addr = ?", (C[client],)).fetchall()
    assert len(rows) == 1, ("stream rows of", client, C[client], rows)
    k = ("id", "circ", "label", "host", "sub", "process", "pid", "listener", "user", "password", "epoch", "session")
    d = dict(zip(k, rows[0]))
    for x in ("user", "password"):  # kept as Tor quotes them (LogTargets plain)
        v = d[x]
        if v is not None and len(v) >= 2 and v[0] == v[-1] == '"':
            d[x] = v[1:-1]
    return d
def exit_key(session, cid):
    r = DB.execute("SELECT conflux_id FROM circuit WHERE session = ? AND circ_id = ?", (session, int(cid))).fetchone()
    assert r is not None, ("no circuit", session, cid)
    return r[0] or "circ %s" % cid
def brief(f):
    return (f["rule"], f["severity"], f["listener"], sorted(f["identities"]), len(f["occurrences"]))
def app_id(prog):
    return "%s (uid %d)@localhost" % (os.path.realpath(os.path.join(T, "bin", prog)), os.getuid())
PY

# own N: the check of scenario N (the system's own clients).  Expectations on
# stdin, one client per line: NAME PROGRAM LISTENER HOST AUTH "LABEL"
# (NAME without its round; PROGRAM "-" where the process is not asserted:
# clients on another host; AUTH torsocks, cred:PREFIX (<torS0X>0 with a
# password PREFIX...), user:NAME, site (username = Tor Browser's site) or
# none).
own() {
	n=$1
	cat >"$T/want.$n"
	{ cat "$T/jc.py"; cat <<'PY'; } >"$T/own.$n.py"
import shlex
want = {}
for l in open(ARGS[0]):
    if l.strip():
        name, prog, listener, host, auth, label = shlex.split(l)
        want[name] = (prog, listener, host, auth, label)
users = {}
for c in C:
    prog, listener, host, auth, label = want[c.rsplit(".", 1)[0]]
    s = stream_of(c)
    print("  %-22s %-18s %-14s %s@%s%s" % (c, s["listener"], s["process"] or "(no process)", s["label"], s["host"],
          "/" + s["sub"] if s["sub"] else ""))
    assert s["listener"] == listener, ("client %s: listener" % c, s)
    assert s["label"] == label, ("client %s: the listener's label, as the profile names it" % c, label, s)
    assert s["host"] == host, ("client %s: host" % c, host, s)
    if prog != "-":
        # The process name is the kernel's (comm: 15 bytes at most).
        assert s["process"] == prog[:15] and s["pid"], ("client %s: the program" % c, s)
    if auth == "torsocks":
        assert (s["user"] or "").startswith("torsocks-") and s["password"] == "0", ("torsocks credentials", c, s)
        users[c] = s["user"]
    elif auth.startswith("cred:"):
        assert s["user"] == "<torS0X>0" and (s["password"] or "").startswith(auth[5:]), ("<torS0X>0 credentials", c, s)
    elif auth.startswith("user:"):
        assert s["user"] == auth[5:], ("SOCKS username", c, s)
    elif auth == "site":
        assert s["user"] and s["sub"] == s["user"] and s["user"].startswith(c.split(".")[0].split("-")[-1]), \
            ("a Tor Browser site is a sub-identity", c, s)
    else:
        assert s["user"] is None, ("no credentials", c, s)
assert {c.rsplit(".", 1)[0] for c in C} == set(want), ("clients", sorted(C), sorted(want))
assert len(set(users.values())) == len(users), ("torsocks usernames are per process", users)
print("  findings:", [brief(f) for f in F])
bad = [f for f in F if f["severity"] in ("warning", "critical")]
assert not bad, ("findings at warning or above on the system's own clients", [brief(f) for f in bad])
PY
	nx python3 "$T/own.$n.py" "$T/r.$n.json" "$T/db.$n" "$T/clients.$n" "$T/want.$n" || fail "$n: the system's own clients"
	if [ "$(cat "$T/check.$n.rc")" -ne 0 ] || [ -s "$T/check.$n" ] || [ -s "$T/check.$n.err" ]; then
		sed 's/^/  out| /' "$T/check.$n"
		sed 's/^/  err| /' "$T/check.$n.err"
		fail "$n: check --min-severity warning: exit $(cat "$T/check.$n.rc"), want 0 and no output"
	fi
}

# injected N RULE LISTENER LABEL PROG-A PROG-B REMEDY-PREFIX: exactly one
# RULE cause for the pair on the listener, with the system's remedy.
injected() {
	n=$1
	shift
	{ cat "$T/jc.py"; cat <<'PY'; } >"$T/inj.$n.py"
rule, L, label, a, b, remedy, checkf = ARGS
PAIR = sorted([app_id(a), app_id(b)])
S = {c: stream_of(c) for c in C}
for c, s in S.items():
    assert s["process"] == c.split(".")[0] and s["listener"] == L and s["label"] == label, ("client", c, s)
print("  findings:", [brief(f) for f in F])
keys = [(f["rule"], f["listener"], tuple(sorted(f["identities"])),
         f["rule"] == "SHARED_EXIT" and tuple(sorted({o["exit"] for o in f["occurrences"]}))) for f in F]
assert len(keys) == len(set(keys)), ("a cause listed twice", keys)
assert len({f["cause"] for f in F}) == len(F), ("a cause key twice", [f["cause"] for f in F])
mine = [f for f in F if f["rule"] == rule]
assert len(mine) == 1, ("exactly one %s cause" % rule, [brief(f) for f in mine])
f = mine[0]
assert f["severity"] == "warning" and f["listener"] == L, f
assert sorted(f["identities"]) == PAIR, ("the pair", f["identities"], PAIR)
assert f["apps"] == [label], ("the listener's label", f["apps"])
assert (f["remedy"] or "").startswith(remedy), ("the system's remedy", f["remedy"], remedy)
ex = {exit_key(s["session"], s["circ"]) for c, s in S.items() if c.startswith(a + ".")}
bx = {exit_key(s["session"], s["circ"]) for c, s in S.items() if c.startswith(b + ".")}
shared = ex & bx
sc = [g for g in F if g["rule"] == "SHARED_CIRCUIT"]
print("  exit circuits shared by the pair:", sorted(shared))
if shared:
    assert len(sc) == 1 and sorted(sc[0]["identities"]) == PAIR, ("one SHARED_CIRCUIT for the pair", [brief(g) for g in sc])
else:
    assert not sc, ("SHARED_CIRCUIT without a shared circuit", [brief(g) for g in sc])
loud = [g for g in F if g["severity"] in ("warning", "critical")]
assert sorted(g["rule"] for g in loud) == sorted([rule] + (["SHARED_CIRCUIT"] if shared else [])), \
    ("nothing else at warning or above", [brief(g) for g in loud])
lines = [l for l in open(checkf).read().splitlines() if " %s " % rule in l]
assert len(lines) == 1 and ("what to do: " + remedy) in lines[0], ("check's line with the remedy", lines)
PY
	nx python3 "$T/inj.$n.py" "$T/r.$n.json" "$T/db.$n" "$T/clients.$n" "$@" "$T/check.$n" ||
	    fail "$n: the injected misconfiguration"
	[ "$(cat "$T/check.$n.rc")" -eq 1 ] || fail "$n: check exit $(cat "$T/check.$n.rc"), want 1"
}

# pair N PROG-A PROG-B PROXY URL-A URL-B: A held 3 s, B half a second later,
# both without credentials.
pair() {
	run "$2.1" "$T/bin/$2" --proxy "$4" "$5"
	sleep 0.5
	run "$3.1" "$T/bin/$3" --proxy "$4" "$6"
	finish_round "$1"
}

LOC=localhost
WS="workstation 10.152.152.11"

# --- Whonix-Gateway ------------------------------------------------------------------------
switch whonix-gateway
has_listener whonix-gateway 127.0.0.1:9050 127.0.0.1:9108 127.0.0.1:9115 127.0.0.1:9150 \
    127.0.0.1:9152 10.152.152.10:9150 10.152.152.10:9108 127.0.0.1:9040 127.0.0.1:5300 127.0.0.1:5400
# /etc/tor/torsocks.conf as uwt installs it (torsocks.conf.anondist).
cat >"$T/torsocks.whonix" <<EOF
TorAddress 127.0.0.1
TorPort 9050
OnionAddrRange 127.42.42.0/24
AllowInbound 1
AllowOutboundLocalhost 1
IsolatePID 1
EOF
mon_start whonix whonix-gateway
(
	export TORSOCKS_CONF_FILE="$T/torsocks.whonix" TORSOCKS_LOG_LEVEL=1
	run apt-get.1 torsocks "$T/bin/apt-get" "http://$MAPPED:$T0/?sleep=1"
	run git.1 torsocks "$T/bin/git" "http://$MAPPED:$T1/?sleep=1"
	run git-b.1 torsocks "$T/bin/git" "http://$MAPPED:$T1/?sleep=1"
	run wget.1 torsocks "$T/bin/wget" "http://$MAPPED:$T2/?sleep=1"
	run curl.1 "$T/bin/curl" --proxy socks5h://127.0.0.1:9050/ \
	    --proxy-user "<torS0X>0:curl-wrapper_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run dnf.1 "$T/bin/dnf" --proxy socks5h://127.0.0.1:9050/ \
	    --proxy-user "<torS0X>0:dnf-wrapper_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run tb-updater.1 "$T/bin/tb-updater" --proxy socks5h://127.0.0.1:9115/ \
	    --proxy-user "<torS0X>0:tb-updater_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run sdwdate-a.1 "$T/bin/sdwdate" --socks5-hostname 127.0.0.1:9108 "http://127.0.0.1:$T1/?sleep=1"
	run sdwdate-b.1 "$T/bin/sdwdate" --socks5-hostname 127.0.0.1:9108 "http://127.0.0.1:$T2/?sleep=1"
	run ws-sdwdate.1 "$T/bin/sdwdate" --interface 10.152.152.11 \
	    --socks5-hostname 10.152.152.10:9108 "http://127.0.0.1:$T1/?sleep=1"
	run tb-site1.1 "$T/bin/firefox.real" --interface 10.152.152.11 --proxy socks5h://10.152.152.10:9150/ \
	    --proxy-user "site1.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run tb-site2.1 "$T/bin/firefox.real" --interface 10.152.152.11 --proxy socks5h://10.152.152.10:9150/ \
	    --proxy-user "site2.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	finish_round whonix
) || exit 1
mon_stop
own whonix <<EOF
apt-get apt-get 127.0.0.1:9050 $LOC torsocks "default (torsocks, uwt)"
git git 127.0.0.1:9050 $LOC torsocks "default (torsocks, uwt)"
git-b git 127.0.0.1:9050 $LOC torsocks "default (torsocks, uwt)"
wget wget 127.0.0.1:9050 $LOC torsocks "default (torsocks, uwt)"
curl curl 127.0.0.1:9050 $LOC cred:curl-wrapper_ "default (torsocks, uwt)"
dnf dnf 127.0.0.1:9050 $LOC cred:dnf-wrapper_ "default (torsocks, uwt)"
tb-updater tb-updater 127.0.0.1:9115 $LOC cred:tb-updater_ "Tor Browser download (tb-updater)"
sdwdate-a sdwdate 127.0.0.1:9108 $LOC none sdwdate
sdwdate-b sdwdate 127.0.0.1:9108 $LOC none sdwdate
ws-sdwdate - 10.152.152.10:9108 "$WS" none sdwdate
tb-site1 - 10.152.152.10:9150 "$WS" site "Tor Browser"
tb-site2 - 10.152.152.10:9150 "$WS" site "Tor Browser"
EOF
ok "whonix-gateway: detected; 12 clients as Whonix drives them (torsocks IsolatePID, <torS0X>0, sdwdate, tb-updater, the Workstation's Tor Browser sites): labelled as Whonix names its ports, nothing at warning"

mon_start whonix-bad whonix-gateway
pair whonix-bad electrum bitcoin-qt socks5h://127.0.0.1:9152/ \
    "http://127.0.0.1:$T0/?sleep=3" "http://127.0.0.1:$T0/?sleep=1"
mon_stop
injected whonix-bad SHARED_PORT_PROCESSES 127.0.0.1:9152 "custom 9152" electrum bitcoin-qt \
    "start the program with uwt or torsocks"
ok "whonix-gateway: electrum and bitcoin-qt without credentials on 9152: one SHARED_PORT_PROCESSES cause with Whonix's remedy"

# --- Qubes-Whonix ---------------------------------------------------------------------------
switch qubes-whonix
has_listener qubes-whonix 127.0.0.1:9104 10.137.0.7:9104 10.137.0.7:9150 10.137.0.7:9108
mon_start qubes qubes-whonix
run tinyproxy.1 "$T/bin/tinyproxy" --proxy socks5h://127.0.0.1:9104/ "http://127.0.0.1:$T0/?sleep=1"
run qube-sdwdate.1 "$T/bin/sdwdate" --interface 10.137.0.20 \
    --socks5-hostname 10.137.0.7:9108 "http://127.0.0.1:$T1/?sleep=1"
run tb-site1.1 "$T/bin/firefox.real" --interface 10.137.0.20 --proxy socks5h://10.137.0.7:9150/ \
    --proxy-user "site1.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
finish_round qubes
mon_stop
own qubes <<EOF
tinyproxy tinyproxy 127.0.0.1:9104 $LOC none "Qubes template updates (tinyproxy)"
qube-sdwdate - 10.137.0.7:9108 "qube 10.137.0.20" none sdwdate
tb-site1 - 10.137.0.7:9150 "qube 10.137.0.20" site "Tor Browser"
EOF
ok "qubes-whonix: detected (Whonix's ports on 10.137.0.7); 9104 is tinyproxy's template updates, an AppVM is 'qube 10.137.0.20'; nothing at warning"

mon_start qubes-bad qubes-whonix
pair qubes-bad tinyproxy electrum socks5h://127.0.0.1:9104/ \
    "http://127.0.0.1:$T0/?sleep=3" "http://127.0.0.1:$T1/?sleep=1"
mon_stop
injected qubes-bad SHARED_PORT_PROCESSES 127.0.0.1:9104 "Qubes template updates (tinyproxy)" \
    tinyproxy electrum "start the program with uwt or torsocks"
ok "qubes-whonix: electrum beside tinyproxy on 9104 without credentials: one SHARED_PORT_PROCESSES cause with Whonix's remedy"

# --- Tails ----------------------------------------------------------------------------------
switch tails
has_listener tails 127.0.0.1:9050 127.0.0.1:9062 10.200.1.1:9050 127.0.0.1:9040 127.0.0.1:5353
mon_start tails tails
run thunderbird.1 "$T/bin/thunderbird" --socks5-hostname 127.0.0.1:9050 "http://127.0.0.1:$T0/?sleep=1"
run pidgin.1 "$T/bin/pidgin" --socks5-hostname 127.0.0.1:9050 "http://127.0.0.1:$T1/?sleep=1"
run tails-upgrade-frontend.1 "$T/bin/tails-upgrade-frontend" --socks5-hostname 127.0.0.1:9062 \
    "http://127.0.0.1:$T0/?sleep=1"
run htpdate.1 "$T/bin/htpdate" --socks5-hostname 127.0.0.1:9062 "http://127.0.0.1:$T2/?sleep=1"
run tb-site1.1 "$T/bin/firefox.real" --interface 10.200.1.2 --proxy socks5h://10.200.1.1:9050/ \
    --proxy-user "site1.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
run tb-site2.1 "$T/bin/firefox.real" --interface 10.200.1.2 --proxy socks5h://10.200.1.1:9050/ \
    --proxy-user "site2.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
finish_round tails
mon_stop
own tails <<EOF
thunderbird thunderbird 127.0.0.1:9050 $LOC none "default (applications)"
pidgin pidgin 127.0.0.1:9050 $LOC none "default (applications)"
tails-upgrade-frontend tails-upgrade-frontend 127.0.0.1:9062 $LOC none "Tails' own tools"
htpdate htpdate 127.0.0.1:9062 $LOC none "Tails' own tools"
tb-site1 - 10.200.1.1:9050 "Tor Browser's namespace" site "Tor Browser"
tb-site2 - 10.200.1.1:9050 "Tor Browser's namespace" site "Tor Browser"
EOF
ok "tails: detected; applications on 9050 to different destinations, Tails' tools on 9062, Tor Browser's sites from its namespace: labelled as Tails names them, nothing at warning"

mon_start tails-bad tails
pair tails-bad thunderbird pidgin socks5h://127.0.0.1:9050/ \
    "http://127.0.0.1:$T0/?sleep=3" "http://127.0.0.1:$T0/?sleep=1"
mon_stop
injected tails-bad UNISOLATED_PORT 127.0.0.1:9050 "default (applications)" thunderbird pidgin \
    "run each program with torsocks --isolate (its own SOCKS credentials on 127.0.0.1:9050"
ok "tails: two applications to one destination on 9050: one UNISOLATED_PORT cause with Tails' remedy"

# --- Debian ---------------------------------------------------------------------------------
switch debian
has_listener debian 127.0.0.1:9050
grep -q "10.200.1.1\|:9062\|:9100\|:9040" "$T/debian.listeners" && { cat "$T/debian.listeners"; fail "debian: another system's listener left"; }
mon_start debian debian
# torsocks as Debian ships it: /etc/tor/torsocks.conf (TorPort 9050), --isolate.
run apt-get.1 "$T/bin/apt-get" --proxy socks5h://127.0.0.1:9050/ --proxy-user "apt-transport-tor:" \
    "http://127.0.0.1:$T0/?sleep=1"
run apt-get.2 "$T/bin/apt-get" --proxy socks5h://127.0.0.1:9050/ --proxy-user "apt-transport-tor:" \
    "http://127.0.0.1:$T1/?sleep=1"
run git.1 env -u TORSOCKS_CONF_FILE torsocks --isolate "$T/bin/git" "http://$MAPPED:$T0/?sleep=1"
run wget.1 env -u TORSOCKS_CONF_FILE torsocks --isolate "$T/bin/wget" "http://$MAPPED:$T0/?sleep=1"
finish_round debian
mon_stop
own debian <<EOF
apt-get apt-get 127.0.0.1:9050 $LOC user:apt-transport-tor default
git git 127.0.0.1:9050 $LOC torsocks default
wget wget 127.0.0.1:9050 $LOC torsocks default
EOF
ok "debian: detected; apt (apt-transport-tor) and torsocks --isolate programs on 9050: nothing at warning"

mon_start debian-bad debian
pair debian-bad electrum bitcoin-qt socks5h://127.0.0.1:9050/ \
    "http://127.0.0.1:$T0/?sleep=3" "http://127.0.0.1:$T1/?sleep=1"
mon_stop
injected debian-bad SHARED_PORT_PROCESSES 127.0.0.1:9050 default electrum bitcoin-qt \
    "run each program with torsocks --isolate"
ok "debian: two programs without credentials on 9050: one SHARED_PORT_PROCESSES cause with Debian's remedy"

echo "t_profiles: $(( $(date +%s) - t_start )) s (tornet up ${t_up} s)"
exit 0
