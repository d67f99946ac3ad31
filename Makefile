# pam_assume_role — build, test and install.
#
#   make            build the module and the helper/user command
#   make check      run every test (as root: throwaway users, private sshd)
#   make demo       a real login through the module against the local test STS
#   make deps       install the Debian packages the build and tests need
#
# Variables a packager may set: CC, OPTFLAGS (-O2 -g), CFLAGS, CPPFLAGS,
# LDFLAGS (appended to), PKG_CONFIG, and WERROR=0, which drops -Werror and
# nothing else (every warning still shows; a newer compiler's new warning
# then does not stop the build).

NAME      := pam_assume_role
VERSION   := 0.1.0

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/pam_assume_role
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || $(CC) -print-multiarch 2>/dev/null)
PAMDIR    ?= $(if $(MULTIARCH),/lib/$(MULTIARCH)/security,/lib/security)
HELPER_PATH ?= $(LIBEXECDIR)/pam-assume-role
CONFIG_PATH ?= $(SYSCONFDIR)/security/pam_assume_role.conf
RUN_DIR   ?= /run/pam_assume_role
SYSTEMDUNITDIR ?= /lib/systemd/system

CC        ?= gcc
PKG_CONFIG ?= pkg-config
B         := build

HELPER_PKGS := libcurl openssl libconfig expat inih json-c
MODULE_PKGS := pam libconfig

OPTFLAGS  ?= -O2 -g
WERROR    ?= 1
WARNFLAGS := -Wall -Wextra $(if $(filter 0,$(WERROR)),,-Werror) -Wformat=2 -Wshadow \
             -Wstrict-prototypes -Wmissing-prototypes -Wvla
# snprintf truncation is how bounded messages are cut on purpose; gcc's
# guesses about it are noise (clang has no such warning).
ifeq ($(findstring clang,$(shell $(CC) --version 2>/dev/null | head -n 1)),)
WARNFLAGS += -Wno-format-truncation
endif
# -D_FORTIFY_SOURCE=2 unless the packager's CPPFLAGS set a level already.
HARDFLAGS := $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS)),,-D_FORTIFY_SOURCE=2) -fstack-protector-strong -fPIC \
             -fno-strict-overflow -fno-delete-null-pointer-checks
DEFS      := -D_GNU_SOURCE -DPAR_VERSION='"$(VERSION)"' \
             -DPAR_HELPER_PATH='"$(HELPER_PATH)"' \
             -DPAR_CONFIG_PATH='"$(CONFIG_PATH)"' -DPAR_RUN_DIR='"$(RUN_DIR)"'
CPPFLAGS  += -Icommon $(DEFS)
CFLAGS    += $(OPTFLAGS) $(WARNFLAGS) $(HARDFLAGS) -std=gnu11
RELRO     := -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

# Each package is asked on its own, so one without a .pc file costs only its
# own flags; then its library is linked by name (bullseye's libpam0g-dev
# ships no pam.pc). pkg-config runs only when a recipe needs the flags, once
# per make (VAR = $(eval VAR := ...)$(VAR)): make deps, demo, check and
# clean ask nothing before the packages are installed.
PC_LIBS_libcurl := -lcurl
PC_LIBS_openssl := -lssl -lcrypto
PC_LIBS_libconfig := -lconfig
PC_LIBS_expat   := -lexpat
PC_LIBS_inih    := -linih
PC_LIBS_json-c  := -ljson-c
PC_LIBS_pam     := -lpam
PC_LIBS_cmocka  := -lcmocka
PC_LIBS_libseccomp := -lseccomp
pc_cflags = $(foreach p,$(1),$(shell $(PKG_CONFIG) --cflags $(p) 2>/dev/null))
pc_libs   = $(foreach p,$(1),$(or $(shell $(PKG_CONFIG) --libs $(p) 2>/dev/null),$(PC_LIBS_$(p))))

HELPER_CFLAGS = $(eval HELPER_CFLAGS := $(call pc_cflags,$(HELPER_PKGS)))$(HELPER_CFLAGS)
HELPER_LIBS   = $(eval HELPER_LIBS := $(call pc_libs,$(HELPER_PKGS)))$(HELPER_LIBS)
MODULE_CFLAGS = $(eval MODULE_CFLAGS := $(call pc_cflags,$(MODULE_PKGS)))$(MODULE_CFLAGS)
MODULE_LIBS   = $(eval MODULE_LIBS := $(call pc_libs,$(MODULE_PKGS)))$(MODULE_LIBS)
PAM_LIBS      = $(eval PAM_LIBS := $(call pc_libs,pam))$(PAM_LIBS)
CMOCKA_CFLAGS = $(eval CMOCKA_CFLAGS := $(call pc_cflags,cmocka))$(CMOCKA_CFLAGS)
CMOCKA_LIBS   = $(eval CMOCKA_LIBS := $(call pc_libs,cmocka))$(CMOCKA_LIBS)
SECCOMP_CFLAGS = $(eval SECCOMP_CFLAGS := $(call pc_cflags,libseccomp))$(SECCOMP_CFLAGS)
SECCOMP_LIBS  = $(eval SECCOMP_LIBS := $(call pc_libs,libseccomp))$(SECCOMP_LIBS)

