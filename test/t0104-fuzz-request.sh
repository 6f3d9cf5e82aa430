#!/bin/sh
# The request path (HTTP parser + JSON parser) under libFuzzer and ASan,
# for a few seconds from the seed corpus (copied: new inputs stay here).
. "$(dirname "$0")/test-lib.sh"

fuzz="$HUSK_ROOT/build/fuzz/fuzz-request"
test_expect_success 'fuzz-request runs 10 s from the seeds without a finding' '
	test -x "$fuzz" &&
	cp -R "$HUSK_ROOT/test/fuzz/corpus" corpus &&
	"$fuzz" -max_total_time=10 -timeout=5 -rss_limit_mb=1024 \
	    -artifact_prefix="$PWD/" corpus >fuzz.log 2>&1 &&
	! ls crash-* leak-* timeout-* 2>/dev/null
'
test_done
