# ptyd's browser page: the files in WEB_ASSETS are compiled into bin/ptyd
# (mk/embed.sh -> build/web/assets.c, see lib/web_asset.h), so the binary
# is the whole install: no asset directory to keep in step with it.
WEB_ASSETS = web/index.html

build/web/assets.c: $(WEB_ASSETS) mk/embed.sh mk/web.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EMBED   $@")
	$(Q)./mk/embed.sh $@ $(WEB_ASSETS)

build/web/assets.o: build/web/assets.c lib/web_asset.h
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin/ptyd: build/cmd/ptyd.o build/web/assets.o build/libhusk.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ build/cmd/ptyd.o build/web/assets.o $(LIBS)
