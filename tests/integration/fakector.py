#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fake Tor control port on 127.0.0.1 for tests of the live path.

fakector.py PORTFILE SCRIPT: listens on an ephemeral loopback port (written
to PORTFILE), accepts one connection, answers PROTOCOLINFO with NULL auth,
AUTHENTICATE, SETEVENTS, GETINFO and GETCONF like a small Tor would, then
sends the raw bytes of SCRIPT (a file; "\\r\\n" line ends added where lines
end in "\\n" only) in odd-sized chunks (or as FAKECTOR_CHUNK and
FAKECTOR_PAUSE_MS say), interleaving a 650 event between a
command's reply lines, and closes after the client has been idle 1 s.
Everything sent and received is appended to PORTFILE.log.
FAKECTOR_LISTENERS=FILE adds FILE's lines (net/listeners/KIND="ADDR" ...,
one a line) to the GETINFO reply, as a system's Tor would list its
listeners; FAKECTOR_GETCONF=FILE answers GETCONF with FILE's lines
(SocksPort=... one a line) instead of one SocksPort=127.0.0.1:9050.

FAKECTOR_XCHECK=FILE answers the cross-check's GETINFO circuit-status
stream-status, sent after SCRIPT, with FILE.

FAKECTOR_METHODS=LIST answers PROTOCOLINFO with METHODS=LIST instead of
NULL, FAKECTOR_COOKIEFILE=PATH adds COOKIEFILE="PATH" (any path: a hostile
port names what it likes); AUTHCHALLENGE SAFECOOKIE is answered with a
server hash computed from FAKECTOR_COOKIE=FILE (the cookie the fake knows)
or, without it, with a wrong one (random bytes); FAKECTOR_QUIET_AFTER=CMD
stops answering (and keeps the connection open) once CMD arrives, a port
that goes silent in the middle of the handshake; FAKECTOR_DELAY_MS=M waits
M ms before each answer of the handshake (a port that answers just in time).

