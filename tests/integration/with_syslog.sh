#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# with_syslog.sh [--hex] OUT BODY: run inside a mount namespace of a test's
# own (`unshare -m sh with_syslog.sh ...`), with T set to the test's
# directory.  Gives the namespace a private /dev (null, zero, full, random,
# urandom and the fd links only) whose /dev/log is syslog_sink.py writing
# to OUT (--hex: each datagram as hex), runs `sh BODY`, then sends an end
# marker and waits until the sink has written it: datagrams from one
# socket queue in order, so every datagram BODY caused is in OUT by then.
# Exits 77 with the reason in $T/ns.skip when a mount is refused, 1 with
# the reason in $T/ns.fail when the sink does not start, else 0.
set -u
: "${T:?}"
hex=""
if [ "${1:-}" = --hex ]; then
	hex=--hex
	shift
fi
out=$1 body=$2
here=$(cd "$(dirname "$0")" && pwd)
py=$(python3 -c 'import sys; print(sys.executable)')
skip() { echo "$*" >"$T/ns.skip"; exit 77; }
mkdir -p "$T/olddev" || skip "cannot mkdir $T/olddev"
mount --bind /dev "$T/olddev" 2>"$T/ns.mnt" ||
    skip "cannot bind-mount /dev: $(head -1 "$T/ns.mnt")"
mount -t tmpfs -o mode=0755 tmpfs /dev 2>"$T/ns.mnt" ||
    skip "cannot mount a tmpfs on /dev: $(head -1 "$T/ns.mnt")"
for n in null zero full random urandom; do
	[ -e "$T/olddev/$n" ] || continue
	: >"/dev/$n" && mount --bind "$T/olddev/$n" "/dev/$n" 2>"$T/ns.mnt" ||
	    skip "cannot bind-mount /dev/$n: $(head -1 "$T/ns.mnt")"
done
ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
"$py" "$here/syslog_sink.py" $hex /dev/log "$out" "$T/sink.ready" 2>"$T/sink.err" &
sink=$!
i=0
while [ ! -s "$T/sink.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S /dev/log ] || {
	kill $sink
	echo "the syslog listener did not start: $(cat "$T/sink.err")" >"$T/ns.fail"
	exit 1
}
sh "$body"
marker=end-of-test-marker
[ -n "$hex" ] && marker=$(printf '%s' "$marker" | od -An -tx1 | tr -d ' \n')
"$py" -c 'import socket; s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b"<191>end-of-test-marker", "/dev/log")'
i=0
while ! grep -q "$marker" "$out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill $sink 2>/dev/null
wait $sink 2>/dev/null
exit 0