COMMON_SRC := $(sort $(wildcard common/*.c))
HELPER_SRC := $(sort $(filter-out helper/main.c,$(wildcard helper/*.c)))
MODULE_SRC := $(sort $(wildcard pam_module/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TOOL_SRC   := $(sort $(wildcard tests/tools/*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
HELPER_OBJ := $(HELPER_SRC:%.c=$(B)/%.o)
MODULE_OBJ := $(MODULE_SRC:%.c=$(B)/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
TOOL_BIN   := $(TOOL_SRC:tests/tools/%.c=$(B)/tests/%)

HELPER_BIN := $(B)/pam-assume-role
MODULE_SO  := $(B)/pam_assume_role.so

.PHONY: all check check-unit check-sts check-pam check-e2e demo deps clean \
        install uninstall fuzz check-asan check-valgrind bench
all: $(HELPER_BIN) $(MODULE_SO)

$(B)/common/%.o: common/%.c $(wildcard common/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(HELPER_CFLAGS) $(MODULE_CFLAGS) -c -o $@ $<

$(B)/helper/%.o: helper/%.c $(wildcard helper/*.h common/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ihelper $(CFLAGS) $(HELPER_CFLAGS) -c -o $@ $<

$(B)/pam_module/%.o: pam_module/%.c $(wildcard pam_module/*.h common/*.h) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ipam_module $(CFLAGS) -fvisibility=hidden $(MODULE_CFLAGS) -c -o $@ $<

$(HELPER_BIN): $(B)/helper/main.o $(HELPER_OBJ) $(COMMON_OBJ)
	$(CC) $(CFLAGS) -pie $(RELRO) $(LDFLAGS) -o $@ $^ $(HELPER_LIBS)

# -z nodelete: a host that runs many logins (a display manager) loads the
# module and libconfig once, instead of at every pam_start and unloading
# them at every pam_end; the module keeps no state between handles.
$(MODULE_SO): $(MODULE_OBJ) $(COMMON_OBJ) pam_module/pam_assume_role.map
	$(CC) $(CFLAGS) -shared $(RELRO) -Wl,-z,nodelete \
	    -Wl,--version-script=pam_module/pam_assume_role.map \
	    $(LDFLAGS) -o $@ $(MODULE_OBJ) $(COMMON_OBJ) $(MODULE_LIBS)

# Unit tests link the helper's and module's objects (not their entry points).
$(B)/tests/%: tests/unit/%.c $(HELPER_OBJ) $(COMMON_OBJ) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ihelper -Ipam_module -Itests/unit $(CFLAGS) -pie $(HELPER_CFLAGS) $(MODULE_CFLAGS) $(CMOCKA_CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(HELPER_OBJ) $(COMMON_OBJ) $(HELPER_LIBS) $(MODULE_LIBS) $(CMOCKA_LIBS)

$(B)/tests/%: tests/tools/%.c $(HELPER_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ihelper -Ipam_module $(CFLAGS) -pie $(HELPER_CFLAGS) $(MODULE_CFLAGS) \
	    $(LDFLAGS) -o $@ $< $(HELPER_OBJ) $(COMMON_OBJ) $(HELPER_LIBS) $(MODULE_LIBS)

# The ENOSYS wrapper alone links libseccomp (and nothing of ours).
$(B)/tests/enosys: tests/tools/enosys.c common/compat.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -pie $(SECCOMP_CFLAGS) $(LDFLAGS) -o $@ $< $(SECCOMP_LIBS)

# Shims loaded with LD_PRELOAD by tests (tests/preload/*.c).
PRELOAD_SRC := $(sort $(wildcard tests/preload/*.c))
PRELOAD_LIB := $(PRELOAD_SRC:tests/preload/%.c=$(B)/tests/%.so)

$(B)/tests/%.so: tests/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

tests-build: all $(UNIT_BIN) $(TOOL_BIN) $(PRELOAD_LIB)

# check and demo first make sure the packages are there (idempotent), then
# build in a fresh make that sees them.
check:
	@scripts/deps
	@$(MAKE) --no-print-directory tests-build
	tests/run-all

deps:
	scripts/deps

# A real login through the module against the local test STS: over a private
# sshd when run as root with openssh-server installed, else in-process
# through pam_wrapper.
demo:
	@scripts/deps
	@$(MAKE) --no-print-directory all $(B)/tests/pam_driver
	@if [ -x tests/demo ] && [ "$$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ]; then \
	    tests/demo; else tests/demo_pam; fi

clean:
	rm -rf $(B)

# --- install ------------------------------------------------------------------
# make install [PREFIX=/usr/local] [DESTDIR=...] [PAMDIR=/lib/x86_64-linux-gnu/security]
#              [SYSTEMDUNITDIR=/lib/systemd/system]
MANPAGES := man/pam_assume_role.8 man/pam_assume_role.conf.5 man/pam-assume-role.1
DOCDIR   ?= $(PREFIX)/share/doc/pam_assume_role
EXAMPLEDIR ?= $(DOCDIR)/examples

install: all
	install -d $(DESTDIR)$(PAMDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(EXAMPLEDIR)/pam.d $(DESTDIR)$(SYSCONFDIR)/profile.d \
	    $(DESTDIR)/usr/lib/tmpfiles.d \
	    $(DESTDIR)/usr/share/pam-configs $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 $(MODULE_SO) $(DESTDIR)$(PAMDIR)/pam_assume_role.so
	install -m 0711 $(HELPER_BIN) $(DESTDIR)$(HELPER_PATH)
	ln -sf $(HELPER_PATH) $(DESTDIR)$(BINDIR)/pam-assume-role
	install -m 0644 man/pam-assume-role.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/pam_assume_role.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/pam_assume_role.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 config/pam_assume_role.conf.example $(DESTDIR)$(EXAMPLEDIR)/
	install -m 0644 config/pam.d/* $(DESTDIR)$(EXAMPLEDIR)/pam.d/
	install -m 0644 config/sshd_config.d/pam_assume_role.conf $(DESTDIR)$(EXAMPLEDIR)/sshd_config.conf
	sed -e 's|^__par_run_dir=.*|__par_run_dir=$(RUN_DIR)|' \
	    -e 's|^__par_helper=.*|__par_helper=$(HELPER_PATH)|' config/profile.d/pam_assume_role.sh \
	    >$(DESTDIR)$(SYSCONFDIR)/profile.d/pam_assume_role.sh
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/profile.d/pam_assume_role.sh
	install -m 0644 config/tmpfiles.d/pam_assume_role.conf $(DESTDIR)/usr/lib/tmpfiles.d/
	install -m 0644 config/pam-configs/pam_assume_role $(DESTDIR)/usr/share/pam-configs/
	sed -e 's|^ExecStart=[^ ]*|ExecStart=$(HELPER_PATH)|' \
	    -e 's|^ConditionPathIsDirectory=.*|ConditionPathIsDirectory=$(RUN_DIR)|' \
	    config/systemd/pam-assume-role-sweep.service \
	    >$(DESTDIR)$(SYSTEMDUNITDIR)/pam-assume-role-sweep.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/pam-assume-role-sweep.service
	install -m 0644 config/systemd/pam-assume-role-sweep.timer $(DESTDIR)$(SYSTEMDUNITDIR)/
	@echo "sweep of ended logins: systemctl enable --now pam-assume-role-sweep.timer"
	@if [ ! -e $(DESTDIR)$(CONFIG_PATH) ]; then \
	    install -d $(DESTDIR)$(dir $(CONFIG_PATH)); \
	    install -m 0644 config/pam_assume_role.conf.example $(DESTDIR)$(CONFIG_PATH); \
	    echo "installed $(CONFIG_PATH): edit it (environments, region), then 'pam-assume-role check-config'"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(PAMDIR)/pam_assume_role.so $(DESTDIR)$(HELPER_PATH) \
	    $(DESTDIR)$(BINDIR)/pam-assume-role $(DESTDIR)$(MANDIR)/man1/pam-assume-role.1 \
	    $(DESTDIR)$(MANDIR)/man5/pam_assume_role.conf.5 $(DESTDIR)$(MANDIR)/man8/pam_assume_role.8 \
	    $(DESTDIR)$(SYSCONFDIR)/profile.d/pam_assume_role.sh \
	    $(DESTDIR)/usr/lib/tmpfiles.d/pam_assume_role.conf \
	    $(DESTDIR)/usr/share/pam-configs/pam_assume_role \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/pam-assume-role-sweep.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/pam-assume-role-sweep.timer
	rm -rf $(DESTDIR)$(DOCDIR)
	-rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null
	@echo "kept $(CONFIG_PATH) (your settings); remove it by hand if you want it gone"

include mk/hardening.mk
include mk/bench.mk
include mk/deb.mk
include mk/dist.mk
