#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Corrupt databases (no Tor network): each kind made with dd/printf from a
# database the sample captures were replayed into, and each command
# (monitor, report, check, prune, replay) run on a copy: exit 3, one line
# on stderr naming the file and what sqlite said, never "not an error".
#   truncated     half the file gone
#   header        the 100-byte header overwritten with text
#   schema page   a zeroed page of sqlite_schema (every command reads it)
#   not sqlite    random bytes
# and a zeroed page of the stream table, which report reads after another
# statement (it said "not an error": the message was taken after that
# statement's finalize).  A -wal whose header is not a WAL header holds no
# frame sqlite can trust: sqlite ignores it, and so the commands work.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

fx=$(cd "$(dirname "$0")/../fixtures" && pwd)
good="$T/good.db"
for f in "$fx"/0*.txt; do
	"$ISOAUDIT" replay --db "$good" "$f" >/dev/null 2>&1 || fail "replay $f"
done
psize=$(sqlite3 "$good" 'PRAGMA page_size')
npages=$(sqlite3 "$good" 'PRAGMA page_count')

# zero_page FILE N: page N (from 1) of FILE zeroed.
zero_page() {
	dd if=/dev/zero of="$1" bs="$psize" seek=$(($2 - 1)) count=1 conv=notrunc 2>/dev/null
}
# A page of sqlite_schema other than page 1: zeroed, sqlite3 cannot
# read the schema.
schema_page=""
p=2
while [ $p -le "$npages" ]; do
	cp "$good" "$T/probe.db"
	zero_page "$T/probe.db" $p
	if ! sqlite3 "$T/probe.db" 'SELECT count(*) FROM sqlite_schema' >/dev/null 2>&1; then
		schema_page=$p
		break
	fi
	p=$((p + 1))
done
rm -f "$T/probe.db"*
[ -n "$schema_page" ] || fail "no page of sqlite_schema outside page 1 (the schema fits one page?)"
stream_page=$(sqlite3 "$good" "SELECT rootpage FROM sqlite_schema WHERE name = 'stream'")

# make KIND FILE: a copy of the good database, corrupted.
make_db() {
	rm -f "$2" "$2-wal" "$2-shm" "$2.key" "$2.lock"
	cp "$good" "$2"
	[ ! -e "$good.key" ] || cp "$good.key" "$2.key"
	case $1 in
	truncated) truncate -s $(($(stat -c %s "$good") / 2)) "$2" ;;
	header) printf 'this is no sqlite header at all, it is text\n' |
	    dd of="$2" conv=notrunc 2>/dev/null ;;
	schema) zero_page "$2" "$schema_page" ;;
	stream) zero_page "$2" "$stream_page" ;;
	notsqlite) head -c 65536 /dev/urandom >"$2" ;;
	badwal) printf 'not a WAL header, not a WAL header!' >"$2-wal" ;;
	esac
}

# expect KIND CMD...: exit 3, one line naming the file, what sqlite said.
expect_refused() {
	kind=$1
	shift
	"$@" >/dev/null 2>"$T/err"
	rc=$?
	what="$kind: $(echo "$2" | cut -c1-40)"
	[ "$rc" = 3 ] || { cat "$T/err"; fail "$what: exit $rc, not 3"; }
	[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; fail "$what: not one line"; }
	grep -q "not an error" "$T/err" && fail "$what: $(cat "$T/err")"
	grep -q "$T/c.db" "$T/err" || grep -q "database c.db" "$T/err" ||
	    { cat "$T/err"; fail "$what: the file is not named"; }
	grep -Eq "malformed|not a database|corrupt" "$T/err" ||
	    { cat "$T/err"; fail "$what: not what sqlite said"; }
}

db="$T/c.db"
for kind in truncated header schema notsqlite; do
	make_db $kind "$db"
	expect_refused $kind timeout 20 "$ISOAUDIT" monitor --db "$db" --control 127.0.0.1:9 --duration 5
	make_db $kind "$db"
	expect_refused $kind "$ISOAUDIT" report --db "$db" --all
	make_db $kind "$db"
	expect_refused $kind "$ISOAUDIT" report --db "$db" --all --format json
	make_db $kind "$db"
	expect_refused $kind "$ISOAUDIT" check --db "$db" --min-severity info
	make_db $kind "$db"
	expect_refused $kind "$ISOAUDIT" prune --db "$db" --older-than 1d
	make_db $kind "$db"
	expect_refused $kind "$ISOAUDIT" replay --db "$db" "$fx/01_ports_A_then_B.txt"
	ok "$kind: monitor, report, check, prune, replay: exit 3, one line"
done

# The stream table's page: report reads it in its pass over the streams.
for fmt in text json csv html; do
	make_db stream "$db"
	out="$T/out.$fmt"
	[ $fmt = csv ] && out="$T/csvdir"
	expect_refused stream "$ISOAUDIT" report --db "$db" --all --format $fmt -o "$out"
done
ok "a zeroed page of the stream table: report says what sqlite said"

# A -wal with a bad header: ignored by sqlite, every command works.
make_db badwal "$db"
"$ISOAUDIT" report --db "$db" --all --format json >"$T/r.json" 2>"$T/err" ||
    { cat "$T/err"; fail "badwal: report"; }
python3 -c 'import json, sys; assert len(json.load(open(sys.argv[1]))["tor_sessions"]) == 5' "$T/r.json" ||
    fail "badwal: the report lost sessions"
"$ISOAUDIT" replay --db "$db" "$fx/01_ports_A_then_B.txt" >/dev/null 2>"$T/err" ||
    { cat "$T/err"; fail "badwal: replay"; }
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "badwal: integrity"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM tor_session')" = 6 ] || fail "badwal: sessions"
ok "a -wal with a bad header is ignored (as sqlite does), nothing lost"
exit 0
