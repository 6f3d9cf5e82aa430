#!/bin/bash
# streamd-bench.sh: what streamd costs on the output path.  A benchmark,
# not a test: it prints figures and exits 0.
#
#  throughput  1 GiB from `head -c 1G /dev/zero` through streamd and
#              streamd attach into /dev/null, against the same through a
#              raw pipe into `cat >/dev/null`; best of 3 each.
#  exit lag    from the command's last action (it records the time, then
#              exits) to the attached client's exit; median of 20.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
make -s -C "$root" >/dev/null || exit 1
PATH=$root/bin:$PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
now() { echo "${EPOCHREALTIME/./}"; }   # microseconds

best() { sort -n | head -n 1; }
for i in 1 2 3; do
	s=$(now); head -c 1073741824 /dev/zero | cat >/dev/null; e=$(now)
	echo $((e - s))
done | best >pipe.us
for i in 1 2 3; do
	mkfifo r
	streamd -R r -s s -- head -c 1073741824 /dev/zero 2>/dev/null & read -r _ <r
	s=$(now); streamd attach s >/dev/null </dev/null; e=$(now)
	wait; rm -f r
	echo $((e - s))
done | best >streamd.us
p=$(cat pipe.us) d=$(cat streamd.us)
awk -v p="$p" -v d="$d" 'BEGIN {
	printf "pipe     1 GiB  %7.3f s  %7.0f MiB/s\n", p / 1e6, 1024 / (p / 1e6)
	printf "streamd  1 GiB  %7.3f s  %7.0f MiB/s  streamd/pipe time %.2fx\n",
	    d / 1e6, 1024 / (d / 1e6), d / p }'

for i in $(seq 1 20); do
	mkfifo r
	streamd -R r -s s -- bash -c 'echo out; echo ${EPOCHREALTIME/./} >t0' 2>/dev/null &
	read -r _ <r
	streamd attach s >/dev/null </dev/null; e=$(now)
	wait; rm -f r
	echo $((e - $(cat t0)))
done | sort -n | awk '{ v[NR] = $1 } END {
	printf "exit lag: command exit to client exit, median %.2f ms (of %d)\n",
	    v[int((NR + 1) / 2)] / 1000, NR }'

# The same timestamp-then-exit, run directly by this shell: the part of the
# lag above that is the command's own exit and process teardown here.
for i in $(seq 1 20); do
	bash -c 'echo out >/dev/null; echo ${EPOCHREALTIME/./} >t0'; e=$(now)
	echo $((e - $(cat t0)))
done | sort -n | awk '{ v[NR] = $1 } END {
	printf "baseline: the same command run directly, median %.2f ms (of %d)\n",
	    v[int((NR + 1) / 2)] / 1000, NR }'
