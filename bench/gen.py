#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""gen.py: realistic Tor control-port traffic for the benchmark, at any size.

    gen.py --events N OUT [--seed S] [--streams M]

writes OUT, a transcript (SPEC.md "Transcript": `<secs.usecs> <dir> <line>`)
of one Tor session as `isoaudit monitor --record` would have written it:
PROTOCOLINFO/SAFECOOKIE, SETEVENTS, the GETINFO/GETCONF replies (circuits
and listeners of a Whonix-Gateway-like client), then N `650` events, with
an `# attrib ...` annotation after every NEW/NEWRESOLVE (what the live run
resolved: listener, host, uid, socket inode, pid, process) so that a
replay attributes and judges like a live run.  Also:

    OUT.events     the same 650 lines as Tor sends them (CRLF, no times, no
                   annotations): what the fake control port sends
    OUT.init.json  the GETINFO and GETCONF replies, for the fake port
    OUT.meta.json  counts: events, streams, circuits, bytes, ...

The shape follows ../shared/samples (a real Tor 0.4.9.11): conflux sets of
two legs (LAUNCHED, three EXTENDED, BUILT, later CLOSED) sharing an exit,
general and vanguard circuits, build timeouts; streams NEW -> SENTCONNECT
-> REMAP -> SUCCEEDED -> CLOSED (some DETACHED and re-attached, some
FAILED), DNS lookups on the DNSPort, TransPort traffic, Tor's own directory
fetches; ~28 applications on their own SocksPorts (Tor Browser with a
SOCKS username per first-party site, long-lived mail/IRC/wallet clients,
short-lived apt/curl/git processes with fresh pids), 30% from a
workstation (remote: no process), several programs on the shared port
9050, two ports joined by SessionGroup=42 (so Tor puts both applications
on one circuit: the sharing isoaudit exists to find), a rare controller
attaching a stream to another application's circuit, NEWNYM now and then.
Circuits follow Tor's isolation rule per stream (so only the planted
sharing is sharing) and retire after 10 minutes of dirtiness, so open state
stays bounded however long the run.  Deterministic for a seed.
"""
import argparse
import hashlib
import json
import os
import random
import sys
import time

ISO_ORDER = ["DESTPORT", "DESTADDR", "SOCKS_USERNAME", "SOCKS_PASSWORD",
             "CLIENT_PROTOCOL", "CLIENTADDR", "SESSION_GROUP", "NYM_EPOCH"]
GW = "127.0.0.1"              # the Tor host itself
WS_LISTEN = "10.152.152.10"   # the gateway's address towards the workstation
WS_HOST = "10.152.152.11"     # the workstation (remote client: no process)

# (port, listener address, weight, process names, model, flags, protocol)
#   model: "long" one process for the whole run; "short" a new process every
#   few streams; "many" several programs at once (a shared port).
#   flags: "" default isolation, "destaddr", "destport", "both", "group42",
#   "shared" (no SOCKS auth isolation), "trans", "dns".
APPS = [
    (9150, WS_LISTEN, 30, ["firefox.real"], "long", "", "SOCKS5"),
    (9150, GW, 6, ["firefox.real"], "long", "", "SOCKS5"),
    (9115, WS_LISTEN, 1, ["firefox.real"], "long", "", "SOCKS5"),
    (9100, GW, 2, ["python3"], "short", "", "SOCKS5"),
    (9101, GW, 3, ["hexchat"], "long", "", "SOCKS5"),
    (9102, GW, 5, ["thunderbird"], "long", "", "SOCKS5"),
    (9103, GW, 3, ["pidgin"], "long", "", "SOCKS5"),
    (9104, GW, 6, ["http", "apt-get"], "short", "", "SOCKS5"),
    (9104, WS_LISTEN, 4, ["http"], "short", "", "SOCKS5"),
    (9105, GW, 1, ["dirmngr"], "long", "", "SOCKS5"),
    (9106, GW, 2, ["ssh"], "short", "", "SOCKS5"),
    (9107, GW, 3, ["git-remote-http"], "short", "", "SOCKS5"),
    (9108, GW, 2, ["sdwdate"], "long", "", "SOCKS5"),
    (9109, GW, 2, ["wget"], "short", "", "SOCKS5"),
    (9110, GW, 1, ["curl"], "short", "", "SOCKS5"),
    (9111, GW, 4, ["bitcoind"], "long", "", "SOCKS5"),
    (9114, WS_LISTEN, 1, ["tin"], "short", "", "SOCKS5"),
    (9117, GW, 4, ["curl"], "short", "", "SOCKS4"),
    (9118, GW, 2, ["liferea"], "long", "", "SOCKS5"),
    (9050, GW, 6, ["python3", "curl", "ruby", "wget", "node"], "many",
     "shared", "SOCKS5"),
    (9122, GW, 3, ["kio_http", "plasmashell"], "many", "", "SOCKS5"),
    (9152, GW, 3, ["electrum"], "long", "group42", "SOCKS5"),
    (9153, GW, 3, ["monero-wallet-g"], "long", "group42", "SOCKS5"),
    (9160, GW, 2, ["torbirdy"], "long", "destaddr", "SOCKS5"),
    (9170, GW, 1, ["mosh"], "short", "destport", "SOCKS5"),
    (9180, GW, 1, ["custom"], "short", "both", "SOCKS5"),
    (9040, WS_LISTEN, 2, [], "remote", "trans", "TRANS"),
    (5300, GW, 3, ["systemd-resolve"], "long", "dns", "DNS"),
]

SITES = ["site%03d.example" % i for i in range(150)]
HOSTS = (["www.%s" % s for s in SITES[:60]] +
         ["deb%d.debian.example" % i for i in range(8)] +
         ["irc%d.oftc.example" % i for i in range(3)] +
         ["imap%d.mail.example" % i for i in range(4)] +
         ["seed%02d.bitcoin.example" % i for i in range(40)] +
         ["feeds%d.example" % i for i in range(20)] +
         ["%s.onion" % hashlib.sha1(b"o%d" % i).hexdigest()[:56]
          for i in range(10)])
PORTS = [443] * 8 + [80, 80, 8333, 6697, 993, 22]

N_EXITS, N_MIDDLES = 1000, 2500
DIRTINESS_US = 600 * 1000000    # MaxCircuitDirtiness
NEWNYM_EVERY_US = 1800 * 1000000


def fp(kind, i):
    return hashlib.sha1(b"%s%d" % (kind.encode(), i)).hexdigest().upper()


class Gen:
    def __init__(self, events, out, seed, streams_limit):
        self.r = random.Random(seed)
        self.n_events = events
        self.streams_limit = streams_limit
        self.out_path = out
        self.t = 1795555356000000          # us; a date like the samples'
        self.lines = []                    # transcript lines
        self.raw = []                      # bare 650 lines
        self.nraw_bytes = 0
        self.tf = open(out, "w", newline="\n")
        self.rf = open(out + ".events", "wb")
        self.events = 0
        self.stream_id = 30
        self.circ_id = 20
        self.inode = 2000000
        self.pid = 20000
        self.ports = {GW: 40000, WS_HOST: 40000}
        self.epoch = 0
        self.next_newnym = NEWNYM_EVERY_US
        self.count = {"streams": 0, "circuits": 0, "stream_events": 0,
                      "circ_events": 0, "signal_events": 0, "annotations": 0,
                      "shared_streams": 0, "controller_attach": 0,
                      "detached": 0, "failed": 0, "dir_fetch": 0}
        self.exits = [(fp("exit", i), "exit%d" % i) for i in range(N_EXITS)]
        self.middles = [(fp("mid", i), "relay%d" % i)
                        for i in range(N_MIDDLES)]
        self.guards = [(fp("guard", i), "guard%d" % i) for i in range(2)]
        self.listeners()
        self.circs = {}        # id -> circuit dict (open ones)
        self.sets = {}         # isolation key -> current conflux set
        self.retiring = []     # sets to close once their streams are done
        self.flight = []       # open streams
        self.apps_w = [a[2] for a in APPS]
        self.longpid = {}
        self.shortpid = {}
        self.pending = []      # circuit events queued (building legs)

    # --- listeners, session groups, ISO_FIELDS -------------------------------
    def listeners(self):
        group = -4
        self.app = []
        seen = {}
        for (port, addr, w, procs, model, flags, proto) in APPS:
            key = (addr, port)
            if key not in seen:
                if flags == "group42":
                    seen[key] = 42
                else:
                    seen[key] = group
                    group -= 1
            g = seen[key]
            iso = {"SOCKS_USERNAME", "SOCKS_PASSWORD", "CLIENTADDR",
                   "SESSION_GROUP", "NYM_EPOCH"}
            if flags in ("group42", "shared"):
                iso -= {"SOCKS_USERNAME", "SOCKS_PASSWORD"}
            if flags in ("destaddr", "both"):
                iso.add("DESTADDR")
            if flags in ("destport", "both"):
                iso.add("DESTPORT")
            isos = ",".join(k for k in ISO_ORDER if k in iso)
            client = WS_HOST if addr == WS_LISTEN else GW
            self.app.append({"port": port, "addr": addr, "procs": procs,
                             "model": model, "flags": flags, "proto": proto,
                             "group": g, "iso": iso, "isos": isos,
                             "client": client,
                             "listener": "%s:%d" % (addr, port)})
        self.socks = sorted({a["listener"] for a in self.app
                             if a["flags"] not in ("trans", "dns")})

    # --- output --------------------------------------------------------------
    def tick(self):
        self.t += int(self.r.expovariate(1.0 / 5000)) + 1
        return self.t

    def stamp(self):
        return "%d.%06d" % divmod(self.t, 1000000)

    def put(self, d, text):
        self.lines.append("%d.%06d %s %s\n" % (self.t // 1000000,
                                               self.t % 1000000, d, text))
        if len(self.lines) >= 8192:
            self.flush()

    def event(self, text):
        self.tick()
        self.events += 1
        self.lines.append("%d.%06d < 650 %s\n" % (self.t // 1000000,
                                                  self.t % 1000000, text))
        self.raw.append("650 %s\r\n" % text)
        if len(self.lines) >= 8192:
            self.flush()

    def flush(self):
        self.tf.write("".join(self.lines))
        b = "".join(self.raw).encode()
        self.nraw_bytes += len(b)
        self.rf.write(b)
        self.lines = []
        self.raw = []

    # --- circuits ------------------------------------------------------------
    def created(self, t):
        s, us = divmod(t, 1000000)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + \
            ".%06d" % us

    @staticmethod
    def path_str(path):
        return ",".join("$%s~%s" % h for h in path)

    def new_circ(self, purpose, exit_hop, conflux=None, hops=3):
        self.circ_id += 1
        self.count["circuits"] += 1
        path = [self.r.choice(self.guards)]
        while len(path) < hops - 1:
            path.append(self.r.choice(self.middles))
        if hops > 1:
            path.append(exit_hop)
        c = {"id": self.circ_id, "purpose": purpose, "path": path,
             "created": self.created(self.t), "conflux": conflux,
             "flags": "NEED_CAPACITY,NEED_UPTIME" if purpose != "HS_VANGUARDS"
             else "IS_INTERNAL,NEED_CAPACITY,NEED_UPTIME",
             "streams": 0, "built": False}
        self.circs[c["id"]] = c
        return c

    def circ_tail(self, c, purpose=None):
        t = "BUILD_FLAGS=%s PURPOSE=%s TIME_CREATED=%s" % (
            c["flags"], purpose or c["purpose"], c["created"])
        if c["conflux"]:
            t += " CONFLUX_ID=%s" % c["conflux"]
        return t

    def circ_event(self, c, status, npath=None, extra=""):
        self.count["circ_events"] += 1
        p = c["path"] if npath is None else c["path"][:npath]
        ps = (self.path_str(p) + " ") if p else ""
        self.event("CIRC %d %s %s%s%s" % (c["id"], status, ps,
                                          self.circ_tail(c), extra))

    def build(self, c, fail=False):
        """Queues the build of a circuit: LAUNCHED, EXTENDED..., BUILT."""
        q = [(c, "LAUNCHED", 0)]
        for h in range(1, len(c["path"]) + 1):
            if fail and h == len(c["path"]):
                q.append((c, "FAILED", h - 1))
                break
            q.append((c, "EXTENDED", h))
        if not fail:
            q.append((c, "BUILT", len(c["path"])))
        return q

    def close(self, c, reason="FINISHED"):
        purpose = "CONFLUX_LINKED" if c["conflux"] else c["purpose"]
        self.count["circ_events"] += 1
        self.event("CIRC %d CLOSED %s %s REASON=%s" % (
            c["id"], self.path_str(c["path"]), self.circ_tail(c, purpose),
            reason))
        del self.circs[c["id"]]

    def new_set(self):
        """A conflux set: two legs to one exit, built now (all events)."""
        ex = self.r.choice(self.exits)
        cid = hashlib.md5(b"%d" % self.circ_id).hexdigest().upper()
        legs = [self.new_circ("CONFLUX_UNLINKED", ex, cid) for _ in (0, 1)]
        q = self.build(legs[0]) + self.build(legs[1])
        # Tor launches both legs at once: interleave their steps.
        a, b = q[:len(q) // 2], q[len(q) // 2:]
        for x, y in zip(a, b):
            for (c, st, n) in (x, y):
                self.circ_event(c, st, n)
        for c in legs:
            c["built"] = True
        s = {"legs": legs, "born": self.t, "dirty": None, "streams": 0,
             "open": 0}
        return s

    def background_circuit(self):
        """Preemptive general or vanguard circuits; some time out."""
        kind = self.r.random()
        if kind < 0.5:
            c = self.new_circ("GENERAL", self.r.choice(self.exits))
        elif kind < 0.8:
            c = self.new_circ("HS_VANGUARDS", self.r.choice(self.middles))
        else:
            c = self.new_circ("GENERAL", self.r.choice(self.exits))
            for (cc, st, n) in self.build(c, fail=True):
                if st == "FAILED":
                    self.count["circ_events"] += 1
                    self.event("CIRC %d FAILED %s %s REASON=TIMEOUT" % (
                        c["id"], self.path_str(c["path"][:n]),
                        self.circ_tail(c)))
                    self.count["circ_events"] += 1
                    self.event("CIRC %d CLOSED %s %s REASON=TIMEOUT" % (
                        c["id"], self.path_str(c["path"][:n]),
                        self.circ_tail(c)))
                    del self.circs[c["id"]]
                else:
                    self.circ_event(cc, st, n)
            return
        for (cc, st, n) in self.build(c):
            self.circ_event(cc, st, n)
        self.bg.append(c)
        if len(self.bg) > 400:      # Tor keeps a bounded number ready
            self.close(self.bg.pop(0))

    # --- isolation -----------------------------------------------------------
    def iso_key(self, a, s):
        k = [s["group"], self.epoch]
        iso = a["iso"]
        if "SOCKS_USERNAME" in iso:
            k.append(s["user"])
        if "SOCKS_PASSWORD" in iso:
            k.append(s["pass"])
        if "DESTADDR" in iso:
            k.append(s["host"])
        if "DESTPORT" in iso:
            k.append(s["tport"])
        if "CLIENTADDR" in iso:
            k.append(a["client"])
        return tuple(k)

    def set_for(self, key):
        s = self.sets.get(key)
        if s is not None and s["dirty"] is not None and \
                self.t - s["dirty"] > DIRTINESS_US:
            self.retire(key)
            s = None
        if s is None:
            s = self.new_set()
            self.sets[key] = s
        if s["dirty"] is None:
            s["dirty"] = self.t
        return s

    def retire(self, key):
        s = self.sets.pop(key)
        self.retiring.append(s)

    def reap(self):
        keep = []
        for s in self.retiring:
            if s["open"] == 0:
                for c in s["legs"]:
                    if c["id"] in self.circs:
                        self.close(c)
            else:
                keep.append(s)
        self.retiring = keep

    # --- processes -----------------------------------------------------------
    def process(self, a):
        if a["model"] == "remote" or a["client"] == WS_HOST:
            return 0, "", -1
        uid = 0 if a["port"] in (9104, 9108) and a["client"] == GW else 1000
        name = self.r.choice(a["procs"])
        if a["model"] == "long":
            k = (a["port"], a["addr"])
            if k not in self.longpid:
                self.longpid[k] = 1000 + 37 * len(self.longpid)
            return self.longpid[k], name, uid
        k = (a["port"], a["addr"], name if a["model"] == "many" else "")
        p = self.shortpid.get(k)
        if p is None or self.r.random() < 0.3:
            self.pid += self.r.randint(1, 40)
            p = self.pid
            self.shortpid[k] = p
        return p, name, uid

    # --- streams -------------------------------------------------------------
    def start_stream(self):
        a = self.r.choices(self.app, self.apps_w)[0]
        self.stream_id += 1
        self.count["streams"] += 1
        sid = self.stream_id
        host = self.r.choice(HOSTS)
        tport = self.r.choice(PORTS)
        user = pw = None
        if a["port"] in (9150, 9115):
            site = self.r.choice(SITES[:12] if self.r.random() < 0.9
                                 else SITES[:60])
            user, pw = site, "0"
            host = "www." + site if self.r.random() < 0.5 else \
                "cdn%d.%s" % (self.r.randint(0, 3), site)
            tport = 443
        elif a["port"] == 9104:
            host, tport = "deb%d.debian.example" % self.r.randint(0, 7), 80
        elif a["flags"] in ("destaddr", "both"):
            host = "imap%d.mail.example" % self.r.randint(0, 3)
        pid, pname, uid = self.process(a)
        ph = self.ports
        client = a["client"] if a["model"] != "remote" else WS_HOST
        ph[client] = 32768 + (ph[client] - 32768 + self.r.randint(1, 7)) % 28000
        src = "%s:%d" % (client, ph[client])
        s = {"id": sid, "a": a, "host": host, "tport": tport, "user": user,
             "pass": pw, "group": a["group"], "epoch": self.epoch,
             "src": src, "state": 0, "circ": 0, "pid": pid,
             "proc": pname, "uid": uid, "long": False}
        if a["model"] == "long" and a["port"] in (9101, 9111, 9103) and \
                self.r.random() < 0.5:
            s["long"] = True          # stays open a long while
        s["tail"] = self.stream_tail(s)
        dns = a["flags"] == "dns"
        target = "%s:%d" % (host, 0 if dns else tport)
        s["target"] = target
        extra = ""
        if user is not None:
            extra = ' SOCKS_USERNAME="%s" SOCKS_PASSWORD="%s"' % (user, pw)
        purpose = "DNS_REQUEST" if dns else "USER"
        self.count["stream_events"] += 1
        self.event("STREAM %d %s 0 %s SOURCE_ADDR=%s PURPOSE=%s%s %s" % (
            sid, "NEWRESOLVE" if dns else "NEW", target, src, purpose, extra,
            s["tail"]))
        self.annotate(s)
        self.flight.append(s)

    def stream_tail(self, s):
        a = s["a"]
        return "CLIENT_PROTOCOL=%s NYM_EPOCH=%d SESSION_GROUP=%d ISO_FIELDS=%s" \
            % (a["proto"], s["epoch"], s["group"], a["isos"])

    def annotate(self, s):
        a = s["a"]
        self.count["annotations"] += 1
        if a["flags"] == "dns":
            # UDP: nothing to look up; the pipeline names the DNSPort.
            self.put("#", 'attrib stream=%d listener="" host="localhost" '
                     'uid=-1 inode=0 pid=0 process="" why="no socket for '
                     '%s here (closed already, or Tor is on another host)"'
                     % (s["id"], s["src"]))
            return
        host = "localhost" if a["client"] == GW else WS_HOST
        if s["pid"]:
            self.inode += self.r.randint(1, 9)
            ino = self.inode
        else:
            ino = 0
        self.put("#", 'attrib stream=%d listener="%s" host="%s" uid=%d '
                 'inode=%d pid=%d process="%s" why=""' % (
                     s["id"], a["listener"], host, s["uid"], ino, s["pid"],
                     s["proc"]))

    def dir_fetch(self):
        """Tor's own directory fetch on a one-hop circuit."""
        self.stream_id += 1
        self.count["streams"] += 1
        self.count["dir_fetch"] += 1
        g = self.guards[0]
        c = self.dir_circ
        tgt = "%s.$%s.exit:443" % ("198.51.100.%d" % (int(g[0][:8], 16) % 250 + 1),
                                   g[0])
        tail = "CLIENT_PROTOCOL=UNKNOWN NYM_EPOCH=0 SESSION_GROUP=-2 " \
            "ISO_FIELDS=SESSION_GROUP"
        sid = self.stream_id
        self.count["stream_events"] += 5
        self.event("STREAM %d NEW 0 %s PURPOSE=DIR_FETCH %s" % (sid, tgt, tail))
        self.put("#", 'attrib stream=%d listener="" host="unknown" uid=-1 '
                 'inode=0 pid=0 process="" why="no SOURCE_ADDR"' % sid)
        self.count["annotations"] += 1
        self.event("STREAM %d SENTCONNECT %d %s %s" % (sid, c["id"], tgt, tail))
        self.event("STREAM %d REMAP %d %s SOURCE=EXIT %s" % (sid, c["id"], tgt,
                                                             tail))
        self.event("STREAM %d SUCCEEDED %d %s %s" % (sid, c["id"], tgt, tail))
        self.event("STREAM %d CLOSED %d %s REASON=END REMOTE_REASON=DONE %s" %
                   (sid, c["id"], tgt, tail))

    def advance(self, s):
        """The next step of one stream's life."""
        a = s["a"]
        st = s["state"]
        sid = s["id"]
        self.count["stream_events"] += 1
        if st == 0:
            # Attach: the circuit Tor's isolation picks (or, rarely, a
            # controller's choice: another application's circuit).
            key = self.iso_key(a, s)
            cs = self.set_for(key)
            cs["open"] += 1
            s["set"] = cs
            c = self.r.choice(cs["legs"])
            if len(self.sets) > 1 and self.r.random() < 0.0005:
                other = self.r.choice(list(self.sets.values()))
                if other is not cs:
                    c = self.r.choice(other["legs"])
                    self.count["controller_attach"] += 1
            if a["flags"] == "group42":
                self.count["shared_streams"] += 1
            s["circ"] = c["id"]
            verb = "SENTRESOLVE" if a["flags"] == "dns" else "SENTCONNECT"
            self.event("STREAM %d %s %d %s %s" % (sid, verb, c["id"],
                                                   s["target"], s["tail"]))
            s["state"] = 1
        elif st == 1:
            x = self.r.random()
            if x < 0.01 and not s.get("detached"):
                # Timed out on that circuit: detached, re-attached.
                self.count["detached"] += 1
                s["detached"] = True
                self.event("STREAM %d DETACHED %d %s REASON=TIMEOUT %s" % (
                    sid, s["circ"], s["target"], s["tail"]))
                legs = s["set"]["legs"]
                c = legs[0] if legs[0]["id"] != s["circ"] else legs[1]
                s["circ"] = c["id"]
                self.count["stream_events"] += 1
                self.event("STREAM %d SENTCONNECT %d %s %s" % (
                    sid, c["id"], s["target"], s["tail"]))
            elif x < 0.03:
                self.count["failed"] += 1
                self.event("STREAM %d FAILED %d %s REASON=%s %s" % (
                    sid, s["circ"], s["target"],
                    self.r.choice(["RESOLVEFAILED", "CONNECTREFUSED",
                                   "TIMEOUT"]), s["tail"]))
                s["state"] = 3
            elif a["flags"] == "dns":
                s["state"] = 2
                ip = "192.0.2.%d" % self.r.randint(1, 254)
                s["target"] = "%s:0" % ip
                self.event("STREAM %d SUCCEEDED %d %s %s" % (
                    sid, s["circ"], s["target"], s["tail"]))
            else:
                ip = "%d.%d.%d.%d" % (self.r.randint(11, 223),
                                      self.r.randint(0, 255),
                                      self.r.randint(0, 255),
                                      self.r.randint(1, 254))
                s["target"] = "%s:%d" % (ip, s["tport"])
                self.event("STREAM %d REMAP %d %s SOURCE=EXIT %s" % (
                    sid, s["circ"], s["target"], s["tail"]))
                s["state"] = 11
        elif st == 11:
            self.event("STREAM %d SUCCEEDED %d %s %s" % (
                sid, s["circ"], s["target"], s["tail"]))
            s["state"] = 2
        elif st == 2:
            if s["long"] and self.r.random() < 0.995:
                self.count["stream_events"] -= 1
                return False
            reason = self.r.choice(["REASON=DONE",
                                    "REASON=END REMOTE_REASON=DONE",
                                    "REASON=END REMOTE_REASON=DONE",
                                    "REASON=MISC"])
            self.event("STREAM %d CLOSED %d %s %s %s" % (
                sid, s["circ"], s["target"], reason, s["tail"]))
            s["set"]["open"] -= 1
            return True
        elif st == 3:
            self.event("STREAM %d CLOSED %d %s REASON=%s %s" % (
                sid, s["circ"], s["target"], "END", s["tail"]))
            s["set"]["open"] -= 1
            return True
        return False

    # --- the session ---------------------------------------------------------
    def header(self):
        t0 = self.t
        self.put(">", "PROTOCOLINFO 1")
        for l in ["250-PROTOCOLINFO 1",
                  '250-AUTH METHODS=COOKIE,SAFECOOKIE COOKIEFILE='
                  '"/run/tor/control.authcookie"',
                  '250-VERSION Tor="0.4.9.11"', "250 OK"]:
            self.put("<", l)
        r = random.Random(1)
        self.put(">", "AUTHCHALLENGE SAFECOOKIE " +
                 "%064X" % r.getrandbits(256))
        self.put("<", "250 AUTHCHALLENGE SERVERHASH=%064X SERVERNONCE=%064X"
                 % (r.getrandbits(256), r.getrandbits(256)))
        self.put(">", "AUTHENTICATE [redacted]")
        self.put("<", "250 OK")
        self.put("#", "session 1 start unix:/run/tor/control SAFECOOKIE")
        self.put(">", "SETEVENTS STREAM CIRC SIGNAL CONF_CHANGED")
        self.put(">", "GETINFO version process/pid status/bootstrap-phase "
                 "circuit-status stream-status net/listeners/socks "
                 "net/listeners/trans net/listeners/dns "
                 "net/listeners/httptunnel")
        self.put(">", "GETCONF SocksPort TransPort DNSPort HTTPTunnelPort")
        self.put("<", "250 OK")
        # Circuits open at attach: the one-hop directory circuit, vanguards.
        init = []
        self.dir_circ = self.new_circ("GENERAL", None, hops=1)
        self.dir_circ["flags"] = "ONEHOP_TUNNEL,IS_INTERNAL,NEED_CAPACITY"
        self.bg = []
        for _ in range(3):
            self.bg.append(self.new_circ("HS_VANGUARDS",
                                         self.r.choice(self.middles)))
        for c in [self.dir_circ] + self.bg:
            c["built"] = True
            init.append("%d BUILT %s %s" % (c["id"], self.path_str(c["path"]),
                                             self.circ_tail(c)))
        getinfo = ["250-version=0.4.9.11", "250-process/pid=812",
                   '250-status/bootstrap-phase=NOTICE BOOTSTRAP PROGRESS=100 '
                   'TAG=done SUMMARY="Done"', "250+circuit-status="]
        getinfo += init + [".", "250-stream-status="]
        getinfo.append("250-net/listeners/socks=" +
                       " ".join('"%s"' % l for l in self.socks))
        getinfo.append('250-net/listeners/trans="%s:9040"' % WS_LISTEN)
        getinfo.append('250-net/listeners/dns="%s:5300"' % GW)
        getinfo.append("250-net/listeners/httptunnel=")
        getinfo.append("250 OK")
        getconf = []
        for l in self.socks:
            a = [x for x in self.app if x["listener"] == l][0]
            flags = {"": "", "destaddr": " IsolateDestAddr",
                     "destport": " IsolateDestPort",
                     "both": " IsolateDestAddr IsolateDestPort",
                     "group42": " NoIsolateSOCKSAuth SessionGroup=42",
                     "shared": " NoIsolateSOCKSAuth"}[a["flags"]]
            getconf.append("250-SocksPort=%s%s" % (l, flags))
        getconf.append("250-TransPort=%s:9040" % WS_LISTEN)
        getconf.append("250-DNSPort=%s:5300" % GW)
        getconf.append("250 HTTPTunnelPort")
        for l in getinfo + getconf:
            self.put("<", l)
        self.put("#", "session 1 ready")
        self.init = {"getinfo": "".join(l + "\r\n" for l in getinfo),
                     "getconf": "".join(l + "\r\n" for l in getconf),
                     "start": t0}

    def expire(self):
        """Tor closes dirty circuits once their streams are done."""
        for k in [k for k, s in self.sets.items() if s["dirty"] is not None
                  and self.t - s["dirty"] > DIRTINESS_US]:
            self.retire(k)
        self.reap()

    def run(self):
        self.header()
        self.next_newnym = self.t + NEWNYM_EVERY_US
        r = self.r
        target_flight = 48
        while self.events < self.n_events:
            if self.events % 2048 == 0:
                self.expire()
            if self.streams_limit and self.count["streams"] >= \
                    self.streams_limit and not self.flight:
                break
            x = r.random()
            if self.t >= self.next_newnym and self.events + 1 < self.n_events:
                self.next_newnym = self.t + NEWNYM_EVERY_US
                self.count["signal_events"] += 1
                self.event("SIGNAL NEWNYM")
                self.epoch += 1
                for k in list(self.sets):
                    self.retire(k)
                continue
            if x < 0.004:
                self.background_circuit()
                continue
            if x < 0.007 and self.bg:
                c = self.bg.pop(0)
                self.close(c)
                continue
            if x < 0.009:
                self.dir_fetch()
                continue
            more = not self.streams_limit or \
                self.count["streams"] < self.streams_limit
            if more and (len(self.flight) < target_flight * 0.5 or
                         (len(self.flight) < target_flight * 2 and
                          r.random() < 0.22)):
                self.start_stream()
                continue
            if not self.flight:
                continue
            i = r.randrange(len(self.flight))
            if self.advance(self.flight[i]):
                self.flight[i] = self.flight[-1]
                self.flight.pop()
                if r.random() < 0.05:
                    self.reap()
        self.tick()
        self.put("#", "session 1 end isoaudit stopped")
        self.put(">", "QUIT")
        self.flush()
        self.tf.close()
        self.rf.close()
        with open(self.out_path + ".init.json", "w") as f:
            json.dump(self.init, f)
        meta = dict(self.count)
        meta.update({"events": self.events,
                     "bytes": os.path.getsize(self.out_path),
                     "raw_bytes": self.nraw_bytes,
                     "open_streams_at_end": len(self.flight),
                     "open_circuits_at_end": len(self.circs),
                     "seconds_of_traffic": (self.t - self.init["start"]) / 1e6})
        with open(self.out_path + ".meta.json", "w") as f:
            json.dump(meta, f, indent=1)
        return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=100000)
    ap.add_argument("--streams", type=int, default=0,
                    help="stop after this many streams (events then only "
                    "bound the size)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("out")
    o = ap.parse_args()
    n = o.events if not o.streams else max(o.events, o.streams * 8)
    meta = Gen(n, o.out, o.seed, o.streams).run()
    json.dump(meta, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
