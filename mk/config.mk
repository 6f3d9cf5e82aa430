# Build settings, in one place.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
SBINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man

CC = musl-gcc
# make install strips what it installs; bin/ keeps its debug information.
STRIP = strip
# Each function and object in its own section, so that the link drops what
# no one calls (-Wl,--gc-sections): the installed sizes of test/t0009.
CFLAGS = -std=gnu11 -O2 -g -Wall -Wextra -Wpedantic -Wno-unused-parameter \
	-fno-strict-aliasing -D_GNU_SOURCE -ffunction-sections -fdata-sections
# build/include holds only the BearSSL headers: never -I/usr/include, whose
# glibc headers break a musl build.
CPPFLAGS = -Ilib -Icmd -Ibuild/include
LDFLAGS = -static -Wl,--gc-sections

# The sanitizer build of the unit tests uses the host's glibc gcc.
ASAN_CC = gcc
ASAN_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter \
	-D_GNU_SOURCE -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all

MULTIARCH := $(shell gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BEARSSL_A = /usr/lib/$(MULTIARCH)/libbearssl.a
# Link order: lib/fortify.o resolves what libbearssl.a needs, so group them.
LIBS = -Wl,--start-group build/libhusk.a $(BEARSSL_A) -Wl,--end-group

ifeq ($(V),1)
Q =
else
Q = @
endif

.DEFAULT_GOAL = all

# A job for each CPU, unless make is told otherwise (make -j1 ...): the
# command line's -j wins over this one.
MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
