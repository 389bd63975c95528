#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A Whonix-Gateway on the private network: tornet's client carries the
# Gateway's real SocksPort and HTTPTunnelPort lines (tests/tornet/README.md,
# "Whonix-Gateway listeners": upstream port P on 127.0.0.1:BASE+P-8900), the
# config names them as isoaudit's built-in Whonix map does (9050 "default"
# shared, 9150 "Tor Browser" by SOCKS username, ...), and the clients are
# driven as Whonix drives them: uwt runs programs under torsocks with
# Whonix's torsocks.conf (IsolatePID 1: username torsocks-PID:TIME); uwt's
# curl and dnf wrappers send `<torS0X>0:TOOL-wrapper_RANDOM43`; Tor Browser
# sends a username per first-party site on 9150; sdwdate, HexChat and
# tb-updater use their own ports.  Every client is a real program: curl
# under the program's name ($T/bin/git ...), since a program is an
# application (SPEC.md 0.2).
#   1  all of them at once, twice, a NEWNYM between: `check --min-severity
#      warning` prints nothing (exit 0), the report holds nothing at warning
#      or above
#   2  a real misconfiguration: two programs (electrum, bitcoin-qt) without
#      credentials on the bitcoin port (9111, plain flags), together in each
#      of four NYM epochs: exactly one SHARED_PORT_PROCESSES cause for the
#      pair and listener, exactly one SHARED_CIRCUIT cause for the pair when
#      Tor put them on one circuit, with an occurrence for each circuit they
#      shared; `check` prints each cause once (a check after the first epoch,
#      one at the end, a second one at the end prints nothing)
# torsocks refuses loopback targets (Whonix's torsocks.conf lets them
# bypass Tor), so torsocks clients fetch $TORNET_MAPPED_ADDR, which the
# client maps to 127.0.0.1 (MapAddress).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
command -v torsocks >/dev/null || { echo "torsocks not installed (scripts/deps)"; exit 77; }
[ -n "${TORNET_WHONIX_9050:-}" ] || fail "no Whonix listeners in $TORNET_DIR/env (tornet too old?)"
TORNET="$(dirname "$0")/../tornet/tornet"
t_start=$(date +%s)

# shellcheck disable=SC2086 # a list of ports
set -- $TORNET_TARGETS
T0=$1 T1=$2 T2=$3
MAPPED=$TORNET_MAPPED_ADDR
W() { eval "echo \$TORNET_WHONIX_$1"; }	# W 9050: the rebound port
P9050=$(W 9050) P9150=$(W 9150)

# --- the config: the built-in Whonix map on the rebound ports -------------------
{
	echo "LogTargets plain"
	echo "SharedPort $P9050 \"default\""
	echo "App $(W 9100) \"legacy/Tor Browser\""
	echo "App $(W 9101) \"IRC\""
	echo "App $(W 9102) \"mail\""
	echo "App $(W 9103) \"instant messenger\""
	echo "App $(W 9104) \"apt-get\""
	echo "App $(W 9105) \"gpg\""
	echo "App $(W 9106) \"ssh\""
	echo "App $(W 9107) \"git\""
	echo "App $(W 9108) \"sdwdate\""
	echo "App $(W 9109) \"wget\""
	echo "App $(W 9110) \"systemcheck\""
	echo "App $(W 9111) \"bitcoin\""
	echo "App $(W 9114) \"news\""
	echo "App $(W 9115) \"Tor Browser download\""
	echo "App $(W 9117) \"curl\""
	echo "App $(W 9118) \"RSS\""
	echo "SharedPort $(W 9122) \"KDE-wide proxy\""
	echo "SharedPort $(W 9123) \"GNOME-wide proxy\""
	echo "App $(W 9124) \"aptitude\""
	echo "App $(W 9125) \"yum\""
	echo "App $P9150 \"Tor Browser\" IsolateBy socks-username"
	for p in $(seq 9152 9159); do echo "App $(W "$p") \"custom $p\""; done
	for p in $(seq 9160 9169); do echo "App $(W "$p") \"custom $p (IsolateDestAddr)\""; done
	for p in $(seq 9170 9179); do echo "App $(W "$p") \"custom $p (IsolateDestPort)\""; done
	for p in $(seq 9180 9189); do echo "App $(W "$p") \"custom $p (IsolateDestAddr IsolateDestPort)\""; done
	for p in $(seq 9190 9229); do echo "App $(W "$p") \"http tunnel $p\""; done
} >"$T/conf"
"$ISOAUDIT" -c "$T/conf" config --check >"$T/config.out" 2>&1 ||
    { sed 's/^/  | /' "$T/config.out"; fail "config --check refuses the Whonix config"; }

