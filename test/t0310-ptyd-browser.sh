#!/bin/sh
# ptyd's terminal page.  Its build needs the npm registry and stops
# clearly without it.  In Debian's chromium, headless, driven by
# playwright-core (test/browser/ptyd-page.js): type "echo hello" and see
# it; reload and find the same session, the same shell and the screen
# restored from the scrollback replay; a dropped connection comes back; a
# newer page preempts an older one (close 4001) and the older one stays
# off; stty size follows the page; the exit status is shown; https (wss:);
# the ?token= cookie flow.
. "$(dirname "$0")/test-lib.sh"

BR=$HUSK_ROOT/build/browser
export NODE_PATH="$BR/node_modules"

# playwright-core at the version pinned in test/browser/package-lock.json,
# installed by npm ci on first use (it downloads no browser: the test uses
# /usr/bin/chromium from mk/deps check).
browser_setup() {
	cmp -s "$HUSK_ROOT/test/browser/package-lock.json" "$BR/.installed" &&
		return 0
	rm -rf "$BR" && mkdir -p "$BR" &&
	cp "$HUSK_ROOT/test/browser/package.json" \
		"$HUSK_ROOT/test/browser/package-lock.json" "$BR/" &&
	(cd "$BR" && npm ci --ignore-scripts --no-audit --no-fund) >npm.log 2>&1 ||
		{ cat npm.log; return 1; }
	cp "$HUSK_ROOT/test/browser/package-lock.json" "$BR/.installed"
}

# start_ptyd NAME ADDR [option...]: ptyd on a free port of ADDR running
# sh; the URL to reach it on loopback in NAME.url.  (wait_for uses $n: the
# name is $sp.)
start_ptyd() {
	sp=$1 addr=$2; shift 2
	SHELL=/bin/sh bg ptyd -l "$addr:0" -c /bin/sh "$@" 2>"$sp.log" &&
	wait_for "grep -q 'listening on http' $sp.log" &&
	sed -n 's|.*listening on \(https*\)://[^ ]*:\([0-9]*\).*|\1://127.0.0.1:\2|p' \
		"$sp.log" >"$sp.url" &&
	test -s "$sp.url"
}

# What the scenarios saw (lines "NAME {JSON}" in out) as lines
# "NAME.key.key=value" in flat, arrays indexed from 0; get KEY prints the
# value, list KEY the values of KEY.0, KEY.1, ... in order.
flatten() {
	node -e '
	const f = (p, v) => v !== null && typeof v === "object" ?
		Object.entries(v).forEach(([k, w]) => f(p + "." + k, w)) :
		console.log(p + "=" + v);
	for (const l of require("fs").readFileSync("out", "utf8").split("\n"))
		if (l) f(l.slice(0, l.indexOf(" ")), JSON.parse(l.slice(l.indexOf(" ") + 1)));
	' >flat
}
get() { sed -n "s/^$1=//p" flat; }
list() { grep "^$1\.[0-9]*=" flat | sed "s/^[^=]*=//"; }

T=test-token-0123456789abcdef

test_expect_success 'no npm registry: the page build stops with a clear error' '
	! env npm_config_registry=http://127.0.0.1:9/ npm_config_fetch_retries=0 \
		npm_config_cache="$PWD/npm-cache" \
		make -s -C "$HUSK_ROOT" WEB_DIR="$PWD/web" "$PWD/web/xterm.js" \
		>make.out 2>&1 &&
	grep "fatal: unable to install xterm.js" make.out &&
	grep -q ECONNREFUSED make.out &&
	! test -e web/xterm.js
'

test_expect_success 'chromium is there; playwright-core installs from its lock' '
	test -x /usr/bin/chromium && browser_setup &&
	test -f "$BR/node_modules/playwright-core/package.json"
'

test_expect_success 'ptyd serves the page and its scripts' '
	start_ptyd p 127.0.0.1 && u=$(cat p.url) &&
	curl -sf "$u/" | grep -q "<script src=\"ptyd.js\">" &&
	curl -sf "$u/ptyd.js" | grep -q "terminals" &&
	curl -sf "$u/xterm.js" | grep -q "Terminal" &&
	curl -sf "$u/addon-fit.js" | grep -q "FitAddon" &&
	curl -sf "$u/xterm.css" | grep -q "\.xterm" &&
	curl -sf "$u/xterm-LICENSE.txt" | grep -q "^@xterm/addon-fit:"
'

