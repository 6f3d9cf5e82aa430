#!/bin/sh
# The build: static binaries, make install with PREFIX and DESTDIR.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'every binary is static (no program interpreter)' '
	for b in "$HUSK_ROOT"/bin/*; do
		# Scripts (husk, from cmd/husk/) are not ELF files; they run with /bin/sh.
		[ "$(head -c 2 "$b")" = "#!" ] && continue
		readelf -l "$b" >hdr || return 1
		! grep -q "Requesting program interpreter" hdr || { echo "$b is dynamic"; return 1; }
	done
'

test_expect_success 'make install PREFIX= DESTDIR= puts binaries and man pages in place' '
	make -s -C "$HUSK_ROOT" install PREFIX=/opt/husk DESTDIR="$PWD/root" >/dev/null &&
	test -x root/opt/husk/bin/relay && test -x root/opt/husk/bin/relayd &&
	test -f root/opt/husk/share/man/man1/relay.1 &&
	test -f root/opt/husk/share/man/man8/relayd.8 &&
	root/opt/husk/bin/relay -h | grep -q "^usage: relay" &&
	test -x root/opt/husk/bin/husk && test -f root/opt/husk/share/man/man1/husk.1 &&
	root/opt/husk/bin/husk -h 2>&1 | grep -q "^usage: husk run"
'

# What a user installs is stripped, and small: the bounds of issue 18
# (KiB): the page in ptyd is gzip'd, the rest is code.  husk-api is a
# small HTTP daemon like guest-agent (no TLS, no page): the same 150.
test_expect_success 'installed binaries are stripped and within their sizes' '
	for b in relay:150 relayd:150 streamd:150 guest-agent:150 vmrun:300 ptyd:600 \
	    husk-api:150; do
		f=root/opt/husk/bin/${b%:*} max=$((${b#*:} * 1024))
		size=$(wc -c <"$f") &&
		echo "# ${b%:*}: $size bytes, at most $max" &&
		test "$size" -le "$max" &&
		readelf -S "$f" >sec && ! grep -q "\.debug_\|\.symtab" sec || return 1
	done &&
	readelf -S "$HUSK_ROOT/bin/relay" | grep -q "\.debug_info"
'

if git -C "$HUSK_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	test_expect_success 'nothing built is tracked by git' '
		test -z "$(git -C "$HUSK_ROOT" ls-files bin build)"
	'
else
	test_skip 'nothing built is tracked by git' 'not a git checkout'
fi
test_done
