# make bench-ingest: push a 1 GiB artifact to a local docker-registry, then time
# `curl -o /dev/null` of its blob and `diskops ingest` of it, with peak RSS.
.PHONY: bench-ingest

bench-ingest: $(BIN)
	@BENCH_PACKAGES="time" sh tests/tools/deps.sh
	@DISKOPS_BIN=$(abspath $(BIN)) sh tests/bench/ingest.sh