# --- the programs, and Whonix's torsocks.conf on the rebound 9050 ----------------
mkdir -p "$T/bin"
for x in apt-get git wget dnf sdwdate hexchat tb-updater firefox.real electrum bitcoin-qt; do
	cp "$(command -v curl)" "$T/bin/$x"
done
# /etc/tor/torsocks.conf as uwt installs it (torsocks.conf.anondist), with
# TorPort rebound.
cat >"$T/torsocks.conf" <<EOF
TorAddress 127.0.0.1
TorPort $P9050
OnionAddrRange 127.42.42.0/24
AllowInbound 1
AllowOutboundLocalhost 1
IsolatePID 1
EOF
export TORSOCKS_CONF_FILE="$T/torsocks.conf"
export TORSOCKS_LOG_LEVEL=1	# as uwtwrapper sets it
# A random password as uwt's wrappers make it (43 alphanumerics).
rand43() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 43; }

# --- helpers -----------------------------------------------------------------------

# mon_start N: monitor into $T/db.N until mon_stop.
mon_start() {
	n=$1
	"$ISOAUDIT" -c "$T/conf" monitor --control "$TORNET_CONTROL" \
	    --db "$T/db.$n" >"$T/mon.$n.out" 2>"$T/mon.$n.err" &
	mon=$!
	BGPIDS="$BGPIDS $mon"
	wait_for "$T/mon.$n.out" "attached to Tor" 20 ||
	    fail "scenario $n: monitor did not attach"
}

# mon_stop: SIGTERM, exit 0 expected; then report --format json to $T/r.N.json.
mon_stop() {
	kill -TERM "$mon"
	wait "$mon"
	rc=$?
	BGPIDS=$(echo "$BGPIDS" | sed "s/ $mon\$//; s/ $mon / /")
	[ "$rc" -eq 0 ] || { sed 's/^/  | /' "$T/mon.$n.err"; fail "scenario $n: monitor exit $rc after SIGTERM"; }
	"$ISOAUDIT" -c "$T/conf" report --db "$T/db.$n" --format json --all \
	    >"$T/r.$n.json" 2>"$T/r.$n.err" ||
	    { cat "$T/r.$n.err"; fail "scenario $n: report"; }
}

# run NAME CMD...: the client CMD (a curl, under torsocks or not; the URL
# among its arguments) in the background; body and local port go to
# $T/NAME.out.  The names of a round are collected in $RUNNING.
RUNNING=""
run() {
	name=$1
	shift
	"$@" -sS --max-time 60 -w ' %{local_port}' >"$T/$name.out" 2>"$T/$name.err" &
	echo $! >"$T/$name.pid"
	RUNNING="$RUNNING $name"
}

# finish_round N: waits for every client of the round, checks each body,
# and waits until the monitor of scenario N saw each one's stream closed.
# "NAME LOCALPORT" lines are appended to $T/clients.N.
finish_round() {
	for c in $RUNNING; do
		wait "$(cat "$T/$c.pid")" || fail "$c failed: $(cat "$T/$c.err")"
		out=$(cat "$T/$c.out")
		case $out in
		"isoaudit-target "*) ;;
		*) fail "$c: unexpected body: $out ($(cat "$T/$c.err"))" ;;
		esac
		echo "$c ${out##* }" >>"$T/clients.$1"
		echo "$c $(cat "$T/$c.pid")" >>"$T/pids.$1"
	done
	for c in $RUNNING; do
		lp=$(sed -n "s/^$c //p" "$T/clients.$1")
		wait_for "$T/mon.$1.out" "stream [0-9]+ CLOSED .* from 127\.0\.0\.1:$lp " 20 ||
		    fail "$1: the stream of $c (from port $lp) not seen closed"
	done
	RUNNING=""
}

