#!/bin/sh
# agent-bench: guest-agent exec round trip for `true` on loopback (median
# of N, via the husk client and via curl), and mkinitramfs build time and
# size for sh only and sh+python3 (fresh builds, -f).  Needs make and
# make kernel first.  Usage: test/bench/agent-bench.sh [N]
set -eu
n=${1:-200}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$root/bin
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
ms() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (v[int((NR + 1) / 2)] + v[int(NR / 2) + 1]) / 2 / 1e6 }'; }

"$bin/guest-agent" -l 127.0.0.1:0 -w "$tmp" 2>"$tmp/log" & pid=$!
while ! grep -q listening "$tmp/log"; do sleep 0.02; done
a=$(sed -n 's/.*listening on //p' "$tmp/log")

i=0; : >"$tmp/t1"
while [ $i -lt "$n" ]; do
	t0=$(ms); "$bin/guest-agent" call "$a" exec true; t1=$(ms)
	echo $((t1 - t0)) >>"$tmp/t1"; i=$((i + 1))
done
i=0; : >"$tmp/t2"
while [ $i -lt "$n" ]; do
	t0=$(ms); curl -s -o /dev/null -d '{"argv":["true"]}' "http://$a/exec"; t1=$(ms)
	echo $((t1 - t0)) >>"$tmp/t2"; i=$((i + 1))
done
echo "exec true round trip, median of $n: client $(median <"$tmp/t1") ms, curl $(median <"$tmp/t2") ms"

for langs in sh sh,python3; do
	t0=$(ms)
	img=$("$root/initramfs/mkinitramfs" -f -m "$root/build/kernel/root" -l "$langs" -o "$tmp/img" 2>/dev/null)
	t1=$(ms)
	echo "mkinitramfs -l $langs: $(( (t1 - t0) / 1000000 )) ms, $(wc -c <"$img") bytes"
done
