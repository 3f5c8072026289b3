#!/bin/sh
# Lints the man pages, checks that --help shows every option of
# man/logmetrics.1 with its default, that the build of src/main.c follows
# the page, that make names the -dev packages it misses, and that no
# module depends on another that depends on it.
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

# The options of man/logmetrics.1: "--long" or "-s --long", one per line,
# from the .It heads under .Sh OPTIONS (the page is the one source).
page_options() {
	sed -n '/^\.Sh OPTIONS/,/^\.Sh [^O]/p' "$top/man/logmetrics.1" |
	    awk '/^\.Bl/ { d++ } /^\.El/ { d-- }
		d == 1 && /^\.It Fl / {
			s = ""; l = ""
			n = split($0, t, " ")
			for (i = 2; i < n; i++)
				if (t[i] == "Fl") {
					f = t[i + 1]; sub(/^\\-/, "--", f)
					if (f ~ /^--/) l = f; else s = "-" f
				}
			print (s == "" ? "" : s " ") l
		}'
}

# Every flag a page names (.Fl) is an option of logmetrics.1.
flags_named() {
	ok=0
	page_options | tr ' ' '\n' >"$tmp/options"
	for page in "$top"/man/*.[15]; do
		grep -o '^\.Fl [\\]*-*[a-zA-Z][a-z-]*\|[ (]Fl [\\]*-*[a-zA-Z][a-z-]*' \
		    "$page" | sed 's/.*Fl \\-/--/;s/.*Fl /-/' | sort -u |
		    while read -r f; do
			grep -qx -- "$f" "$tmp/options" && continue
			echo "FAIL: $page names $f, not an option of" \
			    "logmetrics.1" >&2
			echo x
		done
	done >"$tmp/unknown"
	[ -s "$tmp/unknown" ] && ok=1
	return $ok
}

# --help shows every option of the page, with its default where the page
# gives one ("(default VALUE)" in the option's first sentence), and no
# mdoc left unrendered.
help_shows_options() {
	"$bin" --help >"$tmp/help" || { echo "FAIL: --help" >&2; return 1; }
	ok=0
	page_options >"$tmp/page"
	[ "$(wc -l <"$tmp/page")" -ge 30 ] ||
	    { echo "FAIL: page_options found $(wc -l <"$tmp/page")" >&2; ok=1; }
	while read -r a b; do
		long=${b:-$a}
		short=${b:+$a}
		# The option's entry: its line and the indented ones after it.
		awk -v f="$long" '
		    $0 ~ "^  (-[a-zA-Z], |    )" f "( |$)" { on = 1; print; next }
		    on && substr($0, 1, 30) ~ /^ +$/ { print; next }
		    { on = 0 }' "$tmp/help" | tr -s ' \n' ' ' >"$tmp/entry"
		if [ ! -s "$tmp/entry" ]; then
			echo "FAIL: --help does not show $long" >&2
			ok=1
			continue
		fi
		if [ -n "$short" ] && ! grep -q -- "^ *$short, $long" "$tmp/entry"
		then
			echo "FAIL: --help does not show $short with $long" >&2
			ok=1
		fi
		d=$(sed -n "/^\.It Fl .*Fl \\\\${long#-}\( \|$\)/,/\.$/p;/^\.It Fl \\\\${long#-}\( \|$\)/,/\.$/p" \
		    "$top/man/logmetrics.1" | tr '\n' ' ' |
		    sed -n 's/.*(default \([^,)]*\).*/\1/p')
		if [ -n "$d" ] && ! grep -qF "(default $d" "$tmp/entry"; then
			echo "FAIL: --help shows $long without its default $d:" >&2
			cat "$tmp/entry" >&2
			ok=1
		fi
	done <"$tmp/page"
	if grep -n '\\\|\<\(Fl\|Ar\|Ql\|Ns\|Cm\|Xr\) ' "$tmp/help" >&2; then
		echo "FAIL: --help shows mdoc" >&2
		ok=1
	fi
	return $ok
}

