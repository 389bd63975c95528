#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench/attrib_accuracy.py: how many streams get the right process, in
bursts of N concurrent clients (N = 10, 100, 1000), here (a monitor on the
host the clients run on: the kernel connect tracker, and Tracker off) and
across the Whonix split (tests/split: a gateway monitor in one network
namespace, the clients and their agent in a workstation namespace).

    bench/attrib_accuracy.py here  [--sizes 10,100,1000]   # tornet env loaded
    bench/attrib_accuracy.py split [--sizes 10,100,1000]   # as root

Each burst starts N clients at once, each a separate process: short curls
through a SocksPort (they close as soon as the answer is in), then N
hit-and-run SOCKS clients (connect, send the SOCKS request, close at once:
gone before Tor says NEW).  A stream is right when its stored pid is the
client's and it came from the client's local port.  Prints one line per
(setting, N, kind) and the attribution of the streams; not part of make
check (figures, not assertions).  $ISOAUDIT is the binary (./isoaudit).
"""
import argparse, os, shutil, signal, sqlite3, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)

SOCKSCLIENT = os.path.join(TOP, "tests", "integration", "socksclient.py")


def clients(kind, n, socks_host, socks_port, target_port, wrap):
    """Starts n clients of a kind at once; returns [(pid, localport)]."""
    procs = []
    for _ in range(n):
        if kind == "curl":
            cmd = ["curl", "-sS", "--max-time", "120", "--socks5-hostname",
                   "%s:%d" % (socks_host, socks_port), "-o", "/dev/null",
                   "-w", "%{local_port}\n",
                   "http://127.0.0.1:%d/" % target_port]
        else:
            cmd = ["python3", SOCKSCLIENT, "hitrun", str(socks_port),
                   str(target_port), socks_host]
        procs.append(subprocess.Popen(wrap + cmd, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True))
    out = []
    for p in procs:
        o, _ = p.communicate()
        o = o.split()
        if p.returncode != 0 or not o:
            out.append((None, None))
        elif kind == "curl":
            out.append((p.pid, int(o[-1])))
        else:
            out.append((int(o[0]), int(o[1])))
    return out


def score(db, client_host, got):
    """(right, total, {attribution: n}) of the clients' streams."""
    c = sqlite3.connect(db)
    right, how = 0, {}
    for pid, port in got:
        if port is None:
            how["client failed"] = how.get("client failed", 0) + 1
            continue
        rows = c.execute("SELECT pid, attribution FROM stream WHERE client_addr = ?",
                         ("%s:%d" % (client_host, port),)).fetchall()
        hit = [r for r in rows if r[0] == pid]
        a = hit[0][1] if hit else (rows[0][1] if rows else "missing")
        right += 1 if hit else 0
        how[a if hit else "wrong:" + str(a)] = how.get(a if hit else "wrong:" + str(a), 0) + 1
    return right, len(got), how


def wait_for(path, text, secs=30):
    end = time.time() + secs
    while time.time() < end:
        try:
            if text in open(path).read():
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def stop(p):
    if p is not None and p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()


def report(setting, n, kind, r):
    right, tot, how = r
    print("%-26s N=%-5d %-8s %5d of %-5d right (%5.1f %%)   %s" % (
        setting, n, kind, right, tot, 100.0 * right / max(tot, 1),
        " ".join("%s=%d" % kv for kv in sorted(how.items()))), flush=True)


def here(args, isoaudit, tmp):
    env = os.environ
    for setting, extra in (("here, tracker", ""), ("here, Tracker off", "Tracker off\n")):
        conf = os.path.join(tmp, "conf")
        open(conf, "w").write("LogTargets plain\n" + extra)
        for n in args.sizes:
            db = os.path.join(tmp, "db.%s.%d" % (extra != "", n))
            err = open(os.path.join(tmp, "mon.err"), "w")
            outp = os.path.join(tmp, "mon.out")
            mon = subprocess.Popen([isoaudit, "-c", conf, "monitor", "--control",
                                    env["TORNET_CONTROL"], "--db", db],
                                   stdout=open(outp, "w"), stderr=err)
            try:
                if not wait_for(outp, "attached to Tor"):
                    sys.exit("monitor did not attach")
                res = {}
                for kind in ("curl", "hitrun"):
                    res[kind] = clients(kind, n, "127.0.0.1", int(env["TORNET_SOCKS_A"]),
                                        int(env["TORNET_TARGET"]), [])
                time.sleep(3)
            finally:
                stop(mon)
            for kind in ("curl", "hitrun"):
                report(setting, n, kind, score(db, "127.0.0.1", res[kind]))


