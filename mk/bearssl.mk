# BearSSL: Debian's libbearssl-dev, linked statically.
#
# Debian compiled libbearssl.a with glibc's _FORTIFY_SOURCE, so it calls
# __memcpy_chk, __memmove_chk and __memset_chk, which musl lacks.  We
# provide those three in lib/fortify.c rather than rebuilding BearSSL from
# the Debian source package: three checked one-liners are less to carry
# than a second build of a library (deb-src access, its own build system,
# minutes per clean build), and we keep the exact archive Debian ships and
# patches.  The headers (bearssl.h and bearssl/) are copied into build/include, a folder holding
# nothing else, because pointing musl-gcc at /usr/include would pull in
# glibc's headers.
build/include/bearssl.h: | build/.deps-build
	$(Q)mkdir -p build/include
	$(Q)cp -R /usr/include/bearssl.h /usr/include/bearssl build/include/
