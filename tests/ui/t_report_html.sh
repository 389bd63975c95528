#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The HTML report as a person sees it: a demo-like database (report_db.py:
# App D and App E linked through SessionGroup 42, 212 curl processes)
# rendered by Debian's chromium, headless, at 1400x900, driven through
# chromedriver's WebDriver API (python3's urllib, on 127.0.0.1): the
# verdict and the first critical finding lie inside the first screen (the
# DOM's bounding boxes), the screenshot is a 1400x900 PNG, and the page
# asked for nothing but itself (the driver's performance log, with every
# host name resolving to nothing).  Without chromium: the static checks
# only, then skip.  Also, on a database with hostile names: every <svg>
# parses as XML, nothing is fetched (no URL, script, link, import), and
# the names are escaped.
. "$(dirname "$0")/../integration/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
top=$(cd "$(dirname "$0")/../.." && pwd)

mk() {
	python3 "$top/tests/ui/report_db.py" "$top/schema/001-init.sql" "$@" ||
	    fail "report_db.py $*"
	chmod 600 "$1"
}
mk "$T/demo.db"
mk "$T/evil.db" --hostile
"$ISOAUDIT" report --db "$T/demo.db" --all --format html -o "$T/demo.html" \
    2>"$T/err" || { cat "$T/err"; fail "report (demo)"; }
"$ISOAUDIT" report --db "$T/evil.db" --all --format html -o "$T/evil.html" \
    2>"$T/err" || { cat "$T/err"; fail "report (hostile)"; }

# --- static: self-contained, SVGs well-formed, names escaped --------------------
python3 - "$T/demo.html" "$T/evil.html" <<'PY' || fail "static checks"
import re, sys
import xml.etree.ElementTree as ET
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    low = text.lower()
    for bad in ("http://", "https://", "<script", "<link", "@import",
                "url(", "<iframe", "<img", "<object", "<embed", " src=",
                "\x1b"):
        assert bad not in low, (path, bad)
    svgs = re.findall(r"<svg\b.*?</svg>", text, re.S)
    assert len(svgs) == 2, (path, len(svgs))
    for s in svgs:
        # HTML's named entities are not XML's: the SVGs use none but the
        # five XML knows, so they parse as they are.
        root = ET.fromstring(s)
        assert root.tag == "svg", root.tag
    assert 'class="timeline"' in svgs[0] and 'class="graph"' in svgs[1]
    assert re.search(r"<rect [^>]*fill=\"#[0-9a-f]{6}\"", svgs[0])
    assert "NEWNYM: epoch" in svgs[0] and "Tor session 2 started" in svgs[0]
    assert 'stroke="#c0392b"' in svgs[1], "no red edge for the critical pair"
    # The 212 curl processes collapse into one line that opens on its pids.
    assert "<summary>curl &times; 212</summary>" in text, path
evil = open(sys.argv[2], encoding="utf-8").read()
assert "&lt;svg onload=alert(1)&gt;&amp;&quot;&#39;\\x1b[31m" in evil
assert "&lt;b&gt;&amp;x&quot;&#39;\\x07" in evil      # the exit's nickname
assert "<svg onload" not in evil
PY
ok "static: no external resource, SVGs parse as XML, names escaped, processes collapsed"

# A range where isolation held (session 1: a notice only), in green.
"$ISOAUDIT" report --db "$T/demo.db" --session 1 --format html \
    -o "$T/held.html" || fail "report --session 1"
grep -q '<section class="verdict ok" id="verdict">' "$T/held.html" ||
    fail "session 1: no 'isolation held' verdict"
grep -q 'Isolation held</h2>' "$T/held.html" || fail "session 1: verdict title"
grep -q 'id="first-critical"' "$T/held.html" && fail "session 1: a critical item"
ok "isolation held: the green verdict"

# --- text: the verdict first, as wide as $COLUMNS ---------------------------------
for c in 60 100 200; do
	COLUMNS=$c "$ISOAUDIT" report --db "$T/demo.db" --all >"$T/t$c.txt" ||
	    fail "text report, COLUMNS=$c"
done
python3 - "$T" <<'PY' || fail "text report"
import re, sys
d = sys.argv[1]
for c in (60, 100, 200):
    lines = open("%s/t%d.txt" % (d, c), encoding="utf-8").read().split("\n")
    assert lines[0].startswith("isoaudit report: "), lines[0]
    assert lines[2].startswith("VERDICT: ISOLATION BROKEN (1 critical"), lines[:3]
    end = lines.index("", 3)
    verdict = lines[3:end]
    text = " ".join(l.strip() for l in verdict)
    assert "App D@localhost and App E@localhost were linked" in text, text
    # many processes of a program counted, a few named by pid
    assert re.search(r"processes: curl x 212, wget\[\d+\], wget\[\d+\], "
                     r"wget\[\d+\] what to do", text), text
    assert "what to do: Give each application its own SocksPort" in text, text
    long = [l for l in verdict if len(l) > c]
    assert not long, (c, long)
    procs = [l for l in lines if l.rstrip().endswith("  PROCESSES")]
    assert bool(procs) == (c >= 120), (c, procs)
