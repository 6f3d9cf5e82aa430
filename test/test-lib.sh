# test-lib.sh: sourced by every test/tNNNN-area-detail.sh (after git's
# t/test-lib.sh).  Gives each test a scratch directory, TAP output, and
# stops every process the test started.
#
#   test_expect_success 'what' 'step && step'
#   test_expect_code N 'what' 'command' ['ERE']
#                       the command exits N and, given an ERE, a line of
#                       its stderr matches it (so leave stderr alone in
#                       it).  Give the message: a failed step, grep above
#                       all, exits 1 too; any other check after the
#                       command belongs in a test_expect_success
#   test_expect_todo 'what' 'body'   a known breakage, TAP "# TODO"
#   test_skip 'what' 'reason'   a test this machine cannot run: "ok N -
#                       what # SKIP reason", counted in the plan.  Not
#                       `cond && test_expect_success` (a test dropped
#                       unseen) nor a body that passes doing nothing
#   bg relayd -d d      start a daemon, remembered for cleanup ($! as usual)
#   wait_for 'cond' [seconds]
#   test_done
TEST_NAME=$(basename "$0" .sh)
# Tests live in test/ or, run by the VM rig, in test/vm/.
HUSK_ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ "$(basename "$HUSK_ROOT")" = test ] && HUSK_ROOT=$(dirname "$HUSK_ROOT")
PATH="$HUSK_ROOT/bin:$PATH"
export PATH
unset RELAY_DIR HUSK_READY_FIFO
# Run by make check, a test would pass make's jobserver and level on to a
# make it runs (make[1]: Entering directory ...): it starts as from a shell.
unset MAKEFLAGS MAKELEVEL MFLAGS MAKEOVERRIDES
TRASH="$HUSK_ROOT/test/trash.$TEST_NAME"
rm -rf "$TRASH"
mkdir -p "$TRASH" || exit 1
cd "$TRASH" || exit 1
test_count=0
test_failed=0

# Daemons are remembered in a file, so ones started in a subshell (a
# test_expect_code body) are stopped too.
bg() {
	"$@" &
	echo $! >>"$TRASH/.bg_pids"
}

# Stop what the test started: TERM, a grace, then KILL.
test_cleanup() {
	bg_pids=$(cat "$TRASH/.bg_pids" 2>/dev/null)
	rm -f "$TRASH/.bg_pids"
	for p in $bg_pids; do kill -TERM "$p" 2>/dev/null; done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		alive=
		for p in $bg_pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -z "$alive" ] && break
		sleep 0.2
	done
	for p in $bg_pids; do kill -KILL "$p" 2>/dev/null; done
	return 0
}
trap 'test_cleanup' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP

say() { printf '# %s\n' "$*"; }

test_ok_() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s\n' "$test_count" "$1"
}

# split_: stderr is not stdout.  The rig's guest runs each test with 2>&1,
# and what goes to both would be there twice.
split_() { ! [ /proc/self/fd/1 -ef /proc/self/fd/2 ]; }

# diag_: its input as diagnostics, on stdout (the TAP stream) and on
# stderr too, which prove shows (it shows no comments), where they differ.
diag_() {
	if split_; then tee -a /dev/stderr; else cat; fi
}

test_fail_() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	printf 'not ok %d - %s\n' "$test_count" "$1"
	# Which file and test, for stderr's reader (prove -j mixes files).
	if split_; then
		printf '# failed: %s: %d - %s\n' "${0##*/}" "$test_count" "$1" >&2
	fi
	printf '%s\n' "$2" | sed 's/^/#	/' | diag_
}

# The body runs in a function of its own, so a `return 1` in it fails the
# test instead of returning from test_expect_success before it reports.
test_eval_() { eval "$1"; }

