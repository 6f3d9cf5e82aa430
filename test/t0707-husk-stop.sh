#!/bin/sh
# How husk run stops its vmrun (stop_child, through the hidden verb
# `husk _stop GRACE CMD`): TERM, the end waited for, KILL from a watcher
# after GRACE seconds; and nothing of the watcher outlives husk.  The
# watcher sleeps GRACE seconds in a `sleep GRACE` of its own, so a sleep
# with that odd GRACE still there is one it left behind.
. "$(dirname "$0")/test-lib.sh"

# The watcher's sleeps of GRACE $1 still running, one pid a line.
sleeps() { pgrep -x -f "sleep $1" || :; }

# The bound: a watcher's sleep ends with husk _stop, or within 3 s of it
# (a KILLed process may take a moment to go); one left behind would stay
# GRACE (37) seconds.
test_expect_success 'a child that ends at TERM: stopped at once, 30 times; no sleep of the watcher outlives husk' '
	test -z "$(sleeps 37)" &&
	i=0 &&
	while [ $i -lt 30 ]; do
		s=$(date +%s) &&
		husk _stop 37 sleep 297 2>err &&
		test ! -s err &&
		test $(( $(date +%s) - s )) -le 2 &&
		wait_for "test -z \"\$(sleeps 37)\"" 3 || return 1
		i=$((i + 1))
	done
'

test_expect_success 'the same under busybox sh, the shell of the rig'"'"'s guest (18 of 40 left behind before)' '
	test -z "$(sleeps 37)" &&
	h=$(command -v husk) &&
	i=0 &&
	while [ $i -lt 30 ]; do
		busybox sh "$h" _stop 37 sleep 297 2>err &&
		test ! -s err &&
		wait_for "test -z \"\$(sleeps 37)\"" 3 || return 1
		i=$((i + 1))
	done
'

test_expect_success 'a child that ignores TERM: killed after GRACE, said; the watcher gone with husk' '
	s=$(date +%s) &&
	(trap "" TERM; husk _stop 1 sleep 293) 2>err &&
	e=$(( $(date +%s) - s )) &&
	test $e -ge 1 && test $e -le 4 &&
	grep -q "^husk: warning: vmrun [0-9]* ignored SIGTERM for 1s: killed it$" err &&
	test $(wc -l <err) = 1 &&
	test -z "$(pgrep -x -f "sleep 293")"
'

test_expect_success 'a child already gone: reaped, nothing said, at once' '
	husk _stop 39 true 2>err &&
	test ! -s err &&
	test -z "$(sleeps 39)"
'

test_expect_code 100 'a GRACE that is no number: usage error' '
	husk _stop x true
'

# What a failure above left behind.
pkill -x -f "sleep 3[79]"
test_done
