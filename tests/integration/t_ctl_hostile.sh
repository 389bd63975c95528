#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A hostile control port, and hostile cookie files (issue 14): fakes only
# (tests/integration/fakector.py), all on 127.0.0.1, no Tor network.
# - the cookie file a port names (COOKIEFILE=) or --cookie names must be a
#   regular file of 32 bytes: a FIFO (which would block open()), a
#   directory, a 31- or 33-byte file is one error line, exit 3, at once;
# - a port offering COOKIE without SAFECOOKIE is never sent a file's
#   contents unless --auth cookie asks for it;
# - SAFECOOKIE with a server hash that does not match is refused before
#   isoaudit answers;
# - SIGTERM ends isoaudit promptly while a port is silent in the middle of
#   the handshake and while a password file (a FIFO) blocks.
. "$(dirname "$0")/lib.sh"
fake="$(dirname "$0")/fakector.py"
printf '650 CIRC 10 LAUNCHED PURPOSE=GENERAL\r\n' >"$T/script"

# start_fake NAME [VAR=VALUE...]: a fake Tor with that environment; sets P.
start_fake() {
	name=$1
	shift
	env "$@" python3 "$fake" "$T/$name" "$T/script" &
	BGPIDS="$BGPIDS $!"
	wait_for "$T/$name" '^[0-9]+$' 10 || fail "fake $name did not start"
	P=$(cat "$T/$name")
}

now_ms() { date +%s%3N; }

# refused NAME MESSAGE ARGS...: monitor exits 3 within 5 s with one line
# holding MESSAGE; the fake saw no AUTHENTICATE.
refused() {
	name=$1 msg=$2
	shift 2
	t0=$(now_ms)
	timeout 20 "$ISOAUDIT" monitor --control "127.0.0.1:$P" \
	    --db "$T/$name.db" --duration 30 "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	[ "$rc" -eq 3 ] || { cat "$T/$name.out" "$T/$name.err"; fail "$name: exit $rc, want 3"; }
	[ "$ms" -lt 5000 ] || fail "$name: took $ms ms"
	one_line "$T/$name.err"
	grep -qF -- "$msg" "$T/$name.err" || { cat "$T/$name.err"; fail "$name: message"; }
	[ -s "$T/$name.out" ] && { cat "$T/$name.out"; fail "$name: a session was announced"; }
	grep -q "^R AUTHENTICATE" "$T/$name.log" && fail "$name: AUTHENTICATE sent"
	ok "$name: exit 3 after $ms ms: $(cat "$T/$name.err")"
}

# A cookie the port names: a FIFO, a directory, 31 and 33 bytes, 1 MiB.
mkfifo "$T/fifo"
mkdir "$T/dir"
head -c 31 /dev/urandom >"$T/31"
head -c 33 /dev/urandom >"$T/33"
head -c 1048576 /dev/zero >"$T/big"
for kind in fifo dir 31 33 big; do
	case $kind in
	fifo) msg="cookie file $T/fifo is a FIFO, not a regular file of 32 bytes" ;;
	dir) msg="cookie file $T/dir is a directory, not a regular file" ;;
	big) msg="cookie file $T/big has 1048576 bytes, not the 32 of Tor's cookie" ;;
	*) msg="cookie file $T/$kind has $kind bytes, not the 32 of Tor's cookie" ;;
	esac
	start_fake "named-$kind" FAKECTOR_METHODS=COOKIE,SAFECOOKIE \
	    FAKECTOR_COOKIEFILE="$T/$kind"
	refused "named-$kind" "$msg"
	grep -q "^R AUTH" "$T/named-$kind.log" && fail "named-$kind: authentication sent"
done
# The same through --cookie, and with --auth safecookie.
start_fake opt-fifo FAKECTOR_METHODS=COOKIE,SAFECOOKIE \
    FAKECTOR_COOKIEFILE=/nonexistent
refused opt-fifo "cannot authenticate to Tor at 127.0.0.1:$P with SAFECOOKIE: cookie file $T/fifo is a FIFO" \
    --auth safecookie --cookie "$T/fifo"
start_fake opt-dir FAKECTOR_METHODS=COOKIE,SAFECOOKIE
refused opt-dir "cookie file $T/dir is a directory" --cookie "$T/dir"

