# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/faults/flib.sh: helpers of the fault-injection tests (sourced after
# tests/integration/lib.sh, which gives $T, fail, ok, wait_for, fetch).
FAULTS=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "python3 is not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "the sqlite3 CLI is not installed"; exit 77; }
# These tests watch rows reach the database while a monitor runs (a
# clock step, a lock, a kill, Retention): a monitor commits them 250 ms
# after they came instead of the 30 s window (docs/reliability.md, "When
# rows reach the disk"); t_flush.sh tests the window itself.
ISOAUDIT_TEST_FLUSH_MS=${ISOAUDIT_TEST_FLUSH_MS:-250}
export ISOAUDIT_TEST_FLUSH_MS

# now_ms: wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# fakeport NAME SCENARIO [ARG...]: starts tests/faults/fakeport.py in the
# background with PORTFILE $T/NAME.port; waits until it listens.
fakeport() {
	name=$1
	shift
	rm -f "$T/$name.port"
	python3 "$FAULTS/fakeport.py" "$T/$name.port" "$@" 2>>"$T/$name.fake.err" &
	BGPIDS="$BGPIDS $!"
	i=0
	while [ ! -s "$T/$name.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -s "$T/$name.port" ] || { cat "$T/$name.fake.err"; fail "fake control port $name did not start"; }
}

# sq DB SQL: one sqlite3 query against a live database, read-only, with a
# busy timeout; prints the result.
sq() {
	sqlite3 -cmd '.timeout 5000' "file:$1?mode=ro" "$2"
}

# raw_bytes FILE...: fails when a file holds a byte a terminal would act on:
# C0 controls but newline, DEL, and any byte >= 0x80 (8-bit controls such
# as 0x9b CSI, and anything that is not ASCII).
raw_bytes() {
	python3 - "$@" <<'PY' || fail "raw control bytes in output (see above)"
import sys
bad = 0
for f in sys.argv[1:]:
    d = open(f, "rb").read()
    for i, ch in enumerate(d):
        if ch == 0x0a or 0x20 <= ch < 0x7f:
            continue
        line = d.count(b"\n", 0, i) + 1
        print("%s:%d: raw byte 0x%02x in %r" % (f, line, ch, d[max(0, i - 40):i + 20]))
        bad += 1
        break
sys.exit(1 if bad else 0)
PY
}

# count_of FILE FIXED-STRING: lines holding it.
count_of() {
	grep -cF -- "$2" "$1"
}

# safe_utf8 FILE...: fails unless each file is valid UTF-8 without a
# character a terminal acts on: C0 controls but tab, CR and newline, DEL,
# and the C1 controls U+0080..U+009F (U+009B is CSI).
safe_utf8() {
	python3 - "$@" <<'PY' || fail "invalid UTF-8 or control characters in output (see above)"
import sys
bad = 0
for f in sys.argv[1:]:
    d = open(f, "rb").read()
    try:
        s = d.decode("utf-8")
    except UnicodeDecodeError as e:
        print("%s: not UTF-8 at byte %d: %r" % (f, e.start, d[max(0, e.start - 40):e.start + 20]))
        bad += 1
        continue
    for i, ch in enumerate(s):
        o = ord(ch)
        if (o < 0x20 and ch not in "\t\r\n") or 0x7f <= o <= 0x9f:
            print("%s: control character U+%04X in %r" % (f, o, s[max(0, i - 40):i + 20]))
            bad += 1
            break
sys.exit(1 if bad else 0)
PY
}

# clockstep_build: builds tests/faults/clockstep.c (the LD_PRELOAD shim that
# steps the wall clock) into $T/clockstep.so; exits 77 without a compiler.
clockstep_build() {
	command -v "${CC:-cc}" >/dev/null || { echo "no C compiler to build the clock shim"; exit 77; }
	"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -O2 -shared -fPIC \
	    -o "$T/clockstep.so" "$FAULTS/clockstep.c" -ldl 2>"$T/cc.err" ||
	    { cat "$T/cc.err"; fail "building clockstep.so"; }
}

# db_count SQL: a number from $T/db while a writer runs (0 before it exists).
db_count() {
	n=$(sq "$T/db" "$1" 2>/dev/null)
	echo "${n:-0}"
}

# db_until SQL MIN SECONDS: polls $T/db every 50 ms until the count reaches MIN.
db_until() {
	i=0
	while [ $i -lt $(($3 * 20)) ]; do
		[ "$(db_count "$1")" -ge "$2" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
