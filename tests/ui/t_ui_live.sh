#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The dashboard on the real Tor client, in tmux at 80x24: applications on
# A and B each on their own circuit; D and E (one SessionGroup) on one
# circuit, marked "!!" in red, SHARED_CIRCUIT in the findings; every panel,
# the filter, sort, pause, details, acknowledge (stored), NEWNYM with its
# confirmation, help, a resize and back, and q restoring the terminal.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/uilib.sh"

cat >"$T/conf" <<EOC
App $TORNET_SOCKS_A "alpha"
App $TORNET_SOCKS_B "bravo"
App $TORNET_SOCKS_D "delta"
App $TORNET_SOCKS_E "echo"
EOC
db="$T/ui.db"
ui_start 80 24 -- --control "$TORNET_CONTROL" -c "$T/conf" --db "$db" -v
ui_wait 'attached \(SAFECOOKIE, Tor session 1\)' 30 || fail "no attach on screen"
ui_wait '^ 1 Circuits +2 Applications +3 Findings.* 4 Log' 5 || fail "no tabs"
ok "attached; header and tabs drawn"

fetch "$TORNET_SOCKS_A" >/dev/null
fetch "$TORNET_SOCKS_B" >/dev/null
ui_wait 'alpha@localhost' 20 || fail "alpha not on the circuits panel"
ui_wait 'bravo@localhost' 20 || fail "bravo not on the circuits panel"
# Each on a circuit row of its own, not marked.
grep -Eq '^ +[0-9]+ +[A-Z]+ .*\$[0-9A-F]{8}.* alpha@localhost' "$T/screen" ||
    fail "no circuit row carrying alpha"
grep -Eq '^ +[0-9]+ +[A-Z]+ .* bravo@localhost' "$T/screen" ||
    fail "no circuit row carrying bravo"
grep -Eq '^!!.*(alpha|bravo)' "$T/screen" && fail "A or B marked shared"
grep -Eq '^  [|`]- [0-9]+ (CLOSED|SUCCEEDED) +alpha@localhost  curl\[[0-9]+\]  ' \
    "$T/screen" || fail "alpha's stream not folded under its circuit"
ok "A and B: two applications, each on its own circuit, with curl's stream under it"

ui_keys 2
ui_wait 'APPLICATION +PROCESSES' 5 || fail "no applications panel"
# (At 80 columns the listener gives its room to the verdict.)
ui_wait '^ +alpha@localhost +curl\[[0-9]+\] +isolated' 5 ||
    fail "alpha's row lacks process or verdict"
grep -Eq 'bravo@localhost' "$T/screen" || fail "bravo not in applications"
grep -Eq 'alpha@localhost.*SHARED with' "$T/screen" && fail "alpha called shared"
ok "applications panel: alpha and bravo with process and verdict"

# One SessionGroup lets Tor put D and E on one circuit; it need not pick
# D's circuit for E the first time (a fresh preemptive circuit is as
# good), so D and E go again, up to three rounds, until it does.  What is
# tested is that the screen shows it when it happens.
# Two applications are two programs: curl under the names delta and echo.
ui_share_de '^!! +(delta|echo)@localhost .*SHARED with' ||
    fail "D/E not SHARED in applications after 3 rounds"
ui_keys 1
ui_wait '^!! +[0-9]+ .*(delta|echo)@localhost' 10 || fail "shared circuit not marked"
# Red (SGR 31) on the marked row when the terminal has colour.
ui_cap -e | grep -a '!!' | grep -aq '31m' || fail "shared row not red"
ok "D and E: the shared circuit is marked !! and red"

ui_keys 3
# The cause names the applications: the executables (curl copied as delta
# and echo) with their uid; the row shows their names, the details all.
# (At 80 columns the time gives its room to the cause: the details have it.)
ui_wait '^\* critical SHARED_CIRCUIT +x[0-9]+ (delta|echo) \(uid [0-9]+\)@localhost and (delta|echo)' 10 ||
    fail "findings panel lacks SHARED_CIRCUIT"
ui_keys / S H A R E D _ C I R C U I T Enter
ui_wait '^filter: SHARED_CIRCUIT \(Esc clears\)' 5 || fail "filter not shown"
grep -q 'WEAK_PORT_CONFIG' "$T/screen" && fail "filter let another rule through"
ui_keys g Enter
ui_wait '^    detail: ' 5 || fail "no details on Enter"
grep -Eq '^ {17}.*shared exit|^    detail: .*shared exit' "$T/screen" ||
    fail "details lack what was shared"
# In full, wrapped: the executables and their uid.
grep -Eq "^    identities: +$T/bin/(delta|echo) \(uid $(id -u)\)@localhost," "$T/screen" ||
    fail "details lack identities"
grep -Eq '^    processes: +(delta|echo)\[[0-9]+\], (delta|echo)\[[0-9]+\]' "$T/screen" ||
    fail "details lack processes"
ui_keys a
ui_wait 'acknowledged \(kept in the database\)' 5 || fail "no ack message"
ui_wait '^  critical SHARED_CIRCUIT' 5 || fail "still marked unacknowledged"
# Esc closes the details first, then drops the filter.
ui_keys Escape
sleep 0.3
ui_cap >"$T/screen"
grep -q '^    detail: ' "$T/screen" && fail "Esc did not close the details"
grep -q 'WEAK_PORT_CONFIG' "$T/screen" && fail "Esc dropped the filter with the details open"
ui_keys Escape
ui_wait 'WEAK_PORT_CONFIG' 5 || fail "Esc did not clear the filter"
ok "findings: filter, details on Enter, a acknowledges, Esc closes them, Esc again clears"

