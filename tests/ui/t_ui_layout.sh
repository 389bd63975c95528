#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The dashboard's layout by width, on the real Tor client with D and E (one
# SessionGroup) sharing a circuit: at 80x24 the circuits, applications and
# findings keep the verdict, the partner and the process, and the header
# puts the critical count first; at 100x30 and 200x60 more columns come.
# Then: a circuit's details on Enter (guard, middle, exit with nickname,
# fingerprint, address and flags from GETINFO ns/id; no country while Tor
# has no GeoIP data, "de" for each hop once it loads a file that says so),
# Esc closes them; the log
# wraps a long line and folds its repeats; q asks when findings are not
# acknowledged; and the header while the client tor is down (it is
# stopped and started again, as t_zz_reconnect does).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/uilib.sh"
tornet=$(dirname "$0")/../tornet/tornet

cat >"$T/conf" <<EOC
App $TORNET_SOCKS_D "delta"
App $TORNET_SOCKS_E "echo"
EOC

# no_wider W: no line of the screen is wider than W.
no_wider() {
	ui_cap >"$T/screen"
	awk -v w="$1" 'length($0) > w { bad = 1 } END { exit bad }' "$T/screen" ||
	    fail "a line wider than $1"
}

ui_start 80 24 -- --control "$TORNET_CONTROL" -c "$T/conf" --db "$T/ui.db" \
    --record "$T/ui.rec"
ui_wait 'attached \(SAFECOOKIE, Tor session 1\)' 30 || fail "no attach on screen"
ui_share_de '^!! +[0-9]+ ' || fail "D/E never shared a circuit"

# --- 80x24 ---------------------------------------------------------------
# Circuits: the marker and both applications in full (the partner).
ui_wait '^!! +[0-9]+ +[A-Z]+ +[0-9a-z]+ .*\$[0-9A-F]{8} +(delta@localhost, echo@localhost|echo@localhost, delta@localhost)' 5 ||
    fail "80x24: the shared circuit's row lacks one of its applications"
grep -q 'PURPOSE\|CONFLUX' "$T/screen" && fail "80x24: PURPOSE or CONFLUX kept, the applications squeezed"
# The header: the critical count first.
ui_line 2 | grep -Eq '^[1-9][0-9]* critical [0-9]+ warning' ||
    fail "80x24: the critical count is not first: $(ui_line 2)"
no_wider 80
ok "80x24 circuits: !!, both applications; header: $(ui_line 2 | sed 's/  *$//')"

ui_keys 2
ui_wait 'APPLICATION +PROCESSES +VERDICT' 5 || fail "80x24: applications' columns"
ui_wait '^!! +(delta|echo)@localhost +(delta|echo)\[[0-9]+\] +SHARED with (delta|echo) \(uid [0-9]+\)@localhost *$' 5 ||
    fail "80x24: the application's row lacks process, verdict or partner"
no_wider 80
ok "80x24 applications: $(grep -E '^!! ' "$T/screen" | head -1 | sed 's/  */ /g')"

ui_keys 3
ui_wait '^\* critical SHARED_CIRCUIT +x[0-9]+ (delta|echo) \(uid [0-9]+\)@localhost and (delta|echo) \(uid' 5 ||
    fail "80x24: the finding's row lacks both applications"
no_wider 80
ok "80x24 findings: both applications named"

# --- 100x30 --------------------------------------------------------------
tm resize-window -t d -x 100 -y 30
ui_keys 1
ui_wait 'ID +STATE +AGE +PURPOSE +EXIT +CONFLUX +APPLICATIONS' 5 ||
    fail "100x30: PURPOSE and CONFLUX not back"
ui_wait '^!! +[0-9]+ .*(delta@localhost, echo@localhost|echo@localhost, delta@localhost)' 5 ||
    fail "100x30: the shared circuit's applications"
ui_line 2 | grep -Eq '^circuits [0-9]+  streams [0-9]+  apps [0-9]+  findings: [1-9][0-9]* critical' ||
    fail "100x30: the header's counts: $(ui_line 2)"
ui_keys 2
ui_wait 'APPLICATION +LISTENERS +PROCESSES +STREAMS +CIRC +EXIT +VERDICT' 5 ||
    fail "100x30: the applications' columns"
