#!/bin/sh
# initramfs/mkinitramfs against Debian's cloud kernel package (make kernel).
. "$(dirname "$0")/test-lib.sh"

mk="$HUSK_ROOT/initramfs/mkinitramfs"
modroot="$HUSK_ROOT/build/kernel/root"
[ -f "$HUSK_ROOT/build/kernel/.unpacked" ] ||
	make -s -C "$HUSK_ROOT" kernel >/dev/null || exit 1
kver=$(ls "$modroot/lib/modules")
list() { gzip -dc "$1" | cpio -t --quiet; }
extract() { gzip -dc "$1" | cpio -i --quiet --to-stdout "$2"; }
inode() { ls -iL "$1" | cut -d" " -f1; }

test_expect_success 'builds for the cloud kernel with agent, busybox, init, modules' '
	"$mk" -m "$modroot" -o out >img 2>log &&
	grep -q "built initramfs-" log &&
	test "$(cat img)" = "$PWD/out/$(readlink out/current.cpio.gz)" &&
	list "$(cat img)" >names &&
	for f in init sbin/guest-agent bin/busybox bin/sh sbin/ip etc/husk/languages \
	    lib/modules/$kver/kernel/drivers/virtio/virtio_mmio.ko \
	    lib/modules/$kver/kernel/drivers/net/virtio_net.ko \
	    lib/modules/$kver/kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko \
	    lib/modules/$kver/kernel/drivers/virtio/virtio_balloon.ko; do
		grep -qx "$f" names || { echo "missing $f"; return 1; }
	done
'
test_expect_success 'modules come from modules.dep, each after what it needs; the network'"'"'s last, listed apart' '
	extract "$(cat img)" etc/husk/modules >got &&
	cat >want <<-EOF2 &&
	$kver/kernel/drivers/virtio/virtio_ring.ko
	$kver/kernel/drivers/virtio/virtio.ko
	$kver/kernel/drivers/virtio/virtio_mmio.ko
	$kver/kernel/net/vmw_vsock/vsock.ko
	$kver/kernel/net/vmw_vsock/vmw_vsock_virtio_transport_common.ko
	$kver/kernel/net/vmw_vsock/vmw_vsock_virtio_transport.ko
	$kver/kernel/drivers/virtio/virtio_balloon.ko
	$kver/kernel/net/core/failover.ko
	$kver/kernel/drivers/net/net_failover.ko
	$kver/kernel/drivers/net/virtio_net.ko
	EOF2
	test_cmp want got &&
	extract "$(cat img)" etc/husk/netmodules >got &&
	tail -n 3 want >want.net && test_cmp want.net got
'
# init's module loading, run by busybox sh as in the guest, rooted in r/
# (its absolute paths moved there) with insmod a function that logs: the
# network modules only with a virtio device of ID 1, and with a kernel
# whose virtio_net is built in (netmodules empty) every module all the
# same.
# initmods: what init loads from r/, one name a line, in mods.
initmods() {
	sed -n "/^load() {/,/^fi\$/p" "$HUSK_ROOT/initramfs/init" |
	    sed "s|/etc/husk/|$PWD/r/etc/husk/|g; s|/sys/bus/|$PWD/r/sys/bus/|g" >snippet &&
	test -s snippet &&
	busybox sh -c "insmod() { echo \"\${1#/lib/modules/}\" >>mods; }; . ./snippet" &&
	touch mods
}
test_expect_success 'init loads the network modules only with a network device, and all of them where none is listed apart' '
	mkdir -p r/etc/husk r/sys/bus/virtio/devices/virtio0 r/sys/bus/virtio/devices/virtio1 &&
	printf "a.ko\nb.ko\nn1.ko\nn2.ko\n" >r/etc/husk/modules &&
	printf "n1.ko\nn2.ko\n" >r/etc/husk/netmodules &&
	echo 0x0013 >r/sys/bus/virtio/devices/virtio0/device &&
	echo 0x0005 >r/sys/bus/virtio/devices/virtio1/device &&
	rm -f mods && initmods && printf "a.ko\nb.ko\n" >want && test_cmp want mods &&
	echo 0x0001 >r/sys/bus/virtio/devices/virtio1/device &&
	rm -f mods && initmods && cp r/etc/husk/modules want && test_cmp want mods &&
	: >r/etc/husk/netmodules && echo 0x0005 >r/sys/bus/virtio/devices/virtio1/device &&
	rm -f mods && initmods && test_cmp want mods
