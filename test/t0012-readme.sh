#!/bin/sh
# The README's examples run as written.
#
# The code blocks are taken from the README itself: under each section
# heading (a line underlined with - or =), a run of lines indented four
# spaces that follows a blank line.  A block is named by the first word of
# its section and its place there (relay-2, the second block under "relay
# in pipelines", checked by check_relay_2).  Every block is either run and
# checked below, or reported as a TAP skip saying why; a run block with no
# check function fails, so an example added to the README cannot go
# untested.
#
# Not run (a TAP skip each, chosen by what the block runs): make demo or
# make check (the whole build and suite: KVM or the VM rig), husk or vmrun
# (KVM and root), make kernel or mkinitramfs (Debian's kernel, downloaded).
#
# Run: the relay, streamd and guest-agent-on-the-host blocks.  Each block
# is a script for bash (the shell the README's reader types into), run in
# one directory per section with standard input from /dev/null and a
# 60 second timeout, in order: what a block exports (RELAY_DIR) reaches
# the later blocks of its section.  The only changes, made mechanically:
#
#   /shared/.relay        -> $TRASH/shared/.relay   (a scratch directory)
#   /src                  -> $TRASH/src             (the container's tree,
#                            a git repository with a Makefile, made below)
#   /var/log/relayd.log   -> $TRASH/relayd.log
#   127.0.0.1:8000        -> 127.0.0.1:PORT          (a free port)
#   CMD &                 -> bg CMD                  (test-lib's bg, so it is
#                            stopped at the end); when CMD is a daemon
#                            (relayd, streamd, guest-agent) without -R, it is
#                            given -R FIFO and the line waits (10 s at most)
#                            for its READY there, as a reader at a prompt
#                            would wait for it to start
#   a line continued with \ is joined; comments are dropped; after each
#                            line, its exit statuses are appended to NAME.st:
#                            $PIPESTATUS for a pipeline, so every status in
#                            one is checked, else $? (a loop, a list)
#
# The tools the examples use (jq, tee, gzip, curl, git, make, tar, vmstat)
# must be installed: mk/deps check installs them; a missing one fails.
. "$(dirname "$0")/test-lib.sh"

T=$TRASH
README=$HUSK_ROOT/README

# ---- extraction -------------------------------------------------------

# blocks/blk.K holds the K-th block (indent removed); blocks/index has a
# line "K|section|place" for each.
mkdir blocks
awk -v dir=blocks '
	function endblock() { if (inb) close(file); inb = 0; pend = 0 }
	/^(-+|=+)$/ && length($0) >= 3 && prev != "" && prev !~ /^ / {
		endblock(); section = prev; place = 0; blank = 0; prev = $0; next
	}
	/^    / && (inb || blank) {
		if (!inb) {
			k++; place++; inb = 1; file = dir "/blk." k
			print k "|" section "|" place >(dir "/index")
		}
		for (; pend > 0; pend--) print "" >file
		print substr($0, 5) >file
		blank = 0; prev = $0; next
	}
	/^[ \t]*$/ { if (inb) pend++; blank = 1; prev = $0; next }
	{ endblock(); blank = 0; prev = $0 }
' "$README"

# transform NAME PORT <block >script: the changes listed above.
transform() {
	sed -e "s#/shared/\\.relay#$T/shared/.relay#g" \
	    -e "s#\\(^\\| \\)/src\\( \\|\$\\)#\\1$T/src\\2#g" \
	    -e "s#/var/log/relayd\\.log#$T/relayd.log#g" \
	    -e "s#127\\.0\\.0\\.1:8000#127.0.0.1:$2#g" |
	awk -v name="$1" -v st="$T/$1.st" -v t="$T" '
	# A backgrounded simple command: bg it; a daemon also gets -R FIFO and
	# the line waits for its READY.
	function background(seg,   w, n, f) {
		sub(/^[ \t]+/, "", seg); sub(/[ \t]+$/, "", seg)
		if (seg ~ /\|/) { print "t0012: unable to background a pipeline: " seg >"/dev/stderr"; exit 1 }
		n = split(seg, w, /[ \t]+/)
		if (w[1] ~ /^(relayd|streamd|guest-agent)$/ && w[2] !~ /^(attach|call)$/ &&
		    seg !~ / -R /) {
			f = t "/ready." name "." (++nready)
			sub(/^[^ \t]+/, "& -R " f, seg)
			return "mkfifo " f "; bg " seg "; await_ready " f
		}
		return "bg " seg
	}
	{
		line = line $0
		if (line ~ /\\$/) { sub(/\\$/, "", line); next }
		s = line; line = ""
		out = ""; seg = ""; q = ""; n = length(s)
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			if (q == "\047") { seg = seg c; if (c == "\047") q = ""; continue }
			if (c == "\\") { seg = seg c substr(s, i + 1, 1); i++; continue }
			if (q == "\"") { seg = seg c; if (c == "\"") q = ""; continue }
			if (c == "\047" || c == "\"") { q = c; seg = seg c; continue }
			if (c == "#" && (i == 1 || substr(s, i - 1, 1) ~ /[ \t]/)) break
			if (c == ";") { out = out seg ";"; seg = ""; continue }
			if (c == "&") {
				p = substr(s, i - 1, 1); nx = substr(s, i + 1, 1)
				if (nx == "&") { seg = seg "&&"; i++; continue }
				if (p == ">" || p == "<" || nx == ">") { seg = seg c; continue }
				out = out background(seg) ";"; seg = ""; continue
			}
			seg = seg c
		}
		out = out seg
		if (out ~ /^[ \t;]*$/) next
		print out
		print "_s=\"${PIPESTATUS[*]}\" _r=$?; [ \"${_s##* }\" = \"$_r\" ] || _s=$_r; echo \"$_s\" >>" st
	}'
}

