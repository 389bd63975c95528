#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Authentication against the real tornet client: SAFECOOKIE (auto, TCP and
# unix socket), COOKIE, HASHEDPASSWORD, and the failures that must exit 3
# with one clear line: wrong password, wrong cookie, nothing listening.
. "$(dirname "$0")/lib.sh"

attach() {	# attach NAME EXPECTED-METHOD ARGS...
	name=$1 method=$2
	shift 2
	"$ISOAUDIT" monitor --duration 2 "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$T/$name.err"; fail "$name: exit $rc"; }
	grep -Eq "attached to Tor 0\.4\.[0-9.]+ \(pid [0-9]+\) at .* with $method, Tor session 1:" "$T/$name.out" ||
	    { cat "$T/$name.out" "$T/$name.err"; fail "$name: no attach line with $method"; }
	ok "$name: attached with $method"
}

attach auto-tcp SAFECOOKIE --control "$TORNET_CONTROL"
attach auto-unix SAFECOOKIE --control "unix:$TORNET_CONTROL_SOCK"
attach cookie COOKIE --control "$TORNET_CONTROL" --auth cookie
attach cookie-file SAFECOOKIE --control "$TORNET_CONTROL" --cookie "$TORNET_COOKIE"
attach password HASHEDPASSWORD --control "$TORNET_CONTROL" --auth password \
    --password-file "$TORNET_PASSWORD_FILE"

# The tor pid in the attach line is the client's.
grep -q "(pid $(cat "$TORNET_CLIENT_PIDFILE"))" "$T/auto-tcp.out" ||
    fail "attach line does not name the client's pid $(cat "$TORNET_CLIENT_PIDFILE")"

# Wrong password: exit 3, one line naming the address and the method.
printf 'not-the-password\n' >"$T/wrong.pass"
"$ISOAUDIT" monitor --duration 5 --control "$TORNET_CONTROL" --auth password \
    --password-file "$T/wrong.pass" >"$T/wrong.out" 2>"$T/wrong.err"
rc=$?
[ "$rc" -eq 3 ] || fail "wrong password: exit $rc, want 3"
one_line "$T/wrong.err"
grep -q "Tor at $TORNET_CONTROL refused HASHEDPASSWORD authentication" "$T/wrong.err" ||
    { cat "$T/wrong.err"; fail "wrong password: message"; }
grep -q "not-the-password" "$T/wrong.err" "$T/wrong.out" && fail "password leaked into output"
ok "wrong password refused: $(cat "$T/wrong.err")"

# A cookie that is not Tor's: SAFECOOKIE's server hash must not verify.
head -c 32 /dev/urandom >"$T/bad.cookie"
"$ISOAUDIT" monitor --duration 5 --control "$TORNET_CONTROL" --auth safecookie \
    --cookie "$T/bad.cookie" >"$T/badc.out" 2>"$T/badc.err"
rc=$?
[ "$rc" -eq 3 ] || fail "bad cookie: exit $rc, want 3"
one_line "$T/badc.err"
grep -q "failed SAFECOOKIE verification" "$T/badc.err" || { cat "$T/badc.err"; fail "bad cookie: message"; }
ok "foreign cookie detected: $(cat "$T/badc.err")"

# Same with COOKIE: Tor refuses it.
"$ISOAUDIT" monitor --duration 5 --control "$TORNET_CONTROL" --auth cookie \
    --cookie "$T/bad.cookie" >"$T/badc2.out" 2>"$T/badc2.err"
rc=$?
[ "$rc" -eq 3 ] || fail "bad cookie (COOKIE): exit $rc, want 3"
one_line "$T/badc2.err"
grep -q "refused COOKIE authentication" "$T/badc2.err" || { cat "$T/badc2.err"; fail "bad COOKIE: message"; }
ok "wrong COOKIE refused"

# Nothing listening: exit 3, one line naming the address.
"$ISOAUDIT" monitor --control 127.0.0.1:1 >"$T/none.out" 2>"$T/none.err"
rc=$?
[ "$rc" -eq 3 ] || fail "unreachable: exit $rc, want 3"
one_line "$T/none.err"
grep -q "127.0.0.1:1" "$T/none.err" || fail "unreachable: message lacks the address"
ok "unreachable: $(cat "$T/none.err")"

"$ISOAUDIT" monitor --control "unix:$T/nosuch.sock" >"$T/none2.out" 2>"$T/none2.err"
[ $? -eq 3 ] || fail "missing socket: want exit 3"
one_line "$T/none2.err"
grep -q "nosuch.sock: No such file" "$T/none2.err" || { cat "$T/none2.err"; fail "missing socket: message"; }

# Not a control port: Tor's SocksPort answers PROTOCOLINFO with its "not an
# HTTP Proxy" page, the tornet's web target with HTML; each is said once,
# by what it is (exit 3, one line), not as ten malformed lines.
foreign() {	# foreign NAME ADDR PATTERN
	"$ISOAUDIT" monitor --control "$2" >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	[ "$rc" -eq 3 ] || { cat "$T/$1.err"; fail "$1: exit $rc, want 3"; }
	one_line "$T/$1.err"
	grep -q "$3" "$T/$1.err" || { cat "$T/$1.err"; fail "$1: message"; }
	grep -q "malformed" "$T/$1.err" "$T/$1.out" && fail "$1: malformed lines"
	ok "$1: $(cat "$T/$1.err")"
}
foreign socksport "127.0.0.1:$TORNET_SOCKS_A" \
    "127.0.0.1:$TORNET_SOCKS_A is Tor's SocksPort, not a ControlPort"
foreign webserver "127.0.0.1:$TORNET_TARGET" "answers in HTML"
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); c.recv(100); c.sendall(b"\x05\xff"); c.close()
' >"$T/socks5.port" &
wait_for "$T/socks5.port" "^[0-9]+$" 5 || fail "fake SOCKS server"
foreign socks5 "127.0.0.1:$(cat "$T/socks5.port")" "answers in SOCKS"
wait

# A method Tor does not offer.
"$ISOAUDIT" monitor --control "$TORNET_CONTROL" --auth null >"$T/null.out" 2>"$T/null.err"
[ $? -eq 3 ] || fail "--auth null: want exit 3"
one_line "$T/null.err"
grep -q "does not offer NULL authentication" "$T/null.err" || { cat "$T/null.err"; fail "--auth null: message"; }

# Usage errors: exit 2, one line.
"$ISOAUDIT" monitor --no-such-option >"$T/u.out" 2>"$T/u.err"
[ $? -eq 2 ] || fail "unknown option: want exit 2"
one_line "$T/u.err"
grep -q "unknown option --no-such-option" "$T/u.err" || { cat "$T/u.err"; fail "unknown option: message"; }
"$ISOAUDIT" frobnicate >"$T/u.out" 2>"$T/u.err"
[ $? -eq 2 ] || fail "unknown command: want exit 2"
one_line "$T/u.err"
"$ISOAUDIT" monitor --auth kerberos >"$T/u.out" 2>"$T/u.err"
[ $? -eq 2 ] || fail "bad --auth: want exit 2"
"$ISOAUDIT" --version | grep -Eq '^isoaudit [0-9]+\.[0-9]+' || fail "--version"
"$ISOAUDIT" --help | grep -q "usage: isoaudit" || fail "--help"
ok "usage errors"
