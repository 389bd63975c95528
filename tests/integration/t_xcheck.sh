#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# The cross-check with Tor's own state (docs/isolation.md section 5): a
# fake control port sends a forged "CIRC 20 CLOSED" between two
# applications' streams on circuit 20 (as an injection the in-band filter
# misses would), then answers isoaudit's GETINFO circuit-status
# stream-status with circuit 20 BUILT and both streams on it.  The attach
# to a circuit isoaudit believed closed asks for the cross-check at once;
# the circuit comes back with its streams: the real SHARED_CIRCUIT is
# made, one CONTROL_INJECTION says what Tor contradicted, `check` prints
# both, and a replay of the transcript (the command and its reply in it)
# says the same.  Without the answer (a fake that never replies), the
# finding stays erased: the test's control.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }

fp0=085111030DA53A4D7B7C635A7B82B21F30E847C3
fp1=16B0637A639FAF85A8992C2B11130BDC9E35FF53
iso="CLIENT_PROTOCOL=SOCKS5 NYM_EPOCH=0 SESSION_GROUP=42 ISO_FIELDS=CLIENTADDR,SESSION_GROUP,NYM_EPOCH"
cat >"$T/script" <<S
650 CIRC 20 BUILT \$$fp0~exit0 PURPOSE=GENERAL
650 STREAM 1 NEW 0 10.0.0.1:443 SOURCE_ADDR=127.0.0.1:41001 PURPOSE=USER SOCKS_USERNAME="torsocks-101:1" SOCKS_PASSWORD="x" $iso
650 STREAM 1 SENTCONNECT 20 10.0.0.1:443 $iso
650 STREAM 1 SUCCEEDED 20 10.0.0.1:443 $iso
650 CIRC 20 CLOSED \$$fp0~exit0 PURPOSE=GENERAL REASON=FINISHED
650 STREAM 2 NEW 0 10.0.0.2:443 SOURCE_ADDR=127.0.0.1:41002 PURPOSE=USER SOCKS_USERNAME="torsocks-202:1" SOCKS_PASSWORD="x" $iso
650 STREAM 2 SENTCONNECT 20 10.0.0.2:443 $iso
650 STREAM 2 SUCCEEDED 20 10.0.0.2:443 $iso
S
cat >"$T/xcheck" <<S
250+circuit-status=
8 BUILT \$$fp1~exit1 PURPOSE=GENERAL
9 BUILT \$$fp0~exit0 PURPOSE=GENERAL
20 BUILT \$$fp0~exit0 PURPOSE=GENERAL
.
250+stream-status=
1 SUCCEEDED 20 10.0.0.1:443
2 SUCCEEDED 20 10.0.0.2:443
.
250 OK
S
: >"$T/empty.conf"

# run NAME [XCHECK]: the monitor against the fake port, for 4 s.
run() {
	rm -f "$T/port"
	FAKECTOR_XCHECK=${2:-} python3 "$(dirname "$0")/fakector.py" "$T/port" "$T/script" &
	BGPIDS="$!"
	wait_for "$T/port" '^[0-9]+$' 10 || fail "fake control port did not start"
	"$ISOAUDIT" -c "$T/empty.conf" monitor --control "127.0.0.1:$(cat "$T/port")" \
	    --log-targets plain --db "$T/$1.db" --record "$T/$1.rec" --duration 4 \
	    >"$T/$1.out" 2>"$T/$1.err"
	rc=$?
	wait "$BGPIDS" 2>/dev/null
	BGPIDS=""
	[ "$rc" -eq 0 ] || { cat "$T/$1.err"; fail "$1: monitor exit $rc"; }
	grep -q 'ERROR: AddressSanitizer\|runtime error' "$T/$1.err" && { cat "$T/$1.err"; fail "$1: a sanitizer spoke"; }
	return 0
}

SC='FINDING critical SHARED_CIRCUIT: torsocks pid [0-9]*@localhost and torsocks pid [0-9]*@localhost shared exit circuit 20 '
run ctl ""
grep -q "FINDING critical SHARED_CIRCUIT" "$T/ctl.out" && fail "control: SHARED_CIRCUIT without the cross-check's answer (the forged CLOSED did not erase it: the test proves nothing)"
grep -q "> GETINFO circuit-status stream-status$" "$T/ctl.rec" ||
    { grep '^[0-9.]* >' "$T/ctl.rec"; grep -c '>' "$T/ctl.rec"; fail "the attach to a closed circuit did not ask for the cross-check"; }
ok "control: the forged CLOSED erases the finding; the suspicious attach asks Tor at once"

run xc "$T/xcheck"
grep -q "$SC" "$T/xc.out" || { cat "$T/xc.out" "$T/xc.err"; fail "the real SHARED_CIRCUIT was not made after the cross-check"; }
[ "$(grep -c 'FINDING critical CONTROL_INJECTION' "$T/xc.out")" -eq 1 ] || fail "CONTROL_INJECTION not said once"
grep -q "FINDING critical CONTROL_INJECTION: Tor's own state contradicts the events: circuit 20 was reported closed but Tor lists it BUILT" "$T/xc.out" ||
    fail "CONTROL_INJECTION does not say what Tor contradicted"
[ "$(grep -c "cross-check: Tor's own state contradicts the events: circuit 20" "$T/xc.err")" -eq 1 ] || fail "not one log line"
ok "monitor: circuit 20 restored, the real SHARED_CIRCUIT made, one CONTROL_INJECTION, one log line"

"$ISOAUDIT" -c "$T/empty.conf" check --db "$T/xc.db" >"$T/chk.out" 2>"$T/chk.err"
grep -q "SHARED_CIRCUIT" "$T/chk.out" && grep -q "CONTROL_INJECTION" "$T/chk.out" ||
    { cat "$T/chk.out" "$T/chk.err"; fail "check does not print both"; }
ok "check prints SHARED_CIRCUIT and CONTROL_INJECTION"

"$ISOAUDIT" -c "$T/empty.conf" replay --log-targets plain --db "$T/rep.db" "$T/xc.rec" >"$T/rep.out" 2>"$T/rep.err" ||
    { cat "$T/rep.err"; fail "replay"; }
for f in "$T/xc.out" "$T/rep.out"; do
	grep -o 'FINDING .*' "$f" | sort
done >"$T/both"
[ -s "$T/both" ] && [ "$(sort "$T/both" | uniq -c | awk '$1 != 2' | wc -l)" -eq 0 ] ||
    { cat "$T/both"; fail "replay's findings differ from the live run's"; }
ok "replay of the transcript: the same findings, word for word"
