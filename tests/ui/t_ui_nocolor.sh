#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# NO_COLOR and a monochrome terminal (TERM=vt100): no colour at all, and
# the shared circuit is still marked ("!!" at the start of its row).
# SIGTERM ends the dashboard with exit 0 and the terminal restored.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/uilib.sh"

# D and E are two applications: two programs (curl under two names).
for mode in NO_COLOR=1 TERM=vt100; do
	ui_start 80 24 "$mode" -- --control "$TORNET_CONTROL" --db "$T/ui.db"
	ui_wait 'attached \(SAFECOOKIE' 30 || fail "$mode: no attach on screen"
	ui_share_de '^!! +[0-9]+ ' || fail "$mode: shared circuit not marked"
	ui_cap -e >"$T/esc"
	# SGR colours: 30-38, 40-48, 90-97, 100-107 (39/49, "default",
	# are tmux's own resets and no colour).
	if grep -aEq $(printf '\033')'\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9;]*)?m' "$T/esc"; then
		grep -aE $(printf '\033')'\[[0-9;]*m' "$T/esc" | head -3 | cat -v
		fail "$mode: colour on the screen"
	fi
	ok "$mode: no colour; shared row: $(grep -a '^!!' "$T/screen" | head -1 | cut -c1-60)"

	kill -TERM "$(cat "$T/pid")"
	st=$(ui_exit 10) || fail "$mode: SIGTERM did not end it"
	[ "$st" = 0 ] || { cat "$T/err"; fail "$mode: SIGTERM exit $st"; }
	# vt100 has no alternate screen: its modes come back, not its text.
	ui_restored $([ "$mode" = TERM=vt100 ] && echo keep)
	ok "$mode: SIGTERM: exit 0, terminal restored"
	tm kill-server
done