fakector.py PORTFILE --grater [PROFILE]: behaves instead as onion-grater
(github.com/Whonix/onion-grater, usr/lib/onion-grater) does with a profile:
PROTOCOLINFO answered by itself (METHODS=NULL, Tor's version), AUTHENTICATE
always 250 OK, QUIT "250 closing connection", TAKEOWNERSHIP and RESETCONF a
no-op 250 OK; SETEVENTS "510 Command filtered" unless every event is in the
profile (then 250 OK, and a suppressed event never comes); any other command
"510 Command filtered" unless a rule's pattern matches its whole argument
string.  PROFILE "whonix" (the default) is Whonix's 30_whonix-default.yml
(anon-gw-anonymizer-config): STREAM, CIRC, SIGNAL, CONF_CHANGED and
STATUS_SERVER allowed but suppressed, GETINFO of a few single keys.
"noevents" allows any GETINFO and GETCONF and no event at all (a profile that
lets the probe through and refuses SETEVENTS STREAM).  Serves connections one
after another until killed.
"""
import os
import socket
import sys
import time

portfile, script = sys.argv[1], sys.argv[2]
log = open(portfile + ".log", "ab")

GRATER_PROFILES = {
    # 30_whonix-default.yml: events allowed (True: suppressed), GETINFO
    # patterns, GETCONF patterns (regular expressions, whole argument).
    "whonix": ({"STREAM": True, "SIGNAL": True, "CONF_CHANGED": True,
                "STATUS_SERVER": True, "CIRC": True},
               ["status/circuit-established", "version", "net/listeners/socks",
                "consensus/valid-after", "consensus/valid-until",
                "consensus/fresh-until"],
               ["(?i:__owningcontrollerprocess)"]),
    "noevents": ({}, [".*"], [".*"]),
}


def grater(srv, profile):
    """One connection after another, filtered as onion-grater filters."""
    import re
    events, getinfo, getconf = GRATER_PROFILES[profile]
    rules = {b"GETINFO": getinfo, b"GETCONF": getconf}
    srv.settimeout(None)
    while True:
        conn, _ = srv.accept()
        conn.settimeout(30)
        f = conn.makefile("rb")
        try:
            for raw in f:
                log.write(b"R " + raw.rstrip(b"\r\n") + b"\n")
                m = re.match(rb"(\S+)\s*([^\r\n]*)\r?\n$", raw)
                if not m:
                    continue
                cmd, arg = m.group(1).upper(), m.group(2)
                if cmd == b"PROTOCOLINFO":
                    out = (b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
                           b"250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n")
                elif cmd in (b"AUTHENTICATE", b"TAKEOWNERSHIP", b"RESETCONF"):
                    out = b"250 OK\r\n"
                elif cmd == b"QUIT":
                    conn.sendall(b"250 closing connection\r\n")
                    break
                elif cmd == b"SETEVENTS":
                    asked = arg.upper().split()
                    if all(e.decode() in events for e in asked):
                        out = b"250 OK\r\n"   # suppressed: never sent
                    else:
                        out = b"510 Command filtered\r\n"
                elif cmd in rules and any(
                        re.match(p + "$", arg.decode()) for p in rules[cmd]):
                    if cmd == b"GETINFO":
                        vals = {b"version": b"0.4.9.11", b"process/pid": b"4242"}
                        out = b"".join(b"250-%s=%s\r\n" % (k, vals.get(k, b""))
                                       for k in arg.split()) + b"250 OK\r\n"
                    else:
                        out = b"250 OK\r\n"
                else:
                    out = b"510 Command filtered\r\n"
                log.write(b"S " + out + b"\n")
                log.flush()
                conn.sendall(out)
        except (OSError, ValueError):
            pass
        conn.close()


if script == "--grater":
    gsrv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    gsrv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    gsrv.bind(("127.0.0.1", 0))
    gsrv.listen(4)
    with open(portfile, "w") as f:
        f.write("%d\n" % gsrv.getsockname()[1])
    log.flush()
    grater(gsrv, sys.argv[3] if len(sys.argv) > 3 else "whonix")
    sys.exit(0)
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(1)
with open(portfile, "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
srv.settimeout(30)
conn, _ = srv.accept()
conn.settimeout(5)


def send(b):
    log.write(b"S " + b + b"\n")
    conn.sendall(b)


buf = b""


def readline():
    global buf
    while b"\n" not in buf:
        d = conn.recv(4096)
        if not d:
            raise SystemExit(0)
        buf += d
    line, buf = buf.split(b"\n", 1)
    log.write(b"R " + line + b"\n")
    return line.rstrip(b"\r")


def protocolinfo():
    methods = os.environ.get("FAKECTOR_METHODS", "NULL").encode()
    cf = os.environ.get("FAKECTOR_COOKIEFILE")
    cookiefile = b' COOKIEFILE="%s"' % cf.encode() if cf else b""
    return (b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=%s%s\r\n"
            b"250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n" % (methods, cookiefile))


def authchallenge(line):
    """SAFECOOKIE's server side: the right hash only with FAKECTOR_COOKIE."""
    import hashlib
    import hmac
    parts = line.split()
    cnonce = bytes.fromhex(parts[2].decode()) if len(parts) > 2 else b""
    snonce = os.urandom(32)
    if os.environ.get("FAKECTOR_COOKIE"):
        cookie = open(os.environ["FAKECTOR_COOKIE"], "rb").read()
        shash = hmac.new(b"Tor safe cookie authentication server-to-controller"
                         b" hash", cookie + cnonce + snonce,
                         hashlib.sha256).digest()
    else:
        shash = os.urandom(32)
    return b"250 AUTHCHALLENGE SERVERHASH=%s SERVERNONCE=%s\r\n" % (
        shash.hex().upper().encode(), snonce.hex().upper().encode())


STATUS = (b"250+circuit-status=\r\n"
          b"8 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
          b"PURPOSE=GENERAL\r\n.\r\n")
quiet_after = os.environ.get("FAKECTOR_QUIET_AFTER", "").encode().upper()
delay = float(os.environ.get("FAKECTOR_DELAY_MS", "0")) / 1000
if delay > 0:
    conn.settimeout(None)
while True:
    line = readline()
    cmd = line.split(b" ")[0].upper()
    log.flush()
    if delay > 0:
        time.sleep(delay)
    if quiet_after and cmd == quiet_after:
        # Silent from here on, the connection kept open.
        conn.settimeout(None)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        sys.exit(0)
    if cmd == b"PROTOCOLINFO":
        send(protocolinfo())
    elif cmd == b"AUTHCHALLENGE":
        send(authchallenge(line))
    elif cmd == b"AUTHENTICATE":
        send(b"250 OK\r\n")
    elif cmd == b"SETEVENTS":
        send(b"250 OK\r\n")
    elif line == b"GETINFO version process/pid":
        # isoaudit's probe, before its session starts.
        send(b"250-version=0.4.9.11 (git-fake)\r\n250-process/pid=4242\r\n"
             b"250 OK\r\n")
    elif line == b"GETINFO onions/detached":
        # No detached onion service, as Tor 0.4.9.11 answers it (and no
        # event inside: tests count the events they send).
        send(b"250-onions/detached=\r\n250 OK\r\n")
    elif cmd == b"GETINFO":
        # A 650 event between the lines of a command's reply.
        send(b"250-version=0.4.9.11 (git-fake)\r\n250-process/pid=4242\r\n")
        if os.environ.get("FAKECTOR_LISTENERS"):
            for l in open(os.environ["FAKECTOR_LISTENERS"], "rb"):
                if l.strip():
                    send(b"250-" + l.rstrip(b"\r\n") + b"\r\n")
        send(b"650 CIRC 9 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3"
             b"~exit0 PURPOSE=GENERAL\r\n")
        send(STATUS + b"250+stream-status=\r\n.\r\n250 OK\r\n")
    elif cmd == b"GETCONF":
        if os.environ.get("FAKECTOR_GETCONF"):
            ls = [l.rstrip(b"\r\n") for l in
                  open(os.environ["FAKECTOR_GETCONF"], "rb") if l.strip()]
            send(b"".join((b"250 " if i == len(ls) - 1 else b"250-") + l +
                          b"\r\n" for i, l in enumerate(ls)))
        else:
            send(b"250 SocksPort=127.0.0.1:9050\r\n")
        break
    else:
        send(b"510 Unrecognized command\r\n")

data = open(script, "rb").read()
if b"\r\n" not in data:
    data = data.replace(b"\n", b"\r\n")
# FAKECTOR_CHUNK=N[,N...] sends chunks of these sizes (bursts); default: odd
# sizes.  FAKECTOR_PAUSE_MS=M sleeps M ms after each chunk (a steady feed).
sizes = ([int(x) for x in os.environ["FAKECTOR_CHUNK"].split(",")]
         if os.environ.get("FAKECTOR_CHUNK") else [1, 7, 3, 64, 2, 500, 13])
pause = float(os.environ.get("FAKECTOR_PAUSE_MS", "0")) / 1000
i = k = 0
while i < len(data):
    n = sizes[k % len(sizes)]
    send(data[i:i + n])
    i += n
    k += 1
    if pause > 0:
        time.sleep(pause)
    elif k % 50 == 0 and len(sizes) > 1:
        time.sleep(0.001)
# Stay until the client goes quiet, then close.  FAKECTOR_XCHECK=FILE
# answers isoaudit's cross-check ("GETINFO circuit-status stream-status")
# with FILE (Tor's own state, as the test wants it), each time it comes.
xcheck = os.environ.get("FAKECTOR_XCHECK")
try:
    while True:
        line = readline()
        if xcheck and line == b"GETINFO circuit-status stream-status":
            ans = open(xcheck, "rb").read()
            if b"\r\n" not in ans:
                ans = ans.replace(b"\n", b"\r\n")
            send(ans)
except (socket.timeout, SystemExit, ConnectionError):
    pass
conn.close()