# run_block K NAME DIR PORT: the block as a bash script in DIR, with the
# exports of the section's earlier blocks; NAME.out, NAME.err, NAME.st.
run_block() {
	{
		echo "cd $T/$3 || exit 111"
		echo "[ -f $T/env.$3 ] && . $T/env.$3"
		echo "bg() { \"\$@\" & echo \$! >>$T/.bg_pids; }"
		echo "await_ready() { timeout 10 head -n 1 \"\$1\" >/dev/null; }"
		echo ": >$T/$2.st"
		transform "$2" "$4" <blocks/blk.$1 || return 1
		echo "export -p >$T/env.$3"
	} >"$T/$2.sh" || return 1
	timeout 60 bash "$T/$2.sh" </dev/null >"$T/$2.out" 2>"$T/$2.err"
	rc=$?
	for f in sh out err st; do echo "--- $2.$f"; cat "$T/$2.$f"; done
	[ $rc = 0 ] || { echo "$2: the block's script exited $rc"; return 1; }
}

# want_st NAME LINE...: the exit statuses of the block's lines, each line's
# pipeline as "S1 S2 ...".
want_st() {
	n=$1; shift
	printf '%s\n' "$@" >"$T/$n.st.want"
	test_cmp "$T/$n.st.want" "$T/$n.st"
}

# ---- what the examples work on ----------------------------------------

test_expect_success 'the tools the examples use are installed (mk/deps check)' '
	for t in bash jq tee gzip curl git make tar vmstat timeout python3; do
		command -v $t >/dev/null || { echo "$t missing: run mk/deps check"; return 1; }
	done
'

# The container's /src: a git repository whose make test fails (exit 3,
# so make exits 2), whose lint fails, with a report for jq.
mkdir -p src/build shared host streamd agent &&
cat >src/Makefile <<'EOF'
test:
	@echo running 41 tests; exit 3
unit:
	@echo unit ok
lint:
	@echo lint: 1 warning; exit 1
docs:
	@echo docs built
EOF
echo '{"summary":{"passed":41,"failed":1},"tests":[]}' >src/build/report.json &&
(cd src && git init -q && git add Makefile build/report.json) || exit 1

# streamd's directory: a Makefile whose default target builds, and a tar.
cat >streamd/Makefile <<'EOF'
all: a b
a b:
	@echo built $@
EOF
for i in 1 2 3; do echo "file $i" >streamd/f$i; done
(cd streamd && tar -cf big.tar f1 f2 f3) || exit 1

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- the checks, one per run block -------------------------------------

# relayd in the container, in the background, ready.
check_relay_1() {
	want_st relay-1 0 &&
	test -s "$T/shared/.relay/server.ready" &&
	relay -d "$T/shared/.relay" status >/dev/null
}

# relay run: streamed through tee, make's status kept; sh -c quoting;
# output piped to jq.
check_relay_2() {
	want_st relay-2 0 "2 0" 0 "0 0" &&
	grep -qx "running 41 tests" test.log &&
	grep -q "make: \*\*\* \[Makefile:2: test\] Error 3" test.log &&
	printf '%s\n' "running 41 tests" 2 >want.head &&
	grep -v "^make: " "$T/relay-2.out" | head -n 2 >got.head &&
	test_cmp want.head got.head &&
	test "$(grep -v "^make: " "$T/relay-2.out" | tail -n +3 | jq -c .)" = \
		'{"passed":41,"failed":1}'
}