'
test_expect_success 'cpio -t shows no host paths; owners root, mtimes the epoch' '
	! grep -e "^/" -e "^\./" -e "\.\./" -e trash -e work -e build names &&
	! grep -Fx "$(hostname)" names &&
	gzip -dc "$(cat img)" | cpio -tv --quiet >long &&
	! grep -v " root *root " long &&
	! grep -v " Jan  1  1970 " long &&
	extract "$(cat img)" etc/husk/languages >langs &&
	! grep -e "$HUSK_ROOT" -e "$(hostname)" langs
'
test_expect_success 'two builds from the same inputs are byte-identical' '
	"$mk" -f -m "$modroot" -o out2 >img2 2>/dev/null &&
	cmp "$(cat img)" "$(cat img2)" &&
	SOURCE_DATE_EPOCH=1700000000 "$mk" -m "$modroot" -o out3 >img3 2>/dev/null &&
	! cmp -s "$(cat img)" "$(cat img3)"
'
test_expect_success 'nothing changed: no rebuild' '
	i0=$(inode "$(cat img)") &&
	"$mk" -m "$modroot" -o out >img4 2>log &&
	grep -q "up to date" log &&
	test "$(cat img4)" = "$(cat img)" &&
	test "$(inode "$(cat img)")" = "$i0"
'
test_expect_success 'a changed agent: rebuilt under a new name, old one kept' '
	cp "$HUSK_ROOT/bin/guest-agent" agent && echo >>agent &&
	"$mk" -m "$modroot" -a "$PWD/agent" -o out >img5 2>log &&
	grep -q "built initramfs-" log &&
	test "$(cat img5)" != "$(cat img)" &&
	test -f "$(cat img)" &&
	test "$(readlink out/current.cpio.gz)" = "$(basename "$(cat img5)")"
'
test_expect_success 'python3.10 is chosen over python3.9' '
	mkdir -p fake/bin fake/lib/python3.9 fake/lib/python3.10 &&
	cp /bin/busybox fake/bin/python3.9 && cp /bin/busybox fake/bin/python3.10 &&
	echo "# 3.10" >fake/lib/python3.10/os.py && echo "# 3.9" >fake/lib/python3.9/os.py &&
	"$mk" -m "$modroot" -l sh,python3 -p "$PWD/fake/bin" -o outpy >imgpy 2>/dev/null &&
	list "$(cat imgpy)" >pynames &&
	grep -qx usr/bin/python3.10 pynames && grep -qx usr/lib/python3.10/os.py pynames &&
	! grep -q "python3\.9" pynames &&
	extract "$(cat imgpy)" etc/husk/languages >got &&
	printf "sh %s /bin/sh\npython 3.10 /usr/bin/python3.10 -I\n" \
	    "$(busybox | sed -n "1s/^BusyBox v\([0-9.]*\).*/\1/p")" >want &&
	test_cmp want got
'
# The C image: its tcc and make run in the image alone (a chroot of it),
# without the host's files: tcc -run for code, and make of a project of
# two files with the maths library.
test_expect_success 'the c image compiles and runs C, and builds with make, by itself' '
	"$mk" -m "$modroot" -l sh,c -o outc >imgc 2>/dev/null &&
	extract "$(cat imgc)" etc/husk/languages >got &&
	grep -q "^c [0-9.]* /usr/bin/tcc -xc -run$" got &&
	mkdir croot && (cd croot && gzip -dc "$(cat ../imgc)" | cpio -idm --quiet) &&
	printf "#include <stdio.h>\nint main(void) { printf(\"%%d\\\\n\", 6 * 7); return 3; }\n" >croot/tmp/code &&
	{ chroot croot /usr/bin/tcc -xc -run /tmp/code >cout; test $? = 3; } &&
	echo 42 >want && test_cmp want cout &&
	mkdir croot/job &&
	printf "hello: hello.c util.c\n\t\$(CC) -o hello hello.c util.c -lm\n" >croot/job/Makefile &&
	printf "#include <math.h>\n#include <stdio.h>\nint twice(int);\nint main(void) { printf(\"%%d %%.1f\\\\n\", twice(21), sqrt(2.0)); return 0; }\n" >croot/job/hello.c &&
	echo "int twice(int x) { return 2 * x; }" >croot/job/util.c &&
	chroot croot /bin/sh -c "cd /job && make >/dev/null 2>&1 && ./hello" >cout &&
	echo "42 1.4" >want && test_cmp want cout