# On all addresses, so the token and the Origin check are both in force.
test_expect_success 'with --token: 401 without it, even for the page' '
	printf "%s\n" $T >tok &&
	start_ptyd t 0.0.0.0 --token tok && u=$(cat t.url) &&
	test "$(curl -s -o /dev/null -w %{http_code} "$u/")" = 401 &&
	test "$(curl -s -o /dev/null -w %{http_code} "$u/terminals")" = 401 &&
	test "$(curl -s -o /dev/null -w %{http_code} "$u/?token=wrong-token-0123456789")" = 401
'

test_expect_success 'with --cert and --key: the page over https' '
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout key.pem -out cert.pem -subj /CN=127.0.0.1 -days 1 \
		-addext subjectAltName=IP:127.0.0.1 2>/dev/null &&
	start_ptyd s 127.0.0.1 --cert cert.pem --key key.pem &&
	u=$(cat s.url) && case $u in https://*) ;; *) false ;; esac &&
	curl -sf --cacert cert.pem "$u/" | grep -q "<script src=\"ptyd.js\">"
'

# One browser for all: in a fresh context each, in this order.
test_expect_success 'the page in chromium: every scenario ran' '
	p=$(cat p.url) &&
	node "$HUSK_ROOT/test/browser/ptyd-page.js" hello="$p/" \
		preempt="$p/" exit="$p/" tls="$(cat s.url)/" \
		token="$(cat t.url)/?token=$T" >out &&
	flatten
'

test_expect_success 'no script error, no failed load on the console' '
	! grep "^[a-z]*\.errors\." flat
'

test_expect_success 'type "echo hello", see it; reload: same session and shell, screen restored' '
	id=$(get hello.before.id) && test -n "$id" &&
	test "$(get hello.after.id)" = "$id" &&
	test "$(get hello.after.hash)" = "#$id" &&
	pid=$(get hello.before.pid) && test "$pid" -gt 1 &&
	test "$(get hello.after.pid)" = "$pid" &&
	test "$(get hello.after.connects)" = 1 &&
	list hello.rows >rows &&
	grep -q "echo hello\$" rows && grep -qx hello rows &&
	list hello.rowsBefore >rows.before && test_cmp rows.before rows
'

test_expect_success 'after the reload the server had that one session, its shell still runs' '
	test "$(grep -c "^hello\.list\.[0-9]*\.id=" flat)" = 1 &&
	test "$(get hello.list.0.id)" = "$(get hello.before.id)" &&
	pid=$(get hello.list.0.pid) &&
	test "$pid" = "$(get hello.before.pid)" &&
	test "$(get hello.list.0.exited)" = false &&
	kill -0 "$pid"
'

test_expect_success 'a newer page takes the session over; the older one stays off (4001)' '
	test "$(get preempt.a.status)" = preempted &&
	test "$(get preempt.a.closeCode)" = 4001 &&
	test "$(get preempt.a.connects)" = 1 &&
	test "$(get preempt.b.status)" = attached &&
	test "$(get preempt.a.id)" = "$(get preempt.b.id)" &&
	list preempt.arows | grep -q "another client attached"
'

test_expect_success 'a dropped connection reconnects; the replay redraws, not appends' '
	test "$(get hello.again.connects)" = 2 &&
	test "$(get hello.again.id)" = "$(get hello.before.id)" &&
	test "$(get hello.hellos)" = 1
'

test_expect_success 'stty size in the shell matches the fitted page, also after a resize' '
	s1=$(get exit.size1) && s2=$(get exit.size2) &&
	test -n "$s1" && test -n "$s2" && test "$s1" != "$s2" &&
	list exit.rows >rows && grep -qx "$s1" rows && grep -qx "$s2" rows
'

test_expect_success '"exit 3": the page shows the exit code and does not reconnect' '
	test "$(get exit.state.status)" = exited &&
	list exit.rows | grep -qx "\[process exited with code 3\]"
'

test_expect_success 'death by SIGKILL: the page names the signal' '
	list preempt.brows | grep -qx "\[process exited with signal SIGKILL\]"
'

test_expect_success 'over https the page uses wss: and works' '
	id=$(get tls.state.id) && test -n "$id" &&
	test "$(get tls.url)" = "$(cat s.url)/#$id" &&
	test "$(get tls.state.status)" = attached
'

test_expect_success '/?token= sets the cookie, drops the token from the URL; the page works (Origin too)' '
	id=$(get token.state.id) && test -n "$id" &&
	test "$(get token.url)" = "$(cat t.url)/#$id" &&
	test "$(get token.state.status)" = attached &&
	get token.cookies.0 | grep -qx ptyd_token
'
test_done
