# The whole suite on another Debian release, in a throwaway root:
#   make check-dist [DIST=trixie|bookworm|bullseye] [TESTS="name ..."]
# Runs as root; logs in build/dist-DIST/. See scripts/check-dist.

DIST ?= trixie

.PHONY: check-dist

check-dist:
	scripts/check-dist $(DIST)
