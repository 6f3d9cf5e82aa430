#!/bin/sh
# ptyd against a web page's attacks, made as a browser would send them
# (everything on 127.0.0.1): a cross-site simple POST, a CORS preflight,
# DNS rebinding (a foreign Host with a matching Origin), and the token's
# cookie sent by a page on another port of the same host.  Each must be
# refused; ptyd's own page (its Origin, application/json) still works.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

J='Content-Type: application/json'
EVIL='Origin: https://evil.example'

# sessions: how many sessions ptyd lists (no token in this ptyd).
sessions() { curl -sS "$URL/terminals" | grep -o '"id":' | wc -l; }

test_expect_success 'a default ptyd (loopback, no token)' '
	ptyd_start d && test "$(sessions)" = 0
'
test_expect_success 'a cross-site simple POST (text/plain, foreign Origin) is refused: 403, nothing runs' '
	req POST /terminals "{\"command\":\"echo x >$PWD/proof\"}" -H "$EVIL" \
	    -H "Content-Type: text/plain;charset=UTF-8" >e &&
	test "$(cat code)" = 403 && grep -q "origin not allowed" e &&
	test "$(sessions)" = 0 && test ! -e proof
'
test_expect_success 'a foreign Origin with application/json is refused too (any write route)' '
	req POST /terminals "{}" -H "$EVIL" -H "$J" >e && test "$(cat code)" = 403 &&
	id=$(new_session "{\"command\":\"sleep 60\"}" -H "$J") &&
	req POST /terminals/$id/resize "{\"cols\":10,\"rows\":10}" -H "$EVIL" -H "$J" &&
	test "$(cat code)" = 403 &&
	req POST /terminals/$id/terminate "" -H "$EVIL" && test "$(cat code)" = 403 &&
	req GET /terminals/$id "" -H "$EVIL" && test "$(cat code)" = 403 &&
	req GET /terminals/$id && test "$(cat code)" = 200 && grep -q "\"exited\":false" body &&
	test "$($WS "$ADDR" $id --origin https://evil.example --status)" = 403
'
# post_as TYPE: POST {} to /terminals with that Content-Type ("" for none).
post_as() {
	curl -sS -o body -w "%{http_code}" ${1:+-H "Content-Type: $1"} \
	    -H "Content-Type:" --data-binary "{}" "$URL/terminals" >code
}
test_expect_success 'a body that is not application/json is refused (415), without an Origin too' '
	post_as text/plain && test "$(cat code)" = 415 && grep -q "application/json" body &&
	post_as application/x-www-form-urlencoded && test "$(cat code)" = 415 &&
	post_as "" && test "$(cat code)" = 415 &&
	post_as "application/jsonx" && test "$(cat code)" = 415 &&
	test "$(sessions)" = 1 &&
	post_as "application/json; charset=utf-8" && test "$(cat code)" = 201
'
test_expect_success 'a CORS preflight gets no CORS answer' '
	curl -sS -D h -o /dev/null -w "%{http_code}" -X OPTIONS -H "$EVIL" \
	    -H "Access-Control-Request-Method: POST" \
	    -H "Access-Control-Request-Headers: content-type" "$URL/terminals" >code &&
	test "$(cat code)" -ge 400 && ! grep -qi "^access-control-" h
'
test_expect_success 'ptyd own page: its Origin and application/json create a session (201)' '
	id=$(new_session "{\"command\":\"sleep 60\"}" -H "Origin: http://$ADDR" -H "$J") &&
	test -n "$id" && test "$(sessions)" = 3
'
PORT=${ADDR##*:}
REB="rebind.evil.example:$PORT"
test_expect_success 'DNS rebinding: a foreign Host with a matching Origin is refused on every route' '
	id=$(sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p" created) &&
	req GET /terminals "" -H "Host: $REB" && test "$(cat code)" = 403 &&
	req GET /health "" -H "Host: $REB" && test "$(cat code)" = 403 &&
	req GET / "" -H "Host: $REB" && test "$(cat code)" = 403 &&
	req POST /terminals "{}" -H "Host: $REB" -H "Origin: http://$REB" -H "$J" &&
	test "$(cat code)" = 403 &&
	test "$($WS "$ADDR" $id --host "$REB" --origin "http://$REB" --status)" = 403 &&
	test "$(sessions)" = 3
'
test_expect_success 'Host names ptyd serves as: its address, localhost, [::1], and --host' '
	for h in "$ADDR" "localhost:$PORT" "LOCALHOST:$PORT" "127.0.0.1" "[::1]:$PORT"; do
		req GET /terminals "" -H "Host: $h" >/dev/null &&
		test "$(cat code)" = 200 || { echo "Host $h: $(cat code)"; return 1; }
	done &&
	ptyd_start h --host term.example,other.example &&
	req GET /terminals "" -H "Host: term.example:8443" && test "$(cat code)" = 200 &&
	req GET /terminals "" -H "Host: other.example" && test "$(cat code)" = 200 &&
	req GET /terminals "" -H "Host: $REB" && test "$(cat code)" = 403
'

echo "tok-0123456789abcdef" >token
test_expect_success 'with --token: the cookie with another port of the host as Origin creates nothing' '
	ptyd_start t --token token &&
	T=tok-0123456789abcdef &&
	req POST /terminals "{}" -b "ptyd_token=$T" -H "Origin: http://127.0.0.1:8080" -H "$J" &&
	test "$(cat code)" = 403 &&
	req GET /terminals "" -b "ptyd_token=$T" -H "Sec-Fetch-Site: same-site" &&
	test "$(cat code)" = 401 &&
	req GET /terminals "" -b "ptyd_token=$T" -H "Sec-Fetch-Site: same-origin" &&
	test "$(cat code)" = 200 && test "$(cat body)" = "[]" &&
	req POST /terminals "{}" -b "ptyd_token=$T" -H "Origin: http://$ADDR" -H "$J" &&
	test "$(cat code)" = 201 &&
	req POST /terminals "{}" -H "Authorization: Bearer $T" -H "$J" &&
	test "$(cat code)" = 201
'
test_done
