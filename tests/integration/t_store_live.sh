#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A live session on the tornet client with a config naming its ports: two
# programs fetch at the same time through SocksPorts A and B; the database
# then holds both applications, each on its own circuits, and report --format
# json says so field by field.
. "$(dirname "$0")/lib.sh"

cat >"$T/conf" <<CONF
# the tornet client's listeners
App $TORNET_SOCKS_A "App A"
App 127.0.0.1:$TORNET_SOCKS_B "App B"
LogTargets plain
Database $T/db
CONF
umask 000
"$ISOAUDIT" -c "$T/conf" monitor --control "$TORNET_CONTROL" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"
(fetch "$TORNET_SOCKS_A" "?sleep=1" >"$T/a.port") &
ca=$!
(fetch "$TORNET_SOCKS_B" "?sleep=1" >"$T/b.port") &
cb=$!
wait "$ca" || fail "curl A"
wait "$cb" || fail "curl B"
wait_for "$T/mon.out" "stream [0-9]+ CLOSED .*app App A@localhost" 20 || fail "A not closed"
wait_for "$T/mon.out" "stream [0-9]+ CLOSED .*app App B@localhost" 20 || fail "B not closed"
kill -TERM "$mon"
wait "$mon" || fail "monitor exit status after SIGTERM"
BGPIDS=""

[ "$(stat -c %a "$T/db")" = 600 ] || fail "database mode $(stat -c %a "$T/db") with umask 000"
[ "$(stat -c %a "$T")" = 700 ] || [ -d "$T" ] || fail "directory"
"$ISOAUDIT" -c "$T/conf" report --format json >"$T/r.json" 2>"$T/r.err" ||
    { cat "$T/r.err"; fail "report"; }
python3 - "$T/r.json" "$(cat "$T/a.port")" "$(cat "$T/b.port")" "$TORNET_SOCKS_A" "$TORNET_SOCKS_B" <<'PY' || fail "report content"
import json, sys
r = json.load(open(sys.argv[1]))
pa, pb, la, lb = sys.argv[2:6]
assert r["isoaudit_report"] == 1
assert len(r["tor_sessions"]) == 1, r["tor_sessions"]
s = r["tor_sessions"][0]
assert s["tor_version"].startswith("0.4."), s
assert s["ended"] is not None, s
apps = {a["app"]: a for a in r["apps"]}
assert set(apps) >= {"App A", "App B"}, apps
for name, port in (("App A", la), ("App B", lb)):
    a = apps[name]
    assert a["host"] == "localhost", a
    assert a["listeners"] == ["127.0.0.1:" + port], a
    assert a["streams"] >= 1 and a["circuits"] >= 1 and a["exits"] >= 1, a
    assert a["first_seen"] and a["last_seen"], a
circs = r["circuits"]
mine = {n: [c for c in circs if n in c["apps"]] for n in ("App A", "App B")}
assert mine["App A"] and mine["App B"], circs
for c in circs:
    assert isinstance(c["id"], str) and c["session"] == s["id"], c
    assert c["exit"] is None or len(c["exit"]["fingerprint"]) == 40, c
shared = [c for c in circs if "App A" in c["apps"] and "App B" in c["apps"]]
assert not shared, shared
assert r["summary"]["apps"] >= 2 and r["summary"]["streams"] >= 2, r["summary"]
print("report ok:", {n: [c["id"] for c in v] for n, v in mine.items()})
PY
ok "report lists both applications on their own circuits"

# The database: targets in plain (as configured), client addresses are
# curl's own, every stream attached.
n=$(sqlite3 "$T/db" "SELECT count(*) FROM stream WHERE client_addr IN ('127.0.0.1:$(cat "$T/a.port")', '127.0.0.1:$(cat "$T/b.port")') AND target = '127.0.0.1' AND target_port = $TORNET_TARGET AND closed IS NOT NULL")
[ "$n" -eq 2 ] || fail "stream rows: $n"
ok "stream rows hold curl's addresses"
