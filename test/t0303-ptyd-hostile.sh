#!/bin/sh
# ptyd: bad input gets the documented error; other sessions carry on.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

echo "tok-0123456789abcdef" >token
T=tok-0123456789abcdef

# A bystander session echoing a counter; checked after each abuse.
alive() {
	n1=$(wc -c <by.out) && sleep 0.3 && test $(wc -c <by.out) -gt $n1
}

test_expect_success 'start ptyd with a token and an origin list; a bystander session' '
	ptyd_start d --token token --origin "https://good.example" &&
	AUTH="Authorization: Bearer $T" &&
	id=$(new_session "{\"command\":\"i=0; while :; do i=\$((i+1)); echo by-\$i; sleep 0.05; done\"}" -H "$AUTH") &&
	echo $id >by.id &&
	PTYD_TOKEN=$T bg ptyd attach $URL $id </dev/null >by.out 2>by.err &&
	wait_for "test -s by.out" && alive
'
AUTH="Authorization: Bearer $T"
id=$(cat by.id)

test_expect_success 'wrong (even of the right length) or missing token: 401 JSON; /health needs none' '
	req GET /terminals >e && test "$(cat code)" = 401 && grep -q "\"error\":" e &&
	req GET /terminals "" -H "Authorization: Bearer nope-nope-nope-nope" >e &&
	test "$(cat code)" = 401 &&
	req GET /terminals "" -H "Authorization: Bearer tok-0123456789abcdeF" >e &&
	test "$(cat code)" = 401 &&
	req GET /terminals "" -b "ptyd_token=wrong" && test "$(cat code)" = 401 &&
	req GET /health && test "$(cat code)" = 200 &&
	$WS $ADDR $id --status >s && test "$(cat s)" = 401 &&
	req GET "/?token=wrong" && test "$(cat code)" = 401 &&
	alive
'

test_expect_success 'GET /?token= sets an HttpOnly SameSite=Strict cookie that then works' '
	curl -sS -D h -o /dev/null "$URL/?token=$T" &&
	tr -d "\r" <h >hh && head -n 1 hh | grep -q " 303 " &&
	grep -qx "Location: /" hh &&
	grep -qx "Set-Cookie: ptyd_token=$T; Path=/; HttpOnly; SameSite=Strict" hh &&
	req GET /terminals "" -b "ptyd_token=$T" >l && test "$(cat code)" = 200
'

test_expect_success 'wrong Origin on an upgrade: 403; a listed one works' '
	oid=$(new_session "{\"command\":\"cat\"}" -H "$AUTH") &&
	$WS --token $T --origin https://evil.example $ADDR $oid --status >s && test "$(cat s)" = 403 &&
	$WS --token $T --origin https://good.example $ADDR $oid --status >s && test "$(cat s)" = 101 &&
	alive
'

test_expect_success 'invalid JSON, not an object, cols=0, cols=70000, rows="x": 400' '
	for b in "{" "[1]" "{\"cols\":0}" "{\"cols\":70000}" "{\"rows\":\"x\"}" "{\"cols\":80.5}" "{\"command\":5}" "{\"env\":{\"A\":1}}"; do
		req POST /terminals "$b" -H "$AUTH" >e && test "$(cat code)" = 400 &&
		grep -q "^{\"error\":" e || { echo "body $b: $(cat code) $(cat e)"; return 1; }
	done &&
	req POST /terminals/$id/resize "{\"cols\":70000,\"rows\":10}" -H "$AUTH" &&
	test "$(cat code)" = 400 &&
	alive
'

test_expect_success 'huge headers: 431; huge body: 413; both JSON' '
	big=$(head -c 9000 /dev/zero | tr "\0" a) &&
	req GET /terminals "" -H "$AUTH" -H "X-Big: $big" >e && test "$(cat code)" = 431 &&
	grep -q "\"error\":" e &&
	head -c 70000 /dev/zero | tr "\0" " " >bigbody &&
	curl -sS -o e -w "%{http_code}" -H "$AUTH" --data-binary @bigbody $URL/terminals >code &&
	test "$(cat code)" = 413 && grep -q "\"error\":" e &&
	alive
'

test_expect_success 'oversized frame: close 1009; unmasked frame: close 1002' '
	id2=$(new_session "{\"command\":\"cat\"}" -H "$AUTH") &&
	$WS --token $T --for 10 --big 70000 $ADDR $id2 >o 2>e && grep -qx "close 1009" e &&
	$WS --token $T --for 10 --unmasked hello $ADDR $id2 >o 2>e && grep -qx "close 1002" e &&
	$WS --token $T --for 10 --send 8300 $ADDR $id2 >o 2>e && grep -qx "close 1002" e &&
	alive
'

test_expect_success 'a bad control message gets an error event, the connection stays' '
	id3=$(new_session "{\"command\":\"stty -echo; read x; stty size\"}" -H "$AUTH") &&
	$WS --token $T --text "{nope" --text "{\"type\":\"resize\",\"cols\":0,\"rows\":5}" --text "{\"type\":\"resize\",\"cols\":77,\"rows\":11}" --binary "go\r" $ADDR $id3 >o 2>e &&
	grep -q "\"type\":\"error\",\"error\":\"invalid JSON\"" e &&
	grep -q "\"type\":\"error\",\"error\":\"resize needs" e &&
	tr -d "\r" <o | grep -qx "11 77" &&
	grep -q "\"type\":\"exit\",\"exit_code\":0" e &&
	alive
'

test_expect_success 'a client that sends half a request and stalls does not block others' '
	{ printf "GET /terminals HTTP/1.1\r\nHost: x\r\n"; sleep 3; } | socat - TCP:$ADDR >stall &
	sp=$! && sleep 0.2 || return 1
	req GET /health && test "$(cat code)" = 200 && alive
	r=$?; kill $sp 2>/dev/null; wait $sp; test $r = 0
'

test_expect_success 'the bystander saw its own output only, in order' '
	tr -d "\r" <by.out | awk -F- "!/^by-[0-9]+\$/ { exit 1 } { if (\$2 != NR + s) { if (NR == 1) s = \$2 - 1; else exit 1 } }"
'
test_done
