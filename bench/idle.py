#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""idle.py: what a monitor costs while idle or trickling (disk writes,
wakeups, CPU, syscalls), for BENCH_ONLY=idle (bench/bench.py) or alone:

    idle.py --isoaudit BIN --rate R --seconds S --dir DIR [--warmup W]
            [--strace SECONDS] [--json OUT]

Runs its own fake control port on 127.0.0.1 in this process (NULL auth,
PROTOCOLINFO, AUTHENTICATE, SETEVENTS, GETINFO of any keys, GETCONF), which
then sends R events a second, each at its own time (t0 + i/R: no drift),
forever: 8 CIRC BUILT, then streams NEW, SENTCONNECT, SUCCEEDED, CLOSED
on those circuits.  R = 0: nothing after the handshake (idle).  It answers
the cross-check (GETINFO circuit-status stream-status) with the circuits
built and the streams open, as Tor would.  The connection stays open.

The monitor (`BIN -c DIR/conf monitor --control 127.0.0.1:PORT --db
DIR/db`, Tracker off so that other processes' connects on the machine do
not wake it) attaches; after W seconds (default 5) the counters of its
/proc/PID are read, S seconds later again:

    write_bytes  /proc/PID/io: bytes it caused to be written to storage
    wchar        /proc/PID/io: bytes it handed to write()/pwrite()
    voluntary_ctxt_switches /proc/PID/status: times it went to sleep and
                 was woken (a wakeup each)
    utime+stime  /proc/PID/stat: CPU
and the sizes of DIR/db and DIR/db-wal.  Events in the window are counted
as the fake sent them.  With --strace N, `strace -c -f -p PID` then runs
for N more seconds (a separate window: strace slows what it traces).
Then SIGTERM, and the monitor's exit and the rows in the database; and
for the whole run (its start, its last commit and the checkpoint of its
exit included) the bytes it wrote to storage (the child's rusage,
ru_oublock) per event sent: an upper bound that the window's figure
cannot be beneath by leaving the checkpoint out.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

FP = ["085111030DA53A4D7B7C635A7B82B21F30E847C3",
      "16B0637A639FAF85A8992C2B11130BDC9E35FF53"]
ISO = ("CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=-4 ISO_FIELDS="
       "SOCKS_USERNAME,SOCKS_PASSWORD,CLIENTADDR,SESSION_GROUP,NYM_EPOCH")


class Port:
    """The fake control port: one connection, events at a steady rate."""

    def __init__(self, rate):
        self.rate = rate
        self.sent = 0
        self.lock = threading.Lock()
        self.circs = []
        self.open = {}
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.conn = None
        threading.Thread(target=self.serve, daemon=True).start()

    def send(self, b):
        with self.lock:
            self.conn.sendall(b)

    def event(self, i):
        """The i-th event (0-based) and what it changes in Tor's state."""
        if i < 8:
            c = i + 1
            self.circs.append(c)
            return "650 CIRC %d BUILT $%s~exit%d PURPOSE=GENERAL" % (
                c, FP[c % 2], c % 2)
        k = i - 8
        sid, step = 1 + k // 4, k % 4
        c = 1 + sid % 8
        src = "127.0.0.1:%d" % (30000 + sid % 30000)
        if step == 0:
            self.open[sid] = c
            return ("650 STREAM %d NEW 0 127.0.0.1:%d SOURCE_ADDR=%s "
                    "PURPOSE=USER %s" % (sid, 20180 + sid % 3, src, ISO))
        word = ["", "SENTCONNECT", "SUCCEEDED", "CLOSED"][step]
        if step == 3:
            self.open.pop(sid, None)
        return "650 STREAM %d %s %d 127.0.0.1:%d%s %s" % (
            sid, word, c, 20180 + sid % 3,
            " REASON=DONE" if step == 3 else "", ISO)

    def getinfo(self, keys):
        out = []
        for k in keys:
            if k == "version":
                out.append("250-version=0.4.9.11 (fake)")
            elif k == "process/pid":
                out.append("250-process/pid=4242")
            elif k == "circuit-status":
                lines = ["%d BUILT $%s~exit%d PURPOSE=GENERAL" % (
                    c, FP[c % 2], c % 2) for c in self.circs]
                out.append("250+circuit-status=")
                out.extend(lines)
                out.append(".")
            elif k == "stream-status":
                lines = ["%d SUCCEEDED %d 127.0.0.1:%d" % (
                    s, c, 20180 + s % 3) for s, c in self.open.items()]
                out.append("250+stream-status=")
                out.extend(lines)
                out.append(".")
            else:
                out.append("250-%s=" % k)
        out.append("250 OK")
        return ("\r\n".join(out) + "\r\n").encode()

    def serve(self):
        self.conn, _ = self.srv.accept()
        try:
            self.commands()
        except OSError:
            pass            # the monitor has gone

    def commands(self):
        f = self.conn.makefile("rb")
        for raw in f:
            line = raw.decode("ascii", "replace").rstrip("\r\n")
            w = line.split()
            cmd = w[0].upper() if w else ""
            if cmd == "PROTOCOLINFO":
                self.send(b"250-PROTOCOLINFO 1\r\n250-AUTH METHODS=NULL\r\n"
                          b"250-VERSION Tor=\"0.4.9.11\"\r\n250 OK\r\n")
            elif cmd == "GETINFO":
                with self.lock:
                    ans = self.getinfo(w[1:])
                self.send(ans)
            elif cmd == "GETCONF":
                self.send(b"250 SocksPort=127.0.0.1:9050\r\n")
                if self.rate > 0 and not hasattr(self, "feeder"):
                    self.feeder = threading.Thread(target=self.feed,
                                                   daemon=True)
                    self.feeder.start()
            elif cmd:
                self.send(b"250 OK\r\n")

    def feed(self):
        t0 = time.monotonic()
        i = 0
        while self.conn is not None:
            due = t0 + i / self.rate
            d = due - time.monotonic()
            if d > 0:
                time.sleep(d)
            with self.lock:
                line = self.event(i)
                try:
                    self.conn.sendall(line.encode() + b"\r\n")
                except OSError:
                    return
                self.sent += 1
            i += 1


