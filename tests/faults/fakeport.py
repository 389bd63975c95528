#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scriptable fake Tor control port on 127.0.0.1 for the fault tests.

fakeport.py PORTFILE SCENARIO [ARG...]

Listens on an ephemeral loopback port (written to PORTFILE once it
listens) and serves one connection after another on it.  Each connection
gets the handshake of a small Tor (PROTOCOLINFO with NULL auth,
AUTHENTICATE, SETEVENTS, GETINFO, GETCONF), then SCENARIO's
session(n, c) runs with n = 1, 2, ... and c a Conn (below).  When it
returns, the connection is closed (at once if it said c.close(), else once
the client hangs up or has been idle for c.linger seconds); a true return
value means "accept the next connection", else the server exits.

SCENARIO is a Python file (the test writes it) defining session(n, c) and
optionally HOLD_SOCKS = True: then a fake SocksPort listens too, named in
GETINFO net/listeners/socks, and c.client(name) starts a process called
NAME (its /proc/PID/comm, any bytes, at most 15) connected to it and
returns that client's local port, as a real application connecting to Tor
would look to isoaudit's attribution; the fake SocksPort's port is written
to PORTFILE.socks before PORTFILE.  ARG... are in sys.argv[3:].

Everything sent and received goes to PORTFILE.log (lines cut at 300 bytes).
The server gives up after 120 s without a connection.
"""
import os
import runpy
import socket
import subprocess
import sys
import threading
import time

portfile, scenario_path = sys.argv[1], sys.argv[2]
scenario = runpy.run_path(scenario_path)
session_fn = scenario["session"]
log = open(portfile + ".log", "ab", buffering=0)


def note(tag, b):
    log.write(tag + b" " + (b[:300] + (b"...(%d bytes)" % len(b) if len(b) > 300 else b"")) + b"\n")


# --- the fake SocksPort and its clients ----------------------------------------
socks = None
held = []
clients = []
if scenario.get("HOLD_SOCKS"):
    socks = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    socks.bind(("127.0.0.1", 0))
    socks.listen(64)

    def hold():
        while True:
            try:
                s, _ = socks.accept()
            except OSError:
                return
            held.append(s)
    threading.Thread(target=hold, daemon=True).start()

CLIENT = r"""
import socket, sys, time
open("/proc/self/comm", "wb").write(bytes.fromhex(sys.argv[2]))
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sys.stdout.write("%d\n" % s.getsockname()[1])
sys.stdout.flush()
sys.stdin.read()
"""


class Conn:
    def __init__(self, sock, n):
        self.sock = sock
        self.n = n
        self.closed = False
        self.linger = 120
        self.socks_port = socks.getsockname()[1] if socks else None

    def send(self, b):
        """Raw bytes, as they are."""
        note(b"S", b)
        self.sock.sendall(b)

    def line(self, s):
        """One line; CRLF added."""
        if isinstance(s, str):
            s = s.encode()
        self.send(s + b"\r\n")

    def lines(self, ls):
        self.send(b"".join((l.encode() if isinstance(l, str) else l) + b"\r\n" for l in ls))

    def sleep(self, secs):
        time.sleep(secs)

    def mark(self, path):
        with open(path + ".tmp", "w") as f:
            f.write("%.6f\n" % time.time())
        os.rename(path + ".tmp", path)

    def wait(self, path, timeout=60):
        end = time.monotonic() + timeout
        while not os.path.exists(path):
            if time.monotonic() > end:
                raise SystemExit("fakeport: timed out waiting for " + path)
            time.sleep(0.02)

    def close(self):
        if not self.closed:
            self.closed = True
            note(b"X", b"close")
            # (The handshake's makefile() keeps the fd open otherwise.)
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    def client(self, name):
        if isinstance(name, str):
            name = name.encode()
        p = subprocess.Popen([sys.executable, "-c", CLIENT, str(self.socks_port), name.hex()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        clients.append(p)
        port = int(p.stdout.readline())
        # Until the fake SocksPort has accepted it, as Tor would have.
        end = time.monotonic() + 5
        while time.monotonic() < end and not any(
                s.getpeername()[1] == port for s in list(held)):
            time.sleep(0.01)
        return port


def handshake(conn, n):
    """Answers like a small Tor until GETCONF; False if the client left."""
    buf = b""
    f = conn.makefile("rb")
    while True:
        line = f.readline()
        if not line:
            return False
        note(b"R", line.rstrip(b"\r\n"))
        cmd = line.split(b" ")[0].strip().upper()

        def send(b):
            note(b"S", b)
            conn.sendall(b)
        if cmd == b"PROTOCOLINFO":
            send(b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
                 b"250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n")
        elif cmd in (b"AUTHENTICATE", b"SETEVENTS"):
            send(b"250 OK\r\n")
        elif cmd == b"GETINFO":
            out = (b"250-version=0.4.9.11 (git-fake)\r\n"
                   b"250-process/pid=%d\r\n"
                   b"250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\r\n"
                   b"250+circuit-status=\r\n"
                   b"8 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 PURPOSE=GENERAL\r\n.\r\n"
                   b"250+stream-status=\r\n.\r\n" % (4241 + n))
            if socks is not None:
                out += b"250-net/listeners/socks=\"127.0.0.1:%d\"\r\n" % socks.getsockname()[1]
            else:
                out += b"250-net/listeners/socks=\r\n"
            out += (b"250-net/listeners/trans=\r\n250-net/listeners/dns=\r\n"
                    b"250-net/listeners/httptunnel=\r\n250 OK\r\n")
            send(out)
        elif cmd == b"GETCONF":
            if socks is not None:
                send(b"250 SocksPort=127.0.0.1:%d\r\n" % socks.getsockname()[1])
            else:
                send(b"250 SocksPort=127.0.0.1:9050\r\n")
            return f
        elif cmd == b"QUIT":
            send(b"250 closing connection\r\n")
            return False
        else:
            send(b"510 Unrecognized command\r\n")


def linger(c, rf):
    """Until the client hangs up or is idle for c.linger seconds."""
    c.sock.settimeout(c.linger)
    try:
        while True:
            line = rf.readline()
            if not line:
                break
            note(b"R", line.rstrip(b"\r\n"))
    except (socket.timeout, OSError):
        pass
    c.close()


if socks is not None:
    with open(portfile + ".socks.tmp", "w") as f:
        f.write("%d\n" % socks.getsockname()[1])
    os.rename(portfile + ".socks.tmp", portfile + ".socks")
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(4)
srv.settimeout(120)
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % srv.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
n = 0
try:
    while True:
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            break
        n += 1
        note(b"#", b"connection %d" % n)
        conn.settimeout(30)
        try:
            rf = handshake(conn, n)
        except (socket.timeout, OSError):
            rf = False
        if rf is False:
            conn.close()
            continue
        conn.settimeout(None)
        c = Conn(conn, n)
        try:
            more = session_fn(n, c)
        except (BrokenPipeError, ConnectionResetError):
            more = True
        if not c.closed:
            linger(c, rf)
        if not more:
            break
finally:
    for p in clients:
        p.kill()
        p.wait()
