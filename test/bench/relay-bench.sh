#!/bin/bash
# relay-bench.sh: compare husk relay with nq, task-spooler (tsp) and a 1 s
# polling shell relay (seed-relay.sh).  A benchmark, not a test: it prints
# figures and exits 0.  Needs bash 5 ($EPOCHREALTIME) and the Debian packages
# nq and task-spooler (mk/deps bench).  Takes a few minutes.
#
# What it measures, for each of the four, with one slot (relayd -j 1,
# TS_SLOTS=1; nq and the seed run one job at a time by design):
#
#  round trip  median wall time of "submit `true`, then wait for its exit",
#              two client commands each: relay submit + relay wait,
#              nq + nq -w ID, tsp + tsp -w ID, seed-relay submit + wait.
#              20 runs (5 for the seed, which polls every 1 s), after one
#              warm-up run.  An extra info line gives `relay run -- true`,
#              the one-command form.
#  drain       queue COUNT `true` commands, one client call each, into a
#              server that is already running (nq has no server: its jobs
#              run as soon as they are queued, so "running" is the only fair
#              mode), and time from the first submit until all COUNT have
#              finished (wait for the last, then check every one is done).
#              Each drain gets a fresh queue.  COUNT is 1000, but a probe
#              of 100 runs first; if 10x the probe exceeds 120 s, the probe
#              is reported instead, labelled "drain 100".
#  scale       relay alone drains 10,000 the same way, and its time is
#              given against its own drain of 1,000.
#
# Ratios are peer / relay (above 1x: relay is faster).  When drain counts
# differ, the ratio compares time per command.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bench=$root/test/bench
bin=$root/bin
N=20 NSEED=5 COUNT=1000 PROBE=100 CAP=120 BIG=10000

for b in nq tsp; do
	if ! command -v "$b" >/dev/null 2>&1; then
		echo "relay-bench: $b is missing; install nq and task-spooler" \
		    "with: mk/deps bench (as root)" >&2
		exit 1
	fi
done
if ! out=$(make -C "$root" 2>&1); then
	printf '%s\n' "$out" >&2
	echo "relay-bench: make failed" >&2
	exit 1
fi

