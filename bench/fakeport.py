#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""fakeport.py: a fake Tor control port on 127.0.0.1 for the benchmark.

    fakeport.py --events T.events --init T.init.json --portfile PF
                [--cookie FILE] [--start-after GETCONF|SETEVENTS]
                [--count N] [--chunk BYTES] [--linger SECONDS]
                [--stats FILE]
    fakeport.py --selftest T.events      the sender alone, into a sink

It listens on an ephemeral loopback port (written to PF), accepts one
connection and behaves like Tor's control port up to the point where the
events begin: PROTOCOLINFO (COOKIE, SAFECOOKIE with the cookie file it
writes), AUTHCHALLENGE (the server hash computed and the client's checked,
as Tor does), AUTHENTICATE, SETEVENTS, GETINFO and GETCONF (the replies
gen.py wrote for the transcript: circuits, listeners, SocksPort flags),
and what stem asks (GETCONF __OwningControllerProcess, GETINFO version).
Once the client's last start-up command has been answered (isoaudit:
GETCONF; stem: SETEVENTS) it sends the events file, or its first N lines,
in big precomputed chunks with sendall(): as fast as the reader takes them
(the kernel's socket buffer is the only queue).  Then it answers commands
again (QUIT, the dashboard's GETINFO) until the client hangs up or
--linger seconds of quiet.  --stats gets {"bytes", "events", "seconds"}
of the event stream (first byte to the last accepted by the kernel).

--selftest measures the sender alone: the same chunks into a reader that
only counts bytes, to show the sender is not what limits the live figure.

--real-clients T.txt (the transcript) makes the clients real: every TCP
listener of the capture is really listened on (127.0.0.1:PORT, and
127.10.152.10:PORT for the workstation-facing ones: all of 127/8 is
loopback), a pool of real client connections to each is opened from this
process (127.0.0.1, or 127.10.152.11 for the workstation), and each NEW
event's SOURCE_ADDR is rewritten to one of them, the listener being the
one the transcript's `# attrib` line names.  isoaudit's live attribution
then finds a socket and its process for every stream, as on a real host
(without it every lookup misses: the clients of a capture are long gone).
"""
import argparse
import hashlib
import hmac
import json
import os
import re
import select
import socket
import sys
import threading
import time

SERVER_KEY = b"Tor safe cookie authentication server-to-controller hash"
CLIENT_KEY = b"Tor safe cookie authentication controller-to-server hash"


def cut(data, chunk):
    chunks = []
    mv = memoryview(data)
    i = 0
    while i < len(data):
        j = min(len(data), i + chunk)
        if j < len(data):
            j = data.rfind(b"\n", i, j) + 1 or j
        chunks.append(mv[i:j])
        i = j
    return chunks


POOL = 16           # real client connections per listener
WS_LISTEN, WS_HOST = "10.152.152.10", "10.152.152.11"
ALIAS = {WS_LISTEN: "127.10.152.10", WS_HOST: "127.10.152.11"}


class RealClients:
    """Real listeners and client pools for the capture's TCP listeners."""

    def __init__(self, init):
        self.map = {}           # capture listener -> real "addr:port"
        self.pool = {}          # capture listener -> [real client addr]
        self.socks = []
        self.next = {}
        lis = []
        for line in init["getinfo"].split("\r\n"):
            if line.startswith(("250-net/listeners/socks=",
                                "250-net/listeners/trans=")):
                lis += re.findall(r'"([^"]+)"', line)
        for l in lis:
            if l.startswith("unix:") or ":" not in l:
                continue
            host, port = l.rsplit(":", 1)
            real = ALIAS.get(host, "127.0.0.1")
            srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                srv.bind((real, int(port)))
            except OSError:
                srv.bind((real, 0))
            srv.listen(POOL)
            addr = "%s:%d" % srv.getsockname()
            self.map[l] = addr
            src = ALIAS[WS_HOST] if host == WS_LISTEN else "127.0.0.1"
            pool = []
            for _ in range(POOL):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.bind((src, 0))
                c.connect(srv.getsockname())
                a, _ = srv.accept()
                self.socks += [c, a]
                pool.append("%s:%d" % c.getsockname())
            self.socks.append(srv)
            self.pool[l] = pool
            self.next[l] = 0

    def rewrite(self, text):
        for old, new in self.map.items():
            text = text.replace(old, new)
        return text

    def client(self, listener):
        pool = self.pool.get(listener)
        if not pool:
            return None
        i = self.next[listener]
        self.next[listener] = (i + 1) % len(pool)
        return pool[i]


SRC = re.compile(rb"SOURCE_ADDR=\S+")
LIS = re.compile(rb'listener="([^"]*)"')


def load_real(transcript, count, rc):
    """The transcript's events, SOURCE_ADDR of each NEW made real."""
    out = []
    held = None
    n = 0
    with open(transcript, "rb") as f:
        for raw in f:
            i = raw.find(b" ", 0, 24)
            if i < 0:
                continue
            d = raw[i + 1:i + 2]
            if d == b"#" and held is not None and \
                    raw.startswith(b"attrib ", i + 3):
                m = LIS.search(raw)
                a = rc.client(m.group(1).decode()) if m else None
                if a is not None:
                    held = SRC.sub(b"SOURCE_ADDR=" + a.encode(), held, 1)
            if held is not None:
                out.append(held)
                held = None
            if d != b"<" or not raw.startswith(b"650 ", i + 3):
                continue
            if 0 < count <= n or count < 0:
                break
            n += 1
            line = raw[i + 3:].rstrip(b"\r\n") + b"\r\n"
            if b"SOURCE_ADDR=" in line:
                held = line
            else:
                out.append(line)
    if held is not None:
        out.append(held)
    return b"".join(out)


def load_events(path, count, chunk):
    """The event bytes (first `count` lines) cut at line ends into chunks."""
    with open(path, "rb") as f:
        data = f.read() if count >= 0 else b""
    if count > 0:
        pos = 0
        for _ in range(count):
            nl = data.find(b"\n", pos)
            if nl < 0:
                break
            pos = nl + 1
        data = data[:pos]
    return data, cut(data, chunk)


class Conn:
    def __init__(self, sock, init, cookie_path):
        self.s = sock
        self.buf = b""
        self.init = init
        self.cookie_path = cookie_path
        with open(cookie_path, "rb") as f:
            self.cookie = f.read()
        self.client_nonce = self.server_nonce = None

    def readline(self, timeout=None):
        while b"\n" not in self.buf:
            if timeout is not None:
                r, _, _ = select.select([self.s], [], [], timeout)
                if not r:
                    return None
            d = self.s.recv(65536)
            if not d:
                return b""
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def send(self, text):
        self.s.sendall(text.encode() if isinstance(text, str) else text)

    def command(self, line):
        """Answers one command; returns its verb (upper case)."""
        words = line.split(b" ")
        verb = words[0].upper().decode("ascii", "replace")
        args = [w.decode("ascii", "replace") for w in words[1:]]
        if verb == "PROTOCOLINFO":
            self.send('250-PROTOCOLINFO 1\r\n250-AUTH METHODS=COOKIE,'
                      'SAFECOOKIE COOKIEFILE="%s"\r\n250-VERSION '
                      'Tor="0.4.9.11"\r\n250 OK\r\n' % self.cookie_path)
        elif verb == "AUTHCHALLENGE":
            self.client_nonce = bytes.fromhex(args[1])
            self.server_nonce = os.urandom(32)
            msg = self.cookie + self.client_nonce + self.server_nonce
            sh = hmac.new(SERVER_KEY, msg, hashlib.sha256).hexdigest()
            self.send("250 AUTHCHALLENGE SERVERHASH=%s SERVERNONCE=%s\r\n"
                      % (sh.upper(), self.server_nonce.hex().upper()))
        elif verb == "AUTHENTICATE":
            given = bytes.fromhex(args[0]) if args else b""
            ok = given == self.cookie
            if self.client_nonce is not None:
                msg = self.cookie + self.client_nonce + self.server_nonce
                ok = ok or hmac.compare_digest(given, hmac.new(
                    CLIENT_KEY, msg, hashlib.sha256).digest())
            if not ok:
                self.send("515 Authentication failed\r\n")
                raise SystemExit("authentication failed")
            self.send("250 OK\r\n")
        elif verb == "SETEVENTS":
            self.send("250 OK\r\n")
        elif verb == "GETINFO":
            if args == ["version"]:
                self.send("250-version=0.4.9.11\r\n250 OK\r\n")
            elif args == ["uptime"]:
                self.send("250-uptime=%d\r\n250 OK\r\n" %
                          (int(time.time()) % 100000))
            else:
                self.send(self.init["getinfo"])
        elif verb == "GETCONF":
            if args and args[0].startswith("__"):
                self.send("250 %s\r\n" % args[0])
            else:
                self.send(self.init["getconf"])
        elif verb == "QUIT":
            self.send("250 closing connection\r\n")
        else:
            self.send("510 Unrecognized command \"%s\"\r\n" % verb)
        return verb


def serve(o):
    with open(o.init) as f:
        init = json.load(f)
    if o.real_clients:
        rc = RealClients(init)
        init = {k: rc.rewrite(v) if isinstance(v, str) else v
                for k, v in init.items()}
        data = load_real(o.real_clients, o.count, rc)
        chunks = cut(data, o.chunk)
    else:
        data, chunks = load_events(o.events, o.count, o.chunk)
    cookie = o.cookie or (o.portfile + ".cookie")
    if not os.path.exists(cookie):
        with open(cookie, "wb") as f:
            f.write(os.urandom(32))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    tmp = o.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, o.portfile)
    srv.settimeout(60)
    s, _ = srv.accept()
    c = Conn(s, init, cookie)
    while True:
        line = c.readline()
        if not line:
            return
        verb = c.command(line)
        # stem sends SETEVENTS for its own listeners first (SIGNAL ...):
        # the events begin once STREAM is asked for.
        if verb == o.start_after and (verb != "SETEVENTS" or
                                      b" STREAM" in line.upper()):
            break
    t0 = time.perf_counter()
    for ch in chunks:
        s.sendall(ch)
    dt = time.perf_counter() - t0
    if o.stats:
        with open(o.stats, "w") as f:
            json.dump({"bytes": len(data), "events": data.count(b"\n"),
                       "seconds": dt}, f)
    # Answer what comes after (QUIT, the dashboard's GETINFO uptime) until
    # the client hangs up or has been quiet for --linger seconds.
    try:
        while True:
            line = c.readline(timeout=o.linger)
            if not line:
                break
            c.command(line)
            if line.upper().startswith(b"QUIT"):
                break
    except (ConnectionError, OSError):
        pass
    s.close()


def selftest(o):
    data, chunks = load_events(o.events, o.count, o.chunk)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    cl = socket.create_connection(srv.getsockname())
    s, _ = srv.accept()
    got = [0]

    def sink():
        buf = bytearray(1 << 20)
        while True:
            n = cl.recv_into(buf)
            if not n:
                break
            got[0] += n

    t = threading.Thread(target=sink)
    t.start()
    t0 = time.perf_counter()
    for ch in chunks:
        s.sendall(ch)
    s.shutdown(socket.SHUT_WR)
    t.join()
    dt = time.perf_counter() - t0
    json.dump({"bytes": got[0], "events": data.count(b"\n"), "seconds": dt,
               "bytes_per_s": got[0] / dt, "events_per_s":
               data.count(b"\n") / dt}, sys.stdout)
    sys.stdout.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--init")
    ap.add_argument("--portfile")
    ap.add_argument("--cookie")
    ap.add_argument("--start-after", default="GETCONF")
    ap.add_argument("--count", type=int, default=0,
                    help="send the first N events (0: all, -1: none)")
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--linger", type=float, default=2.0)
    ap.add_argument("--stats")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("--real-clients", metavar="TRANSCRIPT")
    o = ap.parse_args()
    if o.selftest:
        selftest(o)
    else:
        serve(o)


if __name__ == "__main__":
    main()
