# make screenshots: the console's views as PNGs in screenshots/ (linked from the README).
# Installs its own tools (aha, chromium, DejaVu fonts); `make test` never needs them.
.PHONY: screenshots screenshot-deps

SHOT_PKGS := aha chromium fonts-dejavu-core sqlite3 tmux

screenshot-deps:
	@missing=""; for p in $(SHOT_PKGS); do \
	  s=$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null || true); \
	  [ "$$s" = installed ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "screenshots: installing:$$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

screenshots: screenshot-deps $(BIN) $(EMU_BIN)
	@sh tests/tui/screenshots.sh $(BIN) screenshots $(EMU_BIN)
