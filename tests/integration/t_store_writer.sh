#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# One writer per database, and the files a writer creates or trusts
# (docs/reliability.md, "One writer per database" and "Files we create or
# trust").  A monitor on a fake control port holds the database: a second
# monitor and a replay into it exit 3 with one line naming the monitor's
# pid; report and check work beside it.  Then, without a Tor network: modes
# of our files made 0600; a symbolic link as the directory works, one as the
# file is followed only when ours; a database or directory of another user
# or writable by others is refused with one line and nothing created; a
# reader that cannot write the directory still reads.  The parts that need
# root (chown, another user) are skipped with 77 when not root.
. "$(dirname "$0")/lib.sh"

fx="$(dirname "$0")/../fixtures/01_ports_A_then_B.txt"
# Exactly one line on stderr, equal to "isoaudit: $2" (file $1).
one_line() {
	[ "$(wc -l <"$1")" -eq 1 ] || { cat "$1"; fail "$3: not one line"; }
	[ "$(cat "$1")" = "isoaudit: $2" ] || { cat "$1"; fail "$3: $(cat "$1")"; }
}
mode() { stat -c %a "$1"; }

# --- a live writer: the monitor -----------------------------------------
: >"$T/script"
python3 "$(dirname "$0")/fakector.py" "$T/port" "$T/script" &
fc=$!
BGPIDS="$fc"
for _ in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
port=$(head -1 "$T/port")
db="$T/live/db"
# Something to read beside the writer: a replay's session first.
"$ISOAUDIT" replay --db "$db" "$fx" >/dev/null 2>"$T/e" || { cat "$T/e"; fail "first replay"; }
"$ISOAUDIT" monitor --db "$db" --control "127.0.0.1:$port" >"$T/m1.out" 2>"$T/m1.err" &
m1=$!
BGPIDS="$fc $m1"
wait_for "$T/m1.out" "attached to Tor" 20 || fail "monitor did not attach"
[ "$(cat "$db.lock")" = "$m1" ] || fail "lock file holds $(cat "$db.lock"), not $m1"
[ "$(mode "$db.lock")" = 600 ] || fail "lock file mode $(mode "$db.lock")"
before=$(sqlite3 "$db" "SELECT count(*) FROM tor_session")

"$ISOAUDIT" monitor --db "$db" --control "127.0.0.1:$port" >"$T/m2.out" 2>"$T/m2.err"
rc=$?
[ $rc -eq 3 ] || fail "second monitor exit $rc"
one_line "$T/m2.err" "database $db is in use by pid $m1" "second monitor"
[ ! -s "$T/m2.out" ] || fail "second monitor printed: $(cat "$T/m2.out")"
ok "a second monitor exits 3: database in use by pid $m1"

"$ISOAUDIT" replay --db "$db" "$fx" >"$T/r.out" 2>"$T/r.err"
rc=$?
[ $rc -eq 3 ] || fail "replay into a live database exit $rc"
one_line "$T/r.err" "database $db is in use by pid $m1" "replay"
[ "$(sqlite3 "$db" "SELECT count(*) FROM tor_session")" = "$before" ] ||
    fail "the refused replay wrote a session"
ok "a replay into the live database exits 3, writes nothing"

# The dashboard is a writer too (the same monitor_open); through tmux when
# there is one, as the dashboard tests do.
if command -v tmux >/dev/null 2>&1; then
	sock="$T/tmux"
	tmux -S "$sock" new-session -d -x 100 -y 30 \
	    "'$ISOAUDIT' --db '$db' --control 127.0.0.1:$port 2>'$T/d.err'; echo \$? >'$T/d.rc'; sleep 5"
	for _ in $(seq 50); do [ -s "$T/d.rc" ] && break; sleep 0.1; done
	tmux -S "$sock" kill-server 2>/dev/null
	[ "$(cat "$T/d.rc" 2>/dev/null)" = 3 ] || fail "dashboard beside a monitor: exit $(cat "$T/d.rc" 2>/dev/null)"
	one_line "$T/d.err" "database $db is in use by pid $m1" "dashboard"
	ok "the dashboard beside a monitor exits 3"
