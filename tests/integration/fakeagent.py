#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A scripted (and misbehaving) workstation agent (docs/agent.md's protocol)
for the tests (t_agent, t_split).

fakeagent.py GATEWAY_HOST:PORT KEYFILE NAME CMD...

Authenticates as NAME with the key in KEYFILE (HMAC-SHA256 challenge-
response), checks the gateway's OK, then runs CMD:

  claim SOCKS_HOST:PORT TARGET_PORT DST COMM
      binds a client socket to a free local port P, sends the record
      "R HOST:P DST <its pid> <uid> <now> COMM -" (DST "listener" means
      SOCKS_HOST:PORT), waits 0.3 s, then connects from P to the SocksPort,
      asks for 127.0.0.1:TARGET_PORT, reads the answer, prints P.
  raw LINE...
      sends each LINE as it is (escapes \\n are not interpreted), then
      reads until the gateway closes or 3 s pass; prints "closed" or
      "open".
  records SRC_ADDR COUNT
      sends COUNT records for SRC_ADDR:10000+i, then reads 1 s; prints
      "closed" or "open"
  flood SRC_ADDR COUNT
      sends COUNT records for SRC_ADDR at once; prints "dropped" when the
      gateway closes the connection
  long
      sends one line of 5000 bytes; prints "dropped" when the gateway
      closes the connection

Exits 1 with a message if the gateway refuses the key.
"""
import hashlib, hmac, os, socket, struct, sys, time


def mac(key, info, n1, n2, name):
    return hmac.new(key, info.encode() + b"\0" + n1 + n2 + name.encode(),
                    hashlib.sha256).digest()


def hello(gw, key, name):
    host, port = gw.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    f = s.makefile("rb")
    ch = f.readline().split()
    if ch[:3] != [b"ISOAUDIT-AGENT", b"1", b"CHALLENGE"]:
        sys.exit("fakeagent: no challenge: %r" % ch)
    ng = bytes.fromhex(ch[3].decode())
    na = os.urandom(32)
    s.sendall(("HELLO 1 %s %s %s\n" % (name, na.hex(), mac(key, "isoaudit-agent-1 hello", ng, na, name).hex())).encode())
    ok = f.readline().split()
    if len(ok) != 2 or ok[0] != b"OK" or not hmac.compare_digest(
            bytes.fromhex(ok[1].decode()), mac(key, "isoaudit-agent-1 ok", na, ng, name)):
        sys.exit("fakeagent: refused: %r" % ok)
    return s


def claim(s, socks, target_port, dst, comm):
    host, port = socks.rsplit(":", 1)
    c = socket.socket()
    c.bind((host, 0))
    p = c.getsockname()[1]
    if dst == "listener":
        dst = socks
    rec = "R %s:%d %s %d %d %d %s -\n" % (host, p, dst, os.getpid(), os.getuid(), int(time.time() * 1e6), comm)
    s.sendall(rec.encode())
    time.sleep(0.3)
    c.settimeout(30)
    c.connect((host, int(port)))
    c.sendall(b"\x05\x01\x00")
    c.recv(2)
    h = b"127.0.0.1"
    c.sendall(b"\x05\x01\x00\x03" + bytes([len(h)]) + h + struct.pack(">H", int(target_port)))
    r = c.recv(10)
    if len(r) < 2 or r[1] != 0:
        sys.exit("fakeagent: SOCKS refused: %r" % r)
    c.sendall(b"GET /?sleep=0.5 HTTP/1.0\r\n\r\n")
    while c.recv(4096):
        pass
    c.close()
    print(p)


def raw(s, lines):
    try:
        for l in lines:
            s.sendall(l.encode() + b"\n")
    except OSError:
        print("closed")
        return
    s.settimeout(3)
    try:
        while True:
            if not s.recv(4096):
                print("closed")
                return
    except socket.timeout:
        print("open")
    except OSError:
        print("closed")


def records(src, n, dst):
    return "".join("R %s:%d %s %d 0 %d flood -\n" % (src, 10000 + i % 50000, dst, 4000 + i,
                                                      int(time.time() * 1e6)) for i in range(n))


def until_closed(s):
    s.settimeout(10)
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass
    print("dropped")


def main():
    gw, keyfile, name, cmd = sys.argv[1:5]
    key = open(keyfile, "rb").read()
    s = hello(gw, key, name)
    if cmd == "claim":
        claim(s, *sys.argv[5:9])
    elif cmd == "raw":
        raw(s, sys.argv[5:])
    elif cmd == "records":
        s.sendall(records(sys.argv[5], int(sys.argv[6]), gw).encode())
        s.settimeout(1)
        try:
            print("closed" if not s.recv(4096) else "open")
        except socket.timeout:
            print("open")
        except OSError:
            print("closed")
    elif cmd in ("flood", "long"):
        try:
            if cmd == "flood":
                s.sendall(records(sys.argv[5], int(sys.argv[6]), gw).encode())
            else:
                s.sendall(b"R " + b"x" * 5000 + b"\n")
        except OSError:
            pass
        until_closed(s)
    else:
        sys.exit("fakeagent: unknown command " + cmd)


main()
