#!/bin/sh
# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# Each command parses its own options (no Tor network needed):
# - `isoaudit CMD --help` and `isoaudit help CMD` print CMD's own usage, the
#   same text, and no two commands print the same;
# - a command takes exactly the options its usage text names: every option
#   of every command is tried on every command, with a valid value, before
#   --help (taken: the usage, exit 0; not taken: one line, exit 2, "is not
#   an option of CMD");
# - a missing option argument, an unknown option, an unknown command and a
#   hostile operand: one line each, exit 2, the operand made printable.
. "$(dirname "$0")/lib.sh"

cmds=$("$ISOAUDIT" help | sed -n '/^commands/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p')
[ "$(echo $cmds | wc -w)" -ge 6 ] || fail "isoaudit help lists too few commands: $cmds"

# A valid value for each option that takes one.
value() {
	case $1 in
	--config) echo "$T/none.conf" ;;
	--auth) echo safecookie ;;
	--log-targets) echo hash ;;
	--duration) echo 5 ;;
	--exit-after-events|--session) echo 3 ;;
	--format) echo json ;;
	--since|--until) echo 2h ;;
	--older-than|--max-silence) echo 30d ;;
	--min-severity) echo warning ;;
	--dump|--all|--check|--new-key|--profiles|--syslog|--since-last|--verbose|--quiet|--help|--version) ;;
	*) echo "$T/x" ;;
	esac
}
all=$(for c in "" $cmds; do "$ISOAUDIT" $c --help; done |
    grep -o -- '--[a-z][a-z-]*' | sort -u)
# Every option of the code, from its table: none is missing from all usages.
src=$(cd "$(dirname "$0")/../../auditor/cmd" && pwd)/isoaudit.c
code=$(sed -n '/options\[\] = {/,/^};/s/^[[:space:]]*{ "\([^"]*\)".*/--\1/p' "$src" | sort -u)
[ -n "$code" ] || fail "no options[] in $src"
for o in $code; do
	echo "$all" | grep -qx -- "$o" || fail "no usage text names $o"
done
ok "every option of the code is in some command's usage ($(echo $code | wc -w))"

ncase=0 prev=""
for c in "" $cmds; do
	name=${c:-dashboard}
	"$ISOAUDIT" $c --help >"$T/h1" 2>"$T/e1" || fail "$name --help: exit $?"
	[ -s "$T/e1" ] && fail "$name --help wrote to stderr"
	if [ -n "$c" ]; then
		head -1 "$T/h1" | grep -q "^usage: isoaudit $c" || fail "$c --help: $(head -1 "$T/h1")"
		"$ISOAUDIT" help "$c" >"$T/h2" || fail "help $c: exit $?"
		cmp -s "$T/h1" "$T/h2" || fail "help $c differs from $c --help"
	else
		head -1 "$T/h1" | grep -q "^usage: isoaudit \[OPTIONS\]" || fail "--help: $(head -1 "$T/h1")"
	fi
	for p in $prev; do cmp -s "$T/h1" "$p" && fail "$name prints the usage of another command"; done
	cp "$T/h1" "$T/usage.$name"
	prev="$prev $T/usage.$name"
	# The options: section, a line an option: "  --db PATH", "  -c, --config".
	takes=$(sed -n '/^options:/,/^$/p' "$T/h1" |
	    grep -o -- '^ *\(-[a-z], \)\{0,1\}--[a-z][a-z-]*' |
	    grep -o -- '--[a-z][a-z-]*' | sort -u)
	for o in $code; do
		case $o in --help|--version) continue ;; esac
		v=$(value "$o")
		# shellcheck disable=SC2086
		"$ISOAUDIT" $c "$o" $v --help >"$T/o.out" 2>"$T/o.err"
		rc=$?
		if echo "$takes" | grep -qx -- "$o"; then
			[ "$rc" -eq 0 ] || { cat "$T/o.err"; fail "$name refuses $o (exit $rc)"; }
			cmp -s "$T/o.out" "$T/h1" || fail "$name $o --help: not its usage"
		else
			[ "$rc" -eq 2 ] || fail "$name takes $o, which its usage does not name (exit $rc)"
			one_line "$T/o.err"
			grep -q -- "$o is not an option of $c\|$o goes with a command" "$T/o.err" ||
			    fail "$name $o: $(cat "$T/o.err")"
			[ -s "$T/o.out" ] && fail "$name $o: wrote to stdout"
		fi
		ncase=$((ncase + 1))
	done
