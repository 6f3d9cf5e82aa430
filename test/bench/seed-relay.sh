#!/bin/sh
# seed-relay.sh: a polling shell relay like the original seed, as a baseline
# for relay-bench.sh.  Not part of husk.
#
#   seed-relay.sh DIR serve          server loop (foreground)
#   seed-relay.sh DIR run CMD...     queue CMD, wait, print its log, exit with its code
#   seed-relay.sh DIR submit CMD...  queue CMD, print its id
#   seed-relay.sh DIR wait ID        wait for ID, print its log, exit with its code
#
# DIR/cmd/ID holds a queued command, DIR/result/ID.log its output and
# DIR/result/ID.exit its exit code; every file is written to DIR/tmp first,
# then moved into place.  Both sides poll every 1 s.  Unlike a one-per-poll
# seed, the server runs every pending command on each poll, in id order, so
# a long queue drains in reasonable time.
set -u
d=$1 op=$2
shift 2
mkdir -p "$d/cmd" "$d/run" "$d/result" "$d/tmp"

wait_id() {
	while [ ! -e "$d/result/$1.exit" ]; do sleep 1; done
	cat "$d/result/$1.log"
	exit "$(cat "$d/result/$1.exit")"
}

case $op in
serve)
	while :; do
		for f in "$d"/cmd/*; do
			[ -e "$f" ] || continue
			id=${f##*/}
			mv "$f" "$d/run/$id" 2>/dev/null || continue
			sh -c "$(cat "$d/run/$id")" </dev/null >"$d/result/$id.log" 2>&1
			echo $? >"$d/tmp/$id.exit"
			mv "$d/tmp/$id.exit" "$d/result/$id.exit"
			rm -f "$d/run/$id"
		done
		sleep 1
	done ;;
run|submit)
	id=$(date +%s%N).$$ # fixed width until 2286: sorts in submission order
	printf '%s\n' "$*" >"$d/tmp/$id"
	mv "$d/tmp/$id" "$d/cmd/$id"
	[ "$op" = run ] && wait_id "$id"
	echo "$id" ;;
wait)
	wait_id "$1" ;;
*)
	echo "usage: seed-relay.sh DIR serve|run CMD|submit CMD|wait ID" >&2
	exit 2 ;;
esac
