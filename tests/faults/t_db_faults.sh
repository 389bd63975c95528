#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The database fails under a running isoaudit (no Tor network needed; a
# fake control port feeds the events):
# 1. `isoaudit monitor`, and another writer holds the database locked
#    (BEGIN EXCLUSIVE) for 10 s while events go on arriving: every event is
#    still printed during the lock, the failure is said once on stderr,
#    nothing is committed while locked, writing resumes by itself within
#    the retry backoff (at most 10 s) after the lock is released, and
#    every row of before, during and after the lock is stored.
# 2. The dashboard (in tmux), its database on a tmpfs that fills up
#    mid-session while a 240 000-event burst arrives: the header says
#    FAILING and counts the rows dropped once the in-memory queue is full,
#    the log panel says why, monitoring goes on; when space comes back,
#    writing resumes within the backoff (rows of events after that are
#    stored), the header
#    says ok with the count of what was lost, and the database is intact.
#    Mounting a tmpfs needs root: part 2 is skipped with the reason
#    otherwise (after part 1 has passed).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/flib.sh"
here=$(cd "$(dirname "$0")/../integration" && pwd)
: >"$T/empty.conf"

# --- 1. locked by another writer for 10 s ---------------------------------------
cat >"$T/lock.py" <<PY
T = "$T"
TAIL = "CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4"

def stream(c, i):
    c.lines(["650 STREAM %d NEW 0 127.0.0.1:80 SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER %s" % (i, 1000 + i % 1000, TAIL),
             "650 STREAM %d SENTCONNECT 8 127.0.0.1:80 %s" % (i, TAIL),
             "650 STREAM %d SUCCEEDED 8 127.0.0.1:80 %s" % (i, TAIL),
             "650 STREAM %d CLOSED 8 127.0.0.1:80 REASON=DONE %s" % (i, TAIL)])

def session(n, c):
    for i in range(1, 51):
        stream(c, i)
    c.wait(T + "/locked")
    for i in range(1001, 1201):     # 6 s of steady traffic, within the lock
        stream(c, i)
        c.sleep(0.03)
    c.wait(T + "/released", 60)
    for i in range(2001, 2051):
        stream(c, i)
    return False
PY
fakeport lk "$T/lock.py"
"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$(cat "$T/lk.port")" \
    --db "$T/lock.db" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$BGPIDS $mon"
closed() {	# DB FIRST LAST: committed closed streams with ids in FIRST..LAST
	sq "$1" "SELECT count(*) FROM stream WHERE status = 'CLOSED' AND stream_id BETWEEN $2 AND $3" 2>/dev/null || echo -1
}
printed() {	# FIRST LAST: CLOSED lines printed for ids FIRST..LAST
	awk -v a="$1" -v b="$2" '$2 == "stream" && $4 == "CLOSED" && $3 >= a && $3 <= b' "$T/mon.out" | wc -l
}
i=0
until [ "$(closed "$T/lock.db" 1 50)" = 50 ]; do
	[ $i -lt 200 ] || fail "the first 50 streams were not committed"
	sleep 0.05
	i=$((i + 1))
done
python3 - "$T/lock.db" "$T" <<'PY' &
import os, sqlite3, sys, time
db, T = sys.argv[1], sys.argv[2]
c = sqlite3.connect(db, isolation_level=None, timeout=10)
c.execute("BEGIN EXCLUSIVE")
open(T + "/locked.tmp", "w").write("%.3f\n" % time.time())
os.rename(T + "/locked.tmp", T + "/locked")
time.sleep(10)
c.execute("ROLLBACK")
c.close()
open(T + "/released.tmp", "w").write("%.3f\n" % time.time())
os.rename(T + "/released.tmp", T + "/released")
PY
BGPIDS="$BGPIDS $!"
wait_for "$T/locked" . 10 || fail "could not lock the database"
wait_for "$T/mon.err" "database $T/lock\.db: .*lock.*; monitoring goes on" 3 ||
    fail "the locked database was not reported within 3 s"
ok "reported: $(grep -m1 'monitoring goes on' "$T/mon.err")"
while [ ! -e "$T/released" ]; do
	n=$(closed "$T/lock.db" 1001 1200)
	[ "$n" -eq 0 ] || fail "$n rows committed while another writer held the lock?"
	sleep 0.2
done
t_rel=$(now_ms)
during=$(printed 1001 1200)
[ "$during" -eq 200 ] || fail "only $during of the 200 streams of the lock were printed during it"
kill -0 "$mon" || fail "the monitor died"
ok "during the 10 s lock: all 200 streams printed, none committed"
until [ "$(closed "$T/lock.db" 1001 1200)" = 200 ]; do
	[ $(($(now_ms) - t_rel)) -lt 12000 ] || { tail "$T/mon.err"; fail "writing did not resume within 12 s of the release"; }
	sleep 0.05
done
resume=$(($(now_ms) - t_rel))
until [ "$(closed "$T/lock.db" 2001 2050)" = 50 ]; do
	[ $(($(now_ms) - t_rel)) -lt 20000 ] || fail "the streams after the lock were not committed"
	sleep 0.05
done
kill -TERM "$mon"
wait "$mon"
rc=$?
[ "$rc" -eq 0 ] || { tail "$T/mon.err"; fail "monitor exit $rc"; }
[ "$(closed "$T/lock.db" 1 9999)" = 300 ] || fail "want 300 closed streams, got $(closed "$T/lock.db" 1 9999)"
[ "$(count_of "$T/mon.err" 'monitoring goes on')" -eq 1 ] || fail "the failure was said more than once"
grep -q "database $T/lock.db: writing again (0 rows had to be dropped meanwhile)" "$T/mon.err" ||
    { cat "$T/mon.err"; fail "the recovery was not said"; }
