#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""open_flood.py N FILE: a capture of N streams of one application left
open on two circuits to one exit (IsolateDestAddr gives each destination
its own circuit): what makes SHARED_EXIT look at every open stream for
each attach when it scans streams (it finds none of another application,
so it never stops early).  bench.py's "openflood" section replays it at
several N: the time and instructions per stream stay flat when the rule
looks at circuits, and grow with N when it scans streams."""
import sys

n, path = int(sys.argv[1]), sys.argv[2]
fp = "$16B0637A639FAF85A8992C2B11130BDC9E35FF53~exit1"
with open(path, "w") as out:
    for c in (1, 2):
        out.write("650 CIRC %d BUILT %s PURPOSE=GENERAL\r\n" % (c, fp))
    for i in range(n):
        sid = 100 + i
        out.write("650 STREAM %d NEW 0 example%d.org:443 "
                  "SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER "
                  "CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-1 "
                  "ISO_FIELDS=SESSION_GROUP,NYM_EPOCH\r\n"
                  % (sid, i, 10000 + i % 50000))
        out.write("650 STREAM %d SENTCONNECT %d example%d.org:443\r\n"
                  % (sid, 1 + (i & 1), i))