# Queue three, wait for each (lint fails), follow the last, count the
# queue, cancel one.
check_relay_3() {
	want_st relay-3 0 0 0 "0 0" 130 &&
	test $(wc -l <ids) = 3 &&
	lint=$(sed -n 2p ids) &&
	printf '%s\n' "$lint failed: 2" "docs built" 0 >want.out &&
	head -n 3 "$T/relay-3.out" >got.out && test_cmp want.out got.out &&
	test $(wc -l <"$T/relay-3.out") = 4 &&
	tail -n 1 "$T/relay-3.out" | grep -Eqx "[^ ]+ cancelled( before it started)?"
}

# A script waits for relayd's READY on a FIFO.
check_relay_4() {
	want_st relay-4 0 &&
	test -p ready
}

# A build nobody watches, attached later: output, status, exit file.
check_streamd_1() {
	want_st streamd-1 0 "0 0" 0 &&
	sort build.log >got.log && printf '%s\n' "built a" "built b" >want.log &&
	test_cmp want.log got.log &&
	printf '%s\n' "built a" "built b" "exit 0" >want.out &&
	{ head -n 2 "$T/streamd-1.out" | sort; tail -n +3 "$T/streamd-1.out"; } >got.out &&
	test_cmp want.out got.out
}

# Input fed through a client; a newer client takes over from an older one;
# the journals stitch the parts.
check_streamd_2() {
	want_st streamd-2 0 "0 0" 0 0 0 "0" &&
	printf '%s\n' f1 f2 f3 >want.out && head -n 3 "$T/streamd-2.out" >got.out &&
	test_cmp want.out got.out &&
	cat j1 j2 >want.j && tail -n +4 "$T/streamd-2.out" >got.j && test_cmp want.j got.j &&
	grep -q "preempted by a newer client" "$T/streamd-2.err" &&
	test -s part1 && test -s part2 &&
	# each journal is contiguous and matches its part; j2 goes on from j1
	awk "{ if (\$1 != 1 || \$2 != s) exit 1; s = \$2 + \$3 } END { print s }" j1 >end1 &&
	test "$(cat end1)" = "$(wc -c <part1)" &&
	awk -v s="$(cat end1)" "{ if (\$1 != 1 || \$2 != s) exit 1; s = \$2 + \$3 } END { print s }" j2 >end2 &&
	test "$(cat end2)" = "$(( $(cat end1) + $(wc -c <part2) ))" &&
	test "$(cat part1 part2 | wc -l)" = 7 &&
	echo "exit 0" | cmp - job.exit
}

# The agent on the host: health, exec, code in a language, curl.
check_guest_agent_2() {
	want_st guest-agent-2 "0 0" 0 0 0 0 "0 0" 0 &&
	test "$(wc -c <token)" = 48 &&
	sed -n 1p "$T/guest-agent-2.out" | jq -e ".status == \"ok\" and .languages == [{\"name\":\"python\",\"version\":\"3\"}]" &&
	sed -n 2p "$T/guest-agent-2.out" >got.uname && uname -a >want.uname && test_cmp want.uname got.uname &&
	test "$(sed -n 3p "$T/guest-agent-2.out")" = 42 &&
	sed -n 4p "$T/guest-agent-2.out" | jq -e ".exit_code == 3 and .signal == null and .stdout == \"hi\\n\"" &&
	test $(wc -l <"$T/guest-agent-2.out") = 4
}

# ---- every block: run and checked, or skipped --------------------------

test_expect_success 'the README has the examples this test expects' '
	cut -d"|" -f2 blocks/index | sort -u >sections &&
	for s in "relay in pipelines" "streamd in pipelines" "guest-agent and the guest image"; do
		grep -qx "$s" sections || { echo "no section $s"; return 1; }
	done
'

while IFS='|' read -r k section place <&3; do
	name="$(echo "$section" | cut -d" " -f1)-$place"
	label="README: $section #$place"
	body=$(cat blocks/blk.$k)
	why=
	case $body in
	*"make demo"*|*"make check"*) why="needs KVM or the VM rig (make demo, make check)" ;;
	*husk\ *|*vmrun\ *) why="needs KVM and root (husk run, vmrun)" ;;
	*"make kernel"*|*mkinitramfs*) why="needs Debian's kernel, downloaded (make kernel)" ;;
	esac
	if [ -n "$why" ]; then
		test_count=$((test_count + 1))
		printf 'ok %d - %s # skip %s\n' "$test_count" "$label" "$why"
		continue
	fi
	case $section in
	relay*) dir=host ;;
	streamd*) dir=streamd ;;
	guest-agent*) dir=agent ;;
	*) dir=other ;;
	esac
	fn=check_$(echo "$name" | tr -- - _)
	test_expect_success "$label runs as written" '
		command -v '"$fn"' >/dev/null || { echo "no '"$fn"': add one for this example"; return 1; }
		run_block '"$k $name $dir $PORT"' && (cd '"$dir"' && '"$fn"')
	'
done 3<blocks/index

test_done
