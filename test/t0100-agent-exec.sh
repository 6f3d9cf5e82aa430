#!/bin/sh
# guest-agent on loopback: exit codes, signals, bytes, code, stdin, env.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"

mkdir work
printf 'sh 1 /bin/sh\npython 3 python3\n' >langs
agent_start agent -L langs -w "$PWD/work"

test_expect_success 'health answers with the languages' '
	guest-agent call "$A" health >got &&
	grep -q "^{\"status\":\"ok\",\"version\":\"husk-guest-agent 1\",\"languages\":\[{\"name\":\"sh\",\"version\":\"1\"},{\"name\":\"python\",\"version\":\"3\"}\]" got
'
test_expect_code 0 'exit 0 is returned' 'guest-agent call "$A" exec true'
test_expect_code 3 'exit 3 is returned' 'guest-agent call "$A" exec sh -c "exit 3"'
test_expect_code 127 'a missing program is 127' 'guest-agent call "$A" exec no-such-program-xyz'
test_expect_code 137 'death by SIGKILL is 128+9 in the client' \
	'guest-agent call "$A" exec sh -c "kill -KILL \$\$"'

test_expect_success 'death by signal is reported as signal, exit_code null' '
	post /exec "{\"argv\":[\"sh\",\"-c\",\"kill -SEGV \$\$\"]}" >got &&
	head -n 1 got >rec && tail -n 1 got >code &&
	echo 200 >want && test_cmp want code &&
	grep -q "\"exit_code\":null,\"signal\":11," rec &&
	grep -q "\"timed_out\":false" rec
'

test_expect_success 'exit 3 in JSON is exit_code 3, signal null' '
	post /exec "{\"argv\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 3\"]}" >got &&
	head -n 1 got >rec &&
	grep -q "^{\"exit_code\":3,\"signal\":null,\"stdout\":\"out\\\\n\",\"stderr\":\"err\\\\n\",\"truncated\":false," rec
'

test_expect_success 'binary output round-trips exactly (client, streaming)' '
	head -c 300000 /dev/urandom >bin &&
	printf "\000\377\200a\n" >>bin &&
	guest-agent call "$A" exec cat "$PWD/bin" >got &&
	cmp bin got
'

test_expect_success 'binary output round-trips exactly (JSON, stdout_b64)' '
	post /exec "{\"argv\":[\"cat\",\"$PWD/bin\"]}" >got &&
	head -n 1 got >rec &&
	grep -q "\"stdout_b64\":" rec &&
	field stdout <rec >out &&
	cmp bin out
'

test_expect_success 'stdin, env and cwd reach the job' '
	mkdir -p sub &&
	printf "in\000put" >in &&
	guest-agent call -i "$A" exec cat <in >got && cmp in got &&
	post /exec "{\"argv\":[\"sh\",\"-c\",\"echo \$FOO \$HOME; pwd; cat\"],\"env\":{\"FOO\":\"bar\"},\"cwd\":\"$PWD/sub\",\"stdin\":\"x\"}" >got &&
	head -n 1 got | field stdout >out &&
	printf "bar $PWD/work\n$PWD/sub\nx" >want && test_cmp want out
'

test_expect_success 'the agent environment does not leak into jobs' '
	SECRET_XYZ=1 guest-agent call "$A" exec env >got &&
	! grep -q SECRET got && grep -q "^PATH=" got
'

test_expect_success 'code with leading and trailing whitespace runs unchanged' '
	printf "\n  \t\ncat \"\$0\"\n\n   " >code.sh &&
	guest-agent call "$A" run sh code.sh >got &&
	cmp code.sh got &&
	printf "  import sys\n" >bad.py &&
	{ guest-agent call "$A" run python bad.py 2>err; test $? = 1; } &&
	grep -q IndentationError err
'

test_expect_success 'code files are removed after the job' '
	test_empty work
'

test_expect_success 'empty code and unknown languages are refused (400)' '
	post /exec "{\"language\":\"sh\",\"code\":\"\"}" >got &&
	tail -n 1 got >code && echo 400 >want && test_cmp want code &&
	post /exec "{\"language\":\"cobol\",\"code\":\"x\"}" >got &&
	head -n 1 got >rec &&
	echo "{\"error\":\"unknown language\",\"languages\":[\"sh\",\"python\"]}" >want &&
	test_cmp want rec
'

test_expect_success 'output is streamed before the job ends' '
	guest-agent call "$A" exec sh -c "echo first; while ! test -e go; do sleep 0.02; done; echo second" >stream &
	pid=$! &&
	wait_for "grep -q first stream" 5 &&
	! grep -q second stream &&
	touch work/go &&
	wait $pid &&
	printf "first\nsecond\n" >want && test_cmp want stream
'

# A chatty job: each line its own write, so the answer has as many chunks
# as the agent's reads (the client once counted their framing against its
# 32 KiB head limit and gave up after ~8,000).
test_expect_success 'a million lines written one by one arrive whole, with the status' '
	awk "BEGIN { for (i = 0; i < 1000000; i++) print \"line\" i }" >want &&
	{ guest-agent call -t 300000 -m 16777216 "$A" exec sh -c \
		"i=0; while [ \$i -lt 1000000 ]; do echo line\$i; i=\$((i+1)); done; exit 7" \
		>got 2>err; test $? = 7; } &&
	cmp want got && test ! -s err
'

test_expect_success 'call -d runs the job in that directory; a relative one is refused' '
	mkdir -p jobdir && guest-agent call -d "$PWD/jobdir" "$A" exec pwd >got &&
	echo "$PWD/jobdir" >want && test_cmp want got &&
	{ guest-agent call -d jobdir "$A" exec pwd 2>err; test $? = 100; } &&
	grep -qx "guest-agent: fatal: unable to use -d jobdir: not an absolute path" err
'
test_expect_success 'no job process and no descriptor is left behind' '
	ls /proc/$agent_pid/fd >before &&
	n=0; while [ $n -lt 20 ]; do
		guest-agent call "$A" exec sh -c "sleep 100 & echo x" >/dev/null || return 1
		n=$((n + 1))
	done &&
	ls /proc/$agent_pid/fd >after && test_cmp before after &&
	wait_for "! grep -ls \"^PPid:[[:space:]]*$agent_pid\$\" /proc/[0-9]*/status >/dev/null" 5
'
test_done