# newnym N K: SIGNAL NEWNYM, and wait until the monitor of scenario N has
# seen K NEWNYMs take effect (Tor defers one asked for within 10 s of the
# last, and says so when it takes effect).
newnym() {
	sh "$TORNET" ctl "$TORNET_DIR" "SIGNAL NEWNYM" >"$T/newnym.out" 2>&1 ||
	    { cat "$T/newnym.out"; fail "$1: SIGNAL NEWNYM"; }
	i=0
	while [ "$(grep -c "signal NEWNYM" "$T/mon.$1.out")" -lt "$2" ]; do
		i=$((i + 1))
		[ "$i" -le 150 ] || fail "$1: NEWNYM $2 not seen by the monitor within 15 s"
		sleep 0.1
	done
}

# Common Python prelude: R (the report), DB (sqlite3), C (the clients: name
# -> local port), helpers; on an assertion the findings are printed.
cat >"$T/jc.py" <<'PY'
import json, os, sqlite3, sys, traceback
R = json.load(open(sys.argv[1]))
DB = sqlite3.connect(sys.argv[2])
C = dict(l.split() for l in open(sys.argv[3]))
# Each client's pid (the curl: torsocks execs it): the kernel may give a
# local port again to a later connection to another listener, so a port
# can have two stream rows; the client's own is the one with its pid.
_d, _b = os.path.split(sys.argv[3])
P = dict(l.split() for l in open(os.path.join(_d, "pids." + _b.split(".", 1)[1])))
ARGS = sys.argv[4:]
F = R["findings"]
def _hook(t, v, tb):
    traceback.print_exception(t, v, tb)
    print("findings:", json.dumps(F, indent=1))
sys.excepthook = _hook
def stream_of(client):
    """The stream row of a client (by its local port)."""
    rows = DB.execute("SELECT s.stream_id, s.circ_id, a.label, a.sub, s.process, s.pid, s.listener, "
        "s.socks_username, s.socks_password, s.nym_epoch, s.session, s.target FROM stream s "
        "LEFT JOIN app a ON a.id = s.app WHERE s.client_addr = ?", ("127.0.0.1:" + C[client],)).fetchall()
    if len(rows) > 1:
        rows = [r for r in rows if r[5] == int(P[client])]
    assert len(rows) == 1, ("stream rows of", client, C[client], P[client], rows)
    k = ("id", "circ", "label", "sub", "process", "pid", "listener", "user", "password", "epoch", "session", "target")
    d = dict(zip(k, rows[0]))
    for x in ("user", "password"):  # kept as Tor quotes them (LogTargets plain)
        v = d[x]
        if v is not None and len(v) >= 2 and v[0] == v[-1] == '"':
            d[x] = v[1:-1]
    return d
def exit_key(session, cid):
    """A circuit's exit circuit: its conflux set, else the circuit itself."""
    r = DB.execute("SELECT conflux_id FROM circuit WHERE session = ? AND circ_id = ?", (session, int(cid))).fetchone()
    assert r is not None, ("no circuit", session, cid)
    return r[0] or "circ %s" % cid
def brief(f):
    return (f["rule"], f["severity"], f["listener"], sorted(f["identities"]), len(f["occurrences"]))
PY

# pycheck N ARGS... <<'PY': runs the check (stdin) after the prelude.
pycheck() {
	n=$1
	shift
	{ cat "$T/jc.py"; cat; } >"$T/chk.$n.py"
	python3 "$T/chk.$n.py" "$T/r.$n.json" "$T/db.$n" "$T/clients.$n" "$@"
}

