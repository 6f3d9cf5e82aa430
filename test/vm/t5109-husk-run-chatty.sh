#!/bin/sh
# husk run of a chatty job in a real microVM (split from t5101, which
# timed out at the rig's 300 s a test with it in two CI runs): thousands
# of small writes, each its own chunk of the agent's answer and its own
# vsock packet, arrive whole, in order, with the job's status.
. "$(dirname "$0")/../test-lib.sh"
. "$HUSK_ROOT/test/husk-vm-lib.sh"

# A line per write, 1 ms apart, so the streamed answer has thousands of
# chunks (once cut at ~8,000 with "Protocol error").  The pause is a
# read with a timeout from a FIFO nobody writes: a builtin, where usleep
# forked a process a line (the job took 63-92 s in the rig, now ~30).
# vmrun -v counts the packets from the guest: at least 8,000, or the
# lines were not sent one by one and the test proves less than it says.
test_expect_success 'husk run: 10,000 lines written one by one arrive whole, with the status' '
	t=$(now) &&
	{ HUSK_VERBOSE=1 husk run -t 600 -c "mkfifo /tmp/pause && exec 3<>/tmp/pause &&
		i=0; while [ \$i -lt 10000 ]; do echo line\$i; read -t 0.001 -u 3 x; i=\$((i+1)); done; exit 5" \
		>out 2>err; st=$?; } &&
	echo "exit $st, $(wc -l <out) lines" && sed "/^husk: info:/d" err && test $st = 5 &&
	n=$(sed -n "s/^vmrun: info: virtio-vsock: cid 3: [0-9]* packets to the guest, \([0-9]*\) from it;.*/\1/p" err) &&
	note "10,000 lines: $(since $t) s, $n packets from the guest" &&
	test "$n" -ge 8000 &&
	awk "BEGIN { for (i = 0; i < 10000; i++) print \"line\" i }" >want &&
	cmp want out && clean
'

figures
test_done
