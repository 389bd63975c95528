#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A filtering control-port proxy (onion-grater, as its source answers) is
# never attached to silently: named with --control it is one error line and
# exit 3; in a ControlPort list (discovery) it is skipped for the next
# address, and a port that accepts and never answers is given up after
# 10 s (for the next address when discovering); SIGTERM meanwhile ends it.
# Fakes only (tests/integration/fakector.py), all on 127.0.0.1.
. "$(dirname "$0")/lib.sh"
fake="$(dirname "$0")/fakector.py"

# onion-grater with Whonix's default profile, and with a profile that lets
# every GETINFO through but no event.
python3 "$fake" "$T/grater" --grater whonix &
BGPIDS="$BGPIDS $!"
python3 "$fake" "$T/noev" --grater noevents &
BGPIDS="$BGPIDS $!"
wait_for "$T/grater" '^[0-9]+$' 10 || fail "fake onion-grater did not start"
wait_for "$T/noev" '^[0-9]+$' 10 || fail "fake onion-grater (noevents) did not start"
G=$(cat "$T/grater") N=$(cat "$T/noev")

# 1. --control at the filter: the probe is refused, no session starts.
"$ISOAUDIT" monitor --control "127.0.0.1:$G" --db "$T/1.db" --duration 10 \
    >"$T/out1" 2>"$T/err1"
rc=$?
cat "$T/out1" "$T/err1"
[ "$rc" -eq 3 ] || fail "--control at onion-grater: exit $rc, want 3"
one_line "$T/err1"
grep -qF "isoaudit: 127.0.0.1:$G filters the control protocol (onion-grater?): GETINFO version process/pid refused (510 Command filtered); point isoaudit at Tor's own control port: --control unix:/run/tor/control or 127.0.0.1:9052 or 127.0.0.1:9051" "$T/err1" ||
    fail "the error line"
[ -s "$T/out1" ] && fail "a session was announced for the filter"
grep -q "^R SETEVENTS" "$T/grater.log" && fail "SETEVENTS was sent to the filter"
ok "--control at onion-grater (Whonix profile): one line, exit 3, no session"

# 2. A filter that answers the probe and refuses SETEVENTS STREAM: the
#    session it had ends, and the same one line.
"$ISOAUDIT" monitor --control "127.0.0.1:$N" --db "$T/2.db" --duration 10 \
    >"$T/out2" 2>"$T/err2"
rc=$?
cat "$T/out2" "$T/err2"
[ "$rc" -eq 3 ] || fail "SETEVENTS refused: exit $rc, want 3"
one_line "$T/err2"
grep -qF "isoaudit: 127.0.0.1:$N filters the control protocol (onion-grater?): SETEVENTS STREAM CIRC refused (510 Command filtered); point isoaudit at Tor's own control port:" "$T/err2" ||
    fail "the SETEVENTS error line"
grep -q "Tor session 1 ended: filters the control protocol" "$T/out2" ||
    fail "the filter's session did not end"
ok "SETEVENTS STREAM refused: one line, exit 3"

# 3. Discovery (ControlPort with several addresses): a closed port, the
#    filter, then the real one (fakector's small Tor): attached there.
printf '650 CIRC 10 LAUNCHED PURPOSE=GENERAL\r\n' >"$T/script"
python3 "$fake" "$T/real" "$T/script" &
BGPIDS="$BGPIDS $!"
wait_for "$T/real" '^[0-9]+$' 10 || fail "fake Tor did not start"
R=$(cat "$T/real")
# A port nobody listens on: bound, then closed.
D=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/conf" <<CONF
ControlPort 127.0.0.1:$D 127.0.0.1:$G 127.0.0.1:$R
CONF
"$ISOAUDIT" monitor -c "$T/conf" --db "$T/3.db" --duration 3 \
    --log-targets plain >"$T/out3" 2>"$T/err3"
rc=$?
cat "$T/out3" "$T/err3"
[ "$rc" -eq 0 ] || fail "discovery: exit $rc"
grep -q "attached to Tor 0.4.9.11 (pid 4242) at 127.0.0.1:$R with NULL, Tor session 1:" "$T/out3" ||
    fail "not attached to the real one as session 1"
grep -qF "using Tor's own control port at 127.0.0.1:$R (tried 127.0.0.1:$D: " "$T/err3" ||
    fail "no word of what was tried"
grep -qF "127.0.0.1:$G: filters the control protocol (onion-grater?)" "$T/err3" ||
    fail "the filter skipped without a word"
"$ISOAUDIT" config --check "$T/conf" >"$T/conf.out" 2>&1 || fail "config --check"
grep -qx "ControlPort 127.0.0.1:$D 127.0.0.1:$G 127.0.0.1:$R" "$T/conf.out" ||
    fail "config --check does not print the list"
