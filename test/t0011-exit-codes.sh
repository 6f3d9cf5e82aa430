#!/bin/sh
# Every exit code a man page lists under EXIT STATUS, checked against its
# tool.  Each cmd/*.1 and cmd/*.8 is parsed for the codes of the .It lines
# of that section, and the table below holds, for each, a command that
# must make the tool exit with it.  A code on a page with no row fails (a
# code added to a page needs a check), a row for a code its page does not
# list fails (a code taken off a page takes its check with it), and a row
# whose command exits otherwise fails.
#
# How an .It line is read:
#   .It 111             one code, one row
#   .It 129, 130, 143   a list: a row for each code
#   .It 1\(en255        a range (guest-agent call passes the job's status
#                       through): its two ends, a row each, 1 and 255
#   .It 128+N           a rule, not one number: one row, named 128+N,
#                       whose command picks an N (vmrun: 143, SIGTERM)
# Anything else on an .It line is taken as it stands and, having no row,
# fails.  A code a page lists twice (guest-agent: 0, 100 and 111 for the
# agent and again for call) needs a row for each listing; more rows than
# listings are allowed.  Statuses a page gives in prose, not as .It
# codes (the command's own status that relay run, streamd, ptyd attach
# and husk run pass on; what relayd records) are the tools' own tests'.
#
# A row may be skipped, as a TAP "ok N # skip", only for a code that
# needs a VM on a working /dev/kvm; its reason names the test under
# test/vm/ that checks it.  husk run's VM paths (112, 129, 130, 143) are
# checked here with a stand-in vmrun where this is root with bridges,
# and otherwise skipped with the tests that check them.
. "$(dirname "$0")/test-lib.sh"
. "$HUSK_ROOT/test/agent-lib.sh"
. "$HUSK_ROOT/test/ptyd-lib.sh"
LC_ALL=C
export LC_ALL

# The table: page, code as the page lists it, then either the status the
# command must exit with and the command (run by test_expect_code, in a
# subshell, from the scratch directory), or "vm" and why it is skipped.
# "net:N" runs the command where husk can make bridges (root).  A daemon
# that must refuse to start runs under timeout 10: one that serves
# instead fails the row (124) rather than hang the test.
cat >table <<'EOF'
relay.1       0      0    relay -d r status
relay.1       1      1    relay -d unserved status
relay.1       100    100  relay -d r wait ../etc/passwd
relay.1       111    111  relay -d corrupt wait 9999999999.1-x-1-0
relay.1       111    111  relay -d v1 status
relay.1       124    124  relay -d r run -t 1 -- sleep 30
relay.1       130    130  relay_interrupted
relayd.8      0      0    relayd_stopped
relayd.8      100    100  timeout 10 relayd -j 0
relayd.8      111    111  timeout 10 relayd -d v1
streamd.1     1      1    streamd_preempted
streamd.1     100    100  streamd
streamd.1     111    111  streamd -s busy.s -- true
streamd.1     124    124  streamd -l 1 -s linger.s -- echo unread
streamd.1     126    126  streamd -s noexec.s -- ./noexec
streamd.1     127    127  streamd -s notfound.s -- no-such-command-xyz
ptyd.1        0      0    ptyd_detached
ptyd.1        1      1    ptyd_preempted
ptyd.1        100    100  timeout 10 ptyd -l 0.0.0.0:0
ptyd.1        111    111  timeout 10 ptyd -l "$ADDR"
ptyd.1        130    130  ptyd_interrupted
guest-agent.8 0      0    agent_stopped
guest-agent.8 100    100  timeout 10 guest-agent -k token -K cmdline
guest-agent.8 111    111  timeout 10 guest-agent -l "$A"
guest-agent.8 0      0    guest-agent call "$A" health
guest-agent.8 1      1    guest-agent call -k token "$A" exec sh -c "exit 1"
guest-agent.8 255    255  guest-agent call -k token "$A" exec sh -c "exit 255"
guest-agent.8 100    100  guest-agent call "$A" exec true
guest-agent.8 101    101  agent_put_fifo
guest-agent.8 111    111  guest-agent call -c 200 -n 1 127.0.0.1:1 health
guest-agent.8 0      0    guest-agent pack packme job >pack.out
guest-agent.8 100    100  guest-agent pack packme /job >pack.out
guest-agent.8 111    111  guest-agent pack -n 1 packme job >pack.out
husk-api.8    0      0    api_stopped
husk-api.8    100    100  timeout 10 husk-api -l 0.0.0.0:0
husk-api.8    111    111  timeout 10 husk-api -l "$A"
husk-api.8    100    100  husk-api call -b http://127.0.0.1:1 -l sh
husk-api.8    111    111  husk-api call -b http://127.0.0.1:1 -l sh -c true
husk-api.8    130    130  api_interrupted
husk.1        75     75   husk_pool_full
husk.1        100    100  husk run
husk.1        111    111  HUSK_KERNEL=/nonexistent husk run -c true
husk.1        112    net:112 HUSK_VMRUN=$PWD/vmrun-dies husk run -c true
husk.1        113    vm   test/vm/t5104-husk-workspace.sh: an -o copy the guest made hostile after exit 0, 113 (t0705 too, with its stand-in vmrun)
husk.1        129    net:129 husk_signal HUP
husk.1        130    net:130 husk_signal INT
husk.1        143    net:143 husk_signal TERM
vmrun.8       0      vm   test/vm/t5010-vmrun-boot.sh: the guest powers off, exit 0
vmrun.8       2      vm   test/vm/t5010-vmrun-boot.sh: reboot -f in the guest, exit 2
vmrun.8       3      vm   test/vm/t5010-vmrun-boot.sh: page tables outside guest RAM, exit 3
vmrun.8       4      vm   test/vm/t5013-vmrun-snapshot.sh: --snapshot, the guest reads the snapshot port, exit 4
vmrun.8       128+N  vm   test/vm/t5010-vmrun-boot.sh: SIGTERM during boot, exit 143
vmrun.8       159    vm   only a bug of vmrun trips its seccomp filter, after the VM is up; test/unit/t-vmm-seccomp.c checks that the filter kills with SIGSYS, 128+31, and test/vm/t5011-vmrun-seccomp.sh a forbidden call in each kind of thread of a running vmrun
vmrun.8       100    100  vmrun -k
vmrun.8       111    111  vmrun -k nonexistent
EOF

