# make bench-console: the log view on a 1 GiB log beside `less -R +G`, peak RSS, and an
# idle console's output bytes and CPU (README "Performance").
.PHONY: bench-console

bench-console: $(BIN)
	@BENCH_PACKAGES="less tmux" sh tests/tools/deps.sh
	@DISKOPS_BIN=$(abspath $(BIN)) sh tests/bench/console.sh
