#!/usr/bin/awk -f
# Reads man/logmetrics.1 and writes the C header of the command line:
# the option table, the short options of getopt, the usage (from SYNOPSIS)
# and the text of --help (from OPTIONS: each flag under its .Ss group, with
# its argument and the first sentence of its description, where the
# default is written "(default VALUE)").
#
# The page is mdoc; this renders the few macros the SYNOPSIS and the first
# sentences use, and stops with file:line at any other, so that --help
# never shows a macro by mistake.
#
#	awk -f man/options.awk man/logmetrics.1 >options.h

BEGIN {
	nopt = 0
	nusage = 0
	ngroup = 0
	depth = 0
	insummary = 0
	err = 0
	WIDTH = 79	# of a --help line
	COL = 30	# where descriptions start
	split("Ar Cm Dv Em Ev Fl Fn Ic Li No Ns Nm Oc Oo Op Pa Pc Po Pq Ql " \
	    "Dq Sq Sx Sy Va Xr", m, " ")
	for (i in m)
		MACRO[m[i]] = 1
}

function fail(msg) {
	printf "%s:%d: %s\n", FILENAME, FNR, msg >"/dev/stderr"
	err = 1
	exit 1
}

# Roff escapes the page uses in flags and first sentences.
function unesc(s) {
	gsub(/\\-/, "-", s)
	gsub(/\\&/, "", s)
	gsub(/\\e/, "\\", s)
	if (index(s, "\\") > 0)
		fail("an escape options.awk does not render: " s)
	return s
}

function ispunct_close(t) {
	return t == "." || t == "," || t == ";" || t == ":" || t == ")" ||
	    t == "]" || t == "?" || t == "!"
}

# The rendered text is built in R; NS set means no space before the next
# word.
function emit(w) {
	if (R != "" && !NS)
		R = R " "
	R = R w
	NS = 0
}

function closeq() {
	if (INQ)
		R = R QCLOSE
	INQ = 0
	QOPEN = ""
}

# Renders one macro line (without its dot) onto R.
function render_macro(line,    t, n, i, last, tok, nclose, closer, j) {
	n = split(line, t, /[ \t]+/)
	if (!(t[1] in MACRO))
		fail("a macro options.awk does not render: ." t[1])
	last = n
	while (last > 0 && ispunct_close(t[last]))
		last--
	nclose = 0
	FL = 0
	XR = 0
	FN = 0
	for (i = 1; i <= n; i++) {
		tok = t[i]
		if (i == last + 1) {
			closeq()
			for (j = nclose; j > 0; j--)
				R = R closer[j]
			nclose = 0
		}
		if (tok in MACRO) {
			closeq()
			FL = 0
			if (tok == "Ns")
				NS = 1
			else if (tok == "Fl")
				FL = 1
			else if (tok == "Xr")
				XR = 1
			else if (tok == "Fn")
				FN = 1
			else if (tok == "Oo") {
				emit("[")
				NS = 1
			} else if (tok == "Oc")
				R = R "]"
			else if (tok == "Po") {
				emit("(")
				NS = 1
			} else if (tok == "Pc")
				R = R ")"
			else if (tok == "Op" || tok == "Pq") {
				emit(tok == "Op" ? "[" : "(")
				NS = 1
				closer[++nclose] = tok == "Op" ? "]" : ")"
			} else if (tok == "Ql" || tok == "Sq") {
				QOPEN = "'"
				QCLOSE = "'"
			} else if (tok == "Dq") {
				QOPEN = "\""
				QCLOSE = "\""
			} else if (tok == "Nm" && (i == n ||
			    (t[i + 1] in MACRO) || ispunct_close(t[i + 1])))
				emit("logmetrics")
			continue
		}
		tok = unesc(tok)
		if (ispunct_close(tok)) {
			closeq()
			R = R tok
			NS = 0
			continue
		}
		if (tok == "(" || tok == "[") {
			emit(tok)
			NS = 1
			continue
		}
		if (FL)
			tok = "-" tok
		if (XR == 2) {
			R = R "(" tok ")"
			XR = 0
			continue
		}
		if (XR == 1)
			XR = 2
		if (FN) {
			tok = tok "()"
			FN = 0
		}
		if (QOPEN != "" && !INQ) {
			emit(QOPEN tok)
			INQ = 1
			continue
		}
		emit(tok)
	}
	closeq()
	for (j = nclose; j > 0; j--)
		R = R closer[j]
}

