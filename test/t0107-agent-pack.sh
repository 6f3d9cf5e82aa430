#!/bin/sh
# guest-agent pack: a directory tree as a newc cpio that Debian's cpio
# extracts to the same tree (modes less setuid/setgid, link targets,
# contents, mtimes); exclusions; special files and bounds refused with
# nothing written.
. "$(dirname "$0")/test-lib.sh"

# manifest DIR: one line per entry below DIR, sorted: path, type, mode,
# link target, mtime of a file (seconds; cpio -idm sets a directory's
# before it fills it), sha256 of a file.
manifest() {
	( cd "$1" &&
	find . -mindepth 1 -printf '%P %y %m [%l] %T@\n' |
	    awk '$2 != "f" { $5 = "-" } { sub(/\..*/, "", $5); print }' &&
	find . -type f -exec sha256sum {} + |
	    awk '{ sub(/^\.\//, "", $2); print $2, "sha256", $1 }' ) |
	LC_ALL=C sort
}

# The tree: 5,000 files in 50 directories, a mode per directory (setuid
# and setgid among them, and a sticky directory), symlinks to files and
# to directories inside, two pointing out, a .git to leave out.
mkdir d d/.git d/sticky && echo "[core]" >d/.git/config &&
i=0
while [ $i -lt 50 ]; do mkdir d/d$i; i=$((i + 1)); done
i=0
while [ $i -lt 4990 ]; do
	printf 'file %d\n' $i >d/d$((i % 50))/f$i
	i=$((i + 1))
