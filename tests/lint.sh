#!/bin/sh
# Lints the man pages and checks that the man page, --help and the option
# table in src/main.c name exactly the same flags.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/logmetrics}
pass=0
fail=0

check() {
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

mandoc_lint() {
	out=$(mandoc -Tlint -W warning "$1" 2>&1)
	[ -z "$out" ] && return 0
	echo "FAIL: mandoc -Tlint $1:" >&2
	echo "$out" >&2
	return 1
}

# Long flags then short flags, one per line, sorted.
flags_table() {
	sed -n '/^static const struct option longopts/,/^};/p' \
	    "$top/src/main.c" | grep -o '{ "[a-z-]*"' | sed 's/{ "/--/;s/"//'
	grep -o 'getopt_long(argc, argv, "[^"]*"' "$top/src/main.c" |
	    sed 's/.*"\([^"]*\)"/\1/' | tr -d ':' | fold -w1 | sed 's/^/-/'
}

flags_help() {
	"$bin" --help | grep -o '\-\-*[a-zA-Z][a-z-]*' | grep -v '^-[a-z][a-z]'
}

flags_man() {
	grep -o 'Fl [\\]*-*[a-zA-Z][a-z-]*' "$top/man/logmetrics.1" |
	    sed 's/Fl \\-/--/;s/Fl /-/'
}

# Every long flag of the table must have its short twin where it has one.
same_flags() {
	flags_table | sort -u >"$tmp/table"
	flags_help | sort -u >"$tmp/help"
	flags_man | sort -u >"$tmp/man"
	ok=0
	# --help shows short forms where a flag has one; add the long twins.
	for f in "$tmp/help" "$tmp/man"; do
		sort -u "$f" -o "$f"
	done
	if ! diff -u "$tmp/table" "$tmp/man" >&2; then
		echo "FAIL: man/logmetrics.1 and src/main.c disagree" >&2
		ok=1
	fi
	# --help names each flag once, short form preferred.
	for flag in $(cat "$tmp/table"); do
		grep -qx -- "$flag" "$tmp/help" && continue
		case "$flag" in
		--help) grep -qx -- -h "$tmp/help" && continue ;;
		--label) grep -qx -- -L "$tmp/help" && continue ;;
		--listen) grep -qx -- -l "$tmp/help" && continue ;;
		--output) grep -qx -- -o "$tmp/help" && continue ;;
		--rules) grep -qx -- -r "$tmp/help" && continue ;;
		esac
		echo "FAIL: --help does not show $flag" >&2
		ok=1
	done
	for flag in $(cat "$tmp/help"); do
		grep -qx -- "$flag" "$tmp/table" && continue
		echo "FAIL: --help shows $flag, unknown to src/main.c" >&2
		ok=1
	done
	return $ok
}

# Module A depends on module B when src/A.c or src/A.h includes B.h; no
# two modules may depend on each other, directly or through others.
modules_acyclic() {
	for f in "$top"/src/*.[ch]; do
		m=$(basename "$f")
		m=${m%.?}
		sed -n 's/^#include "\([a-z_]*\)\.h".*/\1/p' "$f" |
		    while read -r h; do
			[ "$h" != "$m" ] && echo "$m $h"
		done
	done | sort -u >"$tmp/deps"
	if ! tsort "$tmp/deps" >/dev/null 2>"$tmp/loop"; then
		echo "FAIL: modules depend on each other:" >&2
		cat "$tmp/loop" >&2
		return 1
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check mandoc_lint "$top/man/logmetrics.1"
check mandoc_lint "$top/man/logmetrics.rules.5"
check mandoc_lint "$top/man/logmetrics.test.5"
check same_flags
check modules_acyclic
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
