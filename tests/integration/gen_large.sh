#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/integration/gen_large.sh ISOAUDIT DB STREAMS CAUSES OCCURRENCES:
# a large, realistic database for report and check (not a test: the
# large-database test t_report_large.sh and the bench use it).
#
# The schema is made by the real binary (a fixture replayed into DB), then
# one Tor session is added with SQL (recursive CTEs, a few seconds per
# million rows), into the real tables:
#   STREAMS streams of 26 applications on 26 listeners, 4 streams a
#     circuit, every 100th circuit shared by two applications, every 100th
#     circuit a leg of a conflux pair, each stream attached to its circuit,
#     500 exit relays, a few processes per application;
#   CAUSES causes (findings), every severity, one occurrence each;
#   one more cause (SHARED_CIRCUIT) with OCCURRENCES occurrences.
# The session is the newest, so a plain `report` reads it.
set -eu
[ $# -eq 5 ] || { echo "usage: gen_large.sh ISOAUDIT DB STREAMS CAUSES OCCURRENCES" >&2; exit 2; }
bin=$1 db=$2 ns=$3 nc=$4 no=$5
top=$(cd "$(dirname "$0")/../.." && pwd)
rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
"$bin" -c /dev/null replay --db "$db" "$top/tests/fixtures/01_ports_A_then_B.txt" >/dev/null
ncirc=$((ns / 4 + 1))
# The session starts after the fixture's (2030-01-01), one stream per ms.
t0=1893456000000000
sqlite3 "$db" >/dev/null <<EOF
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -65536;
BEGIN;
INSERT INTO tor_session(id, tor_version, control, auth, pid, source, started,
	ended, end_reason, last_event)
VALUES (9000, '0.4.9.11', '127.0.0.1:9051', 'SAFECOOKIE', 4242, 'live', $t0,
	NULL, NULL, $t0 + $ns * 1000 + 10000);

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
INSERT INTO app(id, label, host, sub)
SELECT 90000 + i, 'gen-app-' || i, 'localhost', '' FROM n;

WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $ncirc)
INSERT INTO circuit(session, circ_id, status, purpose, build_flags, path,
	exit_fp, exit_nick, conflux_id, created, built, closed, reason)
SELECT 9000, c, 'CLOSED', 'GENERAL', 'NEED_CAPACITY',
	'\$' || printf('%040X', c % 97) || '~guard,\$' || printf('%040X', c % 500 + 1000) || '~exit' || (c % 500),
	printf('%040X', c % 500 + 1000), 'exit' || (c % 500),
	CASE WHEN c % 100 IN (10, 11) THEN printf('%032X', c / 100) END,
	$t0 + c * 4000 - 500, $t0 + c * 4000 - 100, $t0 + c * 4000 + 9000,
	'FINISHED'
FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $ns - 1)
INSERT INTO stream(session, stream_id, circ_id, status, listener, client_addr,
	app, pid, process, uid, protocol, purpose, iso_fields, target,
	target_port, opened, succeeded, closed, reason)
SELECT 9000, i + 1, i / 4 + 1, 'CLOSED',
	'127.0.0.1:' || (9150 + a), '127.0.0.1:' || (32768 + i % 28000),
	90000 + a, 2000 + a * 10 + i % 3, 'proc-' || a, 1000, 'SOCKS5', 'USER',
	'SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH',
	'h:' || printf('%012x', (i * 7919) % 1000003), 443,
	$t0 + i * 1000, $t0 + i * 1000 + 300, $t0 + i * 1000 + 5000, 'DONE'
FROM (SELECT i, CASE WHEN i % 400 = 3 THEN (i / 4 + 1) % 26 ELSE (i / 4) % 26 END AS a FROM n);

INSERT INTO attach(session, stream_id, circ_id, at)
SELECT session, stream_id, circ_id, opened + 200 FROM stream WHERE session = 9000;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $nc - 1)
INSERT INTO cause(id, key, rule, severity, listener, ident_a, ident_b, apps,
	identities, processes, detail, first_seen, last_seen, seq, remedy)
SELECT 1000000 + i, 'gen:' || i,
	CASE i % 4 WHEN 0 THEN 'SHARED_CIRCUIT' WHEN 1 THEN 'SHARED_PORT_PROCESSES'
	    WHEN 2 THEN 'SHARED_EXIT' ELSE 'PRE_ATTACH' END,
	CASE i % 4 WHEN 0 THEN 'critical' WHEN 1 THEN 'warning'
	    WHEN 2 THEN 'notice' ELSE 'info' END,
	CASE i % 4 WHEN 1 THEN '127.0.0.1:' || (9150 + i % 26) ELSE '' END,
	'gen-app-' || (i % 26) || '@localhost', 'gen-peer-' || i || '@localhost',
	'["gen-app-' || (i % 26) || '","gen-peer-' || i || '"]',
	'["gen-app-' || (i % 26) || '@localhost","gen-peer-' || i || '@localhost"]',
	'[{"pid":' || (2000 + i % 26) || ',"name":"proc-' || (i % 26) || '"}]',
	'generated cause ' || i || ': two applications on one exit circuit',
	$t0 + (i % $ns) * 1000, $t0 + (i % $ns) * 1000 + 3000, 1000000 + i,
	CASE i % 4 WHEN 0 THEN 'give each application its own SocksPort' END
FROM n;

INSERT INTO occurrence(cause, session, circ_id, exit_fp, streams, count,
	first_seen, last_seen)
SELECT id, 9000, (id - 1000000) % $ncirc + 1, printf('%040X', id % 500 + 1000),
	'["' || ((id - 1000000) * 4 % $ns + 1) || '","' || ((id - 1000000) * 4 % $ns + 2) || '"]',
	1, first_seen, last_seen
FROM cause WHERE id >= 1000000;

INSERT INTO cause(id, key, rule, severity, listener, ident_a, ident_b, apps,
	identities, processes, detail, first_seen, last_seen, seq)
SELECT 999999, 'gen:many', 'SHARED_CIRCUIT', 'critical', '',
	'gen-app-0@localhost', 'gen-app-1@localhost', '["gen-app-0","gen-app-1"]',
	'["gen-app-0@localhost","gen-app-1@localhost"]', '[]',
	'one cause, many occurrences', $t0, $t0 + $no * 1000, 2999999
WHERE $no > 0;

WITH RECURSIVE n(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM n WHERE c < $no)
INSERT INTO occurrence(cause, session, circ_id, exit_fp, streams, count,
	first_seen, last_seen)
SELECT 999999, 9000, c, printf('%040X', c % 500 + 1000),
	'["' || (c * 4) || '"]', 2, $t0 + c * 1000, $t0 + c * 1000 + 500
FROM n WHERE $no > 0;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF
chmod 600 "$db"
