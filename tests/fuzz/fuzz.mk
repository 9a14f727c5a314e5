# `make fuzz-sigstore`: libFuzzer + ASan/UBSan over the bundle, payload and trusted-root
# parsers for FUZZ_SECONDS (default 60). Seeds: every bundle of the shared vectors.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_BUILD   := build/fuzz
DISKOPS_SHARED ?= ../shared

$(FUZZ_BUILD)/fuzz_sigstore: tests/fuzz/fuzz_sigstore.c $(CORE_SRC) $(wildcard core/*.h include/diskops/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude $(PKG_CFLAGS) \
	  -o $@ tests/fuzz/fuzz_sigstore.c $(CORE_SRC) $(PKG_LIBS)

fuzz-seeds:
	@mkdir -p $(FUZZ_BUILD)/corpus
	@find $(DISKOPS_SHARED)/reference/sigstore -name '*.json' -o -name '*.sigstore' | while read -r f; do \
	  for m in 0 1 2; do h=$$(printf '%s%s' "$$m" "$$f" | sha1sum | cut -c1-16); \
	    { printf "\\$$(printf '%03o' $$m)"; cat "$$f"; } > $(FUZZ_BUILD)/corpus/$$h; done; done

fuzz-sigstore: $(FUZZ_BUILD)/fuzz_sigstore fuzz-seeds
	$(FUZZ_BUILD)/fuzz_sigstore -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	  -rss_limit_mb=2048 $(FUZZ_BUILD)/corpus

.PHONY: fuzz-sigstore fuzz-seeds