# The codes the pages list: "page code" lines, one per listing.
listed() {
	for p in "$HUSK_ROOT"/cmd/*.[1-8]; do
		awk -v page="$(basename "$p")" '
		/^\.Sh EXIT STATUS/ { on = 1; next }
		/^\.Sh/ { on = 0 }
		on && /^\.It / {
			n = split(substr($0, 5), w, /, */)
			for (i = 1; i <= n; i++) {
				if (w[i] ~ /^[0-9]+\\\(en[0-9]+$/) {
					split(w[i], r, /\\\(en/)
					print page, r[1]; print page, r[2]
				} else {
					print page, w[i]
				}
			}
		}' "$p"
	done
}

# Helpers for the codes that take more than one command.

relay_interrupted() {
	relay -d r run -- "echo started; sleep 30" >int.out 2>int.err &
	p=$!
	wait_for "grep -q started int.out" || return 99
	kill -INT $p
	wait $p
}

# stopped LOG COND COMMAND...: a daemon, stopped with SIGTERM once COND
# holds (its stderr in LOG); its status.
stopped() {
	log=$1 cond=$2
	shift 2
	bg "$@" 2>"$log"
	p=$!
	wait_for "$cond" || return 99
	kill -TERM $p
	wait $p
}
relayd_stopped() { stopped r0.log "test -s r0/server.ready" relayd -d r0; }

# The older of two clients, taken over by the newer.
streamd_preempted() {
	bg streamd -s pre.s -- sh -c "echo ready; sleep 30" 2>pre.log
	wait_for "test -S pre.s" || return 99
	streamd attach pre.s </dev/null >pre1.out 2>pre1.err &
	a=$!
	wait_for "grep -q ready pre1.out" || return 99
	bg streamd attach pre.s </dev/null >pre2.out 2>pre2.err
	wait $a
}

# ptyd attach on a terminal, a pty that ptydrive.py drives: once the
# session has printed "ready", Control-\ detaches.
cat >ptydrive.py <<'PY'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
seen, end = b"", time.time() + 10
while b"ready" not in seen and time.time() < end:
    if select.select([fd], [], [], 0.5)[0]:
        try:
            d = os.read(fd, 4096)
        except OSError:
            break
        seen += d
if b"ready" not in seen:
    print("ptydrive.py: no ready line; got %r" % seen)
    sys.exit(99)
os.write(fd, b"\x1c")
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, st = os.waitpid(pid, 0)
c = os.waitstatus_to_exitcode(st)
sys.exit(c if c >= 0 else 128 - c)
PY
session() {
	new_session "$(cmd_json sh -c "echo ready; sleep 30")"
}
ptyd_detached() {
	id=$(session) || return 99
	python3 ptydrive.py ptyd attach "$URL" "$id"
}
ptyd_preempted() {
	id=$(session) || return 99
	ptyd attach "$URL" "$id" </dev/null >pa.out 2>pa.err &
	a=$!
	wait_for "grep -q ready pa.out" || return 99
	bg ptyd attach "$URL" "$id" </dev/null >pb.out 2>pb.err
	wait $a
}
ptyd_interrupted() {
	id=$(session) || return 99
	ptyd attach "$URL" "$id" </dev/null >pi.out 2>pi.err &
	a=$!
	wait_for "grep -q ready pi.out" || return 99
	kill -TERM $a
	wait $a
}

# A tree to put with a fifo in it: refused before it is sent.
agent_put_fifo() {
	mkdir -p withfifo && mkfifo withfifo/p || return 99
	guest-agent call -k token "$A" put withfifo "$PWD/guestdir"
}

agent_stopped() {
	stopped a0.log "grep -q 'listening on' a0.log" guest-agent -l 127.0.0.1:0
}

