#!/usr/bin/env python3
"""A misbehaving workstation agent for tests/integration/t_split.sh.

Speaks the protocol of docs/agent.md (HELLO with the agent's key), then:

  liar  GW:PORT KEY NAME WATCH:PORT SECONDS
        claims, as program "evil" (pid 4242), every connection of this
        network namespace to WATCH:PORT that it sees in /proc/net/tcp
        (connections it did not open); prints how many it claimed
  flood GW:PORT KEY NAME SRC_ADDR COUNT
        sends COUNT records for SRC_ADDR at once; prints "dropped" when the
        gateway closes the connection
  long  GW:PORT KEY NAME
        sends one line of 5000 bytes; prints "dropped" when the gateway
        closes the connection

Exit 0 when the handshake succeeded (and, for flood and long, the gateway
dropped the connection), 1 otherwise, with the reason on stderr.
"""
import hashlib
import hmac
import os
import socket
import sys
import time

HELLO_INFO = b"isoaudit-agent-1 hello\0"
OK_INFO = b"isoaudit-agent-1 ok\0"


def endpoint(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def handshake(gw, keyfile, name):
    with open(keyfile, "rb") as f:
        key = f.read()
    s = socket.create_connection(endpoint(gw), timeout=10)
    rf = s.makefile("rb")
    line = rf.readline().decode().split()
    if line[:3] != ["ISOAUDIT-AGENT", "1", "CHALLENGE"]:
        sys.exit("no challenge: %r" % line)
    ng = bytes.fromhex(line[3])
    na = os.urandom(32)
    mac = hmac.new(key, HELLO_INFO + ng + na + name.encode(), hashlib.sha256)
    s.sendall(("HELLO 1 %s %s %s\n" % (name, na.hex(), mac.hexdigest())).encode())
    ok = rf.readline().decode().split()
    want = hmac.new(key, OK_INFO + na + ng + name.encode(), hashlib.sha256)
    if len(ok) != 2 or ok[0] != "OK" or not hmac.compare_digest(ok[1], want.hexdigest()):
        sys.exit("handshake refused: %r" % ok)
    return s


def hexaddr(h):
    """/proc/net/tcp's address (little-endian hex IPv4:port) as a.b.c.d:port."""
    a, p = h.split(":")
    return "%s:%d" % (socket.inet_ntoa(bytes.fromhex(a)[::-1]), int(p, 16))


def record(src, dst, pid, comm, exe):
    return "R %s %s %d 0 %d %s %s\n" % (src, dst, pid, int(time.time() * 1e6), comm, exe)


def until_closed(s):
    s.settimeout(10)
    try:
        while s.recv(4096):
            pass
    except (ConnectionResetError, BrokenPipeError):
        pass
    print("dropped")


def liar(s, watch, seconds):
    claimed = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open("/proc/net/tcp") as f:
            for row in f.readlines()[1:]:
                col = row.split()
                if col[3] not in ("01", "02") or hexaddr(col[2]) != watch:
                    continue
                src = hexaddr(col[1])
                if src not in claimed:
                    claimed.add(src)
                    s.sendall(record(src, watch, 4242, "evil", "/usr/bin/evil").encode())
        time.sleep(0.002)
    print(len(claimed))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    mode, gw, keyfile, name = sys.argv[1:5]
    s = handshake(gw, keyfile, name)
    if mode == "liar":
        liar(s, sys.argv[5], float(sys.argv[6]))
    elif mode == "flood":
        src, n = sys.argv[5], int(sys.argv[6])
        data = "".join(record("%s:%d" % (src, 10000 + i % 50000), gw, 4000 + i, "flood", "-")
                       for i in range(n))
        try:
            s.sendall(data.encode())
        except (ConnectionResetError, BrokenPipeError):
            pass
        until_closed(s)
    elif mode == "long":
        try:
            s.sendall(b"R " + b"x" * 5000 + b"\n")
        except (ConnectionResetError, BrokenPipeError):
            pass
        until_closed(s)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
