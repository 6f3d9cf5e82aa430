#!/bin/sh
# Every tool's usage matches its man page SYNOPSIS, line for line.
. "$(dirname "$0")/test-lib.sh"

# mdoc SYNOPSIS to text: .Nm starts a line; .Op wraps in []; Fl adds "-".
synopsis() {
	awk -v name="$2" '
	/^\.Sh SYNOPSIS/ { on = 1; next }
	/^\.Sh/ { on = 0 }
	!on { next }
	/^\.Nm/ { if (line != "") print line; line = name; rest = ""
		if (NF == 1) next }
	{
		m = $1; out = ""; $1 = substr($1, 2)
		for (i = 1; i <= NF; i++) {
			t = $i
			if (t == "Fl") { i++; t = "-" $i }
			else if (t == "Ar" || t == "Cm" || t == "Op" || t == "Nm") continue
			out = out (out == "" ? "" : " ") t
		}
		if (m == ".Op") out = "[" out "]"
		if (m == ".Nm") { if (out != "") line = line " " out; next }
		line = line " " out
	}
	END { if (line != "") print line }' "$1"
}

for page in "$HUSK_ROOT"/cmd/*.[1-8]; do
	name=$(basename "$page" | sed 's/\.[1-8]$//')
	test_expect_success "$name: usage matches the SYNOPSIS of $(basename $page)" '
		synopsis "$page" "$name" >want &&
		{ "$name" -h 2>&1; true; } | sed "s/^usage: //; s/^ *//" >got &&
		test_cmp want got
	'
done
test_done