# --- 1: Whonix's own clients, all at once, twice -------------------------------------
# One round: four torsocks'd programs on 9050 (git twice: two processes, one
# application), uwt's curl and dnf wrappers on 9050 with <torS0X>0, Tor
# Browser on 9150 with two sites, sdwdate (9108) to two destinations,
# HexChat (9101), tb-updater (9115, <torS0X>0).
round1() {
	r=$1
	run "apt-get.$r" torsocks "$T/bin/apt-get" "http://$MAPPED:$T0/?sleep=1"
	run "git.$r" torsocks "$T/bin/git" "http://$MAPPED:$T1/?sleep=1"
	run "git-b.$r" torsocks "$T/bin/git" "http://$MAPPED:$T1/?sleep=1"
	run "wget.$r" torsocks "$T/bin/wget" "http://$MAPPED:$T2/?sleep=1"
	run "curl.$r" curl --proxy "socks5h://127.0.0.1:$P9050/" \
	    --proxy-user "<torS0X>0:curl-wrapper_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run "dnf.$r" "$T/bin/dnf" --proxy "socks5h://127.0.0.1:$P9050/" \
	    --proxy-user "<torS0X>0:dnf-wrapper_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run "tb-site1.$r" "$T/bin/firefox.real" --proxy "socks5h://127.0.0.1:$P9150/" \
	    --proxy-user "site1.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run "tb-site2.$r" "$T/bin/firefox.real" --proxy "socks5h://127.0.0.1:$P9150/" \
	    --proxy-user "site2.example:$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	run "sdwdate-a.$r" "$T/bin/sdwdate" --socks5-hostname "127.0.0.1:$(W 9108)" "http://127.0.0.1:$T1/?sleep=1"
	run "sdwdate-b.$r" "$T/bin/sdwdate" --socks5-hostname "127.0.0.1:$(W 9108)" "http://127.0.0.1:$T2/?sleep=1"
	run "hexchat.$r" "$T/bin/hexchat" --socks5-hostname "127.0.0.1:$(W 9101)" "http://127.0.0.1:$T2/?sleep=1"
	run "tb-updater.$r" "$T/bin/tb-updater" --proxy "socks5h://127.0.0.1:$(W 9115)/" \
	    --proxy-user "<torS0X>0:tb-updater_$(rand43)" "http://127.0.0.1:$T0/?sleep=1"
	finish_round 1
}
: >"$T/clients.1"
: >"$T/pids.1"
mon_start 1
round1 1
newnym 1 1
round1 2
mon_stop
"$ISOAUDIT" -c "$T/conf" check --db "$T/db.1" --min-severity warning >"$T/check1.out" 2>"$T/check1.err"
crc=$?
pycheck 1 "$P9050" "$P9150" "$(W 9108)" "$(W 9101)" "$(W 9115)" <<'PY' || fail "scenario 1"
P9050, P9150, P9108, P9101, P9115 = ("127.0.0.1:" + a for a in ARGS)
want = {  # client -> (program, listener, how it authenticates)
    "apt-get": ("apt-get", P9050, "torsocks"), "git": ("git", P9050, "torsocks"),
    "git-b": ("git", P9050, "torsocks"), "wget": ("wget", P9050, "torsocks"),
    "curl": ("curl", P9050, "curl-wrapper_"), "dnf": ("dnf", P9050, "dnf-wrapper_"),
    "tb-site1": ("firefox.real", P9150, "site1.example"), "tb-site2": ("firefox.real", P9150, "site2.example"),
    "sdwdate-a": ("sdwdate", P9108, None), "sdwdate-b": ("sdwdate", P9108, None),
    "hexchat": ("hexchat", P9101, None), "tb-updater": ("tb-updater", P9115, "tb-updater_"),
}
epochs = set()
users = {}
for c in C:
    base, r = c.rsplit(".", 1)
    prog, listener, auth = want[base]
    s = stream_of(c)
    assert s["process"] == prog and s["listener"] == listener, ("client %s: program and listener" % c, s)
    if auth == "torsocks":
        assert (s["user"] or "").startswith("torsocks-") and s["password"] == "0", ("IsolatePID credentials", c, s)
        users[c] = s["user"]
    elif auth and auth.endswith("_"):
        assert s["user"] == "<torS0X>0" and (s["password"] or "").startswith(auth), ("<torS0X>0 credentials", c, s)
    elif auth:
        assert s["user"] == auth and s["sub"] == auth and s["label"] == "Tor Browser", ("a Tor Browser site", c, s)
    else:
        assert s["user"] is None, ("no credentials", c, s)
    epochs.add(s["epoch"])
assert len(C) == 2 * len(want), ("clients", sorted(C))
assert len(set(users.values())) == len(users), ("torsocks usernames are per process", users)
assert len(epochs) == 2, ("two NYM epochs", epochs)
print("all findings:", [brief(f) for f in F])
bad = [f for f in F if f["severity"] in ("warning", "critical")]
assert not bad, ("findings at warning or above", [brief(f) for f in bad])
PY
if [ "$crc" -ne 0 ] || [ -s "$T/check1.out" ] || [ -s "$T/check1.err" ]; then
	sed 's/^/  out| /' "$T/check1.out"
	sed 's/^/  err| /' "$T/check1.err"
	fail "1: check --min-severity warning: exit $crc, want 0 and no output"
