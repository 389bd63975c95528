#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The readers on files they cannot write: as nobody, a database whose
# directory is 0500 and whose file is 0400, (a) at rest (no -wal), (b) with
# its -wal and -shm beside it (a copy taken while a writer had them, the
# -wal holding rows not yet checkpointed), (c) with a -wal and no -shm.
# report (every format, out to a directory nobody may write) and check
# --since read them, in one read transaction, leaving no file behind; where
# sqlite cannot read a -wal without its -shm, one line and exit 3.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || { echo "setpriv not installed"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (to become nobody)"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
ro=$(mktemp -d /tmp/isoaudit-ro.XXXXXX)
trap 'rm -rf "$ro"; cleanup_bg' EXIT
chmod 755 "$ro"
cp "$ISOAUDIT" "$ro/isoaudit"
chmod 755 "$ro/isoaudit"
mkdir "$ro/out" && chown nobody "$ro/out"

# mk DIR WAL SHM: DIR (0500, nobody's) with a database of 2000 streams
# whose last 500 are only in its -wal when WAL is 1.
mk() {
	mkdir "$1"
	sh "$top/tests/integration/gen_large.sh" "$ISOAUDIT" "$1/db" 1500 100 0 ||
	    fail "gen_large.sh"
	rm -f "$1/db.lock"
	if [ "$2" = 1 ]; then
		# A writer's -wal, copied with the file before a checkpoint.
		python3 - "$1/db" <<'PY' || fail "cannot add rows to a -wal"
import sqlite3, shutil, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA wal_autocheckpoint=0")
db.execute("BEGIN")
for i in range(1501, 2001):
    db.execute("INSERT INTO stream(session, stream_id, circ_id, app, opened) VALUES (9000, ?, 1, 90000, 1893458000000000)", (i,))
db.execute("COMMIT")
for ext in ("", "-wal", "-shm"):
    shutil.copy(sys.argv[1] + ext, sys.argv[1] + ".copy" + ext)
db.close()
PY
		for ext in "" -wal -shm; do mv "$1/db.copy$ext" "$1/db$ext"; done
		[ "$3" = 1 ] || rm -f "$1/db-shm"
	fi
	chown -R nobody "$1"
	chmod 400 "$1"/db*
	chmod 500 "$1"
}

# reads DIR WANT: report in every format and check --since, as nobody.
reads() {
	for fmt in json text html; do
		as_nobody "$ro/isoaudit" report --db "$1/db" --format $fmt \
		    -o "$ro/out/r.$fmt" 2>"$T/e" ||
		    { cat "$T/e"; fail "report --format $fmt on $1"; }
	done
	as_nobody "$ro/isoaudit" report --db "$1/db" --format csv \
	    -o "$ro/out/csv-$(basename "$1")" 2>"$T/e" ||
	    { cat "$T/e"; fail "report --format csv on $1"; }
	as_nobody "$ro/isoaudit" check --db "$1/db" --since 3650d \
	    --min-severity info >/dev/null 2>"$T/e"
	[ $? -le 1 ] || { cat "$T/e"; fail "check --since on $1"; }
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["streams"])' "$ro/out/r.json")
	[ "$n" = "$2" ] || fail "report on $1: $n streams, not $2"
}

mk "$ro/rest" 0 0
# The writer's files (the database, its key file DB.key): the readers add none.
[ "$(ls -A "$ro/rest" | tr '\n' ' ')" = "db db.key " ] || fail "files in $ro/rest: $(ls -A "$ro/rest")"
reads "$ro/rest" 1500
[ "$(ls -A "$ro/rest" | tr '\n' ' ')" = "db db.key " ] || fail "files left in $ro/rest: $(ls -A "$ro/rest")"
ok "report (every format) and check on a read-only database at rest"

mk "$ro/wal" 1 1
reads "$ro/wal" 2000
[ "$(ls -A "$ro/wal" | tr '\n' ' ')" = "db db-shm db-wal db.key " ] ||
    fail "files in $ro/wal: $(ls -A "$ro/wal")"
ok "report (every format) and check on a read-only database with its -wal and -shm: the -wal's rows are read"

mk "$ro/noshm" 1 0
as_nobody "$ro/isoaudit" report --db "$ro/noshm/db" --format json \
    -o "$ro/out/n.json" 2>"$T/e"
rc=$?
if [ $rc -eq 0 ]; then
	n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["streams"])' "$ro/out/n.json")
	[ "$n" = 2000 ] || fail "report without -shm: $n streams, not 2000"
	ok "a -wal without its -shm is read"
else
	[ $rc -eq 3 ] && [ "$(wc -l <"$T/e")" -eq 1 ] ||
	    { cat "$T/e"; fail "report with a -wal and no -shm: exit $rc"; }
	ok "a -wal without its -shm, unreadable by sqlite: one line, exit 3: $(cat "$T/e")"
fi