# COOKIE only: the secret file it names is not sent, in no form.
head -c 32 /dev/urandom >"$T/secret"
chmod 600 "$T/secret"
SECRET_HEX=$(od -An -tx1 "$T/secret" | tr -d ' \n' | tr a-f A-F)
start_fake cookie-only FAKECTOR_METHODS=COOKIE FAKECTOR_COOKIEFILE="$T/secret"
refused cookie-only "127.0.0.1:$P offers COOKIE authentication without SAFECOOKIE (it offers COOKIE), which no Tor since 0.2.3 does: COOKIE would send it the contents of the file it names, so isoaudit sends nothing; if this is an old Tor you trust, use --auth cookie"
grep -q "^R AUTHENTICATE" "$T/cookie-only.log" && fail "cookie-only: AUTHENTICATE sent"
grep -qi "$SECRET_HEX" "$T/cookie-only.log" && fail "cookie-only: the secret reached the port"
# With a password at hand too: the password goes (the user's choice for
# this port), the file still not.
printf 'pw\n' >"$T/pw"
start_fake cookie-pw FAKECTOR_METHODS=COOKIE,HASHEDPASSWORD \
    FAKECTOR_COOKIEFILE="$T/secret"
"$ISOAUDIT" monitor --control "127.0.0.1:$P" --db "$T/cpw.db" --duration 2 \
    --password-file "$T/pw" >"$T/cpw.out" 2>"$T/cpw.err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/cpw.out" "$T/cpw.err"; fail "cookie-pw: exit $rc"; }
grep -q "with HASHEDPASSWORD, Tor session 1:" "$T/cpw.out" || fail "cookie-pw: not HASHEDPASSWORD"
grep -qi "$SECRET_HEX" "$T/cookie-pw.log" && fail "cookie-pw: the secret reached the port"
ok "COOKIE offered beside HASHEDPASSWORD: the password, not the file"
# --auth cookie asks for it: sent.
start_fake cookie-forced FAKECTOR_METHODS=COOKIE FAKECTOR_COOKIEFILE="$T/secret"
"$ISOAUDIT" monitor --control "127.0.0.1:$P" --db "$T/cf.db" --duration 2 \
    --auth cookie >"$T/cf.out" 2>"$T/cf.err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/cf.out" "$T/cf.err"; fail "--auth cookie: exit $rc"; }
grep -q "with COOKIE, Tor session 1:" "$T/cf.out" || fail "--auth cookie: not COOKIE"
grep -qi "^R AUTHENTICATE $SECRET_HEX" "$T/cookie-forced.log" ||
    fail "--auth cookie: the cookie was not sent"
ok "--auth cookie sends the cookie as asked"

# SAFECOOKIE: a server hash that is not the cookie's is refused before any
# AUTHENTICATE; the right one attaches.
start_fake sc-wrong FAKECTOR_METHODS=COOKIE,SAFECOOKIE FAKECTOR_COOKIEFILE="$T/secret"
refused sc-wrong "Tor at 127.0.0.1:$P failed SAFECOOKIE verification: its server hash does not match the cookie file $T/secret"
grep -q "^R AUTHCHALLENGE SAFECOOKIE " "$T/sc-wrong.log" || fail "sc-wrong: no AUTHCHALLENGE"
grep -q "^R AUTHENTICATE" "$T/sc-wrong.log" && fail "sc-wrong: AUTHENTICATE sent"
start_fake sc-right FAKECTOR_METHODS=COOKIE,SAFECOOKIE \
    FAKECTOR_COOKIEFILE="$T/secret" FAKECTOR_COOKIE="$T/secret"
"$ISOAUDIT" monitor --control "127.0.0.1:$P" --db "$T/scr.db" --duration 2 \
    >"$T/scr.out" 2>"$T/scr.err"
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/scr.out" "$T/scr.err"; fail "sc-right: exit $rc"; }
grep -q "with SAFECOOKIE, Tor session 1:" "$T/scr.out" || fail "sc-right: not SAFECOOKIE"
grep -qi "$SECRET_HEX" "$T/sc-right.log" && fail "sc-right: the secret reached the port"
ok "SAFECOOKIE: a wrong server hash refused, the right one attached"

