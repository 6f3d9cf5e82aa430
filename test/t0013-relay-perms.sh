#!/bin/sh
# relay's files against other local users: private by default (files
# 0600, directories 0700); relayd serves no directory others can write
# and runs only command files of its own user, or of the group given with
# -g, whose directory it makes group-shared.  The other user is nobody,
# through setpriv, as an attacker on the same machine.
. "$(dirname "$0")/test-lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	test_skip 'relay files against another user' 'needs root and setpriv(1)'
	test_done
fi
umask 000   # the worst a user may have: the modes must not depend on it
# as_nobody CMD...: CMD as nobody, with group users (100) if $2 is -G.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
as_member() { setpriv --reuid=nobody --regid=nogroup --groups=100 "$@"; }
mode() { stat -c %a "$1"; }

test_expect_success 'with umask 000: directories 0700, command and result files 0600' '
	bg relayd -d d -w . 2>relayd.log &&
	wait_for "test -s d/server.ready" &&
	id=$(relay -d d submit -- "echo secret-\$((6*7))") &&
	relay -d d wait $id >/dev/null &&
	for x in d d/cmd d/srv d/run d/cancel d/result; do
		test "$(mode $x)" = 700 || { echo "$x: $(mode $x)"; return 1; }
	done &&
	for x in d/result/$id.log d/result/$id.exit d/version d/server.ready; do
		test "$(mode $x)" = 600 || { echo "$x: $(mode $x)"; return 1; }
	done &&
	grep -q secret-42 d/result/$id.log
'
test_expect_success 'another user reads nothing of it' '
	! as_nobody cat d/result/$id.log 2>err && grep -q "Permission denied" err &&
	! as_nobody ls d/cmd 2>/dev/null
'
test_expect_code 111 'relayd refuses a directory others can write' \
	'mkdir -m 777 open && timeout 10 relayd -d open -w .' \
	'^relayd: fatal: unable to serve open: writable by others \(mode 777\)'
test_expect_code 111 'relayd refuses a subdirectory others can write' \
	'relay -d open2 status >/dev/null; chmod 733 open2/cmd && timeout 10 relayd -d open2 -w .' \
	'^relayd: fatal: unable to serve open2/cmd: writable by others \(mode 733\)'
test_expect_success 'a command file of another user is refused: 126, the reason in its log' '
	printf "echo ran-as-\$(id -un) >%s/pwned\n" "$PWD" >planted &&
	chown nobody planted && mv planted d/cmd/1.2-planted &&
	relay -d d wait 1.2-planted; st=$? && test $st = 126 &&
	grep -q "owned by uid $(id -u nobody)" d/result/1.2-planted.log &&
	test ! -e pwned
'
test_expect_success 'with -g: the directory is shared with that group; a member submits and reads' '
	bg relayd -d g -w . -g users 2>relayd-g.log &&
	wait_for "test -s g/server.ready" &&
	test "$(stat -c %a:%G g)" = 2770:users &&
	test "$(stat -c %a:%G g/cmd)" = 2770:users &&
	id=$(as_member relay -d g submit -- "echo shared") &&
	as_member relay -d g wait $id >/dev/null &&
	as_member cat g/result/$id.log | grep -qx shared &&
	test "$(mode g/result/$id.log)" = 640
'
test_expect_success 'with -g: a user outside the group gets nothing in' '
	! as_nobody relay -d g submit -- "echo no" 2>err &&
	! as_nobody cat g/result/$id.log 2>/dev/null
'
if command -v strace >/dev/null; then
	test_expect_success 'with -g: the wake socket is the group'"'"'s, and a member waits on it' '
		test "$(stat -c %a:%G g/srv/*/.wake)" = 660:users &&
		id=$(as_member relay -d g submit -- "exit 3") && : >member.tr &&
		as_member strace -qq -o member.tr -e trace=inotify_init1,connect \
		    relay -d g wait $id; test $? = 3 &&
		grep -q "connect(.*\.wake.* = 0" member.tr &&
		! grep -q inotify_init member.tr
	'
else
	test_skip 'with -g: a member waits on the wake socket' 'needs strace(1)'
fi
test_done
