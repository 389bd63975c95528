#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The client tor is killed mid-session and started again: monitor says so,
# reconnects with backoff, starts Tor session 2 and goes on printing events.
# Runs last (t_z...) in spirit: it restarts the shared client.
. "$(dirname "$0")/lib.sh"

"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --log-targets plain \
    --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "Tor session 1: " 20 || fail "no first attach"
fetch "$TORNET_SOCKS_A" >/dev/null
wait_for "$T/mon.out" "stream [0-9]+ CLOSED" 20 || fail "no stream in session 1"

sh "$(dirname "$0")/../tornet/tornet" stop-client "$TORNET_DIR" || fail "stop-client"
wait_for "$T/mon.out" "Tor session 1 ended" 10 || fail "end of session 1 not shown"
wait_for "$T/mon.err" "lost the control connection to Tor at $TORNET_CONTROL .*reconnecting in 1 s" 5 ||
    fail "loss not logged"
kill -0 "$mon" || fail "monitor died with its Tor"

sh "$(dirname "$0")/../tornet/tornet" start-client "$TORNET_DIR" || fail "start-client"
wait_for "$T/mon.err" "reconnected to Tor at $TORNET_CONTROL \(Tor session 2\)" 60 || fail "no reconnect"
wait_for "$T/mon.out" "with SAFECOOKIE, Tor session 2: " 10 || fail "no attach line for session 2"
ok "reconnected: $(grep 'reconnected' "$T/mon.err")"

port=$(fetch "$TORNET_SOCKS_B")
wait_for "$T/mon.out" "stream [0-9]+ NEW 127\.0\.0\.1:$TORNET_TARGET from 127\.0\.0\.1:$port SOCKS5 group" 20 ||
    fail "no stream after reconnect"
kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || fail "monitor exit $rc"
grep -Eq '# session 1 end ' "$T/rec.txt" || fail "no session end in transcript"
grep -Eq '# session 2 start ' "$T/rec.txt" || fail "no session 2 in transcript"
"$ISOAUDIT" replay --log-targets plain "$T/rec.txt" >"$T/replay.out" || fail "replay"
diff "$T/mon.out" "$T/replay.out" || fail "replay of a two-session transcript differs"
ok "two sessions recorded and replayed"