tmp=$(mktemp -d) || exit 1
rpid= spid= sockets= # live relayd and seed server, tsp sockets
cleanup() {
	for p in $rpid $spid; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for s in $sockets; do TS_SOCKET=$s tsp -K >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export TS_SLOTS=1 TS_MAXFINISHED=5000
inst=0

# Per system: start_X (new queue, server running), stop_X, q_X (queue one
# `true`, print its id), w_X ID (wait for it), done_X COUNT (all finished?).

start_relay() {
	inst=$((inst + 1)) rd=$tmp/relay.$inst
	"$bin/relayd" -d "$rd" 2>"$tmp/relayd.$inst.log" &
	rpid=$!
	until [ -s "$rd/server.ready" ]; do sleep 0.01; done
}
stop_relay() { kill "$rpid"; wait "$rpid" 2>/dev/null; rpid=; }
q_relay() { "$bin/relay" -d "$rd" submit -- true; }
w_relay() { "$bin/relay" -d "$rd" wait "$1"; }
done_relay() { [ "$(ls "$rd/result" | grep -c '\.exit$')" -ge "$1" ]; }
run_relay() { "$bin/relay" -d "$rd" run -- true; }

start_nq() { inst=$((inst + 1)); export NQDIR=$tmp/nq.$inst; mkdir -p "$NQDIR"; }
stop_nq() { :; }
q_nq() { nq true; }
w_nq() { nq -w "$1"; }
done_nq() { nq -t; }  # no ids: are all jobs in NQDIR done?

start_tsp() {
	inst=$((inst + 1))
	export TS_SOCKET=$tmp/tsp.$inst.sock TMPDIR=$tmp/tsp.$inst
	mkdir -p "$TMPDIR"
	sockets="$sockets $TS_SOCKET"
	tsp -S 1 # starts the server
}
stop_tsp() { tsp -K; }
q_tsp() { tsp true; }
w_tsp() { tsp -w "$1"; }
done_tsp() { [ "$(tsp -l | grep -c ' finished ')" -ge "$1" ]; }

start_seed() {
	inst=$((inst + 1)) sd=$tmp/seed.$inst
	sh "$bench/seed-relay.sh" "$sd" serve &
	spid=$!
}
stop_seed() { kill "$spid"; wait "$spid" 2>/dev/null; spid=; }
q_seed() { sh "$bench/seed-relay.sh" "$sd" submit true; }
w_seed() { sh "$bench/seed-relay.sh" "$sd" wait "$1"; }
done_seed() { [ "$(ls "$sd/result" | grep -c '\.exit$')" -ge "$1" ]; }

# Results go to $res, not stdout: no subshell, so server pids and instance
# numbers stay in this shell.  Times are in microseconds from $EPOCHREALTIME.

# median_ms FUNC RUNS: median wall time of FUNC in ms, after a warm-up.
median_ms() {
	local f=$1 n=$2 i t0 t1 all=
	$f >/dev/null 2>&1
	for ((i = 0; i < n; i++)); do
		t0=${EPOCHREALTIME/./}
		$f >/dev/null 2>&1
		t1=${EPOCHREALTIME/./}
		all="$all $((t1 - t0))"
	done
	res=$(printf '%s\n' $all | sort -n | awk '{ a[NR] = $1 } END {
		m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "%.1f\n", m / 1000 }')
}
rt() { local id; id=$(q_$sys) && w_$sys "$id"; }

# drain SYS COUNT: seconds to queue COUNT `true` and see all finish.
drain() {
	local i t0 t1 last
	start_$1 >/dev/null 2>&1
	t0=${EPOCHREALTIME/./}
	for ((i = 1; i < $2; i++)); do q_$1 >/dev/null 2>&1; done
	last=$(q_$1 2>/dev/null)
	w_$1 "$last" >/dev/null 2>&1
	until done_$1 "$2" >/dev/null 2>&1; do sleep 0.01; done
	t1=${EPOCHREALTIME/./}
	stop_$1 >/dev/null 2>&1
	res=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.2f\n", d / 1e6 }')
}

# ratio A B: A / B with 3 significant digits, e.g. 1.17x, 0.0394x, 57.9x.
ratio() { awk -v r="$(awk -v a="$1" -v b="$2" 'BEGIN { print a / b }')" \
    'BEGIN { printf(r >= 100 ? "%.0fx\n" : "%.3gx\n", r) }'; }

echo "relay-bench: husk relay vs nq vs task-spooler vs 1 s polling seed" \
    "($(nproc) cpus, one slot each)"

# Round trips.
declare -A rtms dn dt
for sys in relay nq tsp seed; do
	runs=$N; [ $sys = seed ] && runs=$NSEED
	start_$sys >/dev/null 2>&1
	median_ms rt $runs
	rtms[$sys]=$res
	[ $sys = relay ] && median_ms run_relay $N && runms=$res
	stop_$sys >/dev/null 2>&1
	line=$(printf '%-6s round trip  %8s ms  (median of %d)' $sys \
	    "${rtms[$sys]}" $runs)
	[ $sys != relay ] && line="$line  $sys/relay $(ratio "${rtms[$sys]}" \
	    "${rtms[relay]}")"
	echo "$line"
	[ $sys = relay ] && printf '%-6s run -- true %7s ms  (median of %d;%s)\n' \
	    relay "$runms" $N " info: relay run, one client command, no ratio"
done

# Drains: probe with PROBE, then COUNT if it fits in CAP seconds.
for sys in relay nq tsp seed; do
	drain $sys $PROBE
	n=$PROBE t=$res note=" (only $PROBE: $COUNT projected over ${CAP} s)"
	if awk -v t="$t" -v k=$((COUNT / PROBE)) -v c=$CAP \
	    'BEGIN { exit !(t * k <= c) }'; then
		drain $sys $COUNT
		n=$COUNT t=$res note=
	fi
	dn[$sys]=$n dt[$sys]=$t
	line=$(printf '%-6s drain %-5s %8s s%s' $sys $n "$t" "$note")
	if [ $sys != relay ]; then
		r=$(ratio "$(awk -v t="$t" -v n=$n 'BEGIN { print t / n }')" \
		    "$(awk -v t="${dt[relay]}" -v n="${dn[relay]}" \
		    'BEGIN { print t / n }')")
		[ $n != "${dn[relay]}" ] && r="$r per command"
		line="$line  $sys/relay $r"
	fi
	echo "$line"
done

# Scale: relay alone drains BIG; per command it should cost what it did at
# COUNT (the goal: at most 10.5x the drain of COUNT for 10x the commands).
if [ "${dn[relay]}" = $COUNT ]; then
	drain relay $BIG
	printf '%-6s drain %-5s %8s s  relay %s/%s %s (10x the commands)\n' \
	    relay $BIG "$res" $BIG $COUNT "$(ratio "$res" "${dt[relay]}")"
fi
exit 0
