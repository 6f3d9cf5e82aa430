# lib/ becomes build/libhusk.a; each cmd/NAME.c becomes bin/NAME, linked
# statically against it (and BearSSL where a tool uses it).  A command split
# by layer keeps its other files in cmd/NAME/ (*.c linked in, *.h private):
# CMD_OBJ(NAME) lists its objects.
LIB_SRC = $(sort $(wildcard lib/*.c))
LIB_OBJ = $(LIB_SRC:%.c=build/%.o)
LIB_HDR = $(wildcard lib/*.h)
CMD_HDR = $(wildcard cmd/*/*.h)
# (bin/% takes them through a second expansion.)
.SECONDEXPANSION:
CMD_OBJ = build/cmd/$(1).o $(patsubst %.c,build/%.o,$(wildcard cmd/$(1)/*.c))
CMDS = relayd relay streamd guest-agent vmrun ptyd husk-api
# Commands written in sh: husk, kept in parts by layer (cmd/husk/*.sh),
# joined in this order into bin/husk.
SCRIPTS = husk
HUSK_PARTS = $(addprefix cmd/husk/,base.sh run.sh pool.sh queue.sh api.sh doctor.sh \
    main.sh)
BINS = $(CMDS:%=bin/%) $(SCRIPTS:%=bin/%)
MANS = $(wildcard cmd/*.[1-8])

all: $(BINS)

build/.deps-build: mk/deps
	$(Q)mkdir -p build
	$(Q)./mk/deps build
	$(Q)touch $@

build/%.o: %.c $(LIB_HDR) $(CMD_HDR) build/include/bearssl.h | build/.deps-build
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

build/libhusk.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

bin/%: $$(call CMD_OBJ,$$*) build/libhusk.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LIBS)

bin/husk: $(HUSK_PARTS)
	@mkdir -p bin
	@$(if $(Q),echo "  SCRIPT  $@")
	$(Q)cat $(HUSK_PARTS) >$@.tmp && chmod 755 $@.tmp && mv -f $@.tmp $@

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	cd $(DESTDIR)$(BINDIR) && $(STRIP) $(CMDS)
	for m in $(MANS); do \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; \
	done

clean:
	rm -rf bin build test/trash.*

.PHONY: all install clean
.SECONDARY:

# The README's main job: husk run in a microVM (in the rig's guest where
# this machine has no /dev/kvm); and the relay demo it replaced.
demo: all kernel
	./mk/demo.sh

demo-relay: all
	./mk/demo-relay.sh

.PHONY: demo demo-relay
