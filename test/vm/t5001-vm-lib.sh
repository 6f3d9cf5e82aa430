#!/bin/sh
# vm-lib.sh where VM tests run: the L2 kernel and image are there, and
# l2_image appends a gzip'd cpio whose /init replaces the image's.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/vm/vm-lib.sh"

test_expect_success 'L2_KERNEL is a bzImage, L2_GUEST a gzip'"'"'d cpio with the virtio modules' '
	test -f "$L2_KERNEL" &&
	test "$(dd if="$L2_KERNEL" bs=1 skip=514 count=4 2>/dev/null)" = HdrS &&
	gzip -dc "$L2_GUEST" | cpio -t 2>/dev/null >names &&
	grep -x init names &&
	grep -x "lib/modules/.*/virtio_net.ko" names
'
test_expect_success 'l2_image: the image, then a gzip member holding DIR' '
	mkdir ov && printf "#!/bin/sh\necho mine\n" >ov/init && chmod 755 ov/init &&
	mkdir ov/etc && echo x >ov/etc/extra &&
	l2_image l2.img ov &&
	n=$(wc -c <"$L2_GUEST") &&
	head -c "$n" l2.img | cmp - "$L2_GUEST" &&
	tail -c +$((n + 1)) l2.img | gzip -dc >ov.cpio &&
	cpio -t <ov.cpio 2>/dev/null | sort >got &&
	printf "etc\netc/extra\ninit\n" >want &&
	test_cmp want got &&
	mkdir x && (cd x && cpio -i -d <../ov.cpio 2>/dev/null) &&
	cmp x/init ov/init && test -x x/init &&
	! test -e l2.img.ov
'
test_done
