#!/bin/sh
# Two relayd on one directory never run one command twice.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'queue 500 commands, serve them with two relayd -j 2' '
	for i in $(seq 1 500); do
		relay -d d submit -- "echo \$RELAY_ID >>runs" 2>/dev/null || return 1
	done >ids &&
	bg relayd -d d -w . -j 2 2>one.log &&
	bg relayd -d d -w . -j 2 2>two.log &&
	for id in $(cat ids); do relay -d d wait $id || return 1; done
'

test_expect_success 'each command ran exactly once' '
	test "$(wc -l <runs)" = 500 &&
	sort ids >want && sort runs >got && test_cmp want got
'

test_expect_success 'both servers took a share' '
	n1=$(grep -c started one.log) && n2=$(grep -c started two.log) &&
	echo "one ran $n1, two ran $n2" &&
	test $((n1 + n2)) = 500 && test $n1 -gt 0 && test $n2 -gt 0
'

test_expect_success 'nothing is left claimed or running' '
	test_empty d/cmd d/run d/cancel &&
	test "$(ls d/srv | wc -l)" = 2 &&
	for s in d/srv/*; do test "$(ls $s)" = "" || return 1; done
'
test_done
