#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
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

# man(1) reads them as a user would (its own preprocessors, its macro
# warnings) without a word on stderr.
if command -v man >/dev/null 2>&1; then
	for m in "$docs"/*.[1-8]; do
		[ -f "$m" ] || continue
		MANWIDTH=80 man --warnings -l "$m" >"$T/man.out" 2>"$T/warn" ||
		    { cat "$T/warn"; fail "man failed on $m"; }
		[ -s "$T/warn" ] && { cat "$T/warn"; fail "man warnings in $m"; }
		[ -s "$T/man.out" ] || fail "man printed nothing for $m"
	done
	ok "man --warnings reads the manual pages cleanly"
else
	echo "note: man is not installed; man --warnings not run"
fi

# isoaudit(1) cannot fall behind the code: every long option of options[]
# in auditor/cmd/isoaudit.c and every command `isoaudit help` lists is on
# the page (font escapes dropped and \- unescaped before searching).
src="$docs/../auditor/cmd/isoaudit.c"
[ -f "$src" ] || fail "no $src"
sed -e 's/\\-/-/g' -e 's/\\f\[[^]]*\]//g' -e 's/\\f([A-Za-z][A-Za-z]//g' \
    -e 's/\\f[A-Za-z1-4]//g' -e 's/\\[&c]//g' "$docs/isoaudit.1" >"$T/page"
longopts=$(sed -n '/options\[\] = {/,/^};/s/^[[:space:]]*{ "\([^"]*\)".*/\1/p' "$src")
[ -n "$longopts" ] || fail "no long options found in options[] of $src"
missing=""
for o in $longopts; do
	grep -Eq -e "(^|[^-[:alnum:]])--$o([^-[:alnum:]]|\$)" "$T/page" ||
	    missing="$missing --$o"
done
[ -z "$missing" ] || fail "isoaudit.1 does not document:$missing"
cmds=$("$ISOAUDIT" help | sed -n '/^commands/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ -n "$cmds" ] || fail "isoaudit help lists no command"
sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$T/page" >"$T/synopsis"
for c in $cmds; do
	grep -Eq "isoaudit $c([^-[:alnum:]]|\$)" "$T/synopsis" ||
	    missing="$missing $c (SYNOPSIS)"
	grep -Eq "^\.SS \"?isoaudit $c([^-[:alnum:]]|\$)" "$T/page" ||
	    missing="$missing $c (COMMANDS)"
done
[ -z "$missing" ] || fail "isoaudit.1 lacks command(s):$missing"
ok "isoaudit.1 has all $(echo $longopts | wc -w) long options and $(echo $cmds | wc -w) commands"

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

# docs/profiles.md and the PROFILES section of isoaudit.conf(5) are exactly
# what scripts/gen-profiles makes from this binary's `config --profiles`:
# the documentation cannot drift from the tables (make docs regenerates).
command -v python3 >/dev/null 2>&1 || fail "python3 is needed for scripts/gen-profiles"
python3 "$docs/../scripts/gen-profiles" --check "$ISOAUDIT" >"$T/gen.diff" 2>"$T/gen.err" ||
    { head -40 "$T/gen.diff"; cat "$T/gen.err"; fail "docs/profiles.md or isoaudit.conf.5 differ from the profiles of $ISOAUDIT: run make docs"; }
for p in $("$ISOAUDIT" config --profiles | cut -f2 | sort -u); do
	grep -q "^## .*\`Profile $p\`\$" "$docs/profiles.md" || fail "docs/profiles.md has no section for $p"
	grep -q "^\.SS \"$(printf '%s' "$p" | sed 's/-/\\\\-/g'):" "$docs/isoaudit.conf.5" ||
	    fail "isoaudit.conf.5 has no section for $p"
done
ok "docs/profiles.md and isoaudit.conf(5)'s profiles are generated from the binary"
