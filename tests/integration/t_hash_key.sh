#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The hash key lives in its own file, not in the database (no Tor network:
# replays of the sample captures):
#   - a new database gets DB.key, 0600, 32 bytes; the database keeps only
#     its fingerprint (meta hash_key_id), never the key's bytes;
#   - the 0.1 fixture (its key in meta) migrates: DB.key holds the same
#     bytes, a target replayed after gets the h: value 0.1 stored, and the
#     key's bytes are in neither the database, its -wal nor a -journal;
#   - HashKeyFile puts it elsewhere (config --check prints it);
#   - a key file missing, of another key, of the wrong size, writable by
#     others, a symbolic link or a FIFO is refused: exit 3, one line; no
#     second key is begun; prune --new-key begins one (old hashes then
#     match no new one); report and check need no key at all.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

fx=$(cd "$(dirname "$0")/../fixtures" && pwd)
cap="$fx/01_ports_A_then_B.txt"

# holds FILE HEX: whether FILE holds those bytes (absent: no).
holds() {
	python3 -c 'import sys, os
p, h = sys.argv[1], bytes.fromhex(sys.argv[2])
sys.exit(0 if os.path.exists(p) and h in open(p, "rb").read() else 1)' "$1" "$2"
}
hexof() { od -An -v -tx1 "$1" | tr -d ' \n'; }
# refused WHAT: the last command exited 3 with one line naming WHAT.
refused() {
	[ "$rc" = 3 ] || { cat "$T/err"; fail "$1: exit $rc, not 3"; }
	[ "$(wc -l <"$T/err")" = 1 ] || { cat "$T/err"; fail "$1: not one line"; }
	grep -q "$2" "$T/err" || { cat "$T/err"; fail "$1: no '$2'"; }
}
run() { "$@" >/dev/null 2>"$T/err"; rc=$?; }

# --- a new database -----------------------------------------------------------
db="$T/new/n.db"
"$ISOAUDIT" replay --db "$db" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay"; }
[ "$(stat -c '%a %s' "$db.key")" = "600 32" ] || fail "key file: $(stat -c '%a %s' "$db.key")"
key=$(hexof "$db.key")
[ "$(sqlite3 "$db" "SELECT count(*) FROM meta WHERE key = 'hash_key'")" = 0 ] || fail "a key in the new database"
[ "$(sqlite3 "$db" "SELECT length(value) FROM meta WHERE key = 'hash_key_id'")" = 32 ] || fail "no fingerprint"
for f in "$db" "$db-wal" "$db-journal"; do ! holds "$f" "$key" || fail "the key's bytes in $f"; done
h1=$(sqlite3 "$db" "SELECT DISTINCT target FROM stream WHERE target_port = 20180")
"$ISOAUDIT" replay --db "$db" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay again"; }
[ "$(sqlite3 "$db" "SELECT count(DISTINCT target) FROM stream WHERE target_port = 20180")" = 1 ] ||
    fail "a second session hashed the same target otherwise"
[ "$(hexof "$db.key")" = "$key" ] || fail "the key changed"
ok "a new database: DB.key 0600 of 32 bytes, only a fingerprint inside"

# --- refusals: one line, exit 3, no second key ----------------------------------
cp "$db.key" "$T/saved.key"
rm "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "missing key" "is missing, and database .*prune --new-key"
[ ! -e "$db.key" ] || fail "a second key begun in place of the missing one"
run "$ISOAUDIT" report --db "$db" --all; [ "$rc" = 0 ] || { cat "$T/err"; fail "report needs the key"; }
run "$ISOAUDIT" check --db "$db" --min-severity info; [ "$rc" != 3 ] || { cat "$T/err"; fail "check needs the key"; }
head -c 32 /dev/urandom >"$db.key"; chmod 600 "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "another key" "is not the key of database"
head -c 31 "$T/saved.key" >"$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "31 bytes" "is 31 bytes, not 32"
cp "$T/saved.key" "$db.key"; chmod 620 "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "writable" "writable by its group"
chmod 606 "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "writable" "writable by everyone"
rm "$db.key"; ln -s "$T/saved.key" "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"; refused "symlink" "is a symbolic link"
rm "$db.key"; mkfifo "$db.key"
run timeout 10 "$ISOAUDIT" replay --db "$db" "$cap"; refused "FIFO" "not a regular file"
rm "$db.key"; cp "$T/saved.key" "$db.key"; chmod 644 "$db.key"
run "$ISOAUDIT" replay --db "$db" "$cap"
[ "$rc" = 0 ] && grep -q "was readable by others" "$T/err" || { cat "$T/err"; fail "0644 key"; }
[ "$(stat -c %a "$db.key")" = 600 ] || fail "0644 key not made 0600"
[ "$(sqlite3 "$db" "SELECT count(DISTINCT target) FROM stream WHERE target_port = 20180")" = 1 ] ||
    fail "the right key put back gives other hashes"
ok "missing, swapped, short, writable, linked, FIFO key files refused in one line; readers need none"