done
for j in 0 1 2 3 4 5 6 7 8 9; do printf 's%d' $j >d/sticky/s$j; done
head -c 100000 /dev/urandom >d/d0/big
printf 'no newline' >d/d1/nonl
: >d/d2/empty
chmod 755 d/d1/* && chmod 600 d/d2/* && chmod 444 d/d3/* &&
chmod 4755 d/d4/* && chmod 2755 d/d5/* && chmod 6711 d/d6/* &&
chmod 700 d/d7 && chmod 1777 d/sticky && chmod 2775 d/d8 &&
ln -s f10 d/d10/tofile && ln -s ../d11 d/d12/todir && ln -s d13 d/linkdir &&
ln -s /etc/passwd d/abs-out && ln -s ../../../outside d/d14/climb-out &&
ln -s missing d/dangling && touch -d @1000000000 d/d15/f15 d/d15 &&
ok=$?
test_expect_success 'a tree of 5,000 files made' 'test $ok = 0 &&
	test $(find d -type f | wc -l) = 5004'

test_expect_success 'pack -x .git: an archive of whole 4-byte units' '
	guest-agent pack -x .git d job >a.cpio &&
	test $(($(wc -c <a.cpio) % 4)) = 0
'

test_expect_success 'the prefix first, owner 0:0, TRAILER!!! last, .git left out' '
	cpio -t <a.cpio >list 2>err &&
	head -n 1 list >first && echo job >want && test_cmp want first &&
	! grep -q "\.git" list &&
	test $(wc -l <list) = $(($(find d -mindepth 1 | grep -v "\.git" | wc -l) + 1)) &&
	cpio -tv <a.cpio | awk "\$3 != \"root\" || \$4 != \"root\"" >notroot &&
	! test -s notroot &&
	tail -c 512 a.cpio | grep -a -q "TRAILER!!!"
'

test_expect_success 'a symlinked directory is a symlink, not followed' '
	grep -qx job/linkdir list && ! grep -q "^job/linkdir/" list &&
	grep -qx job/d12/todir list && ! grep -q "^job/d12/todir/" list
'

test_expect_success 'cpio -idm gives the same tree (setuid and setgid dropped)' '
	mkdir x && (cd x && cpio -idm --quiet <../a.cpio) &&
	manifest d | grep -v "^\.git" |
	    sed "s/^\([^ ]* [^ ]*\) [246]\([0-7][0-7][0-7]\) /\1 \2 /" >want &&
	manifest x/job >got &&
	test_cmp want got &&
	grep -q "^abs-out l 777 \\[/etc/passwd\\] -" got &&
	grep -q "^d14/climb-out l 777 \\[../../../outside\\] -" got &&
	grep -q "^sticky d 1777 " got && grep -q "^d4/f4 f 755 " got &&
	grep -q "^d6/f6 f 711 " got && grep -q "^d8 d 775 " got &&
	grep -q "^d15/f15 f 644 \\[\\] 1000000000$" got &&
	TZ=UTC cpio -tv <a.cpio 2>/dev/null | grep " job/d15$" >d15 &&
	grep -q " Sep  9  2001 job/d15$" d15
'

test_expect_success 'the prefix directory has the mode of dir' '
	chmod 750 d && guest-agent pack -x .git d job >b.cpio &&
	mkdir y && (cd y && cpio -idm --quiet <../b.cpio) &&
	test $(stat -c %a y/job) = 750 && chmod 755 d
'

test_expect_success 'the same tree, the same archive' '
	guest-agent pack -x .git d job >c.cpio && cmp a.cpio c.cpio
'

test_expect_success 'exclusions by path and by name; a nested prefix' '
	guest-agent pack -x "d1/*" -x "f2?" -x "*.git" d a/b/job >e.cpio &&
	cpio -t <e.cpio >elist 2>/dev/null &&
	grep -qx a/b/job/d1 elist && ! grep -q "^a/b/job/d1/" elist &&
	! grep -q "/f2.$" elist && grep -q "/f200$" elist &&
	! grep -q "\.git" elist
'

mkdir small && echo hi >small/a && echo there >small/b && mkfifo small/fifo
test_expect_code 111 'a fifo is refused' \
	'guest-agent pack small job >out' \
	'^guest-agent: fatal: unable to pack small: fifo: a fifo: refused$'
test_expect_success 'and nothing is written' '! test -s out'
test_expect_success 'an excluded fifo is no matter' '
	guest-agent pack -x fifo small job >out && test -s out
'
rm small/fifo
test_expect_code 111 'more than -n entries is refused' \
	'guest-agent pack -n 1 small job >out' \
	'^guest-agent: fatal: unable to pack small: b: more than 1 entries in the tree$'
test_expect_success 'and nothing is written' '! test -s out'
test_expect_code 111 'more than -m bytes is refused' \
	'guest-agent pack -m 8 small job >out' \
	'^guest-agent: fatal: unable to pack small: b: more than 8 bytes of files in the tree$'
test_expect_success 'and nothing is written' '! test -s out'
test_expect_success 'at the bounds it packs' '
	guest-agent pack -m 9 -n 2 small job >out && test -s out
'
test_expect_code 111 'the default -n is 100000' \
	'mkdir many && (cd many && seq 1 100001 | xargs touch) &&
	 guest-agent pack many job >out' \
	'more than 100000 entries in the tree$'
test_expect_code 111 'a missing dir' 'guest-agent pack nodir job >out' \
	'^guest-agent: fatal: unable to pack nodir: \.: No such file or directory$'

test_expect_code 100 'a prefix with .. is bad usage' \
	'guest-agent pack small ../job >out' 'unable to use prefix \.\./job'
test_expect_code 100 'an absolute prefix is bad usage' \
	'guest-agent pack small /job >out' 'unable to use prefix /job'
test_expect_code 100 'no prefix is bad usage' 'guest-agent pack small >out' \
	'^usage:'
test_expect_code 100 '-m 0 is bad usage' 'guest-agent pack -m 0 small job >out' \
	'unable to parse -m 0'
test_expect_code 100 'a terminal is refused' \
	'script -qec "guest-agent pack small job" /dev/null >tty'
test_expect_success 'saying so' 'grep -q "standard output is a terminal" tty'

test_done
