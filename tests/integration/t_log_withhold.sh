#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Bad lines from Tor in the log (docs/privacy.md): a line the control
# connection cannot frame (a stray line, a NUL in it, an overlong line) or
# an event that does not parse may hold a destination a client chose.
# With LogTargets hash (the default) and none, the log says what was
# skipped and withholds its content; with plain it shows it, escaped.
. "$(dirname "$0")/lib.sh"

M=secretmarker
python3 - "$T/script" "$M" <<'PY'
import sys
out = open(sys.argv[1], "wb")
m = sys.argv[2].encode()
w = lambda b: out.write(b + b"\r\n")
w(b'650 STREAM 1 NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:5000 PURPOSE=USER')
w(b'a stray line naming ' + m + b'-1.example:443')
w(b'650 STREAM 2 NEW 0 ' + m + b'-2.example:80 \x00 SOURCE_ADDR=127.0.0.1:5002')
w(b'650 STREAM 3 NEW 0 ' + m + b'-3.example:' + b'9' * (1024 * 1024 + 10))
w(b'650 STREAM 4 NEW 0 ' + m + b'-4.example:81 NYM_EPOCH=notanumber')
w(b'250 ' + m + b'-5.example reply to no command')
w(b'650 STREAM 1 CLOSED 0 127.0.0.1:80 REASON=DONE')
PY
run() {
	python3 "$(dirname "$0")/fakector.py" "$T/port.$1" "$T/script" &
	fk=$!
	BGPIDS="$fk"
	wait_for "$T/port.$1" '^[0-9]+$' 10 || fail "fake control port did not start"
	"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port.$1")" \
	    --log-targets "$1" --db "$T/$1.db" --duration 3 >"$T/out.$1" 2>"$T/err.$1"
	rc=$?
	kill "$fk" 2>/dev/null
	wait "$fk" 2>/dev/null
	BGPIDS=""
	[ "$rc" -eq 0 ] || { cat "$T/err.$1"; fail "monitor --log-targets $1: exit $rc"; }
	grep -q "stream 1 CLOSED" "$T/out.$1" || { cat "$T/out.$1"; fail "$1: the session did not go on"; }
}
for mode in hash none; do
	run $mode
	n=$(grep -c . "$T/err.$mode")
	[ "$n" -ge 4 ] || { cat "$T/err.$mode"; fail "$mode: $n log lines for 5 bad lines"; }
	if grep -q "$M" "$T/err.$mode" "$T/out.$mode"; then
		grep "$M" "$T/err.$mode" "$T/out.$mode"
		fail "LogTargets $mode: a destination of a bad line in the log"
	fi
	grep -q "withheld" "$T/err.$mode" || { cat "$T/err.$mode"; fail "$mode: the log does not say what it withheld"; }
	ok "LogTargets $mode: $n log lines about bad lines, none with their content"
done
run plain
grep -q "$M" "$T/err.plain" || { cat "$T/err.plain"; fail "plain: the bad lines' content not shown"; }
ok "LogTargets plain: the bad lines shown, escaped"