fi
ok "1: Whonix's clients (torsocks IsolatePID, <torS0X>0, Tor Browser sites, own ports), 12 clients of 9 programs, twice, two NYM epochs: nothing at warning, check silent"

# --- 2: two programs without credentials on the bitcoin port, four NYM epochs ------------
# electrum first and held 3 s, bitcoin-qt half a second later: equal
# isolation keys in one epoch, so Tor may (and mostly does) put the second
# on the first's circuit.
P9111=$(W 9111)
round2() {
	run "electrum.$1" "$T/bin/electrum" --socks5-hostname "127.0.0.1:$P9111" "http://127.0.0.1:$T0/?sleep=3"
	sleep 0.5
	run "bitcoin-qt.$1" "$T/bin/bitcoin-qt" --socks5-hostname "127.0.0.1:$P9111" "http://127.0.0.1:$T0/?sleep=1"
	finish_round 2
}
: >"$T/clients.2"
: >"$T/pids.2"
: >"$T/check2"
mon_start 2
round2 1
# The causes are news now: a check while the monitor runs prints them.
i=0
until grep -q " SHARED_PORT_PROCESSES " "$T/check2"; do
	"$ISOAUDIT" -c "$T/conf" check --db "$T/db.2" >>"$T/check2" 2>"$T/check2.err"
	[ $? -le 1 ] || { cat "$T/check2.err"; fail "2: check (during the run)"; }
	i=$((i + 1))
	[ "$i" -le 30 ] || { sed 's/^/  | /' "$T/check2"; fail "2: no SHARED_PORT_PROCESSES from check 15 s after the first epoch"; }
	sleep 0.5
done
for k in 1 2 3; do
	newnym 2 "$k"
	round2 $((k + 1))
done
mon_stop
"$ISOAUDIT" -c "$T/conf" check --db "$T/db.2" >>"$T/check2" 2>"$T/check2.err"
[ $? -le 1 ] || { cat "$T/check2.err"; fail "2: check (at the end)"; }
"$ISOAUDIT" -c "$T/conf" check --db "$T/db.2" >"$T/check2b" 2>"$T/check2b.err"
crc=$?
if [ "$crc" -ne 0 ] || [ -s "$T/check2b" ] || [ -s "$T/check2b.err" ]; then
	sed 's/^/  out| /' "$T/check2b"
	sed 's/^/  err| /' "$T/check2b.err"
	fail "2: a second check at the end: exit $crc, want 0 and no output"
fi
sed 's/^/  check| /' "$T/check2"
pycheck 2 "$P9111" "$T/check2" <<'PY' || fail "scenario 2"
L = "127.0.0.1:" + ARGS[0]
# Applications are executables with their uid (SPEC.md 0.2).
T = os.path.dirname(sys.argv[1])
PAIR = sorted("%s (uid %d)@localhost" % (os.path.realpath(os.path.join(T, "bin", x)), os.getuid())
              for x in ("bitcoin-qt", "electrum"))
checked = [l for l in open(ARGS[1]).read().splitlines() if l.strip()]
S = {c: stream_of(c) for c in C}
for c, s in S.items():
    assert s["process"] == c.split(".")[0] and s["listener"] == L and s["user"] is None, ("client", c, s)
sessions = {s["session"] for s in S.values()}
assert len(sessions) == 1, ("one Tor session", sessions)
session = sessions.pop()
epochs = {s["epoch"] for s in S.values()}
assert len(epochs) == 4, ("four NYM epochs", sorted(epochs))
for r in range(1, 5):
    e, b = S["electrum.%d" % r], S["bitcoin-qt.%d" % r]
    assert e["epoch"] == b["epoch"], ("one epoch per round", r, e, b)
