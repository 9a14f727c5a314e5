# The end-to-end and demo tests start the Gitea emulator: build it first. (Spelled out:
# this file is read before tests/gitea-emulator/emulator.mk defines EMU_BIN.)
$(BUILD)/tests/integration/test_e2e $(BUILD)/tests/integration/test_demo: \
	$(BUILD)/tests/gitea-emulator/gitea-emulator