def split(args, isoaudit, tmp):
    sp = os.path.join(TOP, "tests", "split", "split")
    d = os.path.join(tmp, "split")
    up = subprocess.run(["bash", sp, "up", d, "1"], capture_output=True, text=True)
    if up.returncode != 0:
        sys.exit("split up failed:\n" + up.stdout + up.stderr)
    try:
        e = {}
        for line in open(os.path.join(d, "env")):
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                e[k] = v.strip('"\'')
        gw = e["SPLIT_GW_ADDR"]
        ws = e["SPLIT_WS1_ADDR"]
        aport = int(e["SPLIT_AGENT_PORT"])
        socks = int(e["SPLIT_SOCKS_DEFAULT"])
        tn = {}
        for line in open(e["SPLIT_TORNET_ENV"]):
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                tn[k] = v.strip('"\'')
        key = os.path.join(tmp, "ws1.key")
        with open(key, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(os.urandom(32))
        conf = os.path.join(tmp, "gw.conf")
        open(conf, "w").write("LogTargets plain\nAgentListen %s:%d\nAgent ws1 %s %s\n"
                              % (gw, aport, ws, key))
        # One gateway monitor and one agent for every size: "split gw"
        # runs the monitor itself (SIGTERM reaches it); the agent, behind
        # nsenter, ends with the workstation at "split down".
        db = os.path.join(tmp, "db.split")
        outp = os.path.join(tmp, "gw.out")
        mon = subprocess.Popen(["bash", sp, "gw", d, isoaudit, "-c", conf, "monitor",
                                "--control", tn["TORNET_CONTROL"], "--db", db],
                               stdout=open(outp, "w"),
                               stderr=open(os.path.join(tmp, "gw.err"), "w"))
        res = {}
        try:
            if not wait_for(outp, "attached to Tor"):
                sys.exit("gateway monitor did not attach")
            subprocess.Popen(["bash", sp, "ws", d, "1", isoaudit, "agent", "--gateway",
                              "%s:%d" % (gw, aport), "--key", key, "--name", "ws1"],
                             stderr=open(os.path.join(tmp, "ag.err"), "w"))
            if not wait_for(os.path.join(tmp, "gw.err"), "agent ws1: connected"):
                sys.exit("agent did not connect")
            for n in args.sizes:
                for kind in ("curl", "hitrun"):
                    # The clients run in the workstation: one driver there
                    # starts them and prints "pid port" (its pids).
                    drv = subprocess.run(["bash", sp, "ws", d, "1", "python3", __file__,
                                          "clients", kind, str(n), gw, str(socks),
                                          tn["TORNET_TARGET"]],
                                         capture_output=True, text=True)
                    res[n, kind] = [(int(a), int(b)) if a != "-" else (None, None)
                                    for a, b in (l.split() for l in drv.stdout.splitlines())]
            time.sleep(3)
        finally:
            stop(mon)
        for n in args.sizes:
            for kind in ("curl", "hitrun"):
                report("split, agent", n, kind, score(db, ws, res[n, kind]))
    finally:
        subprocess.run(["bash", sp, "down", d], capture_output=True)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "clients":
        kind, n, host, port, tport = sys.argv[2:7]
        for pid, lp in clients(kind, int(n), host, int(port), int(tport), []):
            print("%s %s" % (pid or "-", lp or "-"))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("where", choices=("here", "split"))
    ap.add_argument("--sizes", default="10,100,1000")
    args = ap.parse_args()
    args.sizes = [int(x) for x in args.sizes.split(",")]
    isoaudit = os.path.abspath(os.environ.get("ISOAUDIT", os.path.join(TOP, "isoaudit")))
    tmp = tempfile.mkdtemp(prefix="isoaudit-acc.")
    os.environ["XDG_STATE_HOME"] = os.path.join(tmp, "state")
    try:
        (here if args.where == "here" else split)(args, isoaudit, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


main()
