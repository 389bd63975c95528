#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""bench.py: isoaudit's benchmark against its peers (run by bench/run).

Everything runs on the same generated inputs in one run: isoaudit, stem
parsing the same events (bench/peer_stem_parse.py) and a stem-based
auditor (bench/peer_stem_auditor.py).  Prints the results table and writes
bench/out/results.md (and results.json).  Environment:

    BENCH_QUICK=1          a couple of minutes (smaller inputs)
    BENCH_MAX=N            largest step of the scale series (default
                           1000000; 10000000 for the full series)
    BENCH_COMPARE=N        events of the comparison with the peers
                           (default 1000000, quick 50000)
    BENCH_REPORT_STREAMS=N streams in the report/check database (default
                           1000000, quick 50000)
    BENCH_ONLY=a,b         only these sections: peers, instr, scale,
                           openflood, report, attrib, dashboard, idle,
                           parse (parse runs only when named)
    BENCH_IDLE_SECONDS=S   idle: the window of each rate (default 60,
                           quick 20)
    BENCH_ISOAUDIT=PATH    another isoaudit binary (e.g. a baseline build)
    BENCH_PARSE_BASE=PATH  parse: a baseline binary, run back to back
    BENCH_PARSE_REPS=N     parse: runs of each binary (default 5)
