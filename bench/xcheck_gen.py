#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# xcheck_gen.py NCIRCS NSTREAMS NCHECKS OUT: a transcript of NCIRCS built
# circuits, NSTREAMS open streams, then NCHECKS cross-check replies listing
# them all (docs/performance.md, "The cross-check on a busy Tor").
import sys
nc, ns, withx = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ts = "1795555356.000000"
fp = "085111030DA53A4D7B7C635A7B82B21F30E847C3"
o = [ts + " # session 1 start 127.0.0.1:9051 SAFECOOKIE", ts + " # session 1 ready"]
for c in range(1, nc + 1):
    o.append("%s < 650 CIRC %d BUILT $%s~exit0 PURPOSE=GENERAL" % (ts, c, fp))
for s in range(1, ns + 1):
    o.append("%s < 650 STREAM %d NEW 0 10.0.0.1:443 SOURCE_ADDR=127.0.0.1:%d PURPOSE=USER" % (ts, s, 1024 + s % 60000))
    o.append("%s < 650 STREAM %d SUCCEEDED %d 10.0.0.1:443" % (ts, s, 1 + s % nc))
for k in range(withx):
    t2 = "%d.000000" % (1795555357 + k)
    o.append(t2 + " > GETINFO circuit-status stream-status")
    o.append(t2 + " < 250+circuit-status=")
    o += ["%s < %d BUILT $%s~exit0 PURPOSE=GENERAL" % (t2, c, fp) for c in range(1, nc + 1)]
    o.append(t2 + " < .")
    o.append(t2 + " < 250+stream-status=")
    o += ["%s < %d SUCCEEDED %d 10.0.0.1:443" % (t2, s, 1 + s % nc) for s in range(1, ns + 1)]
    o.append(t2 + " < .")
    o.append(t2 + " < 250 OK")
o.append("1795556358.000000 # session 1 end test")
open(sys.argv[4], "w").write("\n".join(o) + "\n")