ui_keys 2 / b r a v o Enter
ui_wait '^filter: bravo' 5 || fail "no filter on applications"
grep -q 'alpha@localhost' "$T/screen" && fail "filter kept alpha"
grep -q 'bravo@localhost' "$T/screen" || fail "filter lost bravo"
ui_keys Escape
ui_wait 'alpha@localhost' 5 || fail "alpha not back after Esc"
ui_keys s
ui_wait 'sort: name' 5 || fail "s did not change the sort"
ok "applications: filter and sort"

ui_keys Tab
ui_wait 'SEVERITY RULE' 5 || fail "Tab did not go to findings"
ui_keys Tab
ui_wait 'LEVEL +MESSAGE' 5 || fail "Tab did not go to the log"
ui_keys Tab
ui_wait 'AGE +EXIT' 5 || fail "Tab did not come back to circuits"
ui_keys BTab
ui_wait 'LEVEL +MESSAGE' 5 || fail "Shift-Tab did not go back to the log"
ui_keys Right
ui_wait 'AGE +EXIT' 5 || fail "Right did not go on to circuits"
ui_keys Right
ui_wait 'APPLICATION +PROCESSES' 5 || fail "Right did not go to applications"
ui_keys Left
ui_wait 'AGE +EXIT' 5 || fail "Left did not go back to circuits"
ui_keys Left
ui_wait 'LEVEL +MESSAGE' 5 || fail "Left did not go back to the log"
ok "Tab, Shift-Tab, Left and Right cycle the panels"

ui_keys p
ui_wait 'PAUSED' 5 || fail "p did not pause"
ui_keys p
ui_wait 'view resumed' 5 || fail "p did not resume"
ui_keys n
ui_wait 'Send NEWNYM\? .* y/n' 5 || fail "no NEWNYM confirmation"
ui_keys x
ui_wait 'NEWNYM not sent' 5 || fail "NEWNYM sent without a yes"
ui_keys n y
ui_wait 'NEWNYM: Tor will use new circuits' 10 || fail "NEWNYM not answered"
ui_keys 4
ui_wait 'info +NEWNYM sent' 5 || fail "NEWNYM not in the log panel"
ok "pause, NEWNYM only after y"

ui_keys '?'
ui_wait 'isoaudit dashboard: keys' 5 || fail "no help"
# The whole help at 80x24: its first key, its last, the notes, no text cut.
for l in 'q, Q +quit; asks first if findings are unacknowledged( |$)' \
    'Ctrl-L +redraw( |$)' \
    '\* in the findings: not acknowledged \(again: back after an ack\)( |$)' \
    'Esc +close the details, else drop the filter( |$)'; do
	grep -Eq "$l" "$T/screen" || { cat "$T/screen"; fail "80x24: the help lacks /$l/"; }
done
ui_keys x
ui_wait 'LEVEL +MESSAGE' 5 || fail "help did not close"
ok "help opens whole at 80x24 and closes"

valid_layout() {
	ui_cap >"$T/screen"
	rows=$(wc -l <"$T/screen")
	[ "$rows" -eq "$1" ] || fail "screen has $rows lines, not $1"
	sed -n 1p "$T/screen" | grep -Eq '^isoaudit .* [0-9]{2}:[0-9]{2}:[0-9]{2}$' ||
	    fail "header line broken at $2x$1: $(sed -n 1p "$T/screen")"
	sed -n 4p "$T/screen" | grep -q '^ 1 Circuits' || fail "tabs not on line 4"
	sed -n "${1}p" "$T/screen" | grep -q '^q quit' || fail "footer not on the last line"
	awk -v w="$2" 'length($0) > w { bad = 1 } END { exit bad }' "$T/screen" ||
	    fail "a line wider than $2"
}
ui_keys j
tm resize-window -t d -x 120 -y 40
sleep 0.5
valid_layout 40 120
tm resize-window -t d -x 80 -y 24
sleep 0.5
valid_layout 24 80
ok "resize to 120x40 and back to 80x24 keeps the layout"

# Findings not acknowledged (the tornet's ports): q asks once; another
# key stays; q, q quits.
ui_keys q
ui_wait '[0-9]+ unacknowledged findings?; q again to quit, any other key to stay' 5 ||
    fail "q did not ask with findings unacknowledged"
ui_keys x
ui_wait 'still watching' 5 || fail "another key did not stay"
ui_keys q
ui_wait 'q again to quit' 5 || fail "q did not ask again"
ui_keys q
st=$(UI_EXIT_NOCONFIRM=1 ui_exit 10) || fail "q did not quit"
[ "$st" = 0 ] || { cat "$T/err"; fail "exit status $st"; }
ui_restored
grep -Eq 'dashboard: [0-9]+ repaints \(at most ([0-9]|1[0-9]|20) in one second\)' "$T/err" ||
    { cat "$T/err"; fail "repaint counter missing or over 20 per second"; }
ok "q: exit 0, terminal restored; $(grep 'repaints' "$T/err" | sed 's/^isoaudit: //')"

ack=$(sqlite3 "$db" "select group_concat(acknowledged) from cause where rule = 'SHARED_CIRCUIT'")
[ "$ack" = 1 ] || fail "acknowledgement not stored (got '$ack')"
n=$(sqlite3 "$db" "select count(*) from stream s join app a on a.id = s.app where a.label in ('alpha','bravo','delta','echo')")
[ "$n" -ge 4 ] || fail "only $n of the 4 streams stored"
"$ISOAUDIT" report --db "$db" >"$T/report" || fail "report"
grep -q 'acknowledged' "$T/report" || fail "report does not show the acknowledgement"
ok "the dashboard logged like monitor: $n streams, the acknowledgement stored"