def proc(pid):
    io = {}
    for l in open("/proc/%d/io" % pid):
        k, v = l.split(":")
        io[k] = int(v)
    st = {}
    for l in open("/proc/%d/status" % pid):
        k, _, v = l.partition(":")
        st[k] = v.strip()
    stat = open("/proc/%d/stat" % pid).read()
    f = stat[stat.rindex(")") + 2:].split()
    tck = os.sysconf("SC_CLK_TCK")
    return {"write_bytes": io["write_bytes"], "wchar": io["wchar"],
            "syscw": io["syscw"],
            "vol": int(st["voluntary_ctxt_switches"]),
            "invol": int(st["nonvoluntary_ctxt_switches"]),
            "cpu_s": (int(f[11]) + int(f[12])) / tck,
            "rss_kb": int(st["VmRSS"].split()[0]),
            "t": time.monotonic()}


def size(p):
    try:
        return os.path.getsize(p)
    except OSError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--isoaudit", required=True)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--warmup", type=float, default=5)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--strace", type=float, default=0)
    ap.add_argument("--json")
    a = ap.parse_args()

    shutil.rmtree(a.dir, ignore_errors=True)
    os.makedirs(a.dir, mode=0o700)
    conf = os.path.join(a.dir, "conf")
    with open(conf, "w") as f:
        f.write("Tracker off\n")
    db = os.path.join(a.dir, "db")
    port = Port(a.rate)
    out = open(os.path.join(a.dir, "out"), "w")
    err = open(os.path.join(a.dir, "err"), "w")
    mon = subprocess.Popen([a.isoaudit, "-c", conf, "monitor", "--control",
                            "127.0.0.1:%d" % port.port, "--db", db],
                           stdout=out, stderr=err)
    for _ in range(200):
        if "attached" in open(os.path.join(a.dir, "out")).read():
            break
        time.sleep(0.05)
    else:
        mon.kill()
        sys.exit("idle.py: the monitor did not attach (see %s/err)" % a.dir)
    time.sleep(a.warmup)
    p0, e0 = proc(mon.pid), port.sent
    time.sleep(a.seconds)
    p1, e1 = proc(mon.pid), port.sent
    res = {"rate": a.rate, "seconds": p1["t"] - p0["t"],
           "events": e1 - e0}
    for k in ("write_bytes", "wchar", "syscw", "vol", "invol", "cpu_s"):
        res[k] = p1[k] - p0[k]
    res["rss_kb"] = p1["rss_kb"]
    s = res["seconds"]
    res["wakeups_per_s"] = res["vol"] / s
    res["cpu_pct"] = 100.0 * res["cpu_s"] / s
    res["write_bytes_per_min"] = res["write_bytes"] * 60 / s
    res["write_bytes_per_day"] = res["write_bytes"] * 86400 / s
    res["write_bytes_per_event"] = (res["write_bytes"] / res["events"]
                                    if res["events"] else None)
    res["db_bytes"], res["wal_bytes"] = size(db), size(db + "-wal")
    if a.strace > 0 and shutil.which("strace"):
        sf = os.path.join(a.dir, "strace.txt")
        st = subprocess.Popen(["strace", "-c", "-f", "-p", str(mon.pid),
                               "-o", sf], stderr=subprocess.DEVNULL)
        time.sleep(a.strace)
        st.send_signal(signal.SIGINT)
        st.wait()
        calls = {}
        for l in open(sf):
            w = l.split()
            if len(w) >= 5 and w[-1] not in ("syscall", "total") and \
                    w[3].isdigit():
                calls[w[-1]] = int(w[3])
        res["strace_seconds"] = a.strace
        res["syscalls"] = calls
    mon.send_signal(signal.SIGTERM)
    # The whole run, its last commit and checkpoint (TRUNCATE) included:
    # the child's rusage (ru_oublock: 512-byte units written to storage).
    _, status, ru = os.wait4(mon.pid, 0)
    mon.returncode = os.waitstatus_to_exitcode(status)
    res["exit"] = mon.returncode
    res["run_write_bytes"] = ru.ru_oublock * 512
    res["run_events"] = port.sent
    res["run_write_bytes_per_event"] = (res["run_write_bytes"] / port.sent
                                        if port.sent else None)
    try:
        q = subprocess.run(["sqlite3", db, "SELECT count(*) FROM stream"],
                           capture_output=True, text=True)
        res["streams_stored"] = int(q.stdout.strip() or 0)
    except (OSError, ValueError):
        pass
    res["streams_sent"] = max(0, (port.sent - 8 + 3) // 4)
    txt = json.dumps(res, indent=1)
    if a.json:
        with open(a.json, "w") as f:
            f.write(txt + "\n")
    print(txt)


if __name__ == "__main__":
    main()