function render_line(line) {
	if (substr(line, 1, 1) == ".")
		render_macro(substr(line, 2))
	else
		emit(unesc(line))
}

# An .It head: "Fl h , Fl \-help" or "Fl \-listen Oo Ar addr Oc ...".
function option_head(line,    alt, n, i, k, t, nt, name, rest, j) {
	n = split(substr(line, 5), alt, / , /)
	if (n > 2)
		fail("an option has at most a short and a long form")
	nopt++
	SHORT[nopt] = ""
	LONG[nopt] = ""
	ARG[nopt] = ""
	for (i = 1; i <= n; i++) {
		nt = split(alt[i], t, /[ \t]+/)
		if (t[1] != "Fl" || nt < 2)
			fail("an option's head starts with Fl: " line)
		name = unesc(t[2])
		if (substr(name, 1, 1) == "-") {
			name = substr(name, 2)
			if (name !~ /^[a-z][a-z0-9-]*$/)
				fail("not a long flag: --" name)
			LONG[nopt] = name
		} else {
			if (name !~ /^[a-zA-Z]$/)
				fail("not a short flag: -" name)
			SHORT[nopt] = name
		}
		rest = ""
		for (k = 3; k <= nt; k++)
			rest = rest " " t[k]
		R = ""
		NS = 0
		if (rest != "")
			render_macro(substr(rest, 2))
		gsub(/ \| /, "|", R)
		if (i > 1 && R != ARG[nopt])
			fail("the short and long forms take different arguments")
		ARG[nopt] = R
	}
	if (LONG[nopt] == "")
		fail("an option without a long form")
	for (j = 1; j < nopt; j++)
		if (LONG[j] == LONG[nopt] ||
		    (SHORT[nopt] != "" && SHORT[j] == SHORT[nopt]))
			fail("the option is there twice: --" LONG[nopt])
	if (ngroup == 0)
		fail("an option before the first .Ss group")
	GROUP[nopt] = ngroup
}

function end_summary(    s, i, d) {
	s = R
	DESC[nopt] = s
	DFLT[nopt] = ""
	i = index(s, "(default ")
	if (i > 0) {
		d = substr(s, i + 9)
		if (index(d, ")") == 0)
			fail("a default without its closing parenthesis")
		d = substr(d, 1, index(d, ")") - 1)
		if (index(d, ",") > 0)
			d = substr(d, 1, index(d, ",") - 1)
		DFLT[nopt] = d
	}
	insummary = 0
}

/^\.\\"/ { next }

/^\.Sh / {
	if (insummary)
		fail("the first sentence of --" LONG[nopt] " does not end")
	section = substr($0, 5)
	next
}

section == "SYNOPSIS" {
	if ($0 == ".Nm") {
		if (nusage > 0)
			USAGE[nusage] = R
		nusage++
		R = "logmetrics"
		NS = 0
	} else
		render_line($0)
	next
}

section == "DESCRIPTION" && nusage > 0 && USAGE[nusage] == "" {
	USAGE[nusage] = R
	next
}

section != "OPTIONS" { next }

/^\.Ss / {
	if (depth != 0)
		fail(".Ss inside a list")
	GROUPNAME[++ngroup] = substr($0, 5)
	next
}

/^\.Bl / {
	if (insummary)
		fail("the first sentence of --" LONG[nopt] " does not end")
	depth++
	next
}

/^\.El/ {
	if (insummary)
		fail("the first sentence of --" LONG[nopt] " does not end")
	depth--
	next
}