fi

"$ISOAUDIT" report --db "$db" --all >"$T/rep.txt" 2>"$T/rep.err" ||
    { cat "$T/rep.err"; fail "report beside the writer"; }
grep -q "2 streams" "$T/rep.txt" ||
    { cat "$T/rep.txt" "$T/rep.err"; fail "report beside the writer: no session"; }
"$ISOAUDIT" check --db "$db" --since-last w >"$T/chk.out" 2>"$T/chk.err"
rc=$?
[ $rc -le 1 ] || { cat "$T/chk.err"; fail "check beside the writer: exit $rc"; }
ok "report and check work beside the writer"

kill -TERM "$m1"
wait "$m1" || fail "monitor exit status after SIGTERM"
BGPIDS="$fc"
# A file left by a writer (even one killed: flock dies with it) is taken.
"$ISOAUDIT" replay --db "$db" "$fx" >/dev/null 2>"$T/r2.err" ||
    { cat "$T/r2.err"; fail "replay after the monitor ended"; }
ok "the lock file left behind is taken over"

# --- modes ---------------------------------------------------------------
umask 000
"$ISOAUDIT" replay --db "$T/m/sub/db" "$fx" >/dev/null 2>"$T/e" || { cat "$T/e"; fail "replay"; }
[ "$(mode "$T/m/sub/db")" = 600 ] || fail "new database $(mode "$T/m/sub/db") with umask 000"
[ "$(mode "$T/m/sub")" = 700 ] || fail "new directory $(mode "$T/m/sub")"
[ "$(mode "$T/m/sub/db.lock")" = 600 ] || fail "new lock $(mode "$T/m/sub/db.lock")"
chmod 644 "$T/m/sub/db" "$T/m/sub/db.lock"
: >"$T/m/sub/db-wal"; chmod 666 "$T/m/sub/db-wal"
: >"$T/m/sub/db-shm"; chmod 644 "$T/m/sub/db-shm"
"$ISOAUDIT" replay --db "$T/m/sub/db" "$fx" >/dev/null 2>"$T/e" || { cat "$T/e"; fail "replay on 0644"; }
for f in db db.lock; do
	[ "$(mode "$T/m/sub/$f")" = 600 ] || fail "$f left $(mode "$T/m/sub/$f")"
done
for f in db-wal db-shm; do
	[ ! -e "$T/m/sub/$f" ] || [ "$(mode "$T/m/sub/$f")" = 600 ] ||
	    fail "$f left $(mode "$T/m/sub/$f")"
done
umask 077
ok "our files are made 0600 (database, lock, -wal, -shm), directories 0700"

# --- symbolic links --------------------------------------------------------
mkdir -p "$T/real"
ln -s "$T/real" "$T/linkdir"
"$ISOAUDIT" replay --db "$T/linkdir/db" "$fx" >/dev/null 2>"$T/e" ||
    { cat "$T/e"; fail "a symlinked directory"; }
[ -s "$T/real/db" ] && [ -e "$T/real/db.lock" ] || fail "not written through the link"
"$ISOAUDIT" report --db "$T/linkdir/db" >/dev/null 2>"$T/e" || { cat "$T/e"; fail "report through a link"; }
ln -s "$T/real/db" "$T/linkdb"
"$ISOAUDIT" replay --db "$T/linkdb" "$fx" >/dev/null 2>"$T/e" ||
    { cat "$T/e"; fail "a symlink of ours as the file"; }
ln -s "$T/real/none" "$T/dangling"
"$ISOAUDIT" replay --db "$T/dangling" "$fx" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 3 ] || fail "dangling link: exit $rc"
one_line "$T/e" "database $T/dangling is a symbolic link to nothing: remove it, or name the file itself" "dangling link"
[ ! -e "$T/real/none" ] || fail "a file was left behind the dangling link"
ok "symlinked directory works; our link as the file works; a dangling one is one line, nothing left"

