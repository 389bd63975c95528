#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# monitor against the real client while two curls fetch the target at the
# same time through SocksPorts A and B: both streams are printed with the
# SOURCE_ADDR curl really used and the circuit (and exit) they rode; the
# transcript is 0600 and secret-free; replay reproduces the same lines and
# --dump the same events as JSON.
. "$(dirname "$0")/lib.sh"

umask 022
"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --log-targets plain \
    --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"

# Two programs at the same time, one per port; the target holds each
# response a second so that both streams are open together.
(fetch "$TORNET_SOCKS_A" "?sleep=1" >"$T/a.port") &
ca=$!
(fetch "$TORNET_SOCKS_B" "?sleep=1" >"$T/b.port") &
cb=$!
wait "$ca" || fail "curl through A"
wait "$cb" || fail "curl through B"
pa=$(cat "$T/a.port") pb=$(cat "$T/b.port")
[ -n "$pa" ] && [ -n "$pb" ] || fail "no local ports from curl"

for x in "A $pa -4 $TORNET_SOCKS_A" "B $pb -5 $TORNET_SOCKS_B"; do
	set -- $x
	wait_for "$T/mon.out" "stream [0-9]+ CLOSED 127\.0\.0\.1:$TORNET_TARGET circ [0-9]+ .*from 127\.0\.0\.1:$2 " 20 ||
	    fail "no CLOSED line for port $1"
	id=$(sed -n "s/.* stream \([0-9]*\) NEW 127\.0\.0\.1:$TORNET_TARGET from 127\.0\.0\.1:$2 SOCKS5 group .*/\1/p" "$T/mon.out")
	[ -n "$id" ] || fail "no NEW line with SOURCE_ADDR 127.0.0.1:$2 (port $1)"
	# epoch: Tor's NEWNYM count, which earlier tests on this network may have moved.
	grep -Eq " stream $id NEW 127\.0\.0\.1:$TORNET_TARGET from 127\.0\.0\.1:$2 SOCKS5 group $3 epoch [0-9]+ app port $4@localhost curl\[[0-9]+\]\$" "$T/mon.out" ||
	    fail "stream $id: NEW line lacks group $3 or app port $4"
	line=$(grep -E " stream $id SUCCEEDED " "$T/mon.out") || fail "stream $id never SUCCEEDED"
	circ=$(echo "$line" | sed -n 's/.* circ \([0-9]*\) .*/\1/p')
	echo "$line" | grep -Eq "circ $circ exit exit[01] \\\$[0-9A-F]{8} " ||
	    fail "stream $id: SUCCEEDED line names no exit: $line"
	eval "circ_$1=$circ"
	ok "port $1: stream $id from 127.0.0.1:$2 on circuit $circ"
done
[ "$circ_A" != "$circ_B" ] || fail "A and B shared circuit $circ_A"

kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { cat "$T/mon.err"; fail "monitor exit $rc after SIGTERM"; }

# The transcript: 0600 whatever the umask, no secret in it.
mode=$(stat -c %a "$T/rec.txt")
[ "$mode" = 600 ] || fail "transcript mode $mode, want 600"
cookie_hex=$(od -An -tx1 "$TORNET_COOKIE" | tr -d ' \n')
grep -qi "$cookie_hex" "$T/rec.txt" && fail "cookie in the transcript"
grep -E '^[0-9]+\.[0-9]{6} > AUTHENTICATE' "$T/rec.txt" | grep -vq 'AUTHENTICATE \[redacted\]$' &&
    fail "AUTHENTICATE argument not redacted"
grep -Eq '^[0-9]+\.[0-9]{6} > AUTHENTICATE \[redacted\]$' "$T/rec.txt" || fail "no redacted AUTHENTICATE"
grep -Eq '^[0-9]+\.[0-9]{6} # session 1 start ' "$T/rec.txt" || fail "no session annotation"
ok "transcript is 0600 and redacted"

