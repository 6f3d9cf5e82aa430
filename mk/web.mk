# ptyd's browser page: the files in WEB_ASSETS are compiled into bin/ptyd
# (mk/embed.sh -> build/web/assets.c, see lib/web_asset.h), so the binary
# is the whole install: no asset directory to keep in step with it, no
# install-time path (ptyd(1), THE TERMINAL PAGE).
#
# web/index.html and web/ptyd.js are husk's own; xterm.js and its fit addon
# come from the npm registry at the versions pinned in
# web/package-lock.json.  npm ci installs them into $(WEB_DIR)/node_modules
# (never committed) and the files the page loads are copied beside it under
# the names ptyd serves them at.  No npm, or no registry and no cached copy:
# the build stops here, rather than ship a page that cannot load its
# terminal.
WEB_DIR = build/web
WEB_LIB = $(WEB_DIR)/xterm.js $(WEB_DIR)/xterm.css $(WEB_DIR)/addon-fit.js \
	$(WEB_DIR)/xterm-LICENSE.txt
WEB_ASSETS = web/index.html web/ptyd.js $(WEB_LIB)
WEB_NPM_FAIL = make: fatal: unable to install xterm.js for ptyd's page

# --ignore-scripts: nothing from the registry runs at build time.
$(WEB_LIB) &: web/package.json web/package-lock.json
	@echo "  NPM     web/package-lock.json -> $(WEB_DIR)"
	$(Q)command -v npm >/dev/null || { echo "$(WEB_NPM_FAIL):" \
		"npm not found (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	$(Q)rm -f $(WEB_LIB) && mkdir -p $(WEB_DIR) && \
		cp web/package.json web/package-lock.json $(WEB_DIR)/
	$(Q)cd $(WEB_DIR) && npm ci --ignore-scripts --no-audit --no-fund \
		>npm.log 2>&1 || { grep -m 4 "npm error" npm.log >&2; \
		echo "$(WEB_NPM_FAIL): npm ci failed (is the npm registry" \
			"reachable?); the full log is $(WEB_DIR)/npm.log" >&2; exit 1; }
	$(Q)m=$(WEB_DIR)/node_modules/@xterm && \
		cp $$m/xterm/lib/xterm.js $$m/xterm/css/xterm.css \
			$$m/addon-fit/lib/addon-fit.js $(WEB_DIR)/ && \
		for p in xterm addon-fit; do \
			echo "@xterm/$$p:"; cat $$m/$$p/LICENSE; echo; \
		done >$(WEB_DIR)/xterm-LICENSE.txt

web: $(WEB_LIB)

build/web/assets.c: $(WEB_ASSETS) mk/embed.sh mk/web.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  EMBED   $@")
	$(Q)./mk/embed.sh $@ $(WEB_ASSETS)

build/web/assets.o: build/web/assets.c lib/web_asset.h | build/.deps-build
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

bin/ptyd: $(call CMD_OBJ,ptyd) build/web/assets.o build/libhusk.a
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call CMD_OBJ,ptyd) build/web/assets.o $(LIBS)

.PHONY: web