# sigterm NAME ARGS...: monitor started, SIGTERM after 1 s; it must end
# within 2 s of the signal.
sigterm() {
	name=$1
	shift
	"$ISOAUDIT" monitor --control "127.0.0.1:$P" --db "$T/$name.db" \
	    --duration 60 "$@" >"$T/$name.out" 2>"$T/$name.err" </dev/null &
	mp=$!
	sleep 1
	kill -0 "$mp" 2>/dev/null || { cat "$T/$name.err"; fail "$name: ended by itself"; }
	t0=$(now_ms)
	kill -TERM "$mp"
	i=0
	while kill -0 "$mp" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ms=$(($(now_ms) - t0))
	if kill -0 "$mp" 2>/dev/null; then
		kill -KILL "$mp"
		fail "$name: still running 5 s after SIGTERM"
	fi
	wait "$mp"
	rc=$?
	[ "$ms" -lt 2000 ] || fail "$name: ended $ms ms after SIGTERM"
	ok "$name: SIGTERM ended it after $ms ms (exit $rc)"
}

# Silent after PROTOCOLINFO's question, the connection kept open.
start_fake quiet FAKECTOR_QUIET_AFTER=PROTOCOLINFO
sigterm quiet-protocolinfo
# Silent after AUTHCHALLENGE.
start_fake quiet2 FAKECTOR_METHODS=SAFECOOKIE FAKECTOR_COOKIEFILE="$T/secret" \
    FAKECTOR_QUIET_AFTER=AUTHCHALLENGE
sigterm quiet-authchallenge
# A password file that is a FIFO nobody writes: open() blocks; SIGTERM
# interrupts it.
mkfifo "$T/pwfifo"
start_fake pwf FAKECTOR_METHODS=HASHEDPASSWORD
sigterm pwfifo --password-file "$T/pwfifo"
grep -q "^R AUTHENTICATE" "$T/pwf.log" && fail "pwfifo: AUTHENTICATE sent"

# Ctrl-C at the password prompt (a terminal: a pty) ends isoaudit; under
# libevent's restarting SIGINT handler the read went on waiting before.
start_fake prompt FAKECTOR_METHODS=HASHEDPASSWORD
python3 - "$ISOAUDIT" "$P" "$T/prompt.db" >"$T/prompt.res" 2>&1 <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "monitor", "--control",
             "127.0.0.1:" + sys.argv[2], "--db", sys.argv[3],
             "--duration", "60"])
out, t0 = b"", time.time()
while b"password for" not in out and time.time() - t0 < 10:
    if select.select([fd], [], [], 0.2)[0]:
        out += os.read(fd, 1024)
if b"password for" not in out:
    print("no prompt:", out)
    sys.exit(1)
time.sleep(0.3)
os.write(fd, b"\x03")
t1 = time.time()
while time.time() - t1 < 3:
    p, st = os.waitpid(pid, os.WNOHANG)
    if p:
        print("%d ms exit %d" % ((time.time() - t1) * 1000,
                                 os.waitstatus_to_exitcode(st)))
        sys.exit(0)
    time.sleep(0.05)
os.kill(pid, 9)
print("still running 3 s after Ctrl-C")
sys.exit(1)
PY
rc=$?
[ "$rc" -eq 0 ] || { cat "$T/prompt.res"; fail "Ctrl-C at the password prompt"; }
grep -q "^R AUTHENTICATE" "$T/prompt.log" && fail "prompt: AUTHENTICATE sent"
ok "Ctrl-C at the password prompt: ended after $(cat "$T/prompt.res")"

# A port that answers every question after 8 s, within each answer's 10 s:
# the handshake as a whole is given up at 30 s (PROTOCOLINFO at 8 s,
# AUTHCHALLENGE at 16, AUTHENTICATE at 24, the probe would be at 32).
start_fake slow FAKECTOR_DELAY_MS=8000 FAKECTOR_METHODS=SAFECOOKIE \
    FAKECTOR_COOKIEFILE="$T/secret" FAKECTOR_COOKIE="$T/secret"
t0=$(now_ms)
"$ISOAUDIT" monitor --control "127.0.0.1:$P" --db "$T/slow.db" --duration 60 \
    >"$T/slow.out" 2>"$T/slow.err"
rc=$?
ms=$(($(now_ms) - t0))
cat "$T/slow.out" "$T/slow.err"
[ "$rc" -eq 3 ] || fail "slow port: exit $rc, want 3"
grep -qF "isoaudit: cannot reach Tor's control port at 127.0.0.1:$P: no Tor session set up within 30 s (answers too slow)" "$T/slow.err" ||
    fail "slow port: the message"
[ "$ms" -ge 29500 ] && [ "$ms" -lt 33000 ] || fail "slow port: given up after $ms ms"
ok "a port answering each question after 8 s: given up after $ms ms"
exit 0
