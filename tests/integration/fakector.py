#!/usr/bin/env python3
"""A fake Tor control port on 127.0.0.1 for tests of the live path.

fakector.py PORTFILE SCRIPT: listens on an ephemeral loopback port (written
to PORTFILE), accepts one connection, answers PROTOCOLINFO with NULL auth,
AUTHENTICATE, SETEVENTS, GETINFO and GETCONF like a small Tor would, then
sends the raw bytes of SCRIPT (a file; "\\r\\n" line ends added where lines
end in "\\n" only) in odd-sized chunks (or as FAKECTOR_CHUNK and
FAKECTOR_PAUSE_MS say), interleaving a 650 event between a
command's reply lines, and closes after the client has been idle 1 s.
Everything sent and received is appended to PORTFILE.log.
"""
import os
import socket
import sys
import time

portfile, script = sys.argv[1], sys.argv[2]
log = open(portfile + ".log", "ab")
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


STATUS = (b"250+circuit-status=\r\n"
          b"8 BUILT $16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1 "
          b"PURPOSE=GENERAL\r\n.\r\n")
while True:
    line = readline()
    cmd = line.split(b" ")[0].upper()
    if cmd == b"PROTOCOLINFO":
        send(b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
             b"250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n")
    elif cmd == b"AUTHENTICATE":
        send(b"250 OK\r\n")
    elif cmd == b"SETEVENTS":
        send(b"250 OK\r\n")
    elif cmd == b"GETINFO":
        # A 650 event between the lines of a command's reply.
        send(b"250-version=0.4.9.11 (git-fake)\r\n250-process/pid=4242\r\n")
        send(b"650 CIRC 9 BUILT $085111030DA53A4D7B7C635A7B82B21F30E847C3"
             b"~exit0 PURPOSE=GENERAL\r\n")
        send(STATUS + b"250+stream-status=\r\n.\r\n250 OK\r\n")
    elif cmd == b"GETCONF":
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
# Stay until the client goes quiet, then close.
try:
    while readline() is not None:
        pass
except (socket.timeout, SystemExit, ConnectionError):
    pass
conn.close()
