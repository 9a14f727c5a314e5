# diskops — one Makefile: build, test, install.  `make help` lists the targets.

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc

PKGS      := ncursesw libcurl jansson sqlite3 openssl libgit2 libmicrohttpd libjwt inih libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# The binary delay-loads these (tui/lazy/lazylib.sh): linked normally they and their ~40
# dependencies are mapped and relocated before main() of every command. Tests link them all.
LAZY_PKGS  := libcurl libgit2 libmicrohttpd libjwt openssl sqlite3 jansson libpcre2-8
EAGER_PKGS := $(filter-out $(LAZY_PKGS),$(PKGS))
LAZY       ?= $(if $(filter x86_64,$(shell uname -m)),1,)
BIN_LIBS   := $(if $(LAZY),$(shell pkg-config --libs $(EAGER_PKGS) 2>/dev/null) -lpthread,$(PKG_LIBS))
TEST_LIBS  := $(shell pkg-config --libs cmocka 2>/dev/null)

# BUILD and SAN are overridden by the sanitizer sub-make (test-asan).
BUILD   ?= build
SAN     ?=
OPT     ?= -O2
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $(OPT) -g $(SAN) \
             -Iinclude -Itui -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(SAN) $(LDFLAGS)

BIN := $(if $(SAN),$(BUILD)/diskops,diskops)

CORE_SRC  := $(sort $(wildcard core/*.c))
FRONT_SRC := $(sort $(wildcard tui/*.c tui/cli/*.c views/*.c))
# Every tests/<suite>/test_*.c is one cmocka binary; unit tests also run under ASan.
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c tests/conformance/test_*.c))
INTEG_SRC := $(sort $(wildcard tests/integration/test_*.c tests/interop/test_*.c tests/tui/test_*.c))
TUTIL_SRC := $(sort $(wildcard tests/tools/*.c))

CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
FRONT_OBJ := $(FRONT_SRC:%.c=$(BUILD)/obj/%.o)
TUTIL_OBJ := $(TUTIL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(UNIT_SRC:%.c=$(BUILD)/%)
INTEG_BIN := $(INTEG_SRC:%.c=$(BUILD)/%)
LIBCORE   := $(BUILD)/libdiskops.a
LAZY_OBJ  := $(if $(LAZY),$(BUILD)/lazy/lazy.o $(BUILD)/lazy/lazy_tab.o $(BUILD)/lazy/lazy_slow.o $(BUILD)/lazy/lazy_tramp.o)

VERSION := 0.1.0
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

.SECONDARY:
.PHONY: all deps test test-run test-normal test-asan tests install clean help

all: $(BIN)

help:
	@echo "make            build ./diskops"
	@echo "make deps       install missing Debian packages (apt-get)"
	@echo "make demo       the pipeline on loopback (registry, emulated Gitea, serve) + console"
	@echo "make test       deps, build, run every test, then again under ASan+UBSan"
	@echo "make test-asan  build with -fsanitize=address,undefined and run the tests"
	@echo "make screenshots  the console's views as PNGs in screenshots/"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=..."

deps:
	@sh tests/tools/deps.sh

# V=1 shows the full command lines.
Q := $(if $(V),,@)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -DDK_VERSION='"$(VERSION)"' -DDK_GITREV='"$(GITREV)"' -c $< -o $@

$(LIBCORE): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(FRONT_OBJ) $(LIBCORE) $(LAZY_OBJ)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(FRONT_OBJ) $(LAZY_OBJ) $(LIBCORE) $(BIN_LIBS)

# Trampolines for what the objects call in $(LAZY_PKGS); regenerated when they change.
$(BUILD)/lazy/lazy.S $(BUILD)/lazy/lazy_tab.c &: $(FRONT_OBJ) $(LIBCORE) tui/lazy/lazylib.sh Makefile
	@$(if $(V),,echo "  GEN     $(BUILD)/lazy")
	$(Q)CC="$(CC)" sh tui/lazy/lazylib.sh $(BUILD)/lazy "$(LAZY_PKGS)" $(FRONT_OBJ) $(LIBCORE)

$(BUILD)/lazy/lazy_tramp.o: $(BUILD)/lazy/lazy.S
	$(Q)$(CC) -c $< -o $@

$(BUILD)/lazy/lazy_slow.o: tui/lazy/lazy_slow.S
	@mkdir -p $(dir $@)
	$(Q)$(CC) -c $< -o $@

$(BUILD)/lazy/%.o: tui/lazy/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itui/lazy -c $< -o $@

$(BUILD)/lazy/lazy_tab.o: $(BUILD)/lazy/lazy_tab.c
	$(Q)$(CC) $(CFLAGS_ALL) -Itui/lazy -c $< -o $@

$(BUILD)/tests/%: tests/%.c $(TUTIL_OBJ) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  TEST    $@")
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/tools -o $@ $< $(TUTIL_OBJ) $(LIBCORE) $(PKG_LIBS) $(TEST_LIBS)

$(BUILD)/obj/tests/tools/%.o: tests/tools/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/tools -c $< -o $@

tests: $(BIN) $(UNIT_BIN) $(INTEG_BIN)

# One pass over every test binary; results are appended to $(BUILD)/results.
test-normal: tests
	@DISKOPS_BIN=$(abspath $(BIN)) sh tests/tools/run-tests.sh $(BUILD)/results $(UNIT_BIN) $(INTEG_BIN)

test-asan:
	@$(MAKE) --no-print-directory BUILD=build/asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" test-normal

test-run:
	@rm -f build/results build/asan/results
	@$(MAKE) --no-print-directory test-normal; s1=$$?; \
	 $(MAKE) --no-print-directory test-asan; s2=$$?; \
	 sh tests/tools/summary.sh build/results build/asan/results; s3=$$?; \
	 [ $$s1 -eq 0 ] && [ $$s2 -eq 0 ] && [ $$s3 -eq 0 ]

test: deps
	@$(MAKE) --no-print-directory test-run

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/diskops

clean:
	rm -rf build diskops

# Suites with their own targets (bench-*, fuzz-*, interop set-up) add them here.
-include $(wildcard tests/*/*.mk)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
