#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A monitor that cannot name other users' programs says so once, with the
# fix: run as user nobody (setpriv) without CAP_SYS_PTRACE and
# CAP_DAC_READ_SEARCH it warns once, naming both and the unit's line;
# granted both (ambient capabilities, as the packaged unit does) it says
# nothing.  And its consequence is real: as nobody, a stream of root's curl
# gets no process; with the capabilities it gets curl.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "needs root to become another user"; exit 77; }
command -v setpriv >/dev/null || { echo "setpriv (util-linux) is missing"; exit 77; }

# nobody cannot enter the tornet's directory (0700) nor, maybe, the
# binary's (/root): a directory of its own, removed at the end.
P=$(mktemp -d /tmp/isoaudit-priv.XXXXXX)
trap 'cleanup_bg; rm -rf "$P"' EXIT
chmod 755 "$P"
cp "$TORNET_PASSWORD_FILE" "$P/pass" && chmod 644 "$P/pass"
cp "$ISOAUDIT" "$P/isoaudit" && chmod 755 "$P/isoaudit"
# ASan's options travel in the environment; LSan needs ptrace to work as
# another user, which is the point of the test: leave leak checks to the
# other tests.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

run() {	# run NAME SETPRIV-ARGS...: monitor as nobody while root's curl fetches
	name=$1
	shift
	mkdir -p "$P/$name" && chown nobody "$P/$name"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@" \
	    env XDG_STATE_HOME="$P/$name" XDG_CONFIG_HOME="$P/$name" \
	    "$P/isoaudit" monitor --control "$TORNET_CONTROL" --auth password \
	    --password-file "$P/pass" --log-targets plain \
	    >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	BGPIDS="$pid"
	wait_for "$T/$name.out" "attached to Tor" 20 || { cat "$T/$name.err"; fail "$name: no attach"; }
	port=$(fetch "$TORNET_SOCKS_A") || fail "$name: curl through A"
	wait_for "$T/$name.out" "stream [0-9]+ CLOSED .* from 127\.0\.0\.1:$port " 20 ||
	    fail "$name: no CLOSED line for curl's stream"
	kill "$pid"; wait "$pid" 2>/dev/null
	BGPIDS=""
	grep " NEW .* from 127\.0\.0\.1:$port " "$T/$name.out" >"$T/$name.new"
}

run bare --inh-caps=-all
n=$(grep -c "no CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH" "$T/bare.err")
[ "$n" -eq 1 ] || { cat "$T/bare.err"; fail "without the capabilities: said $n times, want once"; }
grep -q "AmbientCapabilities=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" "$T/bare.err" ||
    fail "the warning gives no fix"
grep -q "curl\[" "$T/bare.new" && fail "as nobody, root's curl was named (the test proves nothing)"
ok "without the capabilities: $(grep -o 'no CAP_SYS_PTRACE[^;]*' "$T/bare.err")"

run caps --inh-caps=+sys_ptrace,+dac_read_search \
    --ambient-caps=+sys_ptrace,+dac_read_search
grep -q "CAP_SYS_PTRACE\|CAP_DAC_READ_SEARCH" "$T/caps.err" &&
    { cat "$T/caps.err"; fail "warned with both capabilities granted"; }
grep -q "curl\[[0-9]*\]" "$T/caps.new" || { cat "$T/caps.new"; fail "with the capabilities, root's curl was not named"; }
ok "with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH: no warning, curl named"
