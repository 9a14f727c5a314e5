# make bench-webhook: nginx `return 204` and `diskops serve` side by side under wrk.
.PHONY: bench-webhook

$(BUILD)/bench/gen_deliveries: tests/bench/gen_deliveries.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) -O2 -Wall -Wextra -Werror -o $@ $< $(shell pkg-config --libs openssl)

bench-webhook: $(BIN) $(BUILD)/bench/gen_deliveries
	@BENCH_PACKAGES="nginx wrk" sh tests/tools/deps.sh
	@DISKOPS_BIN=$(abspath $(BIN)) GEN=$(abspath $(BUILD)/bench/gen_deliveries) \
	  sh tests/bench/webhook.sh
