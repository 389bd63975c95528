#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""tty_run.py RESULT ERR CMD...: runs CMD on this terminal (a tmux pane,
for the dashboard) with stderr to ERR, and writes its wall time, CPU
(user, sys) and peak RSS to RESULT as JSON when it ends."""
import json
import os
import subprocess
import sys
import time

res, err, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.perf_counter()
p = subprocess.Popen(argv, stderr=open(err, "wb"))
_, status, ru = os.wait4(p.pid, 0)
wall = time.perf_counter() - t0
tmp = res + ".tmp"
with open(tmp, "w") as f:
    json.dump({"wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime,
               "rss_kb": ru.ru_maxrss,
               "rc": os.waitstatus_to_exitcode(status)}, f)
os.rename(tmp, res)
