#!/usr/bin/env python3
"""rawsink.py SOCKET OUT READY: a stand-in syslog daemon that keeps every
datagram byte for byte: binds an AF_UNIX datagram socket at SOCKET
(/dev/log in a private mount namespace), writes READY, then appends each
datagram to OUT as one line of hex.  Exits on SIGTERM, or after 60 s."""
import os
import signal
import socket
import sys
import time

path, out_path, ready = sys.argv[1], sys.argv[2], sys.argv[3]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
out = open(out_path, "a")
with open(ready, "w") as f:
    f.write("%d\n" % os.getpid())
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        d = s.recv(1 << 17)
    except socket.timeout:
        break
    out.write(d.hex() + "\n")
    out.flush()
