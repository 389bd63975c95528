#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in syslog daemon for tests of `--syslog`.

syslog_sink.py [--hex] SOCKET OUT READY: binds an AF_UNIX datagram socket
at SOCKET (normally /dev/log inside a private mount namespace), then writes
READY and appends every datagram it receives to OUT as one line (bytes that
are not UTF-8 as \\xNN, a trailing newline or NUL dropped; with --hex, the
datagram byte for byte, as hex), flushed at once.  Exits on SIGTERM, or by
itself after 60 s so that a test can never hang on it.
"""
import os
import signal
import socket
import sys
import time

args = sys.argv[1:]
hexa = args[:1] == ["--hex"]
if hexa:
    args = args[1:]
path, out_path, ready = args
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
out = open(out_path, "a", encoding="utf-8")
with open(ready, "w") as f:
    f.write("%d\n" % os.getpid())
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    s.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        d = s.recv(1 << 17)
    except socket.timeout:
        break
    if hexa:
        out.write(d.hex() + "\n")
    else:
        d = d.rstrip(b"\0").rstrip(b"\n")
        out.write(d.decode("utf-8", "backslashreplace") + "\n")
    out.flush()
