# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/ui/uilib.sh: drive the real dashboard in a private tmux server
# (sourced after tests/integration/lib.sh).  Each test gets its own tmux
# socket and no tmux config, so nothing of the user's leaks in.
command -v tmux >/dev/null 2>&1 || { echo "tmux is not installed"; exit 77; }
TMUX_SOCK="$T/tmux.sock"
unset TMUX

tm() {
	tmux -f /dev/null -S "$TMUX_SOCK" "$@"
}

ui_cleanup() {
	tm kill-server 2>/dev/null
	cleanup_bg
}
trap ui_cleanup EXIT

# ui_start COLS ROWS [ENV=VALUE...] -- ARGS...: runs the dashboard in a
# new tmux session "d"; its exit status goes to $T/status, stderr to
# $T/err.  "before" is printed first so that a restored terminal shows it.
ui_start() {
	cols=$1 rows=$2
	shift 2
	envs=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		envs="$envs $1"
		shift
	done
	shift
	tm kill-session -t d 2>/dev/null
	rm -f "$T/status" "$T/pid"
	# The dashboard's pid goes to $T/pid (the shell execs it).
	cat >"$T/run.sh" <<EOS
echo before
stty -g >'$T/stty.before'
sh -c 'echo \$\$ >"$T/pid"; exec "\$@"' sh env \
    XDG_STATE_HOME='$XDG_STATE_HOME' ASAN_OPTIONS='${ASAN_OPTIONS:-}' \
    UBSAN_OPTIONS='${UBSAN_OPTIONS:-}' $envs '$ISOAUDIT' $* 2>'$T/err'
rc=\$?
stty -g >'$T/stty.after'
echo \$rc >'$T/status'
sleep 600
EOS
	tm new-session -d -s d -x "$cols" -y "$rows" "sh '$T/run.sh'" ||
	    fail "tmux new-session"
}

# ui_cap [-e]: the screen as text (-e: with colour escapes).
ui_cap() {
	tm capture-pane -p "$@" -t d
}

# ui_wait REGEX SECONDS: until the screen matches.
ui_wait() {
	i=0
	while [ "$i" -lt $(($2 * 10)) ]; do
		ui_cap >"$T/screen" 2>/dev/null
		grep -Eq "$1" "$T/screen" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "timed out after $2 s waiting for /$1/ on the screen:"
	sed 's/^/  | /' "$T/screen"
	echo "stderr:"
	sed 's/^/  | /' "$T/err" 2>/dev/null | tail -20
	return 1
}

# ui_keys KEYS...: tmux key names (Tab, Enter, Escape) or text.
ui_keys() {
	tm send-keys -t d "$@"
}

# ui_exit SECONDS: waits for the dashboard to end; prints its status.
# A q that met the question the dashboard asks when findings are not
# acknowledged ("N unacknowledged findings; q again to quit") is
# confirmed with a second q (t_ui_layout tests the question itself;
# UI_EXIT_NOCONFIRM=1 leaves it unanswered).
ui_exit() {
	i=0
	while [ ! -s "$T/status" ] && [ "$i" -lt $(($1 * 10)) ]; do
		if [ -z "${UI_EXIT_NOCONFIRM:-}" ] && [ $((i % 5)) -eq 0 ] &&
		    ui_cap 2>/dev/null | grep -q 'unacknowledged findings\{0,1\}; q again to quit'; then
			ui_keys q
		fi
		sleep 0.1
		i=$((i + 1))
	done
	[ -s "$T/status" ] || { echo timeout; return 1; }
	cat "$T/status"
}

# ui_restored [KEEP]: the terminal modes are as before the dashboard; and
# unless KEEP (a terminal without an alternate screen), what was on the
# screen is back.
ui_restored() {
	cmp -s "$T/stty.before" "$T/stty.after" ||
	    fail "terminal modes not restored: $(cat "$T/stty.before") -> $(cat "$T/stty.after")"
	[ -n "${1:-}" ] && return 0
	ui_cap >"$T/screen"
	grep -q '^before$' "$T/screen" || fail "screen not restored"
	grep -q 'sort:' "$T/screen" && fail "dashboard left on the screen"
	return 0
}

# The screen line N (0-based).
ui_line() {
	ui_cap | sed -n "$(($1 + 1))p"
}

# ui_share_de REGEX: curl named delta through SocksPort D and named echo
# through E (one SessionGroup: Tor may, and need not the first time, put
# them on one circuit) until REGEX is on the screen; three rounds at most.
ui_share_de() {
	mkdir -p "$T/bin"
	cp "$(command -v curl)" "$T/bin/delta"
	cp "$(command -v curl)" "$T/bin/echo"
	round=0
	while :; do
		CURL="$T/bin/delta" fetch "$TORNET_SOCKS_D" >/dev/null
		CURL="$T/bin/echo" fetch "$TORNET_SOCKS_E" >/dev/null
		ui_wait "$1" 8 >"$T/wait" && return 0
		round=$((round + 1))
		[ "$round" -lt 3 ] || { cat "$T/wait"; return 1; }
		echo "note: Tor kept D and E apart in round $round; again"
	done
}
