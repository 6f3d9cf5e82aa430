# make bench: every benchmark of test/bench with its peers in the same run
# (nq, task-spooler, a bare PTY, a raw pipe, qemu -M pc and microvm, a
# cold boot), then one table of the figures with goals and whether this
# run meets them (build/bench/table.txt; each bench's output beside it).
# BENCH="relay ptyd" runs some, the table made from what is kept.  Not
# part of make check: 15 to 25 minutes, and figures, not verdicts.
build/.deps-bench: mk/deps
	$(Q)./mk/deps bench
	$(Q)touch $@

bench: all kernel build/.deps-bench
	$(Q)./test/bench/all.sh $(BENCH)

.PHONY: bench
