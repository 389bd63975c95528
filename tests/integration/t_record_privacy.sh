#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Transcripts obey LogTargets (SPEC.md, "Robustness promises";
# docs/privacy.md, "Transcripts").  monitor --record with LogTargets hash
# while curl asks for a marker host name (the exits cannot resolve it, but
# Tor's STREAM events name it) with a marker SOCKS username, one of them
# with the username that broke the old substring redaction
# ('…SOCKS_PASSWORD=:password'), and fetches the target with a marker
# username and password:
# - no marker in the transcript, the monitor's output and log, the
#   database file, or any report;
# - a replay of the transcript, into a database of its own (another hash
#   key), prints what the live run printed byte for byte and stores the
#   same findings.
. "$(dirname "$0")/lib.sh"
[ -n "${TORNET_CONTROL:-}" ] || { echo "no Tor network (TORNET_DIR/env has no TORNET_CONTROL)"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

M=isoaudit-mark$$
"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --db "$T/live.db" --log-targets hash \
    --record "$T/rec.txt" >"$T/mon.out" 2>"$T/mon.err" &
mon=$!
BGPIDS="$mon"
wait_for "$T/mon.out" "attached to Tor" 20 || fail "monitor did not attach"

# A host name the exits cannot resolve: curl fails, Tor's events name it.
for u in "${M}uSOCKS_PASSWORD=:${M}pw" "${M}user:${M}pass\"word\\x"; do
	curl -sS --max-time 30 --socks5-hostname "127.0.0.1:$TORNET_SOCKS_A" \
	    -U "$u" "http://$M.example/$M" >/dev/null 2>&1
done
# The target, with credentials, through two ports.
curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$TORNET_SOCKS_A" \
    -U "${M}tb:${M}secret" "http://127.0.0.1:$TORNET_TARGET/" >/dev/null ||
    fail "curl through A"
fetch "$TORNET_SOCKS_B" >/dev/null
# Two programs on the ports SessionGroup=42 joins (a finding the judge
# makes from the events), one of them with marker credentials.
cp "$(command -v curl)" "$T/curl-two"
CURL=$T/curl-two fetch "$TORNET_SOCKS_D" >/dev/null
curl -sS --max-time 60 --socks5-hostname "127.0.0.1:$TORNET_SOCKS_E" \
    -U "${M}e:${M}e" "http://127.0.0.1:$TORNET_TARGET/" >/dev/null ||
    fail "curl through E"
wait_for "$T/mon.out" "stream [0-9]+ CLOSED h:[0-9a-f]{12}:$TORNET_TARGET " 20 ||
    fail "no CLOSED line for the target"
wait_for "$T/mon.out" "stream [0-9]+ (FAILED|CLOSED) h:[0-9a-f]{12}:80 " 30 ||
    fail "no line for the marker host"
kill -TERM "$mon"
wait "$mon"
rc=$?
BGPIDS=""
[ "$rc" -eq 0 ] || { cat "$T/mon.err"; fail "monitor exit $rc after SIGTERM"; }

grep -q "SOCKS_USERNAME=\"h:[0-9a-f]\{12\}\" SOCKS_PASSWORD=\"h:[0-9a-f]\{12\}\"" "$T/rec.txt" ||
    fail "no hashed credentials in the transcript"
grep -Eq '< 650 STREAM [0-9]+ [A-Z]+ [0-9]+ h:[0-9a-f]{12}:80 ' "$T/rec.txt" ||
    fail "the marker host's events are not in the transcript, hashed"
[ "$(stat -c %a "$T/rec.txt")" = 600 ] || fail "transcript mode"

# Reports in every format, from the live database.
for f in text json csv html; do
	"$ISOAUDIT" report --db "$T/live.db" --all --format $f -o "$T/report.$f" ||
	    fail "report --format $f"
done
"$ISOAUDIT" check --db "$T/live.db" --since 1d --min-severity info >"$T/check.out"
for x in "$T/rec.txt" "$T/mon.out" "$T/mon.err" "$T"/live.db* "$T"/report.* "$T/check.out"; do
	[ -e "$x" ] || continue
	if [ -d "$x" ]; then grep -rqa "$M" "$x" && fail "a marker in clear in $(basename "$x")/"
	else grep -qa "$M" "$x" && fail "a marker in clear in $(basename "$x")"; fi
done
sqlite3 "$T/live.db" .dump | grep -q "$M" && fail "a marker in the database"
ok "no marker host, username or password in the transcript, output, database or reports"

# The replay: another database (another key), the same lines and findings.
"$ISOAUDIT" replay --db "$T/replay.db" "$T/rec.txt" >"$T/replay.out" 2>"$T/replay.err" ||
    { cat "$T/replay.err"; fail "replay"; }
diff "$T/mon.out" "$T/replay.out" >"$T/diff" || { cat "$T/diff"; fail "replay differs from live"; }
grep -qa "$M" "$T/replay.out" "$T"/replay.db* && fail "a marker after the replay"
q="SELECT key, rule, severity, listener, ident_a, ident_b, identities,
    coalesce(detail, ''), first_seen, last_seen,
    (SELECT sum(count) FROM occurrence o WHERE o.cause = c.id)
    FROM cause c ORDER BY key"
sqlite3 "$T/live.db" "$q" >"$T/find.live" || fail "findings of the live run"
sqlite3 "$T/replay.db" "$q" >"$T/find.replay" || fail "findings of the replay"
diff "$T/find.live" "$T/find.replay" || fail "the replay's findings differ"
grep -q '|SHARED_CIRCUIT|critical|' "$T/find.live" || { cat "$T/find.live"; fail "no SHARED_CIRCUIT to compare"; }
ok "replay reproduces the live output ($(wc -l <"$T/mon.out") lines) and its $(wc -l <"$T/find.live") findings"
