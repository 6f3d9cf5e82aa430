#!/bin/sh
# husk submit/status/logs/wait through relayd (husk serve): the queued
# command is `husk run` with the submitter's HUSK_ variables and its
# arguments quoted exactly.  (The runs fail before a VM is needed.)
. "$(dirname "$0")/test-lib.sh"

HUSK_STATE=$PWD/state
export HUSK_STATE
mkdir state

test_expect_success 'husk submit queues husk run; status shows it queued' '
	HUSK_PREFIX=31 husk submit -l "no'\''pe \$HOME" -c "echo it'\''s" >id &&
	test -n "$(cat id)" &&
	husk status "$(cat id)" >got && echo queued >want && test_cmp want got &&
	husk status --json "$(cat id)" >got &&
	echo "{\"id\":\"$(cat id)\",\"state\":\"queued\",\"exit\":null}" >want && test_cmp want got
'
test_expect_success 'on a fresh machine submit and status create the relay directory' '
	HUSK_STATE=$PWD/fresh/state husk submit -c "echo hi" >fid 2>err &&
	test -n "$(cat fid)" && test -d fresh/state/relay &&
	{ HUSK_STATE=$PWD/fresh2/state husk status >got 2>err; test $? = 1; } &&
	grep -qx "server: none" got && test ! -s err
'
test_expect_success 'husk serve runs it: the submitter environment and quoting survive' '
	bg husk serve -j 2 2>relayd.log &&
	husk wait "$(cat id)"; test $? = 100 &&
	husk logs "$(cat id)" >log 2>&1 &&
	grep -qx "husk: fatal: unable to use HUSK_PREFIX 31: not in 1..30" log &&
	husk status "$(cat id)" >got && echo "done 100" >want && test_cmp want got
'
test_expect_success 'the language word reaches husk run unchanged' '
	husk submit -l "no'\''pe \$HOME" -c "echo it'\''s" >id2 &&
	husk wait "$(cat id2)"; test $? = 100 &&
	husk logs "$(cat id2)" >log 2>&1 &&
	grep -qF "unable to run language no'\''pe \$HOME: not one of: sh python3 lua c node" log
'
test_expect_code 1 'status of an unknown job is false' 'husk status 1.2-no-such' \
	'^husk: fatal: unable to find job 1\.2-no-such in '
test_expect_code 100 'status of a bad id is a usage error' 'husk status "../x"' \
	'^husk: fatal: unable to parse job id \.\./x'
test_expect_success 'husk status without a job is relay status' '
	husk status --json >got && grep -q "\"dir\": *\"$HUSK_STATE/relay\"" got
'
test_expect_success 'status of a job whose exit file is corrupt: an error, never bad JSON' '
	mkdir -p state/relay/result &&
	printf "7\", \"x\": \"y" >state/relay/result/1.2-corrupt.exit &&
	{ husk status --json 1.2-corrupt >got 2>err; test $? = 111; } &&
	test ! -s got &&
	grep -q "^husk: fatal: unable to read .*1.2-corrupt.exit: not an exit status" err &&
	{ husk status 1.2-corrupt >got 2>err; test $? = 111; } && test ! -s got
'
test_done
