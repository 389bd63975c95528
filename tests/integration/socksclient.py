#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""socksclient.py MODE PORT TARGET_PORT [HOST]: one SOCKS5 client, as a
separate process, through the SocksPort HOST:PORT (default 127.0.0.1) to
127.0.0.1:TARGET_PORT (tests/tornet's target); prints "PID LOCALPORT".

MODE hitrun: connects, sends the SOCKS request and closes at once (gone
     before Tor reports the stream);
     held: fetches the target, checks the answer, prints, then stays
     connected a second.
SC_BIND_PORT=N: connect from local port N (0: any), with SO_REUSEADDR,
     so that a second client can take a port the first left in TIME_WAIT.
"""
import os, socket, struct, sys, time


def main():
    mode, port, tport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    host = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    if "SC_BIND_PORT" in os.environ:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(os.environ["SC_BIND_PORT"])))
        s.connect((host, port))
    else:
        s = socket.create_connection((host, port))
    s.sendall(b"\x05\x01\x00")
    s.recv(2)
    t = b"127.0.0.1"
    s.sendall(b"\x05\x01\x00\x03" + bytes([len(t)]) + t + struct.pack(">H", tport))
    if mode == "hitrun":
        print(os.getpid(), s.getsockname()[1], flush=True)
        s.close()
        return
    if mode != "held":
        sys.exit("socksclient: unknown mode " + mode)
    r = s.recv(10)
    assert len(r) >= 2 and r[1] == 0, r
    s.sendall(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
    body = b""
    while True:
        d = s.recv(4096)
        if not d:
            break
        body += d
    assert b"isoaudit-target" in body, body[:200]
    print(os.getpid(), s.getsockname()[1], flush=True)
    time.sleep(1)
    s.close()


main()
