# make demo: installs what is missing, builds, starts the real registry, the Gitea
# emulator and diskops serve on loopback, runs the pipeline a few times and opens the
# console on it; quitting the console stops it all (tests/demo/demo.sh).
demo:
	@bash tests/demo/demo.sh
.PHONY: demo
