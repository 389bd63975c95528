# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/integration/lib.sh: helpers for the integration tests (sourced).
# Each test runs with the tornet env file loaded and $ISOAUDIT set; it exits
# 0 on success, 77 to skip (with the reason as its last line), else failure.
set -u
: "${ISOAUDIT:?}"
own_tn=""
if [ -z "${TORNET_DIR:-}" ]; then
	# Run by hand, a test that needs no Tor network gets an empty tornet
	# directory of its own (tests that need one fail on the empty env).
	TORNET_DIR=$(mktemp -d /tmp/isoaudit-t.XXXXXX)
	touch "$TORNET_DIR/env"
	export TORNET_DIR
	own_tn=$TORNET_DIR
fi
. "$TORNET_DIR/env"
T=$(mktemp -d "$TORNET_DIR/t.XXXXXX")
# Every test gets its own default database, never the user's.
export XDG_STATE_HOME="$T/state"
BGPIDS=""

fail() {
	echo "FAIL: $*"
	exit 1
}

ok() {
	echo "ok: $*"
}

cleanup_bg() {
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	for p in $BGPIDS; do wait "$p" 2>/dev/null; done
	if [ -n "$own_tn" ]; then rm -rf "$own_tn"; fi
}
trap cleanup_bg EXIT

# The EXIT trap of a test that mounted a filesystem at $MOUNTED: $PRE_UMOUNT
# (say, ending a tmux server), the background processes, then the unmount,
# retried while a dying process still holds a file there (lazily at last),
# and only then cleanup_bg, which may remove the directory.
cleanup_mount() {
	if [ -n "${PRE_UMOUNT:-}" ]; then eval "$PRE_UMOUNT"; fi
	for p in $BGPIDS; do kill "$p" 2>/dev/null; done
	for p in $BGPIDS; do wait "$p" 2>/dev/null; done
	i=0
	while mountpoint -q "$MOUNTED" && ! umount "$MOUNTED" 2>/dev/null; do
		[ $i -lt 50 ] || { umount -l "$MOUNTED"; break; }
		sleep 0.1
		i=$((i + 1))
	done
	cleanup_bg
}

# wait_for FILE REGEX SECONDS: until an extended regex matches a line.
wait_for() {
	i=0
	while [ "$i" -lt $(($3 * 10)) ]; do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	echo "timed out after $3 s waiting for /$2/ in $1:"
	sed 's/^/  | /' "$1" 2>/dev/null | tail -30
	return 1
}

# fetch PORT [PATH]: curl the target through SocksPort PORT; prints curl's
# local port (the SOURCE_ADDR port Tor sees), fails on a wrong body.  The
# program is $CURL if set (a copy of curl under another name is another
# application), else curl.
fetch() {
	out=$(${CURL:-curl} -sS --max-time 60 --socks5-hostname "127.0.0.1:$1" \
	    -w ' %{local_port}' "http://127.0.0.1:$TORNET_TARGET/${2:-}") ||
	    fail "curl through 127.0.0.1:$1 failed"
	case $out in
	"isoaudit-target $TORNET_TARGET"*) ;;
	*) fail "unexpected body through $1: $out" ;;
	esac
	echo "${out##* }"
}

# one_line FILE: the file holds exactly one non-empty line.
one_line() {
	n=$(grep -c . "$1")
	[ "$n" -eq 1 ] || { sed 's/^/  | /' "$1"; fail "expected one line on stderr, got $n"; }
}
