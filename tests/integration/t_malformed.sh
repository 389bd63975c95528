#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The live path against a fake control port sending garbage between good
# events, in odd chunks: every malformed line is logged escaped and skipped,
# the connection carries on, and every good event is printed.
. "$(dirname "$0")/lib.sh"

python3 - "$T/script" <<'PY'
import sys
out = open(sys.argv[1], "wb")
w = lambda b: out.write(b + b"\r\n")
w(b'650 STREAM 1 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER')
w(b'garbage line \x1b[31m not a reply')
w(b'650 STREAM x NEW 0 127.0.0.1:80')
w(b'650 STREAM 2 NEW 0 127.0.0.1:81 SOCKS_USERNAME="a\\001\\"b" SOURCE_ADDR=127.0.0.1:5001')
w(b'650 STREAM 3 NEW 0 127.0.0.1:81 NYM_EPOCH=notanumber')
w(b'650 STREAM 4 NEW 0 127.0.0.1:82 \x00 SOURCE_ADDR=127.0.0.1:5002')
w(b'650 STREAM 5 NEW 0 127.0.0.1:' + b'9' * (1024 * 1024 + 10))
w(b'650 CIRC 10 LAUNCHED PURPOSE=GENERAL UNKNOWN_FUTURE_KEY=1')
w(b'650 CIRC 10 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3~exit0 PURPOSE=GENERAL')
w(b'650 STREAM 18446744073709551615 SUCCEEDED 10 127.0.0.1:82')
w(b'650 STREAM 6 SUCCEEDED 18446744073709551616 127.0.0.1:82')
w(b'650 SIGNAL NEWNYM')
w(b'650 STREAM 1 SUCCEEDED 9 127.0.0.1:80')
PY
python3 "$(dirname "$0")/fakector.py" "$T/port" "$T/script" &
BGPIDS="$!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port")" --log-targets plain \
    --duration 4 >"$T/out" 2>"$T/err"
rc=$?
cat "$T/out"; echo "--- stderr"; cat "$T/err"
[ "$rc" -eq 0 ] || fail "monitor exit $rc"

grep -q "attached to Tor 0.4.9.11 (pid 4242) at 127.0.0.1:.* with NULL, Tor session 1: 2 circuits open" "$T/out" ||
    fail "the event inside the GETINFO reply, or the reply, was lost"
grep -q "stream 1 NEW 127.0.0.1:80 from 127.0.0.1:5000" "$T/out" || fail "stream 1 NEW"
grep -q 'stream 2 NEW 127.0.0.1:81 from 127.0.0.1:5001 user "a\\x01\\"b"' "$T/out" ||
    fail "stream 2 with an escaped SOCKS username"
grep -q "stream 1 SUCCEEDED 127.0.0.1:80 circ 9 exit exit0 \$08511103" "$T/out" || fail "stream 1 on circ 9"
grep -q "stream 18446744073709551615 SUCCEEDED 127.0.0.1:82 circ 10 exit exit0" "$T/out" || fail "64-bit stream id"
grep -q "circ 10 BUILT GENERAL exit exit0" "$T/out" || fail "circ 10"
grep -q "signal NEWNYM" "$T/out" || fail "signal"
for bad in "stream 3 " "stream 4 " "stream 5 " "stream 6 " "stream x"; do
	grep -q "$bad" "$T/out" && fail "malformed event printed: $bad"
done

grep -q 'malformed line, skipped: garbage line \\x1b\[31m not a reply' "$T/err" || fail "garbage not logged escaped"
grep -q "malformed event from Tor (bad stream id), skipped: 650 STREAM x NEW" "$T/err" || fail "bad id not logged"
grep -q "malformed event from Tor (bad NYM_EPOCH)" "$T/err" || fail "bad NYM_EPOCH not logged"
grep -q "NUL byte in line, skipped: 650 STREAM 4 NEW 0 127.0.0.1:82 \\\\x00" "$T/err" || fail "NUL not logged"
grep -q "line too long, truncated, skipped: 650 STREAM 5 NEW" "$T/err" || fail "long line not logged"
grep -q "malformed event from Tor (bad circuit id)" "$T/err" || fail "65-bit circuit id accepted"
[ "$(grep -c 'line too long' "$T/err")" -eq 1 ] || fail "long line reported more than once"
# Nothing raw reached the terminal: no ESC, no NUL.
tr -d '\n' <"$T/err" | grep -q "$(printf '\033')" && fail "ESC byte in the log"
ok "malformed input logged escaped and skipped; the connection carried on"