ui_keys 3
ui_wait '^\* [0-9]{2}:[0-9]{2}:[0-9]{2} critical SHARED_CIRCUIT' 5 ||
    fail "100x30: the findings' time not back"
no_wider 100
ok "100x30: every column"

# --- 200x60 --------------------------------------------------------------
tm resize-window -t d -x 200 -y 60
ui_keys 2
ui_wait '^!! +(delta|echo)@localhost +127\.0\.0\.1:[0-9]+ +(delta|echo)\[[0-9]+\] +[0-9]+/[0-9]+ +[0-9]+ +[0-9]+ +SHARED with (delta|echo) \(uid [0-9]+\)@localhost' 5 ||
    fail "200x60: the application's row in full"
ui_keys 3
ui_wait '^\* [0-9:]{8} critical SHARED_CIRCUIT +x[0-9]+ (delta|echo) \(uid [0-9]+\)@localhost and (delta|echo) \(uid [0-9]+\)@localhost' 5 ||
    fail "200x60: the finding's row in full"
[ "$(ui_cap | wc -l)" -eq 60 ] || fail "200x60: not 60 lines"
no_wider 200
ok "200x60: rows in full"

# --- circuit details ------------------------------------------------------
tm resize-window -t d -x 100 -y 30
ui_keys 1 g Enter
ui_wait '^    guard +[A-Za-z0-9]+ +\$[0-9A-F]{40}$' 5 || fail "Enter: no guard"
ui_wait '^    middle +[A-Za-z0-9]+ +\$[0-9A-F]{40}$' 5 || fail "Enter: no middle"
ui_wait '^    exit +(exit0|exit1) +\$[0-9A-F]{40}$' 5 || fail "Enter: no exit"
# What Tor said of each: address, ORPort, flags.
ui_wait '^ {13}127\.0\.0\.1:[0-9]+  .*Running' 10 || fail "no ns/id answer shown"
[ "$(grep -Ec '^ {13}127\.0\.0\.1:[0-9]+  ' "$T/screen")" -eq 3 ] ||
    fail "not every hop described"
grep -q 'Exit.*Running\|Running.*Exit' "$T/screen" || fail "the exit's flags"
# A client Tor loads GeoIP data only when something needs it (a country
# in a node list), and keeps it until it restarts: this check needs a Tor
# that has none (the country part below loads some; "Tor away" restarts).
if sh "$tornet" ctl "$TORNET_DIR" "GETINFO ip-to-country/ipv4-available" |
    grep -q '=1$'; then
	echo "note: the client Tor has GeoIP data already: 'no country' not checked"
else
	grep -q 'country' "$T/screen" && fail "a country shown without a GeoIP database"
	# Asked once a hop, not again and again while Tor cannot say.
	sleep 1
	n=$(grep -c '> GETINFO ip-to-country/' "$T/ui.rec")
	[ "$n" -ge 1 ] && [ "$n" -le 3 ] ||
	    fail "$n GETINFO ip-to-country for a path of three without GeoIP data"
fi
grep -q 'asking Tor' "$T/screen" && fail "still asking Tor"
ok "Enter: $(grep -E '^    exit ' "$T/screen" | sed 's/  */ /g')"
ui_keys Escape
sleep 0.3
ui_cap >"$T/screen"
grep -q '^    guard ' "$T/screen" && fail "Esc did not close the details"
ui_keys Enter
ui_wait '^    guard ' 5 || fail "Enter did not open them again"
ui_keys Enter
sleep 0.3
ui_cap >"$T/screen"
grep -q '^    guard ' "$T/screen" && fail "Enter did not close the details"
ok "Esc and Enter close the details"

# A GeoIP file that puts the test network (127.0.0.0/24) in "de", loaded
# by Tor for a node list with a country in it (none of its relays is in
# {zz}; the list is dropped at once, the data stays until Tor restarts).
# The details, opened again, ask again what Tor could not say before.
printf '2130706432,2130706687,DE\n' >"$T/geoip"
sh "$tornet" ctl "$TORNET_DIR" "SETCONF GeoIPFile=$T/geoip ExcludeNodes={zz}" |
    grep -q '^250 OK' || fail "SETCONF GeoIPFile"
sh "$tornet" ctl "$TORNET_DIR" "RESETCONF ExcludeNodes" | grep -q '^250 OK' ||
    fail "RESETCONF ExcludeNodes"
