#!/bin/sh
# husk run as a CI step, in real microVMs: a workspace in (-C, -x), files
# out (-o), standard input streamed; what a guest may put in an -o copy
# is held to DEST and to the bound.  Nothing may be left.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

# manifest DIR: every entry's mode, type and name, every link's target,
# every file's sha256 (busybox on both sides: the same format).
cat >manifest.sh <<'EOF'
cd "${1:-/job}" || exit 1
find . ! -name . | sort | xargs stat -c '%a %F %n'
find . -type l | sort | while read -r l; do echo "$l -> $(readlink "$l")"; done
find . -type f | sort | xargs sha256sum
EOF

# A tree of 5,000 files of 10,000 bytes (50 MB) in 50 folders, with
# mixed modes, links inside (to a file, to a folder), one link pointing
# out of it, an empty folder, and a .git to leave out.
test_expect_success 'a tree of 5,000 files, 50 MB' '
	t=$(now) && "$HUSK_ROOT/build/vm/mktree" tree 50 100 10000 &&
	chmod 700 tree/d7 && mkdir tree/empty &&
	ln -s ../d1/f00 tree/d0/to-file && ln -s d2 tree/to-dir &&
	ln -s /etc/passwd tree/out-link &&
	mkdir -p tree/.git/objects && echo ref >tree/.git/HEAD &&
	test $(find tree -type f | wc -l) = 5001 &&
	note "making the tree: $(since $t) s"
'
test_expect_success 'husk run -C tree -x .git: the same tree at /job, .git left out' '
	t=$(now) &&
	HUSK_VERBOSE=1 husk run -C tree -x .git -f manifest.sh >got 2>err; st=$?;
	note "husk run -C (50 MB, 5,000 files) manifest: $(since $t) s, $(grep -o "memory raised to [0-9]* MiB" err)" &&
	test $st = 0 && (mv tree/.git git.aside && sh manifest.sh tree >want; r=$?; mv git.aside tree/.git; exit $r) &&
	test_cmp want got && grep -q "^777 symbolic link ./to-dir$" got &&
	grep -q "^./out-link -> /etc/passwd$" got && clean
'
test_expect_success 'husk run -- sh -c pwd runs in /job with -C, in /tmp without' '
	husk run -C tree/empty -- pwd >out && echo /job >want && test_cmp want out &&
	husk run -- pwd >out && echo /tmp >want && test_cmp want out && clean
'
test_expect_success 'a workspace past HUSK_WORKSPACE_MAX: exit 100, nothing left' '
	{ HUSK_WORKSPACE_MAX=1000000 husk run -C tree -- true 2>err; st=$?; } &&
	cat err && test $st = 100 &&
	grep -q "^husk: fatal: unable to pack the workspace tree" err && clean
'
test_expect_success 'husk run -o: a folder of 100 files comes back byte for byte' '
	mkdir back &&
	husk run -C tree -o d3:back -- true &&
	sh manifest.sh tree/d3 >want && sh manifest.sh back/d3 >got && test_cmp want got &&
	husk run -C tree -o d3:back -- sh -c "echo changed >d3/f00" &&
	echo changed >want && test_cmp want back/d3/f00 &&
	test "$(ls -A back)" = d3 && clean
'
# make of a small C project in the job (the c image: tcc as cc, make),
# its program copied out; the job prints the sha256 the guest sees.
test_expect_success 'make of a C project inside the job: the program copied out byte-exact' '
	test -f "$HUSK_IMAGES/c/current.cpio.gz" &&
	mkdir proj art &&
	printf "hello: hello.c util.c\n\t\$(CC) -o hello hello.c util.c -lm\n" >proj/Makefile &&
	printf "#include <math.h>\n#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%%d %%.1f\\\\n\", twice(21), sqrt(2.0)); return 0; }\n" >proj/hello.c &&
	echo "int twice(int x) { return 2 * x; }" >proj/util.c &&
	husk run -l c -C proj -o hello:art -- sh -c "make >&2 && ./hello && sha256sum hello" >out 2>err &&
	cat err && head -n 1 out >got && echo "42 1.4" >want && test_cmp want got &&
	sed -n "2s/ .*//p" out >want && sha256sum <art/hello | cut -d" " -f1 >got &&
	test_cmp want got && test -x art/hello && clean
'
test_expect_success 'seq 100000 | husk run -- wc -l prints 100000' '
	seq 100000 | husk run -- wc -l >out && echo 100000 >want &&
	tr -d " " <out >got && test_cmp want got && clean
'
test_expect_success '64 MiB through standard input: the same sha256' '
	head -c $((64 << 20)) /dev/urandom >in64 &&
	t=$(now) && husk run -t 600 -- sha256sum <in64 >out &&
	note "64 MiB through husk run stdin: $(since $t) s" &&
	sha256sum <in64 | cut -d" " -f1 >want && cut -d" " -f1 out >got &&
	test_cmp want got && rm in64 && clean
'
test_expect_success 'a job that reads no input ends, with its status, however much waits' '
	{ head -c $((8 << 20)) /dev/zero | husk run -c "exit 7"; st=$?; } &&
	test $st = 7 && clean
'
# What the guest may do to an -o copy: a link out of it, a file past the
# bound.  The copy fails (113: the job itself exited 0), nothing lands in
# DEST, nothing outside it.
test_expect_success 'a guest link to /etc in an -o folder: copy refused, 113, DEST untouched' '
	mkdir hostile &&
	{ husk run -o d:hostile -- sh -c "mkdir d && ln -s /etc d/etc && echo x >d/f" 2>err; st=$?; } &&
	cat err && test $st = 113 && grep -q "unable to copy /tmp/d out of the job" err &&
	test "$(ls -A hostile)" = "" && clean
'
test_expect_success 'a 1 GiB -o file past HUSK_OUTPUT_MAX: copy refused, 113, nothing written' '
	{ HUSK_OUTPUT_MAX=16777216 husk run -o big:hostile -- sh -c "truncate -s 1G big" 2>err; st=$?; } &&
	cat err && test $st = 113 && test "$(ls -A hostile)" = "" &&
	test "$(du -s . | cut -f1)" -lt 2000000 && clean
'
test_expect_success 'a failed job keeps its status when its copy fails too' '
	{ husk run -o nothing-here -- sh -c "exit 4" 2>err; st=$?; } &&
	test $st = 4 && grep -q "unable to copy /tmp/nothing-here out of the job" err && clean
'
figures
test_done
