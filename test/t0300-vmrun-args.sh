#!/bin/sh
# vmrun's checks that need no KVM: options and their bounds (exit 100),
# unusable kernel and initrd files (exit 111, before /dev/kvm is opened).
# Booting is tested in the VM rig (test/vm/t5010-vmrun-boot.sh).
. "$(dirname "$0")/test-lib.sh"

# A file with a valid bzImage header: boot sector, HdrS, protocol 2.15.
fake_bzimage() {
	python3 - "$1" <<-\EOF
	import struct, sys
	b = bytearray(2 * 512 + 4096)
	b[0x1f1] = 1
	struct.pack_into("<H", b, 0x1fe, 0xaa55)
	b[0x201] = 0x6a
	b[0x202:0x206] = b"HdrS"
	struct.pack_into("<H", b, 0x206, 0x020f)
	b[0x211] = 1
	struct.pack_into("<I", b, 0x22c, 0x7fffffff)
	struct.pack_into("<H", b, 0x236, 1)
	struct.pack_into("<I", b, 0x238, 2048)
	struct.pack_into("<I", b, 0x260, 0x100000)
	open(sys.argv[1], "wb").write(b)
	EOF
}

# A minimal vmlinux: ELF64 x86-64, one PT_LOAD of 4 KiB at 16 MiB
# holding its entry.
fake_vmlinux() {
	python3 - "$1" <<-\EOF
	import struct, sys
	e = bytearray(0x2000)
	e[0:6] = b"\x7fELF\x02\x01"
	struct.pack_into("<HHIQQQIHHH", e, 16, 2, 62, 1, 0x1000000, 64, 0, 0, 64, 56, 1)
	struct.pack_into("<IIQQQQQQ", e, 64, 1, 7, 0x1000, 0xffffffff81000000,
	    0x1000000, 0x1000, 0x1000, 0x1000)
	open(sys.argv[1], "wb").write(e)
	EOF
}

for args in '' '-k' '-k k -m 16' '-k k -m 4000' '-k k -c 0' '-k k -c 65' \
    '-k k -n nope' '-k k -n tap=t0,mac=01:00:00:00:00:01' '-k k extra' \
    '-k k --console=' '-k k --console-max 1023' '-k k --console-max 1k' \
    '-k k --vsock x' '-k k --vsock cid=2,uds=v' '-k k --vsock cid=3' \
    '-k k --vsock uds=v' '-k k --vsock cid=4294967295,uds=v' \
    '-k k --vsock cid=3,uds=' \
    "-k k --vsock cid=3,uds=$(printf %01024d 0)" \
    '-k k --vsock cid=3,uds=v --vsock cid=4,uds=w'; do
	test_expect_code 100 "usage error: vmrun $args" "vmrun $args" \
		'^(usage: vmrun |vmrun: fatal: unable to parse -)'
done

test_expect_code 111 'kernel file missing' 'vmrun -k nonexistent' \
	'^vmrun: fatal: unable to read kernel nonexistent: No such file or directory$'
test_expect_code 111 'garbage kernel: the reason, exit 111' '
	head -c 20000 /dev/urandom >garbage &&
	vmrun -k garbage
' '^vmrun: fatal: unable to load kernel garbage: not a bzImage'
test_expect_code 111 'protocol 2.09: refused as too old' '
	fake_bzimage old &&
	printf "\011\002" | dd of=old bs=1 seek=$((0x206)) conv=notrunc 2>/dev/null &&
	vmrun -k old
' '^vmrun: fatal: unable to load kernel old: boot protocol older than 2\.10'
test_expect_code 111 'initrd missing' '
	fake_bzimage k &&
	vmrun -k k -i nonexistent
' '^vmrun: fatal: unable to read initrd nonexistent: No such file or directory$'
test_expect_code 111 'initrd empty' '
	fake_bzimage k && : >empty &&
	vmrun -k k -i empty
' '^vmrun: fatal: unable to load initrd empty: empty file'
# A file is read in whole (MADV_POPULATE_READ, for speed) only once it has
# passed its checks, and never one larger than guest RAM: junk is refused
# by its header, unread; an initrd larger than guest RAM with the reason;
# a kernel file that large (an unstripped vmlinux can be) is read only as
# far as it is looked at.  System calls as strace shows them.
test_expect_code 111 'an initrd larger than guest RAM: refused before /dev/kvm' '
	fake_bzimage k && truncate -s 100M big &&
	vmrun -k k -m 64 -i big
' '^vmrun: fatal: unable to load initrd big: larger than guest RAM \(64 MiB\)$'
test_expect_success 'a junk kernel file of 100 MiB: refused by its header, not read in' '
	head -c 20000 /dev/urandom >junk && truncate -s 100M junk &&
	{ strace -qq -e trace=mmap,madvise -o mm vmrun -k junk 2>err; test $? = 111; } &&
	grep -q "^vmrun: fatal: unable to load kernel junk: not a bzImage" err &&
	grep -q "mmap(NULL, 104857600, PROT_READ, MAP_PRIVATE, " mm &&
	! grep -q MADV_POPULATE mm
'
test_expect_success 'a vmlinux in a sparse 64 GiB file (its symbols, say): not read in' '
	fake_vmlinux hugek &&
	truncate -s 64G hugek &&
	{ strace -qq -e trace=mmap,madvise -o mm2 vmrun -k hugek -A nonexistent 2>err; test $? = 111; } &&
	grep -q "^vmrun: fatal: unable to read -A nonexistent" err &&
	grep -q "mmap(NULL, 68719476736, PROT_READ, MAP_PRIVATE, " mm2 &&
	! grep -q "68719476736, MADV_POPULATE" mm2
'
test_expect_code 100 'a fifth -i: at most 4, named' '
	vmrun -k k -i a -i b -i c -i d -i e
' '^vmrun: fatal: unable to add -i e: at most 4 initrd files$'
test_expect_code 111 'the third of three initrds missing: named' '
	fake_bzimage k && echo a >a && echo b >b &&
	vmrun -k k -i a -i b -i nonexistent
' '^vmrun: fatal: unable to read initrd nonexistent: No such file or directory$'
test_expect_code 111 'the second of two initrds empty: named' '
	fake_bzimage k && echo a >a && : >empty &&
	vmrun -k k -i a -i empty
' '^vmrun: fatal: unable to load initrd empty: empty file'
test_expect_code 111 '-A file missing: refused before /dev/kvm' '
	fake_bzimage k && vmrun -k k -A nonexistent
' '^vmrun: fatal: unable to read -A nonexistent: No such file or directory$'
test_expect_code 111 '-A file too long for a command line' '
	fake_bzimage k && head -c 3000 /dev/zero | tr "\0" x >long &&
	vmrun -k k -A long
' '^vmrun: fatal: unable to read -A long: File too large$'
if [ ! -e /dev/kvm ]; then
	test_expect_code 111 'no /dev/kvm: clear error, exit 111' '
		fake_bzimage k &&
		vmrun -k k -e exit.txt
	' '^vmrun: warning: unable to open /dev/kvm: No such file or directory'
	test_expect_success 'no /dev/kvm: the exit file says so' '
		grep -qx "exit 111 error" exit.txt
	'
else
	test_skip 'no /dev/kvm: clear error, exit 111' 'this machine has /dev/kvm'
	test_skip 'no /dev/kvm: the exit file says so' 'this machine has /dev/kvm'
fi
test_done