# Replay reproduces exactly what monitor printed.
"$ISOAUDIT" replay --log-targets plain "$T/rec.txt" >"$T/replay.out" 2>"$T/replay.err" ||
    fail "replay failed"
diff "$T/mon.out" "$T/replay.out" >"$T/diff" || { cat "$T/diff"; fail "replay differs from live"; }
ok "replay reproduces the live output ($(wc -l <"$T/mon.out") lines)"

# --dump: one JSON object per event, as many stream events as lines.
"$ISOAUDIT" replay --dump "$T/rec.txt" >"$T/dump.json" || fail "replay --dump failed"
python3 - "$T/dump.json" "$T/mon.out" <<'PY' || fail "dump does not match"
import json, re, sys
events = [json.loads(l) for l in open(sys.argv[1])]
lines = open(sys.argv[2]).read().splitlines()
streams = [e for e in events if e["type"] == "STREAM"]
# A stream event's line: "TIME stream ID STATUS ..." (other lines may
# name a stream too, e.g. a finding's detail).
ev = re.compile(r"^\S+ stream (\d+) ([A-Z]+) ")
shown = [ev.match(l).groups() for l in lines if ev.match(l)]
dumped = [(e["id"], e["status"]) for e in streams]
assert dumped == shown, ("stream events: dump", dumped, "monitor", shown,
    "other lines naming a stream", [l for l in lines if " stream " in l and not ev.match(l)])
news = [e for e in streams if e["status"] == "NEW" and e["purpose"] == "USER"]
assert len(news) >= 2, news
for e in news:
    assert e["source_addr"].startswith("127.0.0.1:"), e
    assert e["client_protocol"] == "SOCKS5" and isinstance(e["nym_epoch"], int) and e["nym_epoch"] >= 0, e
    assert isinstance(e["session_group"], int) and isinstance(e["id"], str), e
circs = [e for e in events if e["type"] == "CIRC"]
for c in circs:
    assert c["path"] is None or all(len(h["fingerprint"]) == 40 for h in c["path"]), c
print("dump ok:", len(events), "events,", len(streams), "stream events")
PY
ok "replay --dump"

# Default privacy: without --log-targets plain the target is hashed.
"$ISOAUDIT" replay "$T/rec.txt" >"$T/hashed.out" || fail "replay (hash)"
grep -q "127.0.0.1:$TORNET_TARGET" "$T/hashed.out" && fail "target in clear with the default LogTargets"
grep -Eq "stream [0-9]+ NEW h:[0-9a-f]{12}:$TORNET_TARGET from" "$T/hashed.out" || fail "no hashed target"
ok "targets hashed by default"

# On a terminal (stdout and stderr one tty) a finding is told once: the
# FINDING line, not the stderr alert again.  The tornet's D and E share
# SessionGroup=42: WEAK_PORT_CONFIG at attach.  Files apart: both.
script -qec "'$ISOAUDIT' monitor --control '$TORNET_CONTROL' --duration 3" \
    /dev/null >"$T/tty.out" 2>&1 </dev/null || fail "monitor under script(1)"
n=$(grep -c "WEAK_PORT_CONFIG" "$T/tty.out")
[ "$n" -eq 1 ] || { cat "$T/tty.out"; fail "on a terminal the finding was printed $n times, want once"; }
"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --duration 3 >"$T/both.out" 2>&1 ||
    fail "monitor >out 2>&1"
n=$(grep -c "WEAK_PORT_CONFIG" "$T/both.out")
[ "$n" -eq 1 ] || fail "with 2>&1 the finding was printed $n times, want once"
"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --duration 3 >"$T/apart.out" 2>"$T/apart.err" ||
    fail "monitor, stdout and stderr apart"
grep -q "FINDING .*WEAK_PORT_CONFIG" "$T/apart.out" && grep -q "WEAK_PORT_CONFIG" "$T/apart.err" ||
    fail "stdout and stderr apart: the finding must reach both"
ok "a finding once on a terminal and with 2>&1, on both when apart"
