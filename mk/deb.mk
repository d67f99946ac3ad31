# --- make deb -----------------------------------------------------------------
# The Debian package for the release this runs on (dpkg-buildpackage -us -uc
# -b), built in a copy of the tree, build/deb/src/libpam-assume-role-VERSION,
# so the checkout is not written; the .deb, .buildinfo and .changes land in
# build/deb/. Its version carries the release (0.1.0~deb12u1 on Debian 12,
# ~deb13u1 on 13, ~deb11u1 on 11): one binary does not fit every release,
# their libconfig, libcurl and libssl sonames differ. debian/changelog is
# written into the copy, dated from the last commit (SOURCE_DATE_EPOCH), so
# two builds of one commit give the same bytes.
DEB_OUT := $(B)/deb
DEB_SRC := $(DEB_OUT)/src/libpam-assume-role-$(VERSION)

.PHONY: deb
deb:
	@command -v dpkg-buildpackage >/dev/null || \
	    { echo "make deb: dpkg-buildpackage is missing: apt-get install dpkg-dev debhelper" >&2; exit 1; }
	@. /etc/os-release && [ "$$ID" = debian ] && [ -n "$$VERSION_ID" ] || \
	    { echo "make deb: builds for a Debian release (11, 12, 13) and /etc/os-release names none" >&2; exit 1; }
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_SRC)
	@# Tracked and new files (not ignored ones), as they are in the work tree.
	if git rev-parse --git-dir >/dev/null 2>&1; then \
	    git ls-files -z --cached --others --exclude-standard | \
	        xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done; true' sh | \
	        tar --null --no-recursion -T - -cf - | tar -C $(DEB_SRC) -xf -; \
	else \
	    tar --exclude=./build --exclude='./build-*' -cf - . | tar -C $(DEB_SRC) -xf -; \
	fi
	@# Outside a git checkout (a tree from git archive, whose files carry the
	@# commit's time): the newest file's time.
	@epoch=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || \
	    find . -path ./build -prune -o -type f -printf '%T@\n' | sort -n | tail -n 1 | cut -d. -f1)}; \
	[ -n "$$epoch" ] || { echo "make deb: nothing to date the package from: set SOURCE_DATE_EPOCH" >&2; exit 1; }; \
	. /etc/os-release; \
	{ echo "libpam-assume-role ($(VERSION)~deb$${VERSION_ID}u1) $${VERSION_CODENAME}; urgency=medium"; \
	  echo; \
	  echo "  * pam_assume_role $(VERSION) for Debian $${VERSION_ID} ($${VERSION_CODENAME})."; \
	  echo; \
	  echo " -- $$(sed -n 's/^Maintainer: //p' debian/control)  $$(LC_ALL=C date -u -R -d @$$epoch)"; \
	} >$(DEB_SRC)/debian/changelog; \
	echo "make deb: libpam-assume-role $(VERSION)~deb$${VERSION_ID}u1 for $${PRETTY_NAME}"
	@# With the release's compiler and flags, whatever this make was given
	@# (make CC=clang check would reach debian/rules through MAKEFLAGS and
	@# the environment, and dwz cannot read clang's debug information).
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CC -u CFLAGS -u CPPFLAGS \
	    -u LDFLAGS -u OPTFLAGS -u B dpkg-buildpackage -us -uc -b
	mv $(DEB_OUT)/src/*.deb $(DEB_OUT)/src/*.buildinfo $(DEB_OUT)/src/*.changes $(DEB_OUT)/
	@ls $(DEB_OUT)/*.deb
