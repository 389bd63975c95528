#!/usr/bin/python3
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
"""peer_stem_parse.py FILE: the parse-only peer.  Parses every 650 event of
a transcript (or a bare capture) with stem, the way a stem user turns raw
control-port lines into events:

    msg = stem.response.ControlMessage.from_str(line + "\\r\\n")
    stem.response.convert("EVENT", msg)   # -> StreamEvent, CircuitEvent ...

and touches the fields isoaudit's --dump prints (so that nothing is left
lazily unparsed).  Prints one JSON line: events, bytes, seconds.  Run it
with Debian's /usr/bin/python3 (python3-stem 1.8).
"""
import json
import os
import sys
import time

import stem.response
import stem.response.events  # noqa: F401  (the event classes)


def lines(path):
    """The lines from Tor: '<' lines of a transcript, or a bare capture."""
    with open(path, "rb") as f:
        first = f.readline()
        f.seek(0)
        stamped = first[:1].isdigit() and b" < " in first[:24] or \
            b" > " in first[:24] or b" # " in first[:24]
        for raw in f:
            if stamped:
                i = raw.find(b" ", 0, 24)
                if i < 0 or raw[i + 1:i + 2] != b"<":
                    continue
                raw = raw[i + 3:]
            yield raw.rstrip(b"\r\n")


def main():
    path = sys.argv[1]
    t0 = time.perf_counter()
    n = 0
    sink = 0
    for raw in lines(path):
        if not raw.startswith(b"650"):
            continue
        msg = stem.response.ControlMessage.from_str(
            raw.decode("utf-8", "replace") + "\r\n")
        stem.response.convert("EVENT", msg)
        n += 1
        # What a dump would read of it.
        t = msg.type
        if t == "STREAM":
            sink += len(msg.id) + (msg.circ_id is not None)
            sink += msg.target_port or 0
            _ = (msg.status, msg.source_addr, msg.purpose, msg.reason,
                 msg.keyword_args.get("CLIENT_PROTOCOL"))
        elif t == "CIRC":
            sink += len(msg.id) + len(msg.path)
            _ = (msg.status, msg.purpose, msg.build_flags, msg.created,
                 msg.reason, msg.keyword_args)
    dt = time.perf_counter() - t0
    json.dump({"peer": "stem-parse", "events": n,
               "bytes": os.path.getsize(path), "seconds": dt,
               "events_per_s": n / dt if dt > 0 else 0}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