ok "discovery skips a closed port and onion-grater, attaches to Tor"

# 4. Discovery with nothing but a closed port and the filter: one line
#    that names what was tried and what to do.
printf 'ControlPort 127.0.0.1:%s 127.0.0.1:%s\n' "$D" "$G" >"$T/conf4"
"$ISOAUDIT" monitor -c "$T/conf4" --db "$T/4.db" --duration 10 \
    >"$T/out4" 2>"$T/err4"
rc=$?
cat "$T/out4" "$T/err4"
[ "$rc" -eq 3 ] || fail "discovery without Tor: exit $rc, want 3"
one_line "$T/err4"
grep -qF "isoaudit: cannot reach Tor's own control port (tried 127.0.0.1:$D: Connection refused; 127.0.0.1:$G: filters the control protocol (onion-grater?): GETINFO version process/pid refused (510 Command filtered)); point isoaudit at Tor's ControlPort or ControlSocket, not at a filter, with --control" "$T/err4" ||
    fail "the discovery error line"
ok "discovery with only a filter: one line naming what was tried, exit 3"

# 5. A port that accepts and never answers (onion-grater while Tor is
#    down does that) is given up after 10 s for the next address.
python3 - "$T/silent" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)        # never accepted: the kernel completes the handshake
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
time.sleep(60)
PY
BGPIDS="$BGPIDS $!"
wait_for "$T/silent" '^[0-9]+$' 10 || fail "silent port did not start"
S=$(cat "$T/silent")
"$ISOAUDIT" monitor --control "127.0.0.1:$S" --db "$T/5.db" --duration 30 \
    >"$T/out5" 2>"$T/err5"
rc=$?
cat "$T/out5" "$T/err5"
[ "$rc" -eq 3 ] || fail "silent port: exit $rc, want 3"
one_line "$T/err5"
grep -qF "isoaudit: cannot reach Tor's control port at 127.0.0.1:$S: no answer within 10 s" "$T/err5" ||
    fail "the timeout line"
ok "a port that never answers is given up after 10 s"

# 5b. Discovery: the silent port first, then a (fake) Tor: the silent one
#     is given up after 10 s and the next address attached to.
python3 "$fake" "$T/real5" "$T/script" &
BGPIDS="$BGPIDS $!"
wait_for "$T/real5" '^[0-9]+$' 10 || fail "fake Tor (5b) did not start"
R5=$(cat "$T/real5")
printf 'ControlPort 127.0.0.1:%s 127.0.0.1:%s\n' "$S" "$R5" >"$T/conf5"
t0=$(date +%s)
"$ISOAUDIT" monitor -c "$T/conf5" --db "$T/5b.db" --duration 13 \
    >"$T/out5b" 2>"$T/err5b"
rc=$?
cat "$T/out5b" "$T/err5b"
[ "$rc" -eq 0 ] || fail "silent, then Tor: exit $rc"
grep -q "attached to Tor 0.4.9.11 (pid 4242) at 127.0.0.1:$R5 with NULL, Tor session 1:" "$T/out5b" ||
    fail "silent, then Tor: not attached to the next address"
ok "discovery gives a silent port up after 10 s and attaches to the next"

# 5c. SIGTERM while waiting for the silent port ends isoaudit at once.
"$ISOAUDIT" monitor --control "127.0.0.1:$S" --db "$T/5c.db" --duration 30 \
    >"$T/out5c" 2>"$T/err5c" &
mp=$!
sleep 2
kill -TERM "$mp"
i=0
while kill -0 "$mp" 2>/dev/null && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$mp" 2>/dev/null; then
	kill -KILL "$mp"
	fail "SIGTERM while connecting: still running 2 s later"
fi
wait "$mp"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/err5c"; fail "SIGTERM while connecting: exit $rc"; }
ok "SIGTERM while a port is silent: ended within $((i * 100)) ms"

# 6. With the private Tor network (run-all brings it up): the filter, then
#    Tor's own control socket: attached to the real Tor.
if [ -n "${TORNET_CONTROL_SOCK:-}" ]; then
	printf 'ControlPort 127.0.0.1:%s unix:%s\n' "$G" "$TORNET_CONTROL_SOCK" >"$T/conf6"
	"$ISOAUDIT" monitor -c "$T/conf6" --db "$T/6.db" --duration 3 \
	    >"$T/out6" 2>"$T/err6"
	rc=$?
	cat "$T/out6" "$T/err6"
	[ "$rc" -eq 0 ] || fail "discovery to the real Tor: exit $rc"
	grep -q "attached to Tor .* at unix:$TORNET_CONTROL_SOCK with SAFECOOKIE, Tor session 1:" "$T/out6" ||
	    fail "not attached to the real Tor as session 1"
	ok "discovery skips onion-grater and attaches to the real Tor"
fi
