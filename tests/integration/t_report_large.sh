#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# report and check on large databases (tests/integration/gen_large.sh):
# peak RSS does not grow with the rows.  Two sizes, 8 times apart, each
# with streams, circuits, causes and one cause of many occurrences; every
# format (text, json, html, csv: all tables) and check, each run under
# bench/rusage.c (the process's own peak RSS, ASan's shadow included; the
# quarantine is kept small so that it does not count freed memory).  The
# large run's peak must stay near the small run's, and text and
# HTML stay small (long lists collapse) while JSON and CSV list everything.
# The large run may pass the small one by 16 MB, what sqlite's caches (2 MB
# each for the database and the temporary one, and its sorter) take once
# they fill, with ASan's shadow and redzones; nothing more than 80 MB.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v cc >/dev/null || { echo "no C compiler for bench/rusage.c"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=1"
cc -O2 -o "$T/rusage" "$top/bench/rusage.c" || fail "cannot build bench/rusage.c"

# run SIZE NAME ARGS...: peak RSS (kB) of isoaudit ARGS into $T/SIZE.NAME.
run() {
	size=$1 name=$2
	shift 2
	"$T/rusage" "$T/m.json" "$ISOAUDIT" "$@" >"$T/$size.$name.out" 2>"$T/$size.$name.err"
	rc=$(sed 's/.*"rc": \([0-9-]*\).*/\1/' "$T/m.json")
	case $name:$rc in
	check:1|*:0) ;;
	*) cat "$T/$size.$name.err"; fail "$name on $size: exit $rc" ;;
	esac
	sed 's/.*"rss_kb": \([0-9]*\).*/\1/' "$T/m.json" >"$T/$size.$name.rss"
}

for size in small large; do
	case $size in
	small) s=25000 c=6000 o=6000 ;;
	large) s=200000 c=48000 o=48000 ;;
	esac
	db=$T/$size.db
	sh "$top/tests/integration/gen_large.sh" "$ISOAUDIT" "$db" $s $c $o ||
	    fail "gen_large.sh $size"
	for fmt in text json html; do
		run $size $fmt report --db "$db" --format $fmt -o "$T/$size.$fmt"
	done
	run $size csv report --db "$db" --format csv -o "$T/$size.csvdir"
	run $size check check --db "$db" --since 3650d --min-severity info
	rm -f "$db" "$db-wal" "$db-shm"
done

for name in text json html csv check; do
	a=$(cat "$T/small.$name.rss") b=$(cat "$T/large.$name.rss")
	echo "  $name: peak RSS $a kB on the small database, $b kB on the large"
	[ "$b" -le $((a + 16384)) ] && [ "$b" -le 81920 ] ||
	    fail "$name: peak RSS grew from $a kB to $b kB with 8 times the rows"
done
# Everything is there for machines ...
python3 - "$T/large.json" <<'PY' || fail "the large JSON is not complete"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["summary"]["streams"] == 200000, r["summary"]
assert len(r["circuits"]) == r["summary"]["circuits"] == 50000
assert len(r["findings"]) == sum(r["summary"]["findings"].values()) == 48001
PY
[ "$(wc -l <"$T/large.csvdir/findings.csv")" -eq 48002 ] ||
    fail "findings.csv does not hold every finding"
# ... while a person's formats collapse their long lists.
for f in text html; do
	n=$(wc -c <"$T/large.$f")
	[ "$n" -le 2000000 ] || fail "$f report of 48k findings: $n bytes"
	grep -q "and [0-9]* more" "$T/large.$f" || fail "$f: no '... and N more'"
done
ok "report (every format) and check: peak RSS flat from 25k to 200k streams and 6k to 48k findings; text and HTML collapse"