# The build follows the page: an option added to the page alone, or taken
# from it alone, stops the build of src/main.c, and the generator names
# the line of a macro it cannot render.
page_drives_build() {
	ok=0
	build() { # page
		make -s -C "$top" B="$tmp/b" MAN1="$1" "$tmp/b/obj/main.o" \
		    >"$tmp/build" 2>&1
	}
	rm -rf "$tmp/b"
	if ! build "$top/man/logmetrics.1"; then
		echo "FAIL: main.o does not build from the page:" >&2
		cat "$tmp/build" >&2
		return 1
	fi
	awk '{ print } /^\.It Fl \\-depth-limit/ { x = 1 }
	    x && /\.$/ { print ".It Fl \\-frobnicate Ar N"
		print "Frobnicate (default 3)."; x = 0 }' \
	    "$top/man/logmetrics.1" >"$tmp/added.1"
	rm -rf "$tmp/b"
	if build "$tmp/added.1" || ! grep -q OPT_FROBNICATE "$tmp/build"; then
		echo "FAIL: an option added to the page alone builds:" >&2
		cat "$tmp/build" >&2
		ok=1
	fi
	awk '/^\.It Fl \\-timeout/ { x = 1; next } x && /^\.(It|El)/ { x = 0 }
	    !x' "$top/man/logmetrics.1" >"$tmp/taken.1"
	rm -rf "$tmp/b"
	if build "$tmp/taken.1" || ! grep -q OPT_TIMEOUT "$tmp/build"; then
		echo "FAIL: an option taken from the page alone builds:" >&2
		cat "$tmp/build" >&2
		ok=1
	fi
	sed 's/^Concurrent HTTP connections (default 256)\.$/.Bf Concurrent (default 256)./' \
	    "$top/man/logmetrics.1" >"$tmp/macro.1"
	n=$(grep -n '^\.Bf Concurrent' "$tmp/macro.1" | cut -d: -f1)
	rm -rf "$tmp/b"
	if build "$tmp/macro.1" || [ -z "$n" ] ||
	    ! grep -q "macro.1:$n: " "$tmp/build"; then
		echo "FAIL: a macro the generator cannot render, not named at" \
		    "its line:" >&2
		cat "$tmp/build" >&2
		ok=1
	fi
	rm -rf "$tmp/b"
	return $ok
}

# `make` on a machine without some -dev packages names them all and
# `make deps` before any compiler error; the packages missing are faked by
# an include path whose headers stop the preprocessor.
make_names_missing() {
	mkdir -p "$tmp/hide/inotifytools"
	echo '#error hidden' >"$tmp/hide/pcre2.h"
	echo '#error hidden' >"$tmp/hide/inotifytools/inotifytools.h"
	rm -rf "$tmp/b"
	if make -s -C "$top" B="$tmp/b" EXTRA_CFLAGS="-I$tmp/hide" \
	    "$tmp/b/obj/util.o" >"$tmp/build" 2>&1; then
		echo "FAIL: make builds without pcre2.h" >&2
		return 1
	fi
	ok=0
	for want in "libpcre2-dev, for pcre2.h" \
	    "libinotifytools0-dev, for inotifytools/inotifytools.h" \
	    "make deps installs them (as root), or: apt-get install libpcre2-dev libinotifytools0-dev"
	do
		grep -qF "$want" "$tmp/build" && continue
		echo "FAIL: make without the -dev packages does not say: $want" >&2
		ok=1
	done
	if grep -q 'error:\|hidden\|libyaml' "$tmp/build" || [ -e "$tmp/b/obj" ]
	then
		echo "FAIL: make without the -dev packages goes on:" >&2
		ok=1
	fi
	[ $ok -eq 0 ] || cat "$tmp/build" >&2
	rm -rf "$tmp/b" "$tmp/hide"
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
check flags_named
check help_shows_options
check page_drives_build
check make_names_missing
check modules_acyclic
echo "lint: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
