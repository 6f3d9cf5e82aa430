#!/bin/sh
# Each libFuzzer target runs briefly on its seed corpus and finds nothing.
. "$(dirname "$0")/test-lib.sh"

for f in "$HUSK_ROOT"/build/fuzz/*; do
	name=$(basename "$f")
	test_expect_success "fuzz $name: 1000000 runs, no crash" '
		mkdir -p corpus-$name &&
		cp "$HUSK_ROOT"/test/fuzz/corpus-$name/* corpus-$name/ 2>/dev/null;
		"$f" -runs=1000000 -max_total_time=60 corpus-$name >log 2>&1 ||
		{ tail -n 30 log; false; }
	'
done
test_done
