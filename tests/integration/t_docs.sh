#!/bin/sh
# The manual pages render without a warning, and the example config of
# isoaudit.conf(5) is accepted by `isoaudit config --check` as it stands.
. "$(dirname "$0")/lib.sh"

docs=$(cd "$(dirname "$0")/../../docs" && pwd)
n=0
for m in "$docs"/*.[1-8]; do
	[ -f "$m" ] || continue
	groff -ww -man -Tutf8 "$m" >/dev/null 2>"$T/warn" || fail "groff failed on $m"
	[ -s "$T/warn" ] && { cat "$T/warn"; fail "warnings in $m"; }
	n=$((n + 1))
done
[ "$n" -ge 1 ] || fail "no manual page found"
ok "$n manual pages render cleanly"

# The EXAMPLE section of isoaudit.conf(5), unescaped, is a valid config.
sed -n '/^\.SH EXAMPLE/,/^\.EE/p' "$docs/isoaudit.conf.5" | sed '1,2d;$d' |
    sed 's/\\-/-/g' >"$T/example.conf"
[ -s "$T/example.conf" ] || fail "no example in isoaudit.conf.5"
"$ISOAUDIT" config --check "$T/example.conf" >"$T/out" 2>"$T/err" ||
    { cat "$T/err"; fail "the manual's example config is refused"; }
grep -q '^App 9150 "Tor Browser" IsolateBy socks-username' "$T/out" || fail "example App line not in effect"
grep -q '^Rule SHARED_EXIT            off' "$T/out" || fail "example Rule line not in effect"
ok "the manual's example config is valid"

# A broken line names FILE:LINE and exits 2.
printf 'LogTargets hash\nApp 9150\n' >"$T/bad.conf"
"$ISOAUDIT" config --check "$T/bad.conf" >/dev/null 2>"$T/err"
[ $? -eq 2 ] || fail "bad config: want exit 2"
one_line "$T/err"
grep -q "$T/bad.conf:2: App takes a listener and a label" "$T/err" || { cat "$T/err"; fail "FILE:LINE message"; }
"$ISOAUDIT" -c "$T/bad.conf" monitor >/dev/null 2>"$T/err2"
[ $? -eq 2 ] || fail "monitor with a bad config: want exit 2"
ok "config errors name FILE:LINE"