t = open("%s/t200.txt" % d, encoding="utf-8").read()
assert "curl x 50" in t, "no collapsed processes at 200 columns"
PY
ok "text: the verdict first with the remedy, wrapped at \$COLUMNS (60, 100, 200)"

# --- chromium through WebDriver -----------------------------------------------------
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
	echo "chromium or chromium-driver not installed (scripts/deps)"
	exit 77
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
chromedriver --port="$port" --allowed-ips=127.0.0.1 >"$T/driver.log" 2>&1 &
BGPIDS="$BGPIDS $!"
python3 - "$port" "$T/demo.html" "$T/shot.png" "$T/profile" <<'PY' || fail "chromium: $(tail -3 "$T/driver.log")"
import base64, json, struct, sys, time, urllib.request
port, page, shot, profile = sys.argv[1:5]
base = "http://127.0.0.1:%s" % port

def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["value"]

for _ in range(100):
    try:
        call("GET", "/status")
        break
    except OSError:
        time.sleep(0.1)
args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile,
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--window-size=1400,900", "--hide-scrollbars"]
caps = {"capabilities": {"alwaysMatch": {
    "browserName": "chrome",
    "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args},
    "goog:loggingPrefs": {"performance": "ALL"}}}}
sid = call("POST", "/session", caps)["sessionId"]
try:
    s = "/session/" + sid
    call("POST", s + "/url", {"url": "file://" + page})
    # A viewport of 1400x900: the window, less what its frame takes.
    for _ in range(3):
        d = call("POST", s + "/execute/sync", {"args": [], "script":
            "return [window.outerWidth - window.innerWidth,"
            " window.outerHeight - window.innerHeight]"})
        call("POST", s + "/window/rect", {"width": 1400 + d[0],
                                          "height": 900 + d[1]})
    got = call("POST", s + "/execute/sync", {"args": [], "script": """
        function box(sel) {
            var e = document.querySelector(sel);
            if (!e) return null;
            var r = e.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    text: e.textContent.slice(0, 200)};
        }
        return {w: window.innerWidth, h: window.innerHeight,
                verdict: box('#verdict'), crit: box('#first-critical'),
                head: box('#verdict h2'), remedy: box('#first-critical .remedy')};
        """})
    print(json.dumps(got, indent=1)[:1500])
    w, h = got["w"], got["h"]
    assert (w, h) == (1400, 900), (w, h)
    for k in ("verdict", "crit", "head", "remedy"):
        b = got[k]
        assert b is not None, "no element for " + k
        assert b["top"] >= 0 and b["left"] >= 0, (k, b)
        assert b["right"] <= w, (k, b)
    # The verdict's title, the whole first critical finding and its remedy
    # in the first screen.
    for k in ("head", "crit", "remedy"):
        assert got[k]["bottom"] <= h, (k, got[k], h)
    assert "Isolation broken" in got["head"]["text"], got["head"]
    assert "App D@localhost" in got["crit"]["text"] and \
        "App E@localhost" in got["crit"]["text"], got["crit"]
    png = base64.b64decode(call("GET", s + "/screenshot"))
    open(shot, "wb").write(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n", png[:8]
    pw, ph = struct.unpack(">II", png[16:24])
    assert (pw, ph) == (w, h), ((pw, ph), (w, h))
    assert (pw, ph) == (1400, 900), (pw, ph)
    # Nothing requested but the page itself.
    log = call("POST", s + "/se/log", {"type": "performance"})
    urls = []
    for entry in log:
        m = json.loads(entry["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            urls.append(m["params"]["request"]["url"])
    # (The browser's own start page, chrome://, may load before ours.)
    assert "file://" + page in urls, urls[-5:]
    net = [u for u in urls if u.split(":", 1)[0].lower() in
           ("http", "https", "ws", "wss", "ftp")]
    assert not net, net
    mine = urls[urls.index("file://" + page):]
    assert all(u.startswith("file://") or u.startswith("chrome://")
               for u in mine), mine
finally:
    call("DELETE", "/session/" + sid)
PY
ok "chromium 1400x900: verdict and first critical finding in the first screen, PNG $(python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print("%dx%d" % struct.unpack(">II", d[16:24]))' "$T/shot.png"), nothing fetched"
