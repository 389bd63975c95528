#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""dnsq.py MODE PORT N [WAIT [HOST]]: N DNS queries (type A, one name each)
to HOST:PORT (default 127.0.0.1) over UDP, one socket each, the way a
resolver sends them.

MODE connected: the socket is connect()ed first (glibc's getaddrinfo, dig);
     unconnected: sendto() on an unbound socket (the kernel binds it to the
     wildcard);
     gone: sendto(), then the socket is closed at once (a client that does
     not wait for the answer: the socket is gone before Tor reports it).
A socket that waits keeps it up to WAIT seconds (default 1) for the
answer.  Prints the local port of each query, one a line, as it is sent.
"""
import socket
import struct
import sys


def query(name, qid):
    head = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return head + qname + b"\0" + struct.pack(">HH", 1, 1)


def main():
    mode, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    dst = (sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1", port)
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        q = query("q%d-%s.example" % (i, mode), 0x1000 + i)
        if mode == "connected":
            s.connect(dst)
            s.send(q)
        else:
            s.sendto(q, dst)
        print(s.getsockname()[1], flush=True)
        if mode != "gone":
            s.settimeout(wait)
            try:
                s.recv(512)
            except OSError:
                pass
        s.close()


if __name__ == "__main__":
    main()
