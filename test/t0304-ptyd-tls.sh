#!/bin/sh
# ptyd: TLS (BearSSL) with RSA and ECDSA certificates made here.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"

# mkcert NAME KEYALG...: a server certificate for 127.0.0.1 signed by ca.
mkcert() {
	n=$1; shift
	openssl req -new -newkey "$@" -nodes -keyout $n.key -subj /CN=127.0.0.1 \
		-out $n.csr 2>/dev/null &&
	printf "subjectAltName=IP:127.0.0.1\n" >san.ext &&
	openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		-days 2 -extfile san.ext -out $n.pem 2>/dev/null
}

test_expect_success 'a test CA, an RSA and an ECDSA server certificate' '
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -subj /CN=husk-test-ca \
		-days 2 -out ca.pem 2>/dev/null &&
	mkcert rsa rsa:2048 &&
	mkcert ec ec -pkeyopt ec_paramgen_curve:P-256 &&
	grep -q "BEGIN PRIVATE KEY" ec.key
'

for kind in rsa ec; do
	test_expect_success "$kind: curl --cacert over TLS: health, create, list" '
		ptyd_start $kind --cert $kind.pem --key $kind.key &&
		grep -q "listening on https://" $kind.log &&
		test "$(curl -sS --cacert ca.pem https://$ADDR/health)" = "{\"status\":\"ok\"}" &&
		id=$(curl -sS --cacert ca.pem -H "Content-Type: application/json" -d "{\"command\":\"stty -echo; read x; echo tls-\$x; exit 4\"}" https://$ADDR/terminals | sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p") &&
		test -n "$id" && echo $id >$kind.id &&
		curl -sS --cacert ca.pem https://$ADDR/terminals | grep -q "\"id\":\"$id\""
	'
	test_expect_success "$kind: a WebSocket over TLS: input, output, exit" '
		$WS --cafile ca.pem --binary "ok\r" $ADDR $(cat $kind.id) >o 2>e &&
		tr -d "\r" <o | grep -qx tls-ok &&
		grep -qx "{\"type\":\"exit\",\"exit_code\":4,\"signal\":null}" e &&
		grep -qx "close 1000" e
	'
	test_expect_success "$kind: a plain-text client and a wrong CA are refused, the server carries on" '
		! curl -sS -m 5 http://$ADDR/health 2>/dev/null | grep -q ok &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -subj /CN=other \
			-days 2 -out other.pem 2>/dev/null &&
		! curl -sS -m 5 --cacert other.pem https://$ADDR/health 2>/dev/null &&
		test "$(curl -sS --cacert ca.pem https://$ADDR/health)" = "{\"status\":\"ok\"}"
	'
done

test_expect_success 'a large output over TLS arrives whole' '
	id=$(curl -sS --cacert ca.pem -H "Content-Type: application/json" -d "{\"command\":\"stty -echo; echo ready; read x; seq 1 100000\"}" https://$ADDR/terminals | sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p") &&
	$WS --for 120 --cafile ca.pem --after ready --binary "go\r" $ADDR $id >o 2>e; rc=$?
	# On a failure, say how.
	echo "client exit $rc, $(wc -c <o) bytes; its stderr:"; cat e
	test $rc = 0 && { echo ready; seq 1 100000; } >want && tr -d "\r" <o | test_cmp want -
'
# A reader slower than the output: ptyd takes all of it and the exit
# while seconds of it still wait in the socket and in BearSSL; the close
# must wait for those too, not only for its own buffer to empty.
test_expect_success 'a large output over TLS to a slow reader arrives whole, then the close' '
	id=$(curl -sS --cacert ca.pem -H "Content-Type: application/json" -d "{\"command\":\"stty -echo; echo ready; read x; seq 1 300000\"}" https://$ADDR/terminals | sed -n "s/.*\"id\":\"\([0-9a-f]*\)\".*/\1/p") &&
	$WS --cafile ca.pem --slow 0.02 --after ready --binary "go\r" $ADDR $id >o 2>e; rc=$?
	echo "client exit $rc, $(wc -c <o) bytes; its stderr:"; cat e
	test $rc = 0 && { echo ready; seq 1 300000; } >want && tr -d "\r" <o | test_cmp want - &&
	grep -q "^close 1000" e
'

test_expect_success 'execute-command over TLS: its answer waits for the command, then whole' '
	curl -sS --cacert ca.pem -H "Content-Type: application/json" \
	    -d "{\"command\":\"sleep 0.5; seq 1 50000; exit 5\"}" \
	    https://$ADDR/execute-command >res &&
	python3 -c "
import json
r = json.load(open(\"res\"))
want = \"\".join(\"%d\\n\" % i for i in range(1, 50001))
assert r[\"output\"] == want and r[\"exit_code\"] == 5, (len(r[\"output\"]), r[\"exit_code\"])
"
'

test_expect_code 100 'a key that does not parse is refused at start' '
	echo junk >bad.key && ptyd -l 127.0.0.1:0 --cert rsa.pem --key bad.key 2>bad.log
'
test_done
