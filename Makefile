# husk: one entry point.  make, make check, make demo,
# make install PREFIX=/usr/local DESTDIR=.  Settings live in mk/config.mk;
# each mk/*.mk adds one part.  Quiet unless V=1.
include mk/config.mk
include $(filter-out mk/config.mk,$(sort $(wildcard mk/*.mk)))
