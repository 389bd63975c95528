#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The client Tor SIGKILLed and restarted 10 times under one isoaudit
# monitor (--db, --record), with curl traffic through SocksPorts A, B, D
# and E (D and E share SessionGroup=42, so they share circuits: findings)
# in every Tor session.  Proves:
#   - the monitor never exits; it sees each kill, reconnects, and each
#     restart is a new Tor session: 11 tor_session rows, each with the pid
#     of the Tor process it talked to;
#   - no lost rows: every stream a curl completed (its local port is the
#     stream's SOURCE_ADDR, stored as client_addr) has a row in the session
#     it was made in, even the last ones before each kill;
#   - nothing mixes sessions: every stream a finding lists exists in that
#     finding's session and was opened within that session's lifetime, and
#     every stream, attachment and finding lies within its session;
#   - the transcript of all 11 sessions replays to the same output.
# Restores the shared tornet: the client is running and bootstrapped when
# the test ends, whatever happens.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
command -v curl >/dev/null || { echo "curl is not installed"; exit 77; }
[ -n "${TORNET_CONTROL:-}" ] || { echo "no Tor network (TORNET_DIR/env has no TORNET_CONTROL)"; exit 77; }
tornet="$(dirname "$0")/../tornet/tornet"
KILLS=${KILLS:-10}

client_running() {
	[ -s "$TORNET_CLIENT_PIDFILE" ] && kill -0 "$(cat "$TORNET_CLIENT_PIDFILE")" 2>/dev/null
}
restore_client() {
	client_running || sh "$tornet" start-client "$TORNET_DIR" >/dev/null 2>&1 ||
	    echo "WARNING: could not start the client tor again"
}
trap 'cleanup_bg; restore_client' EXIT
client_running || fail "the client tor is not running at the start"
: >"$T/empty.conf"

"$ISOAUDIT" -c "$T/empty.conf" monitor --control "$TORNET_CONTROL" \
    --db "$T/db" --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"

# traffic K: curls through A, B, D and E at once; each completed one is
# "K PORTNAME LOCALPORT" in $T/curls.
# Each App's client is a program of its own (two runs of one program are
# one application): curl under the names app-A, app-B, app-D, app-E.
mkdir -p "$T/bin"
for n in A B D E; do cp "$(command -v curl)" "$T/bin/app-$n"; done

traffic() {
	pids=""
	for pn in A:$TORNET_SOCKS_A B:$TORNET_SOCKS_B D:$TORNET_SOCKS_D E:$TORNET_SOCKS_E; do
		(
			out=$("$T/bin/app-${pn%%:*}" -sS --max-time 60 --socks5-hostname "127.0.0.1:${pn#*:}" \
			    -w ' %{local_port}' "http://127.0.0.1:$TORNET_TARGET/" 2>&1)
			echo "$? $(printf '%s' "$out" | tr '\n' ' ')" >"$T/curl.$1.${pn%%:*}"
		) &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	for n in A B D E; do
		read -r rc body tport lport rest <"$T/curl.$1.$n" || true
		case "$rc $body $tport $lport" in
		"0 isoaudit-target $TORNET_TARGET "[0-9]*) ;;
		*) fail "session $1: curl through $n: $(cat "$T/curl.$1.$n")" ;;
		esac
		echo "$1 $n $lport" >>"$T/curls"
	done
}

: >"$T/curls"
: >"$T/kills"
k=1
while :; do
	wait_for "$T/mon.out" " Tor session $k: " 60 || fail "no attach for Tor session $k"
	kill -0 "$mon" 2>/dev/null || fail "the monitor exited"
	echo "$k $(cat "$TORNET_CLIENT_PIDFILE")" >>"$T/pids"
	traffic "$k"
	[ "$k" -gt "$KILLS" ] && break
	# Kill right after the traffic: the last events are still in flight.
	echo "$k $(now_ms)" >>"$T/kills"
	sh "$tornet" stop-client "$TORNET_DIR" 2>>"$T/tornet.err" || fail "stop-client"
	t0=$(now_ms)
	sh "$tornet" start-client "$TORNET_DIR" 2>>"$T/tornet.err" || fail "start-client"
	echo "$(($(now_ms) - t0))" >>"$T/starts"
	k=$((k + 1))
done
ok "$KILLS kills, $((KILLS + 1)) Tor sessions, $(grep -c . "$T/curls") curls"