'
test_expect_success 'the node image runs JavaScript by itself' '
	"$mk" -m "$modroot" -l node -o outn >imgn 2>/dev/null &&
	extract "$(cat imgn)" etc/husk/languages >got &&
	grep -q "^node [0-9.]* /usr/bin/node$" got &&
	mkdir nroot && (cd nroot && gzip -dc "$(cat ../imgn)" | cpio -idm --quiet) &&
	echo "console.log(6 * 7); process.exit(3)" >nroot/tmp/code &&
	{ chroot nroot /usr/bin/node /tmp/code >nout; test $? = 3; } &&
	echo 42 >want && test_cmp want nout && rm -rf nroot
'
test_expect_success 'cleanup keeps the current image and its record, and -K others' '
	for n in 1 2 3; do
		echo $n >>agent &&
		"$mk" -m "$modroot" -a "$PWD/agent" -o out -K 1 >last 2>/dev/null || return 1
	done &&
	test $(ls out/*.cpio.gz | grep -c initramfs-) = 2 &&
	test $(ls out/*.inputs | wc -l) = 2 &&
	test -f "$(cat last)" &&
	test -f "$(sed "s/cpio.gz$/inputs/" last)"
'
# husk run's image: rebuilt when an input of its tree changed, not only
# when missing.  A copy of the tree, so its agent can change.
test_expect_success 'husk: an image is built once, then reused' '
	mkdir -p tree/bin tree/initramfs &&
	cp "$HUSK_ROOT/bin/husk" "$HUSK_ROOT/bin/guest-agent" tree/bin/ &&
	cp "$mk" "$HUSK_ROOT/initramfs/init" tree/initramfs/ &&
	HUSK_KERNEL=$modroot/boot/vmlinuz-$kver HUSK_IMAGES=$PWD/himg &&
	export HUSK_KERNEL HUSK_IMAGES &&
	tree/bin/husk _image sh >h1 && test -f "$(cat h1)" &&
	cp -p "$(cat h1)" h1.copy &&
	tree/bin/husk _image sh >h2 && test_cmp h1 h2 &&
	test ! "$(cat h1)" -nt h1.copy
'
test_expect_success 'husk: a rebuilt guest-agent is picked up by the next run' '
	sleep 1 && echo new >>tree/bin/guest-agent &&
	tree/bin/husk _image sh >h3 && ! test_cmp h1 h3 >/dev/null &&
	extract "$(cat h3)" sbin/guest-agent | cmp - tree/bin/guest-agent
'
test_expect_success 'husk: an input touched but unchanged keeps the image' '
	sleep 1 && touch tree/initramfs/init &&
	tree/bin/husk _image sh >h4 && test_cmp h3 h4 &&
	test ! tree/initramfs/init -nt "$(cat h4)"
'
# Stopped mid-build: the signal's status (130, 143), no work dir left.
# python3 -c restores SIGINT, which sh ignores in a background job.
for sig in INT:130 TERM:143; do
	test_expect_success "mkinitramfs stopped by SIG${sig%:*} exits ${sig#*:}, leaves nothing" '
		rm -rf outsig && mkdir outsig &&
		python3 -c "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])" \
		    "$mk" -m "$modroot" -l sh,python3 -f -o outsig >/dev/null 2>sigerr &
		p=$! &&
		wait_for "ls -d outsig/.work.*/plan" 20 >/dev/null &&
		kill -${sig%:*} $p; wait $p; st=$? &&
		echo "exit $st" && test $st = ${sig#*:} &&
		test -z "$(ls -A outsig)" && ! grep -q fatal sigerr
	'
done
test_expect_code 100 'an unknown language is a usage error' \
	'"$mk" -m "$modroot" -l cobol -o outx'
test_done