sh "$tornet" ctl "$TORNET_DIR" "GETINFO ip-to-country/127.0.0.1" |
    grep -q '=de$' || fail "Tor did not load the GeoIP file"
n0=$(grep -c '> GETINFO ip-to-country/' "$T/ui.rec")
ui_keys Enter
ui_wait '^ {13}127\.0\.0\.1:[0-9]+  .*Running.*  country de$' 10 ||
    fail "Enter: no country once Tor has GeoIP data"
[ "$(grep -Ec '  country de$' "$T/screen")" -eq 3 ] ||
    fail "not every hop's country"
sleep 1
n=$(( $(grep -c '> GETINFO ip-to-country/' "$T/ui.rec") - n0 ))
[ "$n" -ge 1 ] && [ "$n" -le 3 ] ||
    fail "$n GETINFO ip-to-country for one opening of a path of three"
ok "Enter with GeoIP data: $(grep -E '^ {13}127' "$T/screen" | head -1 | sed 's/  */ /g')"
ui_keys Enter

# --- the log: wrapped, folded ----------------------------------------------
# HTTP on a SocksPort: Tor warns, the same long line each time.
for i in 1 2 3; do
	printf 'GET / HTTP/1.0\r\n\r\n' | timeout 3 python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
try:
    s.recv(100)
except OSError:
    pass' "$TORNET_SOCKS_A" 2>/dev/null
done
tm resize-window -t d -x 80 -y 24
ui_keys 4
# The count at its end, wrapped: the screen's rows joined.
joined() {
	ui_cap | sed 's/^ \{22\}/+/' | tr -s ' ' | tr '\n' ' ' | sed 's/ +/ /g'
}
i=0
until joined | grep -Eq 'Socks version 71 not recognized\..* \(repeated 3 times since [0-9:]{8}\)'; do
	i=$((i + 1))
	[ $i -lt 150 ] || { ui_cap; fail "Tor's repeated warning not folded"; }
	sleep 0.1
done
ui_cap >"$T/screen"
[ "$(grep -c 'Socks version 71' "$T/screen")" -eq 1 ] ||
    fail "the repeated warning shown more than once"
# Wrapped at 80: a row after it, indented under the message, carries the
# rest.
awk '/Socks version 71/ { getline; if (substr($0, 1, 22) ~ /^ *$/ &&
    substr($0, 23, 1) != " " && length($0) > 23) found = 1 } END { exit !found }' \
    "$T/screen" || fail "the long warning is not wrapped onto an indented row"
no_wider 80
ok "log: $(grep -A1 'Socks version 71' "$T/screen" | sed 's/  */ /g' | tr '\n' '|')"

# --- Tor away --------------------------------------------------------------
ui_keys 1
# The client comes back whatever happens: later tests need it.
trap 'ui_cleanup; sh "$tornet" start-client "$TORNET_DIR" >/dev/null 2>&1' EXIT
sh "$tornet" stop-client "$TORNET_DIR" >/dev/null || fail "stop-client"
ui_wait '^isoaudit [^ ]+ \| Tor: not connected since [0-9]{2}:[0-9]{2}:[0-9]{2} \(retry in [0-9]+ s\) +[0-9:]{8}$' 15 ||
    fail "the header does not say Tor is away"
grep -q 'bootstrap\| up [0-9]' "$T/screen" && fail "stale uptime or bootstrap while Tor is away"
ok "Tor away: $(ui_line 0 | sed 's/  */ /g')"
sh "$tornet" start-client "$TORNET_DIR" >/dev/null || fail "start-client"
trap ui_cleanup EXIT
ui_wait 'attached \(SAFECOOKIE, Tor session 2\)' 90 || fail "no reconnect on screen"
ui_wait '^isoaudit [^ ]+ \| Tor [0-9]' 10 || fail "the header does not show Tor back"
ok "Tor back: $(ui_line 0 | sed 's/  */ /g')"

# --- q asks once ------------------------------------------------------------
ui_keys q
ui_wait '[0-9]+ unacknowledged findings?; q again to quit, any other key to stay' 5 ||
    fail "q did not ask"
ui_keys q
st=$(UI_EXIT_NOCONFIRM=1 ui_exit 10) || fail "q q did not quit"
[ "$st" = 0 ] || { cat "$T/err"; fail "exit status $st"; }
ui_restored
ok "q asks when findings are not acknowledged; q again quits"
