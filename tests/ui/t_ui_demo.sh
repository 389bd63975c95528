#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# `make demo`'s script in a terminal (on the test network, which it finds
# running and leaves running): the dashboard opens, and within a minute the
# chat/irc pair on D and E shows as a red "!!" circuit and a SHARED_CIRCUIT
# finding.  q ends the demo and stops its sample applications.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/uilib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)

rm -f "$T/status"
cat >"$T/run.sh" <<EOS
echo before
stty -g >'$T/stty.before'
env DEMO_DIR='$TORNET_DIR' ISOAUDIT='$ISOAUDIT' TORNET_BASE='$TORNET_BASE' \
    ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}' \
    sh '$top/scripts/demo' 2>'$T/err'
rc=\$?
stty -g >'$T/stty.after'
echo \$rc >'$T/status'
sleep 600
EOS
tm new-session -d -s d -x 100 -y 30 "sh '$T/run.sh'" || fail "tmux"
ui_wait 'attached \(' 30 || fail "the demo did not open the dashboard"
ui_wait '^!! +[0-9]+ .*(chat|irc)@localhost' 60 ||
    fail "no red shared circuit within a minute"
ui_cap -e | grep -a '^.*!!' | grep -aq '31m' || fail "the shared row is not red"
ui_keys 3
ui_wait 'critical SHARED_CIRCUIT +x[0-9]+ (chat|irc) \(uid [0-9]+\)@localhost and (chat|irc) ' 10 ||
    fail "no SHARED_CIRCUIT finding for chat and irc"
ok "demo: chat and irc on one red circuit, SHARED_CIRCUIT listed"
ui_keys q
st=$(ui_exit 20) || fail "q did not end the demo"
[ "$st" = 0 ] || { cat "$T/err"; fail "demo exit $st"; }
ui_restored
sleep 1
pgrep -f "app=(browser|chat|irc)" >/dev/null && fail "sample applications left running"
sh "$top/tests/tornet/tornet" status "$TORNET_DIR" >/dev/null ||
    fail "the demo stopped a network it did not start"
ok "q: demo over, sample applications stopped, the network left as found"
