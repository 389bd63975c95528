#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""report_db.py SCHEMA DB [--hostile]: a demo-like database for the HTML
report's test (tests/ui/t_report_html.sh) and the README's screenshot
(scripts/screenshots), written with sqlite3 at schema step 1 so that
isoaudit migrates it when report opens it (as t_report_formats does).

Two Tor sessions (a restart between them), NEWNYM twice in the second,
six applications on their own ports except App D and App E, whose ports
share SessionGroup 42: a SHARED_CIRCUIT finding (critical) with 212 curl
processes and a long list of streams, a SHARED_PORT_PROCESSES warning, a
SHARED_EXIT notice and a PRE_ATTACH info.  --hostile adds an application
and a process and an exit nickname whose names are markup and control
bytes."""
import json
import random
import sqlite3
import sys

schema, path = sys.argv[1], sys.argv[2]
hostile = "--hostile" in sys.argv[3:]
rnd = random.Random(17)
S = 1000000
T0 = 1795539600 * S          # 2026-11-24T17:00:00Z

db = sqlite3.connect(path)
db.executescript(open(schema).read())
db.execute("PRAGMA user_version = 1")
db.execute("INSERT INTO meta(key, value) VALUES ('hash_key', randomblob(32))")

db.execute("INSERT INTO tor_session VALUES (1, '0.4.9.11', 'unix:/run/tor/control', "
           "'SAFECOOKIE', 811, 'live', ?, ?, 'tor exited', ?)",
           (T0, T0 + 2400 * S, T0 + 2400 * S))
db.execute("INSERT INTO tor_session VALUES (2, '0.4.9.11', 'unix:/run/tor/control', "
           "'SAFECOOKIE', 1207, 'live', ?, NULL, NULL, ?)",
           (T0 + 2460 * S, T0 + 5400 * S))

apps = [
    (1, "Tor Browser", "127.0.0.1:9150", "firefox-esr"),
    (2, "Thunderbird", "127.0.0.1:9152", "thunderbird"),
    (3, "App D", "127.0.0.1:20104", "curl"),
    (4, "App E", "127.0.0.1:20105", "wget"),
    (5, "apt", "127.0.0.1:9050", "http"),
    (6, "git", "127.0.0.1:9050", "git-remote-http"),
]
if hostile:
    apps.append((7, "<svg onload=alert(1)>&\"'\x1b[31m", "127.0.0.1:9155",
                 "ev<il>&\"'\n"))
for a in apps:
    db.execute("INSERT INTO app(id, label, host, sub) VALUES (?, ?, 'localhost', '')",
               (a[0], a[1]))

exits = [
    ("085111030DA53A4D7B7C635A7B82B21F30E847C3", "exit0"),
    ("3F2A9C1D7E5B40A8B6C2D9E1F0A3B5C7D9E1F203", "Quintex41"),
    ("A1B2C3D4E5F60718293A4B5C6D7E8F9012345678", "artikel10"),
    ("5D6E7F8091A2B3C4D5E6F708192A3B4C5D6E7F80", "ForPrivacyNET"),
    ("9E8D7C6B5A49382716051F2E3D4C5B6A79880706", "Unnamed"),
    ("C0FFEE00112233445566778899AABBCCDDEEFF00", "relayon0815"),
]
if hostile:
    exits.append(("DEADBEEF" * 5, "<b>&x\"'\x07"))
for fp, nick in exits:
    db.execute("INSERT INTO relay(fingerprint, nickname) VALUES (?, ?)", (fp, nick))

circ_id = [20]
stream_id = [100]
pid = [4000]


def circuit(session, start, length, exit_i):
    circ_id[0] += 1
    fp, nick = exits[exit_i]
    db.execute("INSERT INTO circuit(session, circ_id, status, purpose, exit_fp, "
               "exit_nick, created, closed) VALUES (?, ?, 'CLOSED', 'GENERAL', ?, ?, ?, ?)",
               (session, circ_id[0], fp, nick, start, start + length))
    return circ_id[0]


def stream(session, circ, app, t, process, epoch=0, new_pid=False, p=None):
    stream_id[0] += 1
    if p is None:
        if new_pid:
            pid[0] += 1
        p = pid[0]
    listener = [a for a in apps if a[0] == app][0][2]
    db.execute("INSERT INTO stream(session, stream_id, circ_id, status, listener, "
               "app, pid, process, uid, protocol, nym_epoch, target, target_port, "
               "opened, closed, reason) VALUES (?, ?, ?, 'CLOSED', ?, ?, ?, ?, 1000, "
               "'SOCKS5', ?, 'h:0123456789ab', 443, ?, ?, 'DONE')",
               (session, stream_id[0], circ, listener, app, p, process, epoch, t,
                t + 5 * S))
    db.execute("INSERT INTO attach VALUES (?, ?, ?, ?)", (session, stream_id[0], circ, t))
    return stream_id[0]


shared_streams, shared_procs, shared_circs = [], [], []
for session, s0, s1 in ((1, T0, T0 + 2400 * S), (2, T0 + 2460 * S, T0 + 5400 * S)):
    # Tor Browser, Thunderbird, apt, git: their own circuits, 10 min each.
    for app, proc, step, ex0 in ((1, "firefox-esr", 600, 0), (2, "thunderbird", 900, 1),
                                 (5, "http", 1200, 2), (6, "git-remote-http", 1500, 3)):
        t, k = s0 + 30 * S * app, ex0
        fixed_pid = 1000 + app * 10 + session
        while t < s1 - 120 * S:
            ln = min(step * S - 20 * S, s1 - t)
            c = circuit(session, t, ln, k % len(exits[:6]))
            epoch = 0
            if session == 2 and app == 1:
                epoch = 0 if t < T0 + 3900 * S else 1 if t < T0 + 4800 * S else 2
            for j in range(rnd.randint(3, 9)):
                stream(session, c, app, t + j * 40 * S, proc, epoch, p=fixed_pid)
            t += step * S
            k += 1
    # App D and App E: SessionGroup 42, the same circuits; a curl per stream.
    t = s0 + 300 * S
    while t < s1 - 300 * S:
        c = circuit(session, t, 500 * S, 4 if session == 1 else 5)
        shared_circs.append((session, c, t))
        for j in range(53):
            sid = stream(session, c, 3, t + j * 8 * S, "curl", new_pid=True)
            shared_streams.append(str(sid))
            shared_procs.append({"pid": pid[0], "name": "curl"})
        for j in range(2):
            sid = stream(session, c, 4, t + 100 * S + j * 30 * S, "wget", new_pid=True)
            shared_streams.append(str(sid))
            if len([x for x in shared_procs if x["name"] == "wget"]) < 3:
                shared_procs.append({"pid": pid[0], "name": "wget"})
        t += 900 * S
if hostile:
    c = circuit(2, T0 + 3000 * S, 600 * S, 6)
    for j in range(3):
        stream(2, c, 7, T0 + 3000 * S + j * 60 * S, apps[-1][3], new_pid=True)

curls = [x for x in shared_procs if x["name"] == "curl"][:212]
wgets = [x for x in shared_procs if x["name"] == "wget"]
procs = curls + wgets
last = shared_circs[-1]
findings = [
    ("SHARED_CIRCUIT", "critical", last[0], last[1], "", "App D@localhost",
     "App E@localhost", ["App D", "App E"], ["App D@localhost", "App E@localhost"],
     procs, shared_streams[-240:], len(shared_circs), shared_circs[0][2],
     last[2] + 200 * S,
     "App D@localhost and App E@localhost shared exit circuits: their "
     "SocksPorts 127.0.0.1:20104 and 127.0.0.1:20105 are both in SessionGroup 42"),
    ("SHARED_PORT_PROCESSES", "warning", 2, 0, "127.0.0.1:9050", "apt@localhost",
     "git@localhost", ["apt", "git"], ["apt@localhost", "git@localhost"],
     [{"pid": 1052, "name": "http"}, {"pid": 1062, "name": "git-remote-http"}],
     [], 4, T0 + 2600 * S, T0 + 5000 * S,
     "apt and git used 127.0.0.1:9050 with equal isolation keys (no SOCKS credentials)"),
    ("SHARED_EXIT", "notice", 1, 0, "", "Tor Browser@localhost",
     "Thunderbird@localhost", ["Tor Browser", "Thunderbird"],
     ["Tor Browser@localhost", "Thunderbird@localhost"], [], [], 2,
     T0 + 700 * S, T0 + 1300 * S, "both left through exit0 at the same time"),
    ("PRE_ATTACH", "info", 2, 0, "", "", "", [], [], [], [], 3,
     T0 + 2460 * S, T0 + 2460 * S, "3 streams were open before isoaudit attached"),
]
if hostile:
    findings.append(("SHARED_CIRCUIT", "critical", 2, circ_id[0], "",
                     apps[-1][1] + "@localhost", "x", [apps[-1][1]],
                     [apps[-1][1] + "@localhost", "App D@localhost"],
                     [{"pid": 1, "name": apps[-1][3]}], ["1"], 1, T0 + 3000 * S,
                     T0 + 3000 * S, "<script>alert(1)</script>"))
for i, f in enumerate(findings, 1):
    db.execute("INSERT INTO finding(id, rule, severity, session, circ_id, listener, "
               "ident_a, ident_b, apps, identities, processes, streams, count, "
               "first_seen, last_seen, detail, acknowledged) VALUES "
               "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
               (i,) + f[:7] + tuple(json.dumps(x) for x in f[7:11]) + f[11:])
db.commit()
db.close()