# Every curl's stream seen before the monitor stops.
for port in $(awk '$1 == '"$k"' { print $3 }' "$T/curls"); do
	wait_for "$T/mon.out" " NEW [^ ]+ from 127\.0\.0\.1:$port " 20 ||
	    fail "the last session's stream from $port not seen"
done
kill -0 "$mon" 2>/dev/null || fail "the monitor exited"
kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { tail "$T/mon.err"; fail "monitor exit $rc"; }
[ "$(grep -c "lost the control connection to Tor at $TORNET_CONTROL " "$T/mon.err")" -eq "$KILLS" ] ||
    { cat "$T/mon.err"; fail "want $KILLS lost-connection messages"; }
[ "$(grep -c "reconnected to Tor at $TORNET_CONTROL (Tor session " "$T/mon.err")" -eq "$KILLS" ] ||
    { cat "$T/mon.err"; fail "want $KILLS reconnections"; }
ok "the monitor ran through all of it (each loss and reconnection said once) and exited 0 on SIGTERM"
raw_bytes "$T/mon.out" "$T/mon.err"

python3 - "$T" "$KILLS" <<'PY' || fail "the database (see above)"
import datetime, json, os, sqlite3, sys
T, kills = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect("file:%s/db?mode=ro" % T, uri=True)
q = lambda sql, *a: db.execute(sql, a).fetchall()
bad = []

# 11 sessions, each a Tor process of its own.
sess = q("SELECT id, pid, started, ended, end_reason FROM tor_session ORDER BY id")
assert [s[0] for s in sess] == list(range(1, kills + 2)), sess
pids = dict(tuple(map(int, l.split())) for l in open(T + "/pids"))
for sid, pid, started, ended, why in sess:
    if pid != pids[sid]:
        bad.append("session %d: pid %s, but Tor's pid file said %d" % (sid, pid, pids[sid]))
    if ended is None or why is None:
        bad.append("session %d not ended" % sid)
    elif sid <= kills and "closed" not in why and "reset" not in why.lower():
        bad.append("session %d ended: %r" % (sid, why))
span = {s[0]: (s[2], s[3]) for s in sess}
assert len({s[1] for s in sess}) == kills + 1, "pids not distinct"

# Every completed curl has its stream row in its session.
curls = [l.split() for l in open(T + "/curls")]
for k, name, port in curls:
    rows = q("SELECT session, stream_id, status FROM stream WHERE client_addr = ?",
             "127.0.0.1:" + port)
    if not any(r[0] == int(k) for r in rows):
        bad.append("curl %s through %s from port %s: no stream in session %s (rows %s)"
                   % (k, name, port, k, rows))
    for r in rows:
        if not any(c[0] == str(r[0]) and c[2] == port for c in curls):
            bad.append("port %s's stream is in session %d, where no curl used it" % (port, r[0]))

# Nothing outside its session's lifetime.
for sid, (started, ended) in span.items():
    for what, sql in (("stream opened", "SELECT stream_id, opened FROM stream WHERE session = ? AND opened IS NOT NULL"),
                      ("attachment", "SELECT stream_id, at FROM attach WHERE session = ?"),
                      ("occurrence first seen", "SELECT rowid, first_seen FROM occurrence WHERE session = ?"),
                      ("occurrence last seen", "SELECT rowid, last_seen FROM occurrence WHERE session = ?")):
        for ident, t in q(sql, sid):
            if not started <= t <= ended:
                bad.append("session %d: %s %s at %d, outside %d..%d" % (sid, what, ident, t, started, ended))

# Findings are causes; each occurrence's streams exist in its session and
# are of the cause's applications (the programs, app-A ... app-E).
findings = q("SELECT o.rowid, c.rule, o.session, o.circ_id, o.streams, c.identities "
             "FROM occurrence o JOIN cause c ON c.id = o.cause")
shared = set()
def conflux_of(sid, circ):
    r = q("SELECT conflux_id FROM circuit WHERE session = ? AND circ_id = ?", sid, circ)
    return r[0][0] if r and r[0][0] else None
for fid, rule, sid, circ, streams, idents in findings:
    idents = set(json.loads(idents or "[]"))
    seen = set()
    last = q("SELECT last_seen FROM occurrence WHERE rowid = ?", fid)[0][0]
    for s in json.loads(streams or "[]"):
        r = q("SELECT s.opened, s.process, s.uid, a.label, a.host, a.sub FROM stream s JOIN app a ON a.id = s.app "
              "WHERE s.session = ? AND s.stream_id = ?", sid, int(s))
        if not r:
            bad.append("finding %d (%s, session %d) lists stream %s, not in session %d"
                       % (fid, rule, sid, s, sid))
            continue
        opened, proc, uid, label, host, sub = r[0]
        # The application (SPEC.md 0.2): the executable ($T/bin/app-X,
        # named as its process) and uid, else the App label.
        ident = ("%s (uid %d)" % (os.path.realpath(os.path.join(T, "bin", proc)), uid)
                 if proc else label) + "@" + host + ("/" + sub if sub else "")
        seen.add(ident)
        if ident not in idents:
            bad.append("finding %d (%s, session %d): stream %s of that session is %s, not one of %s"
                       % (fid, rule, sid, s, ident, sorted(idents)))
        if opened > last:
            bad.append("finding %d: stream %s opened after the finding's last sighting" % (fid, s))
        if rule == "SHARED_CIRCUIT" and circ:
            on = {c for (c,) in q("SELECT circ_id FROM attach WHERE session = ? AND stream_id = ?", sid, int(s))}
            cf = conflux_of(sid, circ)
            if circ not in on and not (cf and any(conflux_of(sid, c) == cf for c in on)):
                bad.append("finding %d: stream %s of session %d was never on circuit %d (or its conflux set)"
                           % (fid, s, sid, circ))
    if streams and json.loads(streams) and seen != idents:
        bad.append("finding %d (%s, session %d): identities %s, its streams are %s"
                   % (fid, rule, sid, sorted(idents), sorted(seen)))
    if circ:
        if not q("SELECT 1 FROM attach WHERE session = ? AND circ_id = ?", sid, circ) and \
           not q("SELECT 1 FROM circuit WHERE session = ? AND circ_id = ?", sid, circ):
            bad.append("finding %d: circuit %d unknown in session %d" % (fid, circ, sid))
    if rule == "SHARED_CIRCUIT":
        shared.add(sid)
for b in bad:
    print("  " + b)
if bad:
    sys.exit(1)
if not shared:
    print("  no SHARED_CIRCUIT finding at all (D and E share SessionGroup=42)")
    sys.exit(1)

# Numbers for docs/reliability.md.
def ts(line):
    return datetime.datetime.strptime(line[:23], "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp() * 1000
ended, attached = {}, {}
for l in open(T + "/mon.out"):
    w = l.split()
    if len(w) > 4 and w[1:3] == ["Tor", "session"] and w[4] == "ended:":
        ended[int(w[3])] = ts(l)
    elif " attached to Tor " in l:
        attached[int(l.split(" Tor session ")[1].split(":")[0])] = ts(l)
killed = dict((int(a), int(b)) for a, b in (l.split() for l in open(T + "/kills")))
detect = [ended[k] - killed[k] for k in sorted(killed)]
back = [attached[k + 1] - killed[k] for k in sorted(killed)]
starts = [int(l) for l in open(T + "/starts")]
streams = q("SELECT count(*) FROM stream")[0][0]
print("ok: %d completed curls each stored in its own session; %d streams, %d findings "
      "(SHARED_CIRCUIT in %d of %d sessions); none crosses a session"
      % (len(curls), streams, len(findings), len(shared), kills + 1))
print("ok: kill -> session ended: %d..%d ms; kill -> attached again: %d..%d ms (median %d); "
      "tornet start-client: %d..%d ms"
      % (min(detect), max(detect), min(back), max(back), sorted(back)[len(back) // 2],
         min(starts), max(starts)))
PY
grep -c 'retrying in' "$T/mon.err" | sed 's/^/ok: failed reconnect attempts (Tor not listening yet): /'

# (A copy of the database: the same key hashes the targets the same way.)
sqlite3 "$T/db" ".backup '$T/replay.db'" || fail "backup"
# The copy's hashes are the live database's: its key file goes with it.
cp -p "$T/db.key" "$T/replay.db.key" || fail "copy of the key file"
"$ISOAUDIT" -c "$T/empty.conf" replay --db "$T/replay.db" "$T/rec.txt" \
    >"$T/replay.out" 2>"$T/replay.err" || { cat "$T/replay.err"; fail "replay"; }
diff "$T/mon.out" "$T/replay.out" >"$T/replay.diff" || { head -20 "$T/replay.diff"; fail "the replay of the 11-session transcript differs"; }
ok "the transcript of $((KILLS + 1)) sessions replays to the same output"
client_running || fail "the client tor is not running at the end"
