# make mutants: test/mutants/run breaks husk on purpose, one documented
# promise at a time (test/mutants/*.patch), in a scratch copy of the tree
# (build/mutants/work), and checks that the tests named for each notice.
# MUTANTS="03 07-..." picks some; MUTANTS_VM=1 also runs those only a VM
# test catches.  Not part of make check: minutes, and it checks the tests.
mutants: all build/.deps-check kernel
	$(Q)./test/mutants/run

.PHONY: mutants
