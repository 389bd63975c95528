#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""peer_stem_auditor.py: what a user would write instead of isoaudit, with
stem (Debian's python3-stem 1.8; run with /usr/bin/python3).

    peer_stem_auditor.py replay FILE DB
    peer_stem_auditor.py live PORT DB N

It parses every STREAM and CIRC event with stem, keeps streams, circuits
and attachments in sqlite (WAL, synchronous=NORMAL, one transaction per
4096 events: batched commits, as isoaudit does), names each stream's
application from its listener (the `# attrib` annotations of a transcript,
like isoaudit's replay; live, from SESSION_GROUP and the SOCKS username,
which is all a script can know without /proc) and spots sharing: two
applications on one exit circuit (or one conflux set) is a finding, kept
once per circuit and pair with a count.

replay reads the transcript; live connects to 127.0.0.1:PORT with
stem.control.Controller (SAFECOOKIE from the cookie file PROTOCOLINFO
names), listens for STREAM and CIRC events and stops after N.  Prints one
JSON line: events, seconds, streams, circuits, findings.
"""
import json
import os
import re
import sqlite3
import sys
import threading
import time

import stem.response
import stem.response.events  # noqa: F401

BATCH = 4096
# The built-in Whonix-Gateway map isoaudit uses, as a user would copy it.
PORT_APPS = {9050: "default", 9100: "legacy/Tor Browser", 9101: "IRC",
             9102: "mail", 9103: "instant messenger", 9104: "apt-get",
             9105: "gpg", 9106: "ssh", 9107: "git", 9108: "sdwdate",
             9109: "wget", 9110: "systemcheck", 9111: "bitcoin",
             9112: "privoxy", 9113: "privoxy", 9114: "news",
             9115: "Tor Browser download", 9117: "curl", 9118: "RSS",
             9122: "KDE-wide proxy", 9123: "GNOME-wide proxy",
             9124: "aptitude", 9125: "yum", 9150: "Tor Browser"}
ATTRIB = re.compile(r'(\w+)=(?:"((?:[^"\\]|\\.)*)"|(\S*))')

SCHEMA = """
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS circuit (circ_id INTEGER PRIMARY KEY, status TEXT,
  purpose TEXT, path TEXT, exit_fp TEXT, conflux_id TEXT, created TEXT,
  built REAL, closed REAL, reason TEXT);
CREATE TABLE IF NOT EXISTS stream (stream_id INTEGER PRIMARY KEY,
  circ_id INTEGER, status TEXT, target TEXT, source_addr TEXT, app TEXT,
  listener TEXT, pid INTEGER, process TEXT, opened REAL, closed REAL,
  reason TEXT);
CREATE TABLE IF NOT EXISTS attach (stream_id INTEGER, circ_id INTEGER,
  at REAL, PRIMARY KEY (stream_id, circ_id));
CREATE TABLE IF NOT EXISTS finding (id INTEGER PRIMARY KEY, circ_id INTEGER,
  app_a TEXT, app_b TEXT, count INTEGER, first REAL, last REAL,
  UNIQUE (circ_id, app_a, app_b));
"""


class Auditor:
    def __init__(self, db):
        self.db = sqlite3.connect(db, isolation_level=None,
                                  check_same_thread=False)
        self.db.executescript(SCHEMA)
        self.db.execute("BEGIN")
        self.pending = 0
        self.events = 0
        self.circs = {}      # open circuits: id -> exit key
        self.users = {}      # exit key -> set of applications
        self.streams = {}    # open streams: id -> (app, circ)
        self.hint = None     # the transcript's attribution for the next NEW
        self.findings = 0
        self.nstreams = 0
        self.ncircs = 0

    def commit(self):
        self.db.execute("COMMIT")
        self.db.execute("BEGIN")
        self.pending = 0

    def row(self):
        self.pending += 1
        if self.pending >= BATCH:
            self.commit()

    def app_of(self, ev, ts):
        h = self.hint
        self.hint = None
        if h is not None and h.get("stream") == ev.id:
            listener = h.get("listener", "")
            port = int(listener.rsplit(":", 1)[1]) if ":" in listener else 0
            label = PORT_APPS.get(port, "port %d" % port if port else
                                  "group %s" % ev.keyword_args.get("SESSION_GROUP"))
            host = h.get("host") or "unknown"
            pid = int(h.get("pid") or 0)
            proc = h.get("process", "")
        else:
            listener = None
            label = "group %s" % ev.keyword_args.get("SESSION_GROUP")
            host, pid, proc = "unknown", 0, ""
        app = "%s@%s" % (label, host)
        user = ev.keyword_args.get("SOCKS_USERNAME")
        if user is not None and label == "Tor Browser":
            app += "/" + user
        return app, listener, pid, proc

    def on_circ(self, ev, ts):
        cid = int(ev.id)
        path = ",".join("$%s~%s" % (f, n) for f, n in ev.path)
        exit_fp = ev.path[-1][0] if ev.path else None
        conflux = ev.keyword_args.get("CONFLUX_ID")
        closed = ev.status in ("CLOSED", "FAILED")
        if cid not in self.circs:
            self.ncircs += 1
        self.db.execute(
            "INSERT INTO circuit(circ_id, status, purpose, path, exit_fp, "
            "conflux_id, created, built, closed, reason) VALUES "
            "(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(circ_id) DO UPDATE SET "
            "status=excluded.status, purpose=excluded.purpose, "
            "path=coalesce(excluded.path, path), exit_fp=coalesce("
            "excluded.exit_fp, exit_fp), conflux_id=coalesce("
            "excluded.conflux_id, conflux_id), built=coalesce("
            "excluded.built, built), closed=excluded.closed, "
            "reason=excluded.reason",
            (cid, ev.status, ev.purpose, path or None, exit_fp, conflux,
             ev.keyword_args.get("TIME_CREATED"),
             ts if ev.status == "BUILT" else None, ts if closed else None,
             ev.reason))
        self.row()
        if closed:
            key = self.circs.pop(cid, None)
            if key is not None and key == cid:
                self.users.pop(key, None)
        else:
            self.circs[cid] = ("cfx", conflux) if conflux else cid

    def on_stream(self, ev, ts):
        sid = int(ev.id)
        circ = int(ev.circ_id) if ev.circ_id else 0
        s = self.streams.get(sid)
        if s is None:
            app, listener, pid, proc = self.app_of(ev, ts)
            s = self.streams[sid] = [app, 0]
            self.nstreams += 1
            self.db.execute(
                "INSERT OR REPLACE INTO stream(stream_id, circ_id, status, "
                "target, source_addr, app, listener, pid, process, opened) "
                "VALUES (?,?,?,?,?,?,?,?,?,?)",
                (sid, circ, ev.status, ev.target, ev.source_addr, app,
                 listener, pid, proc, ts))
        else:
            closed = ev.status in ("CLOSED", "FAILED")
            self.db.execute(
                "UPDATE stream SET circ_id=?, status=?, target=?, "
                "closed=?, reason=coalesce(?, reason) WHERE stream_id=?",
                (circ, ev.status, ev.target, ts if closed else None,
                 ev.reason, sid))
        self.row()
        if circ and circ != s[1]:
            s[1] = circ
            self.db.execute("INSERT OR IGNORE INTO attach VALUES (?,?,?)",
                            (sid, circ, ts))
            self.row()
            key = self.circs.get(circ, circ)
            apps = self.users.setdefault(key, set())
            for other in apps:
                if other != s[0]:
                    a, b = sorted((other, s[0]))
                    cur = self.db.execute(
                        "INSERT INTO finding(circ_id, app_a, app_b, count, "
                        "first, last) VALUES (?,?,?,1,?,?) ON CONFLICT DO "
                        "UPDATE SET count=count+1, last=excluded.last",
                        (circ, a, b, ts, ts))
                    if cur.rowcount:
                        self.findings += 1
                    self.row()
            apps.add(s[0])
        if ev.status in ("CLOSED",):
            del self.streams[sid]

    def on_event(self, ev, ts):
        self.events += 1
        if ev.type == "STREAM":
            self.on_stream(ev, ts)
        elif ev.type == "CIRC":
            self.on_circ(ev, ts)

    def close(self):
        self.db.execute("COMMIT")
        n = self.db.execute("SELECT count(*) FROM finding").fetchone()[0]
        self.db.close()
        return n


def parse_hint(text):
    h = {}
    for k, q, v in ATTRIB.findall(text):
        h[k] = q if q or v == "" else v
    if "stream" in h:
        h["stream"] = h["stream"]
    return h


def replay(path, db):
    a = Auditor(db)
    t0 = time.perf_counter()
    held = None     # an event waits for the annotation written after it
    with open(path, "rb") as f:
        for raw in f:
            i = raw.find(b" ", 0, 24)
            if i < 0:
                continue
            d = raw[i + 1:i + 2]
            if d == b"#" and raw.startswith(b"attrib ", i + 3):
                a.hint = parse_hint(raw[i + 10:].decode("utf-8", "replace"))
            if held is not None:
                a.on_event(*held)
                held = None
            if d != b"<" or not raw.startswith(b"650", i + 3):
                continue
            ts = float(raw[:i])
            msg = stem.response.ControlMessage.from_str(
                raw[i + 3:].rstrip(b"\r\n").decode("utf-8", "replace") +
                "\r\n")
            stem.response.convert("EVENT", msg)
            held = (msg, ts)
    if held is not None:
        a.on_event(*held)
    n = a.close()
    return a, time.perf_counter() - t0, n


def live(port, db, want):
    from stem.control import Controller, EventType
    a = Auditor(db)
    done = threading.Event()
    lock = threading.Lock()

    def handler(ev):
        with lock:
            a.on_event(ev, ev.arrived_at)
            if a.events >= want:
                done.set()

    t0 = time.perf_counter()
    c = Controller.from_port(address="127.0.0.1", port=port)
    c.authenticate()
    # SIGNAL too: NEWNYM matters to an auditor (and N counts every event).
    c.add_event_listener(handler, EventType.STREAM, EventType.CIRC,
                         EventType.SIGNAL)
    done.wait()
    with lock:
        n = a.close()
    dt = time.perf_counter() - t0
    try:
        c.close()
    except Exception:
        pass
    return a, dt, n


def main():
    mode = sys.argv[1]
    if mode == "replay":
        a, dt, n = replay(sys.argv[2], sys.argv[3])
        size = os.path.getsize(sys.argv[2])
    else:
        a, dt, n = live(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))
        size = None
    json.dump({"peer": "stem-auditor-" + mode, "events": a.events,
               "bytes": size, "seconds": dt, "streams": a.nstreams,
               "circuits": a.ncircs, "findings": n,
               "events_per_s": a.events / dt if dt > 0 else 0}, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    os._exit(0)     # stem's threads may linger on a closed socket


if __name__ == "__main__":
    main()
