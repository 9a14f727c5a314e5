# `make bench-verify`: verifications/s of diskops (keyless v0.3 bundle, legacy keyless
# layer, key bundle) beside `openssl speed ecdsap256` and @sigstore/verify, same run.
BENCH_SECONDS ?= 3
DISKOPS_SHARED ?= ../shared

$(BUILD)/bench/bench_verify: tests/bench/bench_verify.c $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBCORE) $(PKG_LIBS)

bench-verify: $(BUILD)/bench/bench_verify $(INTEROP_STAMP)
	@NODE_VERSION=$$(node --version) sh tests/bench/bench-verify.sh $(BUILD)/bench/bench_verify \
	  $(DISKOPS_SHARED)/reference/sigstore $(BENCH_SECONDS)

.PHONY: bench-verify
