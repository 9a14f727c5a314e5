# tests/interop needs the pinned Sigstore JS tools (package-lock.json): `npm ci` runs
# before the test binaries whenever the lock file is newer than the install.
INTEROP_STAMP := tests/interop/node_modules/.package-lock.json

$(INTEROP_STAMP): tests/interop/package-lock.json
	cd tests/interop && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

interop-deps: $(INTEROP_STAMP)
test-normal: $(INTEROP_STAMP)

.PHONY: interop-deps
