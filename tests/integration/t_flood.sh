#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# A flood of findings in one instant, replayed (no Tor network needed): a
# transcript whose 42 000 lines all carry one time stamp, 6 000 circuits
# that never close, each shared by two applications (torsocks-PID
# credentials name them).  That is 6 000 SHARED_CIRCUIT causes, past the
# judge's bounds of causes and occurrences, with no time order to evict
# by.  Under ASan (make check's binary) a use after free or a leak fails
# the replay; every cause reaches the output once and the database whole.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

N=6000
python3 - "$N" "$T/flood.txt" <<'PY'
import sys
n = int(sys.argv[1])
ts = "1795555356.000000"
fp = "085111030DA53A4D7B7C635A7B82B21F30E847C3"
iso = (" CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=42"
       " ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH")
out = [ts + " # session 1 start 127.0.0.1:9051 SAFECOOKIE", ts + " # session 1 ready"]
sid = 1
for i in range(n):
    c = 1000 + i
    out.append("%s < 650 CIRC %d BUILT $%s~exit0 PURPOSE=GENERAL" % (ts, c, fp))
    for who in (i + 1, i + 1000001):
        out.append("%s < 650 STREAM %d NEW 0 10.0.0.1:443 SOURCE_ADDR=127.0.0.1:%d "
                   "PURPOSE=USER SOCKS_USERNAME=\"torsocks-%d:1\" SOCKS_PASSWORD=\"x\"%s"
                   % (ts, sid, 1024 + sid % 60000, who, iso))
        out.append("%s < 650 STREAM %d SENTCONNECT %d 10.0.0.1:443%s" % (ts, sid, c, iso))
        out.append("%s < 650 STREAM %d CLOSED %d 10.0.0.1:443 REASON=END%s" % (ts, sid, c, iso))
        sid += 1
out.append(ts + " # session 1 end test")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
"$ISOAUDIT" replay --db "$T/db" "$T/flood.txt" >"$T/out" 2>"$T/err" ||
    { tail -20 "$T/err"; fail "replay of the flood: exit $?"; }
grep -q 'ERROR: AddressSanitizer\|runtime error' "$T/err" && { tail -30 "$T/err"; fail "a sanitizer spoke"; }
n=$(grep -c 'FINDING critical SHARED_CIRCUIT: torsocks pid [0-9]*@localhost and torsocks pid [0-9]*@localhost shared exit circuit' "$T/out")
[ "$n" -eq "$N" ] || fail "$n SHARED_CIRCUIT lines, want $N (each cause once)"
ok "replay of $N causes at one instant: exit 0, no sanitizer report, each cause said once"
"$ISOAUDIT" report --db "$T/db" --format json >"$T/r.json" 2>"$T/r.err" || { cat "$T/r.err"; fail "report"; }
python3 - "$T/r.json" "$N" <<'PY' || fail "the report (see above)"
import json, sys
R, n = json.load(open(sys.argv[1])), int(sys.argv[2])
f = [x for x in R["findings"] if x["rule"] == "SHARED_CIRCUIT"]
assert len(f) == n, ("causes", len(f))
assert all(len(x["occurrences"]) == 1 and x["count"] == 1 and len(x["streams"]) == 2 for x in f), \
    [x for x in f if len(x["occurrences"]) != 1 or x["count"] != 1][:3]
assert len({x["cause"] for x in f}) == n, "causes not distinct"
print(len(f), "causes, each one occurrence with its two streams")
PY
ok "the database holds all $N causes whole"