[ "$(grep -c . "$T/mon.err")" -eq 2 ] || { cat "$T/mon.err"; fail "more on stderr than the failure and the recovery"; }
[ "$(sqlite3 "$T/lock.db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
ok "writing resumed $resume ms after the release; all 300 streams stored; stderr: failure once, recovery once"

# --- 2. the dashboard, a filesystem that fills up mid-session -----------------------
mkdir -p "$T/small"
if ! mount -t tmpfs -o size=128m,mode=0700 tmpfs "$T/small" 2>"$T/mount.err"; then
	echo "part 2 (a filesystem that fills up) needs a tmpfs: $(head -1 "$T/mount.err")"
	exit 77
fi
. "$(dirname "$0")/../ui/uilib.sh"
MOUNTED="$T/small"
PRE_UMOUNT="tm kill-server 2>/dev/null"
trap cleanup_mount EXIT

cat >"$T/full.py" <<PY
T = "$T"
exec(open("$T/lock.py").read().split("def session")[0])

def session(n, c):
    for i in range(1, 101):
        stream(c, i)
    c.wait(T + "/filled")
    data = open(T + "/burst", "rb").read()
    for k in range(0, len(data), 65536):
        c.send(data[k:k + 65536])
    c.mark(T + "/burst.sent")
    c.wait(T + "/resumed", 90)
    for i in range(90001, 90051):
        stream(c, i)
    c.mark(T + "/after.sent")
    return False
PY
# 60 000 streams with ids 1001..61000 (gen_events numbers them from 1).
# The store folds the events of one stream into one row, so a stream is
# two queued rows (the stream and its attachment): 120 000 rows, more than
# the 100 000 the queue holds.
python3 "$here/gen_events.py" 60000 "$T/burst0"
python3 - "$T/burst0" "$T/burst" <<'PY'
import re, sys
out = open(sys.argv[2], "wb")
for l in open(sys.argv[1], "rb"):
    out.write(re.sub(rb"^650 STREAM (\d+)", lambda m: b"650 STREAM %d" % (int(m.group(1)) + 1000), l))
PY
fakeport fu "$T/full.py"
db="$T/small/db"
ui_start 200 30 -- -c "$T/empty.conf" --control "127.0.0.1:$(cat "$T/fu.port")" --db "$db"
ui_wait 'attached \(NULL' 30 || fail "no attach"
i=0
until [ "$(closed "$db" 1 100)" = 100 ]; do
	[ $i -lt 200 ] || fail "the first 100 streams were not committed"
	sleep 0.05
	i=$((i + 1))
done
dd if=/dev/zero of="$T/small/filler" bs=64k 2>/dev/null
[ "$(df -k "$T/small" | awk 'NR == 2 { print $4 }')" -eq 0 ] || fail "could not fill the tmpfs"
: >"$T/filled"
ui_wait 'FAILING: .*full' 60 || fail "the header does not say FAILING"
ok "header: $(grep -o 'db .*' "$T/screen" | head -1 | sed 's/  *$//')"
ui_wait 'FAILING: .*, [0-9]+ rows dropped' 90 || fail "the header does not count dropped rows"
wait_for "$T/burst.sent" . 90 || fail "the burst was not sent"
ui_wait 'FAILING: .*, [0-9]+ rows dropped' 1 || fail "lost the header"
full_hdr=$(grep -o 'db .*' "$T/screen" | head -1 | sed 's/  *$//')
ok "header: $full_hdr"
ui_keys 4
ui_wait "database .*full.*monitoring goes on" 5 || fail "the log panel does not say why"
rm -f "$T/small/filler"
t_free=$(now_ms)
# The store retries with a backoff of up to 10 s; until a retry succeeds
# the queue is full and new rows are dropped (and counted).
ui_wait 'db .*: ok, [0-9]+ rows dropped' 30 || fail "writing did not resume within 30 s of the space coming back"
resume=$(($(now_ms) - t_free))
ok_hdr=$(grep -o 'db .*' "$T/screen" | head -1 | sed 's/  *$//')
: >"$T/resumed"
wait_for "$T/after.sent" . 30 || fail "the streams after writing resumed were not sent"
until [ "$(closed "$db" 90001 90050)" = 50 ]; do
	[ $(($(now_ms) - t_free)) -lt 60000 ] || { ui_cap | head -4; fail "rows of events after writing resumed were not stored"; }
	sleep 0.1
done
ui_wait 'writing again \([0-9]+ rows had to be dropped meanwhile\)' 5 || fail "the log panel does not say writing resumed"
dropped=$(grep -o 'writing again ([0-9]* rows' "$T/screen" | grep -o '[0-9]*' | head -1)
[ "${dropped:-0}" -gt 0 ] || fail "no rows counted as dropped"
ui_cap -e >"$T/screen.esc"
ui_keys q
st=$(ui_exit 30) || fail "q did not end the dashboard"
[ "$st" = 0 ] || { cat "$T/err"; fail "dashboard exit $st"; }
grep -q "rows were dropped in all while it could not be written" "$T/err" ||
    { cat "$T/err"; fail "the total dropped is not said on stderr at the end"; }
[ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check after the full disk"
stored=$(closed "$db" 1 999999)
[ "$(closed "$db" 1 100)" = 100 ] || fail "rows from before the disk filled were lost"
ok "space back: writing resumed $resume ms later, and the 50 streams sent after that were stored; header: $ok_hdr"
ok "$dropped rows dropped and counted (in the log panel, the header and on stderr: $(grep 'in all' "$T/err" | sed 's/^isoaudit: //')); $stored closed streams stored; integrity_check ok"
