#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen_events.py N OUT: writes N STREAM lifecycles (NEW, SENTCONNECT,
SUCCEEDED, CLOSED: 4 events each) on a handful of built circuits, as a
control-port capture (CRLF), for burst and fault tests."""
import sys

n, out = int(sys.argv[1]), open(sys.argv[2], "wb")
FP = ["085111030DA53A4D7B7C635A7B82B21F30E847C3",
      "16B0637A639FAF85A8992C2B11130BDC9E35FF53"]
ISO = "ISO_FIELDS=SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
w = lambda s: out.write(s.encode() + b"\r\n")
for c in range(1, 9):
    w("650 CIRC %d BUILT $%s~exit%d PURPOSE=GENERAL" % (c, FP[c % 2], c % 2))
for i in range(1, n + 1):
    c = 1 + i % 8
    g = -4 - (i % 3)
    tail = "CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=%d %s" % (g, ISO)
    w("650 STREAM %d NEW 0 127.0.0.1:%d SOURCE_ADDR=127.0.0.1:%d "
      "PURPOSE=USER %s" % (i, 20180 + i % 3, 30000 + i % 30000, tail))
    w("650 STREAM %d SENTCONNECT %d 127.0.0.1:%d %s" % (i, c, 20180 + i % 3, tail))
    w("650 STREAM %d SUCCEEDED %d 127.0.0.1:%d %s" % (i, c, 20180 + i % 3, tail))
    w("650 STREAM %d CLOSED %d 127.0.0.1:%d REASON=DONE %s" % (i, c, 20180 + i % 3, tail))
