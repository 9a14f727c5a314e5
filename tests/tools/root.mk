# `make trusted-root` regenerates the built-in Sigstore production root from shared/.
DISKOPS_SHARED ?= ../shared
trusted-root:
	sh tests/tools/embed-root.sh $(DISKOPS_SHARED)/reference/sigstore/trusted-roots/production/trusted_root.json core/sigstore_root_data.c
.PHONY: trusted-root