api_stopped() {
	stopped ha.log "grep -q 'listening on' ha.log" husk-api -d ha -l 127.0.0.1:0
}
# No relayd serves ai: the job stays queued while call waits.
api_interrupted() {
	bg husk-api -d ai -l 127.0.0.1:0 2>ai.log
	wait_for "grep -q 'listening on' ai.log" || return 99
	husk-api call -b "http://$(sed -n 's/.*listening on //p' ai.log)" \
		-l sh -c "echo never" >ai.out 2>ai.err &
	c=$!
	wait_for "ls ai/cmd/* >/dev/null 2>&1" || return 99
	kill -INT $c
	wait $c
}

# A /30 pool has one guest address: a live owner holds it.
husk_pool_full() {
	bg sleep 300
	HUSK_STATE=$PWD/full HUSK_PREFIX=30 husk _lease other $! >/dev/null ||
		return 99
	HUSK_STATE=$PWD/full HUSK_PREFIX=30 husk run -c true
}

# husk run waiting for a VM that never answers, stopped by signal $1.
# A background job of a script ignores SIGINT (and SIGHUP under nohup):
# env restores both.
husk_signal() {
	rm -f hangs.pid
	HUSK_VMRUN=$PWD/vmrun-hangs env --default-signal=INT,HUP \
	    husk run -c true &
	h=$!
	wait_for "test -s hangs.pid" 20 || return 99
	kill -$1 $h
	wait $h
}

test_skip_() {
	test_count=$((test_count + 1))
	printf 'ok %d - %s # skip %s\n' "$test_count" "$1" "$2"
}

test_expect_success 'every page lists codes; the table has a row for each' '
	listed | sort >listed &&
	ls "$HUSK_ROOT"/cmd/*.[1-8] | sed "s|.*/||" >pages &&
	cut -d" " -f1 listed | sort -u >paged && test_cmp pages paged &&
	sed "s/^\([^ ]*\)  *\([^ ]*\) .*/\1 \2/" table | sort >rows &&
	comm -23 listed rows >missing &&
	sed "s/^/no row for a listed code: /" missing &&
	! test -s missing
'
test_expect_success 'every row is for a code its page lists' '
	sort -u listed >listed.u && sort -u rows >rows.u &&
	comm -13 listed.u rows.u >extra &&
	sed "s/^/a row for a code the page does not list: /" extra &&
	! test -s extra
'

# What the rows need: a relayd, corrupt and foreign relay directories, a
# streamd serving a socket, a file that cannot be run, ptyd, an agent with
# a token, husk's state, stand-ins for vmrun.
test_expect_success 'set-up' '
	bg relayd -d r 2>relayd.log &&
	wait_for "test -s r/server.ready" &&
	relay -d corrupt status >/dev/null; test $? = 1 &&
	echo zero >corrupt/result/9999999999.1-x-1-0.exit &&
	mkdir v1 && echo "husk-relay 1" >v1/version &&
	bg streamd -s busy.s -- sleep 300 2>busy.log &&
	wait_for "test -S busy.s" &&
	echo "echo hi" >noexec && chmod 644 noexec &&
	ptyd_start ptyd &&
	echo s3cret >token && echo "husk.token=abc" >cmdline &&
	agent_start agent -k token &&
	mkdir packme && echo a >packme/a && echo b >packme/b &&
	: >kernel && mkdir -p images/sh && : >images/sh/current.cpio.gz &&
	printf "#!/bin/sh\nexit 1\n" >vmrun-dies &&
	printf "#!/bin/sh\necho \$\$ >$PWD/hangs.pid\nexec sleep 60\n" >vmrun-hangs &&
	chmod +x vmrun-dies vmrun-hangs
'
HUSK_STATE=$PWD/hs HUSK_POOL=10.203.11.0 HUSK_PREFIX=29
HUSK_BRIDGE=hkt0011br HUSK_KERNEL=$PWD/kernel HUSK_IMAGES=$PWD/images
HUSK_GRACE=1
export HUSK_STATE HUSK_POOL HUSK_PREFIX HUSK_BRIDGE HUSK_KERNEL HUSK_IMAGES
export HUSK_GRACE

net=
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null &&
   ip link add name hkt0011probe type bridge 2>/dev/null; then
	ip link del hkt0011probe
	net=1
fi

# The table on fd 3: the commands get /dev/null, not the rest of it.
while read -r page code want cmd <&3; do
	case $want in
	vm)
		test_skip_ "$page: $code" "needs a VM: $cmd"
		;;
	net:*)
		if [ -n "$net" ]; then
			test_expect_code "${want#net:}" "$page: $code: $cmd" "$cmd"
		else
			test_skip_ "$page: $code" "needs root and bridges, as test/t0705-husk-run-standin.sh does, which checks it too; test/vm/t5101-husk-run.sh checks 112 and 143 in a VM"
		fi
		;;
	*)
		test_expect_code "$want" "$page: $code: $cmd" "$cmd"
		;;
	esac
done 3<table </dev/null
[ -n "$net" ] && ip link del hkt0011br 2>/dev/null
test_done