done
ok "each command takes exactly the options its usage names ($ncase cases)"

# The issue's example: prune with a report option.
"$ISOAUDIT" prune --older-than 30d --format html >"$T/p.out" 2>"$T/p.err"
[ $? -eq 2 ] || fail "prune --format html: want exit 2"
one_line "$T/p.err"
grep -qx 'isoaudit: prune: --format is not an option of prune (see isoaudit prune --help)' "$T/p.err" ||
    fail "prune --format: $(cat "$T/p.err")"

# A missing argument is not an unknown option.
for args in "monitor --control" "report -o" "check --since" "monitor --duration"; do
	# shellcheck disable=SC2086
	"$ISOAUDIT" $args >"$T/m.out" 2>"$T/m.err"
	[ $? -eq 2 ] || fail "$args: want exit 2"
	one_line "$T/m.err"
	o=${args#* }
	grep -q -- "option $o needs an argument" "$T/m.err" || fail "$args: $(cat "$T/m.err")"
done
"$ISOAUDIT" report --frobnicate >"$T/u.out" 2>"$T/u.err"
[ $? -eq 2 ] || fail "unknown option: want exit 2"
grep -qx 'isoaudit: report: unknown option --frobnicate (see isoaudit report --help)' "$T/u.err" ||
    fail "unknown option: $(cat "$T/u.err")"
"$ISOAUDIT" help frobnicate >"$T/u.out" 2>"$T/u.err"
[ $? -eq 2 ] || fail "help frobnicate: want exit 2"
one_line "$T/u.err"
ok "missing arguments, unknown options and commands: one line, exit 2"

# A password file that is not there is said at once (it was ignored in
# silence wherever Tor offered a cookie), by the commands that take one.
"$ISOAUDIT" monitor --control 127.0.0.1:1 --password-file "$T/none.pw" \
    >"$T/pw.out" 2>"$T/pw.err"
[ $? -eq 2 ] || fail "missing password file: want exit 2"
one_line "$T/pw.err"
grep -q "password file $T/none.pw: No such file" "$T/pw.err" ||
    fail "missing password file: $(cat "$T/pw.err")"
printf 'PasswordFile %s\n' "$T/none.pw" >"$T/pw.conf"
"$ISOAUDIT" -c "$T/pw.conf" check --db "$T/none.db" >"$T/pw.out" 2>"$T/pw.err"
[ $? -eq 3 ] || fail "check with a config's missing password file: want 3 (no database), not 2"
grep -q "password" "$T/pw.err" && fail "check spoke of the password file"
ok "a missing password file: one line, exit 2, only where one is read"

# A hostile operand or value is shown printable.
esc=$(printf '\033[31mred\007')
"$ISOAUDIT" check --format "$esc" >"$T/x.out" 2>"$T/x.err"
[ $? -eq 2 ] || fail "hostile --format: want exit 2"
one_line "$T/x.err"
grep -q "$(printf '\033')" "$T/x.err" && fail "an escape reached stderr"
grep -qF '\x1b[31mred\x07' "$T/x.err" || fail "hostile --format: $(cat "$T/x.err")"
"$ISOAUDIT" report "$esc" >"$T/x.out" 2>"$T/x.err"
[ $? -eq 2 ] || fail "hostile operand: want exit 2"
grep -q "$(printf '\033')" "$T/x.err" && fail "an escape reached stderr"
ok "hostile operands and values are escaped"