depth == 1 && /^\.It / {
	if (insummary)
		fail("the first sentence of --" LONG[nopt] " does not end")
	option_head($0)
	insummary = 1
	R = ""
	NS = 0
	next
}

insummary {
	if ($0 ~ /^\.(Pp|Bd|Ed|It|D1|Dl)/)
		fail("the first sentence of --" LONG[nopt] " does not end")
	render_line($0)
	if ($0 ~ /\.$/)
		end_summary()
	next
}

function cstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\\n\""
}

# Words of text folded into lines of WIDTH, the first after prefix, the
# others indented to COL.
function fold(prefix, text,    w, n, i, line, out) {
	n = split(text, w, / +/)
	line = prefix
	out = ""
	for (i = 1; i <= n; i++) {
		if (length(line) + 1 + length(w[i]) > WIDTH &&
		    line !~ /^ *$/) {
			out = out cstr(line) "\n\t"
			line = sprintf("%" COL "s", "")
			line = line w[i]
			continue
		}
		if (line ~ / $/ || line == "")
			line = line w[i]
		else
			line = line " " w[i]
	}
	return out cstr(line)
}

function cname(s) {
	s = toupper(s)
	gsub(/-/, "_", s)
	return "OPT_" s
}

END {
	if (err)
		exit 1
	if (nopt == 0) {
		print FILENAME ": no options under .Sh OPTIONS" >"/dev/stderr"
		exit 1
	}
	if (nusage == 0) {
		print FILENAME ": no .Nm line in SYNOPSIS" >"/dev/stderr"
		exit 1
	}
	print "/* Generated from man/logmetrics.1 by man/options.awk: edit the page. */"
	print ""
	print "/* One option of the page. */"
	print "struct optdef {"
	print "\tconst char *name;  /* long form, without its dashes */"
	print "\tint\t    letter; /* short form, or 0 */"
	print "\tconst char *arg;   /* the argument as the page names it, or NULL */"
	print "\tconst char *dflt;  /* the default, or NULL */"
	print "};"
	print ""
	print "enum opt {"
	for (i = 1; i <= nopt; i++)
		print "\t" cname(LONG[i]) ","
	print "};"
	print ""
	print "#define OPT_COUNT (" cname(LONG[nopt]) " + 1)"
	print ""
	print "static const struct optdef optdefs[OPT_COUNT] = {"
	for (i = 1; i <= nopt; i++)
		printf "\t[%s] = { \"%s\", %s, %s, %s },\n", cname(LONG[i]),
		    LONG[i], SHORT[i] == "" ? "0" : "'" SHORT[i] "'",
		    ARG[i] == "" ? "NULL" : "\"" ARG[i] "\"",
		    DFLT[i] == "" ? "NULL" : "\"" DFLT[i] "\""
	print "};"
	print ""
	s = ""
	for (i = 1; i <= nopt; i++)
		if (SHORT[i] != "")
			s = s SHORT[i] (ARG[i] == "" ? "" : ":")
	print "static const char opt_letters[] = \":" s "\";"
	print ""
	print "static const char opt_usage[] ="
	for (i = 1; i <= nusage; i++)
		print "\t" cstr((i == 1 ? "usage: " : "       ") USAGE[i])
	print "\t;"
	print ""
	print "static const char opt_help[] ="
	for (g = 1; g <= ngroup; g++) {
		print "\t" cstr("") "\n\t" cstr(GROUPNAME[g] ":")
		for (i = 1; i <= nopt; i++) {
			if (GROUP[i] != g)
				continue
			left = SHORT[i] == "" ? "      " : "  -" SHORT[i] ", "
			left = left "--" LONG[i] (ARG[i] == "" ? "" : " " ARG[i])
			if (length(left) >= COL - 1) {
				print "\t" cstr(left)
				left = ""
			}
			left = sprintf("%-" COL "s", left)
			print "\t" fold(left, DESC[i])
		}
	}
	print "\t" cstr("") "\n\t" cstr("The whole of each option: man logmetrics.")
	print "\t;"
}
