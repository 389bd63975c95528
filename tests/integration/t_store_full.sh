#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The database's filesystem fills up mid-session: monitoring goes on (every
# event still printed), the problem is logged, rows wait in memory up to
# the bound, and what had to be dropped is counted and reported.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/small"
if ! mount -t tmpfs -o size=512k,mode=0700 tmpfs "$T/small" 2>"$T/mount.err"; then
	echo "cannot mount a small tmpfs here: $(cat "$T/mount.err")"
	exit 77
fi
MOUNTED="$T/small"
trap cleanup_mount EXIT

python3 "$(dirname "$0")/gen_events.py" 30000 "$T/burst"
FAKECTOR_CHUNK=65536 python3 "$(dirname "$0")/fakector.py" "$T/port" "$T/burst" &
BGPIDS="$!"
wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
"$ISOAUDIT" monitor --control "127.0.0.1:$(cat "$T/port")" --db "$T/small/db" \
    --duration 25 >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" -eq 0 ] || { tail "$T/err"; fail "monitor exit $rc on a full disk"; }
# Every event was still shown.
n=$(grep -c ' stream [0-9]* CLOSED ' "$T/out")
[ "$n" -eq 30000 ] || fail "only $n of 30000 streams shown"
grep -q "database $T/small/db: .*full.*monitoring goes on" "$T/err" ||
    { tail -5 "$T/err"; fail "the full disk was not reported"; }
grep -Eq "database $T/small/db: [0-9]+ rows (could not be written|were dropped)" "$T/err" ||
    { tail -5 "$T/err"; fail "no count of what was lost"; }
ok "full disk reported: $(grep -m1 full "$T/err")"
ok "loss counted: $(grep -E 'rows (could not|were dropped)' "$T/err" | head -2 | tr '\n' ' ')"
[ "$(sqlite3 "$T/small/db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check on the full disk"
ok "database intact"