# What a failed body got, where it kept it: the files err and out (in the
# directory it ended in) that it wrote, their last 20 lines each.  (A test
# run by the VM rig: it reads the emulation's failures there too.)  Not
# older than .start: a file's time has the kernel's tick, not the clock's
# nanoseconds, so one written just after .start has its time.
test_files_() {
	for f in err out; do
		[ -f "$f" ] && ! [ "$TRASH/.start" -nt "$f" ] || continue
		tail -n 20 "$f" | sed "s/^/# $f: /" | diag_
	done
}

test_expect_success() {
	: >"$TRASH/.start"
	if test_eval_ "$2" >"$TRASH/.out" 2>&1; then
		test_ok_ "$1"
	else
		test_fail_ "$1" "$2"
		tail -n 40 "$TRASH/.out" | sed 's/^/# /' | diag_
		test_files_
	fi
}

# test_expect_todo 'what' 'body': a known breakage (git's
# test_expect_failure).  It runs and reports, with a TAP "# TODO"
# directive, so its failure is shown but does not fail the test file.
test_expect_todo() {
	test_count=$((test_count + 1))
	if test_eval_ "$2" >"$TRASH/.out" 2>&1; then
		printf 'ok %d - %s # TODO known breakage vanished\n' "$test_count" "$1"
	else
		printf 'not ok %d - %s # TODO known breakage\n' "$test_count" "$1"
		tail -n 20 "$TRASH/.out" | sed 's/^/# /'
	fi
}

# test_expect_code N 'what' 'command' ['ERE']: see the top.  Its stdout
# and stderr are kept apart, so that the ERE sees stderr alone.
test_expect_code() {
	want=$1; shift
	# In a subshell, so the body may end with exit.
	( eval "$2" ) >"$TRASH/.out" 2>"$TRASH/.err"
	got=$?
	why=
	[ "$got" = "$want" ] || why="exit $got, want $want"
	if [ $# -ge 3 ] && ! grep -Eq -e "$3" "$TRASH/.err"; then
		why="${why:+$why; }no line of stderr matches /$3/"
	fi
	if [ -z "$why" ]; then
		test_ok_ "$1"
	else
		test_fail_ "$1 ($why)" "$2"
		{
			tail -n 20 "$TRASH/.out" | sed 's/^/# out: /'
			tail -n 20 "$TRASH/.err" | sed 's/^/# err: /'
		} | diag_
	fi
}

# test_skip 'what' 'reason': a test this machine cannot run, reported as
# skipped (TAP "# SKIP") so that it is seen and counted in the plan.
test_skip() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s # SKIP %s\n' "$test_count" "$1" "$2"
}

# wait_for 'shell condition' [seconds [ms]]: test every 20 ms (or every
# ms: where each test forks much, as under TCG, fewer are kinder); false on
# timeout.
wait_for() {
	# Names of its own: a shell function has no locals, and a body that
	# counts with n around a wait_for (pwait) lost its count.
	wf_step=${3:-20}
	wf_n=$(( ${2:-10} * 1000 / wf_step ))
	while [ "$wf_n" -gt 0 ]; do
		eval "$1" && return 0
		sleep "$(printf '%d.%03d' $((wf_step / 1000)) $((wf_step % 1000)))"
		wf_n=$((wf_n - 1))
	done
	echo "wait_for timed out: $1" >&2
	return 1
}

# Exact comparison, showing both sides on failure.
test_cmp() {
	cmp -s "$1" "$2" && return 0
	echo "--- $1"; cat "$1"; echo "+++ $2"; cat "$2"
	return 1
}

# The process whose pid is in file $1 is gone (kill -0 fails).
gone() {
	p=$(cat "$1") || return 1
	[ -n "$p" ] || return 1
	! kill -0 "$p" 2>/dev/null
}

# Every directory named is empty (hidden temp files included).
test_empty() {
	for d in "$@"; do
		[ -z "$(ls -A "$d")" ] || { echo "$d not empty:"; ls -lA "$d"; return 1; }
	done
}

test_done() {
	test_cleanup
	printf '1..%d\n' "$test_count"
	if [ "$test_failed" = 0 ]; then
		cd "$HUSK_ROOT" && rm -rf "$TRASH"
		exit 0
	fi
	exit 1
}
