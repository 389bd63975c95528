#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Against a fake control port (no Tor needed): a burst of 10,000 events
# repaints at most 20 times a second (counted by the dashboard, not timed
# here); keys are read during a 100,000-event burst (q ends it at once);
# hostile bytes from "Tor" are drawn escaped; --duration ends it by itself.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/uilib.sh"
here=$(dirname "$0")/../integration

fakector() {
	rm -f "$T/port"
	FAKECTOR_CHUNK=${2:-65536} python3 "$here/fakector.py" "$T/port" "$1" \
	    2>>"$T/fakector.err" &
	BGPIDS="$BGPIDS $!"
	i=0
	while [ ! -s "$T/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$T/port" ] || fail "fake control port did not start"
}

# 1. 10,000 events, then exit: the repaint counter.
python3 "$here/gen_events.py" 2500 "$T/burst"
# A steady feed over ~3 s (4 KiB every 12 ms, ~40 events each): painted
# on every chunk, that would be 80 repaints a second.
FAKECTOR_PAUSE_MS=12 fakector "$T/burst" 4096
ui_start 80 24 -- --control "127.0.0.1:$(cat "$T/port")" --db "$T/a.db" -v \
    --exit-after-events 10000
st=$(ui_exit 60) || fail "the burst did not end the dashboard"
[ "$st" = 0 ] || { cat "$T/err"; fail "exit $st"; }
line=$(grep 'repaints' "$T/err") || { cat "$T/err"; fail "no repaint counter"; }
set -- $(echo "$line" | sed -n 's/.*: \([0-9]*\) repaints (at most \([0-9]*\) in one second) in \([0-9.]*\) s for \([0-9]*\) events.*/\1 \2 \3 \4/p')
[ $# -eq 4 ] || fail "cannot read: $line"
repaints=$1 max=$2 secs=$3 events=$4
[ "$events" -ge 10000 ] || fail "only $events events"
[ "$max" -le 20 ] || fail "$max repaints in one second"
limit=$(awk -v s="$secs" 'BEGIN { printf "%d", (s + 1) * 20 + 1 }')
[ "$repaints" -le "$limit" ] || fail "$repaints repaints in $secs s"
[ "$repaints" -ge 1 ] || fail "never painted"
[ "$repaints" -lt $((events / 50)) ] || fail "$repaints repaints for $events events: not coalesced"
ok "10,000-event burst: $repaints repaints in $secs s, at most $max in one second"

# 2. Keys during a 100,000-event burst.
python3 "$here/gen_events.py" 25000 "$T/big"
fakector "$T/big"
ui_start 80 24 -- --control "127.0.0.1:$(cat "$T/port")" --db "$T/b.db" -v
ui_wait 'attached \(NULL' 30 || fail "no attach"
ui_keys q
t0=$(date +%s%N)
st=$(ui_exit 10) || fail "q was not read during the burst"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$st" = 0 ] || { cat "$T/err"; fail "exit $st"; }
[ "$ms" -lt 3000 ] || fail "q took $ms ms during the burst"
ui_restored
ok "q during a 100,000-event burst: out in $ms ms ($(sed -n 's/.* for \([0-9]*\) events.*/\1/p' "$T/err") events read by then)"

# 3. Hostile strings: escape sequences, control bytes, invalid UTF-8.
esc=$(printf '\033')
printf '650 CIRC 7 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3~ex%s[2Jit PURPOSE=GENERAL\r\n' "$esc" >"$T/evil"
printf '650 STREAM 70 NEW 0 evil%s[2J%s]0;pwned%shost:80 SOURCE_ADDR=127.0.0.1:4242 PURPOSE=USER\r\n' "$esc" "$esc" "$(printf '\007')" >>"$T/evil"
printf '650 STREAM 70 SENTCONNECT 7 evil%s[2Jhost:80\r\n' "$esc" >>"$T/evil"
printf '650 NOTICE bad \377\376 utf8 and %s[31mred%s[0m\r\n' "$esc" "$esc" >>"$T/evil"
fakector "$T/evil" 7
ui_start 100 30 -- --control "127.0.0.1:$(cat "$T/port")" --db "$T/c.db" \
    --log-targets plain
ui_wait 'evil\\x1b\[2J' 20 || fail "hostile target not shown escaped"
shown=$(grep -o 'evil[^ ]*' "$T/screen" | head -1)
ui_cap -e >"$T/esc"
grep -aq "${esc}\[2J" "$T/esc" && fail "an escape sequence reached the terminal"
grep -aq "${esc}]0;" "$T/esc" && fail "a title sequence reached the terminal"
ui_keys 4
ui_wait 'bad \\xff\\xfe utf8 and \\x1b\[31mred' 10 || fail "Tor's log line not escaped"
ok "hostile bytes drawn as \\x escapes: $shown"
# The fake Tor hangs up after 5 s of quiet: the header says so.
ui_wait 'control 127\.0\.0\.1:[0-9]+: reconnecting in [0-9]+ s \(' 20 ||
    fail "a lost connection is not shown"
ui_wait 'Tor session 1 ended' 5 || fail "the log panel does not say the session ended"
ok "lost connection: $(grep -o 'reconnecting in [0-9]* s' "$T/screen" | head -1)"
ui_keys q
[ "$(ui_exit 10)" = 0 ] || { cat "$T/err"; fail "exit after hostile input"; }

# 4. --duration ends the dashboard by itself, terminal restored.
python3 "$here/gen_events.py" 10 "$T/small"
fakector "$T/small" 7
ui_start 80 24 -- --control "127.0.0.1:$(cat "$T/port")" --db "$T/d.db" \
    --duration 2
ui_wait 'attached \(NULL' 20 || fail "no attach"
st=$(ui_exit 15) || fail "--duration 2 did not end it"
[ "$st" = 0 ] || { cat "$T/err"; fail "--duration: exit $st"; }
ui_restored
ok "--duration 2: exit 0, terminal restored"

# 5. No Tor at all: one line on stderr, exit 3, never a broken terminal.
ui_start 80 24 -- --control 127.0.0.1:1 --db "$T/e.db"
st=$(ui_exit 15) || fail "unreachable Tor did not end it"
[ "$st" = 3 ] || fail "unreachable Tor: exit $st, not 3"
one_line "$T/err"
grep -q 'cannot reach Tor' "$T/err" || fail "unclear error: $(cat "$T/err")"
ok "unreachable Tor: exit 3, $(cat "$T/err")"

# 6. No terminal (cron, a pipe): a clear word, exit 2, nothing attached.
"$ISOAUDIT" --control 127.0.0.1:1 </dev/null >"$T/notty.out" 2>"$T/err"
st=$?
[ "$st" = 2 ] || fail "without a terminal: exit $st, not 2"
one_line "$T/err"
grep -q 'needs a terminal; use `isoaudit monitor`' "$T/err" || fail "unclear: $(cat "$T/err")"
[ -s "$T/notty.out" ] && fail "wrote to a non-terminal stdout"
ok "no terminal: exit 2, $(cat "$T/err")"