# The exit circuits that carried both programs (Tor's choice).
ex = {exit_key(s["session"], s["circ"]) for c, s in S.items() if c.startswith("electrum.")}
bx = {exit_key(s["session"], s["circ"]) for c, s in S.items() if c.startswith("bitcoin-qt.")}
shared = ex & bx
print("epochs", sorted(epochs), "; exit circuits shared by the pair:", sorted(shared), "of", len(ex | bx))
print("findings:", [brief(f) for f in F])
# No two findings with one cause (SHARED_EXIT's cause is the pair and the exit).
keys = [(f["rule"], f["listener"], tuple(sorted(f["identities"])),
         f["rule"] == "SHARED_EXIT" and tuple(sorted({o["exit"] for o in f["occurrences"]}))) for f in F]
assert len(keys) == len(set(keys)), ("a cause listed twice", keys)
assert len({f["cause"] for f in F}) == len(F), ("a cause key twice", [f["cause"] for f in F])
# SHARED_PORT_PROCESSES: one cause, this pair on this listener.
spp = [f for f in F if f["rule"] == "SHARED_PORT_PROCESSES"]
assert len(spp) == 1, ("one SHARED_PORT_PROCESSES", [brief(f) for f in spp])
f = spp[0]
assert f["severity"] == "warning" and f["listener"] == L and sorted(f["identities"]) == PAIR, f
assert f["apps"] == ["bitcoin"] and f["circuit"] is None, f
assert f["cause"] and f["occurrences"], f
for o in f["occurrences"]:
    assert o["session"] == session and o["circuit"] is None, ("occurrence", o)
assert len(f["occurrences"]) == 1, ("one occurrence: one Tor session, no circuit", f["occurrences"])
o = f["occurrences"][0]
# Seen once a NYM epoch (bitcoin-qt's stream meets electrum's of its own
# epoch; the nym epoch is part of the key, so never one of another), and
# every stream of the pair listed.
assert o["count"] == 4 and f["count"] == 4, ("seen once an epoch", f["count"], o)
assert sorted(o["streams"]) == sorted(str(s["id"]) for s in S.values()), ("the pair's streams", o["streams"])
assert sorted({p["name"] for p in f["processes"]}) == ["bitcoin-qt", "electrum"], f["processes"]
assert {p["pid"] for p in f["processes"]} <= {s["pid"] for s in S.values()}, f["processes"]
# SHARED_CIRCUIT: one cause iff Tor shared a circuit, an occurrence each circuit.
sc = [f for f in F if f["rule"] == "SHARED_CIRCUIT"]
if shared:
    assert len(sc) == 1, ("one SHARED_CIRCUIT for the pair", [brief(f) for f in sc])
    g = sc[0]
    assert g["severity"] == "critical" and sorted(g["identities"]) == PAIR, g
    oc = [exit_key(o["session"], o["circuit"]) for o in g["occurrences"]]
    assert all(o["session"] == session for o in g["occurrences"]), g["occurrences"]
    assert len(oc) == len(set(oc)) == len(shared) and set(oc) == shared, \
        ("an occurrence for each shared circuit", oc, sorted(shared))
else:
    assert not sc, ("SHARED_CIRCUIT without a shared circuit", sc)
# Nothing else at warning or above (the port is not shared, no controller).
loud = [f for f in F if f["severity"] in ("warning", "critical")]
assert sorted(f["rule"] for f in loud) == sorted(["SHARED_PORT_PROCESSES"] + (["SHARED_CIRCUIT"] if shared else [])), \
    ("findings at warning or above", [brief(f) for f in loud])
# check printed each of them once, over all its runs.
for f in loud:
    mine = [l for l in checked if " %s " % f["rule"] in l]
    assert len(mine) == 1, ("check printed %s %d times" % (f["rule"], len(mine)), checked)
    assert " again " not in mine[0], mine
assert len(checked) == len(loud), ("check's lines", checked, [brief(f) for f in loud])
print("SHARED_PORT_PROCESSES occurrences:", spp[0]["occurrences"])
if shared:
    print("SHARED_CIRCUIT occurrences:", [(o["circuit"], o["count"]) for o in sc[0]["occurrences"]])
PY
ok "2: electrum and bitcoin-qt without credentials on the bitcoin port over four NYM epochs: one SHARED_PORT_PROCESSES cause$( grep -q ' SHARED_CIRCUIT ' "$T/check2" && echo ', one SHARED_CIRCUIT cause'), check printed each once"

echo "t_whonix: $(( $(date +%s) - t_start )) s"
exit 0