# --- prune --new-key: another key, old hashes stay as they were -------------
out=$("$ISOAUDIT" prune --db "$db" --new-key 2>"$T/err") || { cat "$T/err"; fail "prune --new-key"; }
case $out in "a new hash key in $db.key for $db") ;; *) fail "prune --new-key said: $out" ;; esac
[ "$(hexof "$db.key")" != "$key" ] || fail "the same key after --new-key"
[ "$(stat -c '%a %s' "$db.key")" = "600 32" ] || fail "new key file"
"$ISOAUDIT" replay --db "$db" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay after --new-key"; }
[ "$(sqlite3 "$db" "SELECT count(DISTINCT target) FROM stream WHERE target_port = 20180")" = 2 ] ||
    fail "the new key hashes as the old"
# Beside a running writer it is refused (one writer per database).
ok "prune --new-key"

# --- HashKeyFile elsewhere ------------------------------------------------------
mkdir -m 700 "$T/keys"
printf 'HashKeyFile %s\n' "$T/keys/hash.key" >"$T/conf"
"$ISOAUDIT" config -c "$T/conf" --check 2>&1 | grep -qx "HashKeyFile $T/keys/hash.key" ||
    fail "config --check does not print HashKeyFile"
"$ISOAUDIT" replay -c "$T/conf" --db "$T/else.db" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay HashKeyFile"; }
[ "$(stat -c '%a %s' "$T/keys/hash.key")" = "600 32" ] || fail "HashKeyFile not made"
[ ! -e "$T/else.db.key" ] || fail "a key beside the database too"
# Another database under the same key: the same hashes.
"$ISOAUDIT" replay -c "$T/conf" --db "$T/else2.db" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay 2"; }
[ "$(sqlite3 "$T/else.db" "SELECT DISTINCT target FROM stream WHERE target_port = 20180")" = \
  "$(sqlite3 "$T/else2.db" "SELECT DISTINCT target FROM stream WHERE target_port = 20180")" ] ||
    fail "one HashKeyFile, two hashes"
printf 'HashKeyFile keys/hash.key\n' >"$T/conf2"
run "$ISOAUDIT" config -c "$T/conf2" --check
[ "$rc" = 2 ] && grep -q "HashKeyFile needs an absolute path" "$T/err" || { cat "$T/err"; fail "relative HashKeyFile"; }
ok "HashKeyFile elsewhere, shared by two databases"

# --- the 0.1 fixture: the key moves out with the same bytes ---------------------
old="$T/old/db"
mkdir -m 700 "$T/old"
{ cat "$fx/db-0.1.sql"; echo 'PRAGMA user_version = 1;'; } | sqlite3 "$old" || fail "load db-0.1.sql"
okey=$(sqlite3 "$old" "SELECT hex(value) FROM meta WHERE key = 'hash_key'" | tr A-F a-f)
[ ${#okey} = 64 ] || fail "the fixture has no key"
holds "$old" "$okey" || fail "control: the key's bytes not found in the 0.1 file"
h0=$(sqlite3 "$old" "SELECT DISTINCT target FROM stream WHERE target_port = 20180")
[ "$(echo "$h0" | wc -l)" = 1 ] || fail "the fixture: $h0"
n0=$(sqlite3 "$old" "SELECT count(*) FROM stream WHERE target_port = 20180")
# A reader first (it migrates the schema, it leaves the key alone).
"$ISOAUDIT" report --db "$old" --all >/dev/null 2>"$T/err" || { cat "$T/err"; fail "report on 0.1"; }
[ ! -e "$old.key" ] || fail "a reader made a key file"
"$ISOAUDIT" replay --db "$old" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay into 0.1"; }
grep -q "its hash key moved to $old.key" "$T/err" || { cat "$T/err"; fail "no word of the move"; }
[ "$(hexof "$old.key")" = "$okey" ] || fail "the key file holds other bytes than the database's key"
[ "$(stat -c '%a %s' "$old.key")" = "600 32" ] || fail "migrated key file"
[ "$(sqlite3 "$old" "SELECT count(*) FROM meta WHERE key = 'hash_key'")" = 0 ] || fail "key still in meta"
n1=$(sqlite3 "$old" "SELECT count(*) FROM stream WHERE target_port = 20180")
[ "$n1" -gt "$n0" ] || fail "the replay stored nothing"
[ "$(sqlite3 "$old" "SELECT DISTINCT target FROM stream WHERE target_port = 20180")" = "$h0" ] ||
    fail "the target hashed after the move differs from 0.1's $h0"
for f in "$old" "$old-wal" "$old-journal" "$old-shm"; do
	! holds "$f" "$okey" || fail "the old key's bytes are still in $f"
done
[ "$(sqlite3 "$old" 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
# And it stays the key: a later run takes it from the file.
"$ISOAUDIT" replay --db "$old" "$cap" >/dev/null 2>"$T/err" || { cat "$T/err"; fail "replay again"; }
[ ! -s "$T/err" ] || { cat "$T/err"; fail "a second run said something"; }
ok "0.1 database: key moved to db.key (same bytes, same h: value $h0), gone from the database and its -wal"
exit 0
