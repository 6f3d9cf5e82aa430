#!/bin/sh
# husk api in front of husk serve, with real microVMs: code posted over
# HTTP runs in a VM per job; its status, exit code and its two streams
# apart come back; bad requests are refused; a cancel stops a running
# job; results go after husk api -T; husk go does it all from the
# command line.  Nothing may be left.  (busybox nc is the HTTP client:
# L1 has no curl.)
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

P=17474
# req METHOD PATH [BODY]: the answer's status code on the first line of
# ans.code, its body in ans.
req() {
	if [ $# -ge 3 ]; then
		printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		    "$1" "$2" ${#3} "$3"
	else
		printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$1" "$2"
	fi | nc 127.0.0.1 $P >ans.raw || return 1
	sed -n '1s/^HTTP\/1\.[01] \([0-9]*\) .*/\1/p' ans.raw >ans.code
	sed '1,/^\r$/d' ans.raw >ans
}
# field NAME: a string or number member of the JSON in ans.
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p" ans; }
# done_wait ID: polls GET /status/ID until done or error, 180 s at most.
done_wait() {
	k=0
	while [ $k -lt 1800 ]; do
		req GET /status/$1 || return 1
		case $(field status) in done|error) return 0 ;; esac
		k=$((k + 1)); sleep 0.1
	done
	echo "job $1 not done: $(cat ans)"; return 1
}

test_expect_success 'husk serve and husk api -T 5 on 127.0.0.1' '
	bg husk serve -j 2 2>relayd.log &&
	bg husk api -l 127.0.0.1:$P -T 5 2>api.log &&
	wait_for "req GET /status/none && test \"\$(cat ans.code)\" = 404" 20
'
test_expect_success 'a python job through the alias py: stdout 42, exit_code 0, done' '
	req POST /run "{\"language\":\"py\",\"code\":\"print(6*7)\"}" &&
	test "$(cat ans.code)" = 202 && id=$(field id) && test -n "$id" && echo $id >py.id &&
	done_wait $id && cat ans &&
	test "$(field status)" = done && test "$(field exit_code)" = 0 &&
	grep -q "\"stdout\":\"42\\\\n\"" ans && grep -q "\"stderr\":\"\"" ans
'
test_expect_success 'a shell job: its stderr apart from stdout, exit code 3' '
	req POST /run "{\"language\":\"bash\",\"code\":\"echo out; echo err >&2; exit 3\"}" &&
	test "$(cat ans.code)" = 202 && id=$(field id) &&
	done_wait $id && cat ans &&
	test "$(field status)" = done && test "$(field exit_code)" = 3 &&
	grep -q "\"stdout\":\"out\\\\n\"" ans && grep -q "\"stderr\":\"err\\\\n\"" ans
'
test_expect_success 'empty code 400; an unknown language 400 with the list; an unknown id 404' '
	req POST /run "{\"language\":\"sh\",\"code\":\"\"}" && test "$(cat ans.code)" = 400 &&
	req POST /run "{\"language\":\"cobol\",\"code\":\"x\"}" && test "$(cat ans.code)" = 400 &&
	cat ans && grep -q "\"languages\":\[.*\"python3\".*\]" ans &&
	req GET /status/1.2-nosuch-3-4 && test "$(cat ans.code)" = 404
'
test_expect_success 'DELETE /jobs/ID cancels a running job: its VM goes, the status says error 130' '
	req POST /run "{\"language\":\"sh\",\"code\":\"echo started; sleep 600\"}" &&
	id=$(field id) &&
	wait_for "req GET /status/$id && grep -q started ans" 180 &&
	req DELETE /jobs/$id && test "$(cat ans.code)" = 202 &&
	done_wait $id && cat ans && test "$(field status)" = error &&
	test "$(field exit_code)" = 130 &&
	wait_for clean 30
'
test_expect_success 'husk go runs code as husk run would: output, status' '
	{ husk go -b http://127.0.0.1:$P -l sh -c "echo hi; echo oops >&2; exit 5" >out 2>err; st=$?; } &&
	test $st = 5 && echo hi >want && test_cmp want out && echo oops >want && test_cmp want err
'
# -T 5: a result is gone (404) within 5 s plus a sweep (2.5 s) of its end.
test_expect_success 'results are evicted after husk api -T' '
	id=$(cat py.id) &&
	wait_for "req GET /status/$id && test \"\$(cat ans.code)\" = 404" 40 &&
	test ! -e "$HUSK_STATE/relay/result/$id.code" &&
	test ! -e "$HUSK_STATE/relay/result/$id.exit" && clean
'
figures
test_done