"""
import datetime
import glob
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
OUT = os.path.join(BENCH, "out")
GEN = os.path.join(OUT, "gen")
WORK = os.path.join(OUT, "work")
PY = "/usr/bin/python3"          # Debian's, with python3-stem
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
ISO = os.environ.get("BENCH_ISOAUDIT") or os.path.join(ROOT, "isoaudit")
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(",")))
# isoaudit's rows only (a before/after build on the same inputs).
NO_PEERS = os.environ.get("BENCH_NO_PEERS", "") not in ("", "0")
NOPEER = {"wall": 0, "user": 0, "sys": 0, "rss_kb": 0, "rc": 0}


def envint(name, full, quick):
    v = os.environ.get(name)
    return int(v) if v else (quick if QUICK else full)


MAX = envint("BENCH_MAX", 1000000, 100000)
NCMP = envint("BENCH_COMPARE", 1000000, 50000)
NREPORT = envint("BENCH_REPORT_STREAMS", 1000000, 50000)

ENV = dict(os.environ)
ENV.update({"XDG_CONFIG_HOME": os.path.join(WORK, "xdg-config"),
            "XDG_STATE_HOME": os.path.join(WORK, "xdg-state"),
            "LC_ALL": "C"})
CONF = ["-c", "/dev/null"]       # the built-in defaults, whatever is in /etc

results = {"sections": {}, "commands": {}}
started = time.time()


def log(*a):
    sys.stderr.write("bench: " + " ".join(str(x) for x in a) + "\n")
    sys.stderr.flush()


def rel(p):
    return os.path.relpath(p, ROOT) if isinstance(p, str) and \
        p.startswith(ROOT) else p


def cmdline(argv, redirect=""):
    s = " ".join(rel(a) if " " not in str(a) else "'%s'" % a for a in argv)
    return s + redirect


def want(section):
    return not ONLY or section in ONLY


# --- running and measuring ---------------------------------------------------

def measure(argv, out=subprocess.DEVNULL, err=None, env=None, stdin=None):
    """Runs argv under bench/out/rusage: wall/user/sys seconds, peak RSS
    (KiB) and exit status of argv itself."""
    res = os.path.join(WORK, "rusage.json")
    errf = open(err, "wb") if err else subprocess.DEVNULL
    outf = open(out, "wb") if isinstance(out, str) else out
    subprocess.run([os.path.join(OUT, "rusage"), res] + list(argv),
                   stdout=outf, stderr=errf, env=env or ENV,
                   stdin=stdin or subprocess.DEVNULL, cwd=ROOT)
    if err:
        errf.close()
    if isinstance(out, str):
        outf.close()
    with open(res) as f:
        return json.load(f)


def run(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, env=kw.pop("env", ENV), **kw)


def fresh_db(name):
    p = os.path.join(WORK, name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(p + suffix)
        except FileNotFoundError:
            pass
    return p


def gen(events, streams=0, seed=1):
    """A cached transcript (with .events/.init.json/.meta.json)."""
    os.makedirs(GEN, exist_ok=True)
    with open(os.path.join(BENCH, "gen.py"), "rb") as f:
        import hashlib
        ver = hashlib.sha1(f.read()).hexdigest()[:8]
    name = "t%s-%d-%d-%s.txt" % (("s%d" % streams) if streams else events,
                                  seed, events if streams else 0, ver)
    path = os.path.join(GEN, name)
    if not os.path.exists(path + ".meta.json"):
        for old in os.listdir(GEN):        # an older generator's files
            if old.startswith(name.rsplit("-", 1)[0]) and ver not in old:
                os.unlink(os.path.join(GEN, old))
        log("generating", rel(path))
        args = [PY, os.path.join(BENCH, "gen.py"), "--seed", str(seed)]
        args += ["--streams", str(streams)] if streams else \
            ["--events", str(events)]
        run(args + [path], check=True, stdout=subprocess.DEVNULL)
    with open(path + ".meta.json") as f:
        meta = json.load(f)
    return path, meta


def per_event(m, n):
    return {"us_per_event": m["wall"] / n * 1e6 if n else 0,
            "cpu_us_per_event": (m["user"] + m["sys"]) / n * 1e6 if n else 0,
            "events_per_s": n / m["wall"] if m["wall"] else 0}


# --- the fake control port ------------------------------------------------------

class FakePort:
    def __init__(self, transcript, count=0, start_after="GETCONF",
                 linger=600.0, name="fp", real=False):
        self.pf = os.path.join(WORK, name + ".port")
        self.stats = os.path.join(WORK, name + ".stats")
        for p in (self.pf, self.stats):
            if os.path.exists(p):
                os.unlink(p)
        self.argv = [PY, os.path.join(BENCH, "fakeport.py"), "--events",
                     transcript + ".events", "--init",
                     transcript + ".init.json", "--portfile", self.pf,
                     "--stats", self.stats, "--start-after", start_after,
                     "--linger", str(linger)]
        if count:
            self.argv += ["--count", str(count)]
        if real:
            self.argv += ["--real-clients", transcript]
        self.p = subprocess.Popen(self.argv, cwd=ROOT,
                                  stderr=open(os.path.join(
                                      WORK, name + ".err"), "wb"))
        for _ in range(600):
            if os.path.exists(self.pf):
                break
            if self.p.poll() is not None:
                raise SystemExit("fake port died: see %s.err" % name)
            time.sleep(0.05)
        with open(self.pf) as f:
            self.port = int(f.read())

    def finish(self, timeout=60):
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        try:
            with open(self.stats) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}


# --- instructions per event (callgrind) ----------------------------------------

def callgrind(argv, err):
    full = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    run(full + argv, stdout=subprocess.DEVNULL, stderr=open(err, "wb"))
    with open(err) as f:
        m = re.search(r"Collected : (\d+)", f.read())
    return int(m.group(1)) if m else None


def instr_delta(make_argv, small, large, tag):
    """(I(large) - I(small)) / (events(large) - events(small))."""
    vals = []
    for path, meta in (small, large):
        vals.append((callgrind(make_argv(path, meta),
                               os.path.join(WORK, "cg-%s-%d.err" %
                                            (tag, meta["events"]))),
                     meta["events"]))
    (i1, n1), (i2, n2) = vals
    if i1 is None or i2 is None or n2 == n1:
        return None
    return (i2 - i1) / (n2 - n1)


# --- sections --------------------------------------------------------------------

def section_peers():
    path, meta = gen(NCMP)
    n = meta["events"]
    size = meta["bytes"]
    raw = meta["raw_bytes"]
    rows = []
    log("peers on %d events (%s)" % (n, rel(path)))

    # 1. Parse only.
    iso_dump = [ISO] + CONF + ["replay", "--dump", path]
    m_iso = measure(iso_dump)
    peer_parse = [PY, os.path.join(BENCH, "peer_stem_parse.py"), path]
    m_peer = NOPEER if NO_PEERS else measure(
        peer_parse, out=os.path.join(WORK, "peer_parse.json"))
    rows.append(("parse only", m_iso, m_peer, size,
                 cmdline(iso_dump, " > /dev/null"), cmdline(peer_parse)))

    # 2. Replay into a fresh database.
    db = fresh_db("replay.db")
    iso_replay = [ISO] + CONF + ["replay", path, "--db", db]
    m_iso = measure(iso_replay, err=os.path.join(WORK, "replay.err"))
    pdb = fresh_db("peer.db")
    peer_aud = [PY, os.path.join(BENCH, "peer_stem_auditor.py"), "replay",
                path, pdb]
    m_peer = NOPEER if NO_PEERS else measure(
        peer_aud, out=os.path.join(WORK, "peer_aud.json"))
    rows.append(("replay into a fresh database", m_iso, m_peer, size,
                 cmdline(iso_replay, " > /dev/null"), cmdline(peer_aud)))
    counts = db_counts(db)

    # 3. Live through the fake control port, database on: the clients
    # real (every stream's socket and process found, as on a real host),
    # then gone (every lookup misses: the worst case).
    live_rows = []
    for real, tag, what in ((True, "live", "live through the fake control "
                             "port, database on (clients present)"),
                            (False, "live-gone", "live, clients gone "
                             "(every lookup misses)")):
        db = fresh_db(tag + ".db")
        fp = FakePort(path, name=tag, real=real)
        iso_live = [ISO] + CONF + ["monitor", "--control",
                                   "127.0.0.1:%d" % fp.port, "--db", db,
                                   "--exit-after-events", str(n)]
        m = measure(iso_live, err=os.path.join(WORK, tag + ".err"))
        fp.finish()
        live_rows.append((what, m, cmdline(
            iso_live[:4] + ["--control", "127.0.0.1:PORT"] + iso_live[6:],
            " > /dev/null") + "` against `" + cmdline(
                fp.argv[:2] + fp.argv[fp.argv.index("--events"):
                                     fp.argv.index("--events") + 2] +
                (["--real-clients", rel(path)] if real else []))))
    pdb = fresh_db("peer-live.db")
    if NO_PEERS:
        peer_live = [PY, os.path.join(BENCH, "peer_stem_auditor.py"),
                     "live", "PORT", pdb, str(n)]
        m_peer = NOPEER
    else:
        fp = FakePort(path, start_after="SETEVENTS", name="peer-live")
        peer_live = [PY, os.path.join(BENCH, "peer_stem_auditor.py"),
                     "live", str(fp.port), pdb, str(n)]
        m_peer = measure(peer_live, out=os.path.join(WORK,
                                                     "peer_live.json"))
        fp.finish()
    for what, m, c in live_rows:
        rows.append((what, m, m_peer, raw, c,
                     cmdline(peer_live[:3] + ["PORT"] + peer_live[4:])))
    live_counts = db_counts(os.path.join(WORK, "live.db"))

    # The sender alone.
    self_argv = [PY, os.path.join(BENCH, "fakeport.py"), "--selftest",
                 "--events", path + ".events"]
    r = run(self_argv, capture_output=True, text=True)
    try:
        sender = json.loads(r.stdout)
    except ValueError:
        sender = {"bytes_per_s": 0, "events_per_s": 0}
    sender["command"] = cmdline(self_argv)

    out = []
    for what, mi, mp, nbytes, ci, cp in rows:
        out.append({"what": what, "events": n, "bytes": nbytes,
                    "isoaudit": dict(mi, **per_event(mi, n)),
                    "peer": dict(mp, **per_event(mp, n if mp["wall"]
                                                 else 0)),
                    "ratio": mp["wall"] / mi["wall"] if mi["wall"] and
                    mp["wall"] else 0,
                    "isoaudit_command": ci, "peer_command": cp})
    results["sections"]["peers"] = {"rows": out, "input": rel(path),
                                    "meta": meta, "sender": sender,
                                    "replay_db": counts,
                                    "live_db": live_counts}


def db_counts(db):
    r = run(["sqlite3", db, "SELECT (SELECT count(*) FROM stream), "
             "(SELECT count(*) FROM circuit), (SELECT count(*) FROM "
             "cause), (SELECT count(*) FROM occurrence), (SELECT count(*) "
             "FROM attach)"], capture_output=True, text=True)
    try:
        s, c, f, o, a = r.stdout.strip().split("|")
        return {"streams": int(s), "circuits": int(c), "causes": int(f),
                "occurrences": int(o), "attach": int(a)}
    except ValueError:
        sys.exit("bench: cannot count the rows of %s: %s" % (db, r.stderr))


def section_instr():
    """Instructions per event: callgrind at two sizes, the difference."""
    if shutil.which("valgrind") is None:
        results["sections"]["instr"] = {"error": "valgrind not installed"}
        return
    a, b = (5000, 25000) if QUICK else (10000, 60000)
    pa, pb = (1000, 3000) if QUICK else (2000, 12000)
    small, large = gen(a), gen(b)
    psmall, plarge = gen(pa), gen(pb)
    out = {}
    log("callgrind: isoaudit %d/%d events, peers %d/%d" % (a, b, pa, pb))
    out["parse only"] = {
        "isoaudit": instr_delta(lambda p, m: [ISO] + CONF +
                                ["replay", "--dump", p], small, large,
                                "dump"),
        "peer": instr_delta(lambda p, m: [PY, os.path.join(
            BENCH, "peer_stem_parse.py"), p], psmall, plarge, "peer-parse"),
        "command": "valgrind --tool=callgrind isoaudit -c /dev/null replay "
        "--dump T (%d and %d events); peer: /usr/bin/python3 "
        "bench/peer_stem_parse.py T (%d and %d)" % (a, b, pa, pb)}

    def iso_replay(p, m):
        return [ISO] + CONF + ["replay", p, "--db", fresh_db("cg.db")]

    def peer_replay(p, m):
        return [PY, os.path.join(BENCH, "peer_stem_auditor.py"), "replay",
                p, fresh_db("cg-peer.db")]
    out["replay into a fresh database"] = {
        "isoaudit": instr_delta(iso_replay, small, large, "replay"),
        "peer": instr_delta(peer_replay, psmall, plarge, "peer-replay"),
        "command": "valgrind --tool=callgrind isoaudit -c /dev/null replay "
        "T --db FRESH; peer: bench/peer_stem_auditor.py replay T FRESH"}

    def iso_live(p, m):
        fp = FakePort(p, name="cg-live", linger=1, real=True)
        iso_live.fps.append(fp)
        return [ISO] + CONF + ["monitor", "--control",
                               "127.0.0.1:%d" % fp.port, "--db",
                               fresh_db("cg-live.db"), "--exit-after-events",
                               str(m["events"])]
    iso_live.fps = []
    v = instr_delta(iso_live, small, large, "live")
    for fp in iso_live.fps:
        fp.finish()
    out["live through the fake control port, database on (clients "
        "present)"] = {
        "isoaudit": v, "peer": None,
        "command": "valgrind --tool=callgrind isoaudit -c /dev/null monitor "
        "--control 127.0.0.1:PORT --db FRESH --exit-after-events N "
        "(fake port with --real-clients; the stem peer's threads are not "
        "measured under valgrind)"}
    results["sections"]["instr"] = out


def section_parse():
    """Parse only (replay --dump) beside the stem parser, in one run: each
    binary's best wall of N back-to-back runs (a baseline's interleaved),
    the peer once, and instructions/event (callgrind at two sizes)."""
    path, meta = gen(NCMP)
    n = meta["events"]
    reps = envint("BENCH_PARSE_REPS", 5, 3)
    bins = [("isoaudit", ISO)]
    if os.environ.get("BENCH_PARSE_BASE"):
        bins.insert(0, ("baseline", os.environ["BENCH_PARSE_BASE"]))
    walls = {k: [] for k, _ in bins}
    for _ in range(reps):
        for k, b in bins:
            walls[k].append(measure([b] + CONF + ["replay", "--dump", path]))
    peer = [PY, os.path.join(BENCH, "peer_stem_parse.py"), path]
    mp = measure(peer, out=os.path.join(WORK, "peer_parse.json"))
    a, b2 = (5000, 25000) if QUICK else (10000, 60000)
    pa, pb = (1000, 3000) if QUICK else (2000, 12000)
    small, large, psmall, plarge = gen(a), gen(b2), gen(pa), gen(pb)
    rows = []
    for k, b in bins:
        best = min(walls[k], key=lambda m: m["wall"])
        rows.append({"binary": k, "path": rel(b), "best": best,
                     "walls": [m["wall"] for m in walls[k]],
                     "ratio": mp["wall"] / best["wall"],
                     "instr": instr_delta(lambda p, m, b=b: [b] + CONF + [
                         "replay", "--dump", p], small, large, "parse-" + k),
                     "command": cmdline([b] + CONF + ["replay", "--dump",
                                                       path], " > /dev/null")})
    results["sections"]["parse"] = {
        "events": n, "input": rel(path), "reps": reps, "rows": rows,
        "peer": mp, "peer_command": cmdline(peer),
        "peer_instr": instr_delta(
            lambda p, m: [PY, os.path.join(BENCH, "peer_stem_parse.py"), p],
            psmall, plarge, "parse-peer"),
        "instr_sizes": [a, b2, pa, pb]}


def section_scale():
    steps = [n for n in (10000, 100000, 1000000, 10000000) if n <= MAX]
    rows = []
    for n in steps:
        path, meta = gen(n)
        log("scale: %d events" % n)
        dump = [ISO] + CONF + ["replay", "--dump", path]
        md = measure(dump)
        db = fresh_db("scale.db")
        rep = [ISO] + CONF + ["replay", path, "--db", db]
        mr = measure(rep, err=os.path.join(WORK, "scale.err"))
        counts = db_counts(db)
        rows.append({"events": n, "bytes": meta["bytes"],
                     "db_rows": counts,
                     "streams": meta["streams"],
                     "open_at_end": meta["open_streams_at_end"],
                     "dump": dict(md, **per_event(md, n)),
                     "replay": dict(mr, **per_event(mr, n)),
                     "db_bytes": os.path.getsize(db),
                     "dump_command": cmdline(dump, " > /dev/null"),
                     "replay_command": cmdline(rep, " > /dev/null")})
        os.unlink(db)
    results["sections"]["scale"] = {"rows": rows}


def section_openflood():
    """SHARED_EXIT under a flood of open streams (bench/open_flood.py)."""
    sizes = [n for n in (10000, 20000, 40000) if n <= MAX]
    rows = []
    for n in sizes:
        path = os.path.join(GEN, "openflood-%d.txt" % n)
        os.makedirs(GEN, exist_ok=True)
        if not os.path.exists(path):
            run([PY, os.path.join(BENCH, "open_flood.py"), str(n), path],
                check=True)
        db = fresh_db("openflood.db")
        argv = [ISO, "replay", path, "--db", db]
        log("openflood: %d open streams" % n)
        m = measure(argv, err=os.path.join(WORK, "openflood.err"))
        row = {"streams": n, "wall": m["wall"], "rss_kb": m["rss_kb"],
               "us_per_stream": m["wall"] / n * 1e6,
               "command": cmdline(argv, " > /dev/null")}
        if n == sizes[0] and shutil.which("valgrind"):
            db = fresh_db("openflood.db")
            row["instructions_per_stream"] = callgrind(
                argv, os.path.join(WORK, "cg-openflood.err")) / n
        rows.append(row)
        os.unlink(db)
    results["sections"]["openflood"] = {"rows": rows}


def section_report():
    path, meta = gen(0, streams=NREPORT)
    db = os.path.join(WORK, "report-%d.db" % NREPORT)
    log("report/check on %d streams (%s)" % (NREPORT, rel(path)))
    rep = [ISO] + CONF + ["replay", path, "--db", fresh_db(
        os.path.basename(db))]
    mb = measure(rep, err=os.path.join(WORK, "report-build.err"))
    counts = db_counts(db)
    plans = os.path.join(OUT, "query-plans.txt")
    if os.path.exists(plans):
        os.unlink(plans)
    shim = os.path.join(OUT, "qplan.so")
    runs = []
    for name, args in (
            ("report (text, --all)", ["report", "--db", db, "--all"]),
            ("report (json, --all)", ["report", "--db", db, "--all",
                                      "--format", "json"]),
            ("report (latest session, default)", ["report", "--db", db]),
            ("check --since-last (first: every finding)",
             ["check", "--db", db, "--since-last", "bench",
              "--min-severity", "info"]),
            ("check --since-last (again: nothing new)",
             ["check", "--db", db, "--since-last", "bench",
              "--min-severity", "info"])):
        argv = [ISO] + CONF + args
        m = measure(argv, out=os.path.join(WORK, "report.out"))
        lines = sum(1 for _ in open(os.path.join(WORK, "report.out"), "rb"))
        runs.append({"what": name, "command": cmdline(argv, " > /dev/null"),
                     "lines": lines, **m})
    # The plans of what report and check prepare (statements as written).
    if os.path.exists(shim):
        env = dict(ENV, LD_PRELOAD=shim, QPLAN_OUT=plans)
        for args in (["report", "--db", db, "--all"],
                     ["check", "--db", db, "--since", "1d"]):
            run([ISO] + CONF + args, env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
    results["sections"]["report"] = {
        "streams": NREPORT, "db": counts, "db_bytes": os.path.getsize(db),
        "build": dict(mb, **per_event(mb, meta["events"])),
        "build_command": cmdline(rep, " > /dev/null"),
        "events": meta["events"], "runs": runs,
        "plans": rel(plans) if os.path.exists(plans) else None}


def section_attrib():
    exe = os.path.join(OUT, "attrib_lat")
    nprocs, per, lookups = (500, 10, 300) if QUICK else (500, 10, 1000)
    argv = [exe, str(nprocs), str(per), str(lookups)]
    log("attribution: %d processes x %d sockets" % (nprocs, per))
    r = run(argv, capture_output=True, text=True)
    try:
        data = json.loads(r.stdout)
    except ValueError:
        data = {"error": r.stderr[-500:]}
    data["command"] = cmdline(argv)
    data["stderr"] = r.stderr.strip()
    results["sections"]["attrib"] = data


def section_dashboard():
    if shutil.which("tmux") is None:
        results["sections"]["dashboard"] = {"error": "tmux not installed"}
        return
    n = 50000 if QUICK else 500000
    idle_s = 5 if QUICK else 10
    path, meta = gen(n)
    out = {}
    sock = os.path.join(WORK, "tmux.sock")

    def tm(*a):
        return run(["tmux", "-f", "/dev/null", "-S", sock] + list(a),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def dashboard(tag, fp, extra):
        res = os.path.join(WORK, "dash-%s.json" % tag)
        err = os.path.join(WORK, "dash-%s.err" % tag)
        for p in (res, err):
            if os.path.exists(p):
                os.unlink(p)
        argv = [ISO] + CONF + ["--control", "127.0.0.1:%d" % fp.port,
                               "--db", fresh_db("dash-%s.db" % tag),
                               "-v"] + extra
        wrapper = [PY, os.path.join(BENCH, "tty_run.py"), res, err] + argv
        tm("kill-server")
        tm("new-session", "-d", "-s", "b", "-x", "120", "-y", "40",
           " ".join("'%s'" % a for a in wrapper))
        for _ in range(1200):
            if os.path.exists(res):
                break
            time.sleep(0.1)
        tm("kill-server")
        fps = fp.finish()
        with open(res) as f:
            r = json.load(f)
        with open(err, errors="replace") as f:
            text = f.read()
        m = re.search(r"(\d+) repaints \(at most (\d+) in one second\) in "
                      r"([0-9.]+) s for (\d+) events", text)
        if m:
            r.update({"repaints": int(m.group(1)),
                      "max_per_second": int(m.group(2)),
                      "seconds": float(m.group(3)),
                      "events": int(m.group(4))})
            r["repaints_per_s"] = r["repaints"] / r["seconds"] \
                if r["seconds"] else 0
        r["cpu_percent"] = 100 * (r["user"] + r["sys"]) / r["wall"] \
            if r["wall"] else 0
        r["command"] = cmdline(argv[:3] + ["--control", "127.0.0.1:PORT"] +
                               argv[5:]) + "   (in tmux, 120x40)"
        r["sender"] = fps
        return r

    log("dashboard: burst of %d events, then %d s idle" % (n, idle_s))
    fp = FakePort(path, name="dash-burst", linger=5, real=True)
    out["burst"] = dashboard("burst", fp, ["--exit-after-events", str(n)])
    fp = FakePort(path, count=-1, name="dash-idle", linger=idle_s + 30)
    out["idle"] = dashboard("idle", fp, ["--duration", str(idle_s)])
    results["sections"]["dashboard"] = out


# --- the machine, the table ------------------------------------------------------

def section_idle():
    """A monitor fed 10 events/s, 1 event/s and nothing (bench/idle.py):
    disk writes, wakeups, CPU, syscalls, each over the same window."""
    secs = envint("BENCH_IDLE_SECONDS", 60, 20)
    st = 20 if not QUICK else 5
    rows = []
    for rate in (10, 1, 0):
        d = os.path.join(WORK, "idle-%g" % rate)
        js = d + ".json"
        argv = [PY, os.path.join(BENCH, "idle.py"), "--isoaudit", ISO,
                "--rate", str(rate), "--seconds", str(secs), "--strace",
                str(st), "--dir", d, "--json", js]
        log("idle: %g events/s for %d s (then strace -c for %d s)" %
            (rate, secs, st))
        r = subprocess.run(argv, stdout=subprocess.DEVNULL)
        if r.returncode != 0:
            rows.append({"rate": rate, "error": "idle.py exit %d" %
                         r.returncode})
            continue
        v = json.load(open(js))
        v["command"] = cmdline(argv[1:])
        rows.append(v)
    results["sections"]["idle"] = {"rows": rows, "seconds": secs}


def machine():
    def cmd(a):
        try:
            return subprocess.run(a, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = "%.1f GiB" % (int(line.split()[1]) / 1048576)
    lscpu = cmd(["lscpu"])
    model = re.search(r"Model name:\s*(.*)", lscpu)
    git = cmd(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    dirty = cmd(["git", "-C", ROOT, "status", "--porcelain", "auditor",
                 "ui", "schema"])
    stem = cmd([PY, "-c", "import stem; print(stem.__version__)"])
    return {"nproc": cmd(["nproc"]), "cpu": model.group(1) if model else "",
            "lscpu": "\n".join(lscpu.splitlines()[:12]), "memory": mem,
            "kernel": platform.release(),
            "sqlite": cmd(["sqlite3", "--version"]).split(" ")[0],
            "python": cmd([PY, "--version"]), "stem": stem,
            "isoaudit": "%s%s" % (git, " (BENCH_ISOAUDIT: a build of "
                                  "its own)" if os.environ.get(
                                      "BENCH_ISOAUDIT") else
                                  " + uncommitted changes in auditor/"
                                  if dirty else ""),
            "binary": rel(ISO), "quick": QUICK,
            "date": datetime.datetime.now(datetime.timezone.utc)
            .strftime("%Y-%m-%dT%H:%MZ")}


TARGETS = {"parse only": 100, "replay into a fresh database": 25}  # issue 16


def fmt_rate(x):
    if x >= 1e6:
        return "%.2f M" % (x / 1e6)
    if x >= 1e3:
        return "%.1f k" % (x / 1e3)
    return "%.0f" % x


def mb(kb):
    return "%.1f MB" % (kb / 1024)


def table():
    L = []
    M = results["machine"]
    L.append("# isoaudit benchmark results")
    L.append("")
    L.append("%s; %s CPUs (%s), %s RAM, Linux %s; sqlite %s, %s, stem %s; "
             "isoaudit %s (%s)%s." % (M["date"], M["nproc"], M["cpu"],
                                     M["memory"], M["kernel"], M["sqlite"],
                                     M["python"], M["stem"], M["isoaudit"],
                                     M["binary"],
                                     "; BENCH_QUICK" if M["quick"] else ""))
    S = results["sections"]
    if "parse" in S:
        P = S["parse"]
        pi = P["peer_instr"]
        L += ["", "## Parse only (`replay --dump`) beside the stem parser", "",
              "Input: %s, %d events; best of %d runs each (back to back); "
              "stem peer %.2f s, %s instructions/event (callgrind at %d and "
              "%d events; isoaudit at %d and %d)." % (
                  P["input"], P["events"], P["reps"], P["peer"]["wall"],
                  "%.0f" % pi if pi else "-", P["instr_sizes"][2],
                  P["instr_sizes"][3], P["instr_sizes"][0],
                  P["instr_sizes"][1]), "",
              "| binary | best wall | all walls (s) | user | peak RSS | "
              "ratio vs stem (target >= 100x) | instructions/event "
              "(stem / isoaudit) |", "|---|---|---|---|---|---|---|"]
        for r in P["rows"]:
            L.append("| %s | %.3f s | %s | %.3f s | %s | %.1fx | %s (%s) |" % (
                r["binary"], r["best"]["wall"],
                " ".join("%.2f" % w for w in r["walls"]), r["best"]["user"],
                mb(r["best"]["rss_kb"]), r["ratio"],
                "%.0f" % r["instr"] if r["instr"] else "-",
                "%.1fx" % (pi / r["instr"]) if pi and r["instr"] else "-"))
        L += ["", "Commands: " + "; ".join("`%s`" % r["command"]
                                          for r in P["rows"]) +
              "; peer: `%s`." % P["peer_command"]]
    if "peers" in S:
        P = S["peers"]
        L += ["", "## Against the peers (same input, same run)", "",
              "Input: %s: %d events, %d streams, %.1f MB transcript "
              "(%.1f MB of raw control-port bytes for the live runs)." % (
                  P["input"], P["meta"]["events"], P["meta"]["streams"],
                  P["meta"]["bytes"] / 1e6, P["meta"]["raw_bytes"] / 1e6),
              "",
              "| measure | isoaudit | stem peer | ratio (target) | "
              "isoaudit events/s | isoaudit MB/s | peak RSS isoaudit / peer "
              "| instructions/event isoaudit / peer |",
              "|---|---|---|---|---|---|---|---|"]
        I = S.get("instr", {})
        for r in P["rows"]:
            ins = I.get(r["what"], {}) if isinstance(I, dict) else {}
            ii, ip = ins.get("isoaudit"), ins.get("peer")
            t = TARGETS.get(r["what"])
            L.append("| %s | %.2f s (%.2f us/event) | %.2f s (%.1f us/event) "
                     "| %.1fx%s | %s | %.1f | %s / %s | %s / %s |" % (
                         r["what"], r["isoaudit"]["wall"],
                         r["isoaudit"]["us_per_event"], r["peer"]["wall"],
                         r["peer"]["us_per_event"], r["ratio"],
                         " (>= %dx)" % t if t else "",
                         fmt_rate(r["isoaudit"]["events_per_s"]),
                         r["bytes"] / r["isoaudit"]["wall"] / 1e6,
                         mb(r["isoaudit"]["rss_kb"]),
                         mb(r["peer"]["rss_kb"]),
                         "%.0f" % ii if ii else "-",
                         "%.0f" % ip if ip else "-"))
        L += ["", "Commands:", ""]
        for r in P["rows"]:
            L.append("- %s: `%s`; peer: `%s`" % (r["what"],
                                                 r["isoaudit_command"],
                                                 r["peer_command"]))
        if I and isinstance(I, dict):
            for k, v in I.items():
                if isinstance(v, dict) and v.get("command"):
                    L.append("- instructions, %s: `%s`" % (k, v["command"]))
        s = P["sender"]
        L += ["", "The fake port's sender alone (`%s`): %.0f MB/s, %s "
              "events/s, %.0fx what isoaudit read live." % (
                  s["command"], s["bytes_per_s"] / 1e6,
                  fmt_rate(s["events_per_s"]),
                  s["events_per_s"] / P["rows"][2]["isoaudit"]
                  ["events_per_s"])]
        L.append("")
        L.append("Rows written: replay %s; live %s." % (
            P["replay_db"], P["live_db"]))
    if "scale" in S:
        L += ["", "## Scale", "",
              "| events | transcript | replay --dump: us/event, ns/byte, "
              "peak RSS | replay into a fresh db: us/event, peak RSS | "
              "database: size, bytes/row | written to storage: bytes/event, "
              "x the database |",
              "|---|---|---|---|---|---|"]
        for r in S["scale"]["rows"]:
            nrows = sum(r.get("db_rows", {}).values()) or 1
            wr = r["replay"].get("written_kb", 0) * 1024
            L.append("| %s | %.0f MB | %.2f us, %.2f ns, %s | %.2f us, %s | "
                     "%.0f MB, %.0f | %.0f, %.1fx |"
                     % (fmt_rate(r["events"]), r["bytes"] / 1e6,
                        r["dump"]["us_per_event"],
                        r["dump"]["wall"] * 1e9 / r["bytes"],
                        mb(r["dump"]["rss_kb"]),
                        r["replay"]["us_per_event"],
                        mb(r["replay"]["rss_kb"]), r["db_bytes"] / 1e6,
                        r["db_bytes"] / nrows, wr / r["events"],
                        wr / max(r["db_bytes"], 1)))
        rr = S["scale"]["rows"]
        if rr:
            L += ["", "Commands: `%s`, `%s` (for each size)." % (
                rr[-1]["dump_command"], rr[-1]["replay_command"])]
    if "openflood" in S:
        L += ["", "## SHARED_EXIT under a flood of open streams", "",
              "One application's streams left open on two circuits to one "
              "exit (bench/open_flood.py): the time per stream stays flat "
              "when the rule looks at circuits; it grew with N when it "
              "scanned every open stream.", "",
              "| open streams | replay into a fresh db | us/stream | "
              "instructions/stream | peak RSS |", "|---|---|---|---|---|"]
        for r in S["openflood"]["rows"]:
            ins = r.get("instructions_per_stream")
            L.append("| %s | %.2f s | %.1f | %s | %s |" % (
                fmt_rate(r["streams"]), r["wall"], r["us_per_stream"],
                "%.0f" % ins if ins else "", mb(r["rss_kb"])))
        if S["openflood"]["rows"]:
            L += ["", "Command: `%s` (for each size)." %
                  S["openflood"]["rows"][-1]["command"]]
    if "report" in S:
        R = S["report"]
        L += ["", "## report and check on %s streams" % fmt_rate(R["streams"]),
              "", "Database: %s, %.0f MB, built by `%s` in %.1f s "
              "(%.2f us/event, %d events)." % (
                  R["db"], R["db_bytes"] / 1e6, R["build_command"],
                  R["build"]["wall"], R["build"]["us_per_event"],
                  R["events"]), "",
              "| command | wall | CPU | peak RSS | lines out |",
              "|---|---|---|---|---|"]
        for r in R["runs"]:
            L.append("| `%s` | %.2f s | %.2f s | %s | %d |" % (
                r["command"], r["wall"], r["user"] + r["sys"],
                mb(r["rss_kb"]), r["lines"]))
        if R.get("plans"):
            L += ["", "Query plans of every SELECT report and check prepare: "
                  "%s." % R["plans"]]
    if "attrib" in S:
        A = S["attrib"]
        L += ["", "## Attribution latency", ""]
        if "error" in A:
            L.append("failed: %s" % A["error"])
        else:
            L += ["%d processes with %d client sockets (and %d accepted "
                  "ones in a Tor-like process), %d listeners; %d client "
                  "sockets share their address:port with one to another "
                  "listener (left out: see docs/performance.md). `%s`" % (
                      A["processes"], A["client_sockets"],
                      A["accepted_sockets"], A["listeners"],
                      A["ambiguous_sockets"], A["command"]), "",
                  "| lookup of | n | median | p99 | max | by netlink | "
                  "wrong |", "|---|---|---|---|---|---|---|"]
            for k, what in (("new", "a client started just now"),
                            ("random", "any socket of any of the processes"),
                            ("same", "new sockets of one busy process"),
                            ("gone", "a client already gone")):
                v = A.get(k)
                if v:
                    L.append("| %s | %d | %.3f ms | %.3f ms | %.1f ms | %d "
                             "| %d |" % (what, v["lookups"], v["median_ms"],
                                         v["p99_ms"], v["max_ms"],
                                         v["netlink"], v["wrong"]))
    if "dashboard" in S:
        D = S["dashboard"]
        L += ["", "## Dashboard", ""]
        if "error" in D:
            L.append("not run: %s" % D["error"])
        else:
            L += ["| phase | events | seconds | repaints | per second | "
                  "most in one second | CPU |", "|---|---|---|---|---|---|---|"]
            for k in ("burst", "idle"):
                v = D.get(k, {})
                if "repaints" in v:
                    L.append("| %s | %d | %.1f | %d | %.1f | %d | %.0f%% |" % (
                        k, v["events"], v["seconds"], v["repaints"],
                        v["repaints_per_s"], v["max_per_second"],
                        v["cpu_percent"]))
            L += [""] + ["- %s: `%s`" % (k, D[k].get("command"))
                         for k in ("burst", "idle") if k in D]
    if "idle" in S:
        L += ["", "## Idle and trickle: disk writes, wakeups, CPU "
              "(bench/idle.py)", "",
              "| events/s | window | write_bytes | per event | per day | "
              "wchar | wakeups/s | CPU | syscalls/s (strace) | db, wal "
              "| streams stored / sent |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
        for v in S["idle"]["rows"]:
            if "error" in v:
                L.append("| %g | failed: %s |" % (v["rate"], v["error"]))
                continue
            sc = v.get("syscalls", {})
            L.append("| %g | %.0f s | %d | %s | %.1f MB | %d | %.2f | "
                     "%.3f%% | %s | %d, %d | %s / %s |" % (
                         v["rate"], v["seconds"], v["write_bytes"],
                         "%.0f B" % v["write_bytes_per_event"]
                         if v["write_bytes_per_event"] is not None else "-",
                         v["write_bytes_per_day"] / 1e6, v["wchar"],
                         v["wakeups_per_s"], v["cpu_pct"],
                         "%.1f" % (sum(sc.values()) / v["strace_seconds"])
                         if sc else "-", v["db_bytes"], v["wal_bytes"],
                         v.get("streams_stored"), v.get("streams_sent")))
        L += [""] + ["- %g/s: `%s`" % (v["rate"], v.get("command"))
                     for v in S["idle"]["rows"] if "command" in v]
    L += ["", "Total benchmark time: %.0f s." % (time.time() - started), ""]
    return "\n".join(L)


def build():
    os.makedirs(WORK, exist_ok=True)
    os.makedirs(ENV["XDG_CONFIG_HOME"], exist_ok=True)
    if not os.environ.get("BENCH_ISOAUDIT"):
        run(["make", "-s", "isoaudit"], check=True)
    # Attribution's objects (auditor/audit/attrib*.c) and the lib/ ones
    # they call.
    objs = ["build/release/%s.o" % n for n in
            sorted(os.path.basename(f)[:-2] for f in
                   glob.glob("auditor/audit/attrib*.c")) +
            ["ktable", "inaddr", "xmalloc", "hindex", "timeutil", "log",
             "buf"]]
    cflags = ["-std=c11", "-O2", "-g", "-Wall", "-Wextra", "-D_GNU_SOURCE"]
    if want("attrib"):
        run(["make", "-s"] + objs, check=True)
        run(["cc"] + cflags + ["-Iauditor/audit", "-Iauditor/lib",
                               "bench/attrib_lat.c"] + objs +
            ["-o", os.path.join(OUT, "attrib_lat")], check=True)
    run(["cc"] + cflags + ["bench/rusage.c", "-o",
                           os.path.join(OUT, "rusage")], check=True)
    run(["cc", "-shared", "-fPIC", "-O2", "-Wall", "-o",
         os.path.join(OUT, "qplan.so"), "bench/qplan.c", "-ldl"],
        check=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    build()
    results["machine"] = machine()
    for name, fn in (("peers", section_peers), ("instr", section_instr),
                     ("scale", section_scale),
                     ("openflood", section_openflood),
                     ("report", section_report),
                     ("attrib", section_attrib),
                     ("dashboard", section_dashboard),
                     ("idle", section_idle),
                     ("parse", section_parse)):
        if want(name) and (name != "parse" or name in ONLY):
            t0 = time.time()
            fn()
            log("%s done in %.0f s" % (name, time.time() - t0))
    text = table()
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(text)
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
