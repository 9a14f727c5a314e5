# The Gitea emulator: a test program, not part of diskops. Test binaries that start it
# depend on it, so `make tests` (and the ASan pass) builds it first.
EMU_SRC := $(sort $(wildcard tests/gitea-emulator/*.c))
EMU_OBJ := $(EMU_SRC:%.c=$(BUILD)/obj/%.o)
EMU_BIN := $(BUILD)/tests/gitea-emulator/gitea-emulator

$(EMU_BIN): $(EMU_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(EMU_OBJ) $(PKG_LIBS)

tests: $(EMU_BIN)
$(patsubst %.c,$(BUILD)/%,$(wildcard tests/*/test_gitea*.c)): $(EMU_BIN)

gitea-emulator: $(EMU_BIN)
.PHONY: gitea-emulator
