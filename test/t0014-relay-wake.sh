#!/bin/sh
# relay's waits on a local directory sleep on relayd's wake socket
# (srv/NODE/.wake), not on an inotify instance of their own, whose teardown
# at exit costs milliseconds; with no socket that answers (none, the stale
# one of a killed relayd, a stopped relayd) they fall back to inotify, and
# never hang.  strace shows which.
. "$(dirname "$0")/test-lib.sh"

if ! command -v strace >/dev/null; then
	test_skip 'relay waits on relayd wake socket' 'needs strace(1)'
	test_done
fi
# traced FILE CMD...: CMD under strace, its inotify and connect calls in FILE.
traced() {
	f=$1; shift
	strace -qq -f -o "$f" -e trace=inotify_init,inotify_init1,connect "$@"
}
no_inotify() { ! grep -q inotify_init "$1" || { cat "$1"; return 1; }; }

bg relayd -d d -w . 2>relayd.log
test_expect_success 'relayd listens on srv/NODE/.wake' '
	wait_for "test -s d/server.ready" &&
	test -S d/srv/*/.wake &&
	test "$(stat -c %a d/srv/*/.wake)" = 600
'
test_expect_success 'relay run: no inotify instance, the status and output arrive' '
	traced run.tr relay -d d run -- "echo out; exit 3" >got; test $? = 3 &&
	echo out >want && test_cmp want got &&
	grep -q "connect(.*\.wake" run.tr &&
	no_inotify run.tr
'
test_expect_success 'relay submit, then relay wait: no inotify instance' '
	id=$(relay -d d submit -- "sleep 0.2; exit 4") &&
	{ traced wait.tr relay -d d wait $id; test $? = 4; } &&
	no_inotify wait.tr
'
test_expect_success 'relay logs -f streams through the wake socket' '
	id=$(relay -d d submit -- "echo first; while ! test -e go; do sleep 0.02; done; echo second") &&
	{ traced logs.tr relay -d d logs -f $id >stream & } &&
	wait_for "grep -q first stream" 5 &&
	touch go &&
	wait_for "grep -q second stream" 5 &&
	printf "first\nsecond\n" >want && test_cmp want stream &&
	no_inotify logs.tr
'
test_expect_success 'a result another client writes wakes a waiter (relay cancel of a queued one)' '
	blocker=$(relay -d d submit -- "while ! test -e go2; do sleep 0.02; done") &&
	wait_for "test -e d/run/$blocker" &&
	id=$(relay -d d submit -- true) &&
	{ (traced cancel.tr relay -d d wait $id; echo $? >rc) & } &&
	wait_for "grep -q \"connect(.*\\.wake\" cancel.tr" &&
	relay -d d cancel $id &&
	wait_for "test -s rc" 5 && test "$(cat rc)" = 130 &&
	no_inotify cancel.tr &&
	touch go2 && relay -d d wait $blocker
'
test_expect_success 'no socket: relay falls back to inotify' '
	rm d/srv/*/.wake &&
	{ traced nosock.tr relay -d d run -- exit 5; test $? = 5; } &&
	grep -q inotify_init nosock.tr
'
test_expect_success 'a relayd stopped with SIGSTOP: the wait falls back, no hang' '
	kill $(cat d/srv/*/.info | cut -d: -f3) &&
	wait_for "test -z \"\$(ls d/srv)\"" &&
	bg relayd -d d -w . 2>>relayd.log && rd=$! &&
	wait_for "test -S d/srv/*/.wake" &&
	kill -STOP $rd &&
	{ (traced stopped.tr relay -d d wait 1.0-byhand; echo $? >rc2) & } &&
	wait_for "grep -q inotify_init stopped.tr" 5 &&
	printf "7\n" >d/result/.1.0-byhand.exit.tmp &&
	mv d/result/.1.0-byhand.exit.tmp d/result/1.0-byhand.exit &&
	wait_for "test -s rc2" 5 &&
	kill -CONT $rd &&
	test "$(cat rc2)" = 7 &&
	grep -q "connect(.*\.wake.* = 0" stopped.tr
'
test_expect_success 'the stale socket of a killed relayd: refused at once, then inotify' '
	kill -9 $rd && wait $rd 2>/dev/null;
	test -S d/srv/*/.wake &&
	id=$(relay -d d submit -- "exit 6" 2>/dev/null) &&
	{ (traced stale.tr relay -d d wait $id; echo $? >rc3) & } &&
	wait_for "grep -q inotify_init stale.tr" 5 &&
	grep -q "connect(.*\.wake.*ECONNREFUSED" stale.tr &&
	bg relayd -d d -w . 2>>relayd.log &&
	wait_for "test -s rc3" 5 && test "$(cat rc3)" = 6
'
test_expect_success 'relayd removes the socket of the killed one it recovered, and its own at exit' '
	wait_for "test \$(ls d/srv | wc -l) = 1" &&
	kill $(cat d/srv/*/.info | cut -d: -f3) &&
	wait_for "test -z \"\$(ls d/srv)\""
'
test_done
