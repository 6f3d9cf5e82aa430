#!/bin/sh
# mk/demo-relay.sh: make demo-relay, the relay demo: a relayd
# serving a scratch directory, and relay used from shell pipelines.
set -eu
bin=$(cd "$(dirname "$0")/../bin" && pwd)
PATH="$bin:$PATH"
tmp=$(mktemp -d)
trap 'kill $rd 2>/dev/null; wait $rd 2>/dev/null; rm -rf "$tmp"' EXIT
export RELAY_DIR="$tmp/relay"

mkfifo "$tmp/ready"
relayd -j 2 -w "$tmp" -R "$tmp/ready" 2>"$tmp/relayd.log" &
rd=$!
read -r _ <"$tmp/ready"
echo "== relayd is serving $RELAY_DIR"

echo "== relay run streams output and returns the status"
relay run -- 'for i in 1 2 3; do echo "line $i"; sleep 0.2; done; exit 3' || echo "(exit $?)"

echo "== relay output is a pipe like any other"
relay run -- 'seq 1 1000' | awk '{ s += $1 } END { print "sum:", s }'

echo "== queue three commands, then wait for each"
for n in 1 2 3; do relay submit -- "sleep 0.$n; echo job $n"; done >"$tmp/ids"
while read -r id; do relay wait "$id"; printf '%s -> %s\n' "$id" "$(relay logs "$id")"; done <"$tmp/ids"

echo "== a timeout cancels the command and exits 124"
relay run -t 1 -- 'sleep 30' || echo "(exit $?)"

echo "== status"
relay status --json
echo "== relayd's log (ids only, never command text)"
cat "$tmp/relayd.log"