# --- another user's files ---------------------------------------------------
mkdir "$T/ww"
chmod 777 "$T/ww"
"$ISOAUDIT" replay --db "$T/ww/db" "$fx" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 3 ] || fail "world-writable directory: exit $rc"
one_line "$T/e" "directory $T/ww is writable by everyone (mode 0777): chmod go-w $T/ww" "0777 directory"
[ -z "$(ls -A "$T/ww")" ] || fail "files left in the refused directory: $(ls -A "$T/ww")"
ok "a 0777 state directory is refused, nothing created"

if [ "$(id -u)" != 0 ]; then
	echo "not root: the checks with another user's files are skipped"
	exit 77
fi
mkdir "$T/foreign"
: >"$T/foreign/db"
chown nobody "$T/foreign/db"
chmod 666 "$T/foreign/db"
"$ISOAUDIT" replay --db "$T/foreign/db" "$fx" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 3 ] || fail "foreign database: exit $rc"
one_line "$T/e" "$T/foreign/db belongs to uid $(id -u nobody), not to you (uid 0): move it away, or run isoaudit as its owner" "foreign database"
[ ! -s "$T/foreign/db" ] && [ "$(mode "$T/foreign/db")" = 666 ] || fail "the foreign file was changed"
[ "$(ls -A "$T/foreign")" = db ] || fail "files left beside it: $(ls -A "$T/foreign")"
ok "a 0666 database of another user is refused, left as it was"

mkdir "$T/fdir"
chown nobody "$T/fdir"
"$ISOAUDIT" replay --db "$T/fdir/db" "$fx" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 3 ] || fail "foreign directory: exit $rc"
one_line "$T/e" "directory $T/fdir belongs to uid $(id -u nobody), not to you (uid 0): keep the database in a directory of your own (--db)" "foreign directory"
ok "a directory of another user is refused"

ln -s "$T/real/db" "$T/flink"
chown -h nobody "$T/flink"
"$ISOAUDIT" replay --db "$T/flink" "$fx" >/dev/null 2>"$T/e"
rc=$?
[ $rc -eq 3 ] || fail "foreign link: exit $rc"
one_line "$T/e" "database $T/flink is a symbolic link of uid $(id -u nobody), not yours: remove it, or name the file itself" "foreign link"
ok "a symbolic link of another user as the file is refused"

# --- a reader that cannot write the directory ---------------------------
# As nobody (root writes anywhere): its own database, its directory 0500.
ro=$(mktemp -d /tmp/isoaudit-ro.XXXXXX)
chmod 755 "$ro"
cp "$ISOAUDIT" "$ro/isoaudit"
cp "$fx" "$ro/fx.txt"
chmod 755 "$ro/isoaudit"
chmod 644 "$ro/fx.txt"
mkdir "$ro/s"
chown nobody "$ro/s"
as_nobody() { setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"; }
as_nobody "$ro/isoaudit" replay --db "$ro/s/db" "$ro/fx.txt" >/dev/null 2>"$T/e" ||
    { cat "$T/e"; rm -rf "$ro"; fail "replay as nobody"; }
chmod 500 "$ro/s"
as_nobody "$ro/isoaudit" report --db "$ro/s/db" --format json >"$T/ro.json" 2>"$T/e"
rc=$?
as_nobody "$ro/isoaudit" check --db "$ro/s/db" --since 3650d >"$T/ro.chk" 2>"$T/e2"
rc2=$?
left=$(ls -A "$ro/s")
rm -rf "$ro"
[ $rc -eq 0 ] || { cat "$T/e"; fail "report in a read-only directory: exit $rc"; }
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["tor_sessions"]' "$T/ro.json" ||
    fail "report in a read-only directory: no session"
[ $rc2 -le 1 ] || { cat "$T/e2"; fail "check --since in a read-only directory: exit $rc2"; }
[ "$left" = "$(printf 'db\ndb.key\ndb.lock')" ] || fail "files in the read-only directory: $left"
ok "a reader that cannot write the directory reads (report, check --since)"
