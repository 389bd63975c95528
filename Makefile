# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# isoaudit: plain GNU make and pkg-config.
#   make            ./isoaudit
#   make check      deps, ASan+UBSan build, unit then integration tests
#   make valgrind   unit tests and replays under valgrind
#   make demo       a private Tor network on loopback with isoaudit on it
#   make docs       docs/profiles.md and isoaudit.conf(5)'s profiles, from
#                   the binary's tables (t_docs checks they are current)
#   make install PREFIX=/usr/local DESTDIR=

VERSION	 = 0.2.0
PREFIX	?= /usr/local
BINDIR	 = $(PREFIX)/bin
MANDIR	 = $(PREFIX)/share/man
DOCDIR	 = $(PREFIX)/share/doc/isoaudit
# The binary reads /etc/isoaudit/isoaudit.conf whatever the prefix; systemd,
# sysusers, tmpfiles and bash-completion search PREFIX/lib and PREFIX/share
# (/usr/local too).  Debian's package passes UNITDIR=/lib/systemd/system.
SYSCONFDIR ?= /etc
UNITDIR	?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
COMPDIR	?= $(PREFIX)/share/bash-completion/completions
AADIR	?= $(SYSCONFDIR)/apparmor.d

PKGS	 = libevent libsodium sqlite3 ncursesw
CC	?= cc
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wwrite-strings
ifeq ($(CI),true)
WARN	+= -Werror
endif
CFLAGS	?= -O2 -g
# Hardening in every build (dpkg-buildflags' hardening=+all and more), put
# before CFLAGS and LDFLAGS so that what a packager passes comes later and
# wins.  FORTIFY in the release build only: ASan does not intercept the
# __*_chk functions it swaps in, so under ASan it would hide overflows.
cc_has	 = $(shell $(CC) -Werror $(1) -x c -c -o /dev/null /dev/null \
	   >/dev/null 2>&1 && echo $(1))
HARDEN	:= -fstack-protector-strong -fPIE $(call cc_has,-fstack-clash-protection) \
	   $(call cc_has,-fcf-protection)
HARDEN_LD = -pie -Wl,-z,relro -Wl,-z,now
FORTIFY	 = $(if $(findstring _FORTIFY_SOURCE,$(CPPFLAGS) $(CFLAGS)),, \
	   -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
# One folder per stage (docs/architecture.md); object names are unique
# across them, so the build stays flat: build/release/NAME.o.
DIRS	 = auditor/lib auditor/tor auditor/audit auditor/kern auditor/agent auditor/store \
	   auditor/report auditor/cmd ui
vpath %.c $(DIRS)
HDRS	 = $(wildcard $(addsuffix /*.h,$(DIRS)))
CPPFLAGS += -D_GNU_SOURCE -DISOAUDIT_VERSION='"$(VERSION)"' \
	    $(addprefix -I,$(DIRS))
ALL_CFLAGS = -std=c11 $(WARN) $(HARDEN) $(CFLAGS) $(shell pkg-config --cflags $(PKGS))
LIBS	 = $(shell pkg-config --libs $(PKGS))
# The connect tracker's kernel half (auditor/kern/ktrack.bpf.c, docs/
# tracker.md) where clang, bpftool, libbpf and the kernel's BTF are there at
# build time; else a binary that says it was built without it.
KTRACK	:= $(shell pkg-config --exists libbpf && command -v bpftool \
	   >/dev/null && command -v clang >/dev/null && \
	   [ -r /sys/kernel/btf/vmlinux ] && echo yes)
ifeq ($(KTRACK),yes)
PKGS	+= libbpf
CPPFLAGS += -DHAVE_KTRACK -Ibuild/kern
KSKEL	 = build/kern/ktrack.skel.h
BPFARCH	:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
endif
SAN	 = -fsanitize=address,undefined -fno-omit-frame-pointer \
	   -fno-sanitize-recover=undefined -U_FORTIFY_SOURCE

names	 = $(filter-out %.bpf,$(sort $(basename $(notdir $(wildcard \
	   $(addsuffix /*.c,$(1)))))))
# The core: every stage but the commands.  Tests link against it.
CORE	 = $(call names,auditor/lib auditor/tor auditor/audit auditor/kern \
	   auditor/agent auditor/store auditor/report) schema
CMDS	 = $(call names,auditor/cmd)
# The dashboard (ui/): the model and the panels are pure, draw, ui and
# ui_key curses.
UICURSES = draw ui ui_key
UIPURE	 = $(filter-out $(UICURSES),$(call names,ui))
UI	 = $(UIPURE) $(UICURSES)
UNITS	 = $(call names,tests/unit)

B	 = build/release
A	 = build/asan

all: isoaudit

# --- objects --------------------------------------------------------------
$(B)/%.o: %.c $(HDRS) | $(B)
	$(CC) $(CPPFLAGS) $(FORTIFY) $(ALL_CFLAGS) -c -o $@ $<
$(A)/%.o: %.c $(HDRS) | $(A)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<
$(B) $(A):
	mkdir -p $@

# The schema steps, embedded at build time.
build/schema.c: schema/*.sql scripts/embed-schema
	@mkdir -p build
	sh scripts/embed-schema $@ $(sort $(wildcard schema/*.sql))
$(B)/schema.o: build/schema.c | $(B)
	$(CC) $(CPPFLAGS) $(FORTIFY) $(ALL_CFLAGS) -c -o $@ $<
$(A)/schema.o: build/schema.c | $(A)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

# vmlinux.h from the BTF of the kernel built on (CO-RE relocates the
# offsets to the one it runs on); the object; its skeleton.
build/kern/vmlinux.h:
	@mkdir -p build/kern
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	mv $@.tmp $@
build/kern/ktrack.bpf.o: auditor/kern/ktrack.bpf.c auditor/kern/ktrack_rec.h \
	    build/kern/vmlinux.h
	clang -g -O2 -target bpf -D__TARGET_ARCH_$(BPFARCH) -Ibuild/kern \
	    -Iauditor/kern -c -o $@ $<
	llvm-strip -g $@
build/kern/ktrack.skel.h: build/kern/ktrack.bpf.o
	bpftool gen skeleton $< name ktrack_bpf > $@.tmp
	mv $@.tmp $@
$(B)/ktrack.o $(A)/ktrack.o: $(KSKEL)

isoaudit: $(addprefix $(B)/,$(addsuffix .o,$(CORE) $(CMDS) $(UI)))
	$(CC) $(ALL_CFLAGS) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(LIBS)
$(A)/isoaudit: $(addprefix $(A)/,$(addsuffix .o,$(CORE) $(CMDS) $(UI)))
	$(CC) $(ALL_CFLAGS) $(SAN) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(LIBS)

# --- unit tests (cmocka) --------------------------------------------------
CMOCKA	 = $(shell pkg-config --cflags --libs cmocka 2>/dev/null || echo -lcmocka)
$(B)/%: tests/unit/%.c tests/unit/*.h $(HDRS) $(addprefix $(B)/,$(addsuffix .o,$(CORE) $(UIPURE)))
	$(CC) $(CPPFLAGS) $(FORTIFY) $(ALL_CFLAGS) -Itests/unit -o $@ $< \
	    $(addprefix $(B)/,$(addsuffix .o,$(CORE) $(UIPURE))) $(LIBS) $(CMOCKA)
$(A)/%: tests/unit/%.c tests/unit/*.h $(HDRS) $(addprefix $(A)/,$(addsuffix .o,$(CORE) $(UIPURE)))
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(SAN) -O1 -Itests/unit -o $@ $< \
	    $(addprefix $(A)/,$(addsuffix .o,$(CORE) $(UIPURE))) $(LIBS) $(CMOCKA)

.PRECIOUS: $(B)/%.o $(A)/%.o

# --- the two commands of the README ---------------------------------------
deps:
	@sh scripts/deps -q

check: deps
	@$(MAKE) --no-print-directory check-layers
	@$(MAKE) --no-print-directory $(A)/isoaudit $(addprefix $(A)/,$(UNITS))
	@ISOAUDIT=$(CURDIR)/$(A)/isoaudit UNIT_DIR=$(CURDIR)/$(A) \
	    UNITS="$(UNITS)" sh tests/run-all

demo: deps isoaudit
	@sh scripts/demo

# --- more ---------------------------------------------------------------
# libFuzzer harnesses (tests/fuzz): FUZZ_SECONDS each; a short run is part
# of make check (tests/fuzz/t_fuzz.sh).
FUZZ_SECONDS ?= 300
fuzz: deps
	@sh tests/fuzz/run $(FUZZ_SECONDS)

# The benchmark against the peers (bench/README.md); not part of make check.
bench: deps isoaudit
	@sh bench/run

# The system profiles' documentation is generated from `isoaudit config
# --profiles` (and the titles and marker files of profile.c), never edited.
docs: isoaudit
	python3 scripts/gen-profiles ./isoaudit

unit: $(addprefix $(A)/,$(UNITS))
	@for t in $(UNITS); do $(A)/$$t || exit 1; done

integration: deps $(A)/isoaudit
	@ISOAUDIT=$(CURDIR)/$(A)/isoaudit sh tests/integration/run

VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	   --suppressions=tests/valgrind.supp \
	   --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
valgrind: deps isoaudit $(addprefix $(B)/,$(UNITS))
	@set -e; for t in $(UNITS); do \
	    echo "valgrind: $$t"; CMOCKA_MESSAGE_OUTPUT=stdout \
	    $(VALGRIND) $(B)/$$t >/dev/null; done
	@set -e; export XDG_STATE_HOME=$$(mktemp -d /tmp/isoaudit-vg.XXXXXX); \
	    for f in tests/fixtures/*.txt; do \
	    [ -f "$$f" ] || continue; echo "valgrind: replay $$f"; \
	    $(VALGRIND) ./isoaudit replay --dump "$$f" >/dev/null; \
	    $(VALGRIND) ./isoaudit replay --log-targets plain "$$f" \
	    >/dev/null; done; rm -rf "$$XDG_STATE_HOME"
	@set -e; for t in integration/t_malformed integration/t_report_formats \
	    integration/t_store_replay ui/t_ui_burst; do \
	    echo "valgrind: $$t (no Tor network needed)"; \
	    d=$$(mktemp -d /tmp/isoaudit-vg.XXXXXX) && touch $$d/env && \
	    TORNET_DIR=$$d VG_ISOAUDIT=$(CURDIR)/isoaudit VG_LOG=$$d/vg.log \
	    ISOAUDIT=$(CURDIR)/tests/valgrind-run \
	    sh tests/$$t.sh >$$d/log 2>&1 || { cat $$d/log $$d/vg.log; \
	    rm -rf $$d; exit 1; }; \
	    if grep -q '^==[0-9]*== ' $$d/vg.log 2>/dev/null; then \
	    cat $$d/vg.log; rm -rf $$d; exit 1; fi; rm -rf $$d; done
	@echo "valgrind: clean"

# The house rules, a folder at a time (docs/architecture.md):
#   pure: the parsers, the transcript reader, the pipeline and the judge
#     include no libevent, sqlite, curses or sockets and read no clock;
#   lib/ is the helpers: no I/O library of any stage;
#   sockets: tor/ctl (to Tor) and audit/attrib (netlink, /proc) only;
#   libevent: tor/ctl, cmd/ and ui/ui.c only (the loop lives there);
#   sqlite: store/ only;  curses: ui/draw.c, ui/ui.c and ui/ui_key.c only;
#   the dashboard's model and panels do no I/O; auditor/ never includes ui/.
PURE	 = auditor/tor/reply.c auditor/tor/smuggle.c auditor/tor/torev*.c auditor/tor/record*.c \
	   auditor/audit/pipeline*.c auditor/audit/judge*.c
check-layers:
	@! grep -l 'event2/\|sqlite3.h\|curses.h\|sys/socket.h\|clock_gettime\|gettimeofday\|time(NULL)' \
	    $(wildcard $(PURE)) || { echo "check-layers: a pure module does I/O or reads a clock" >&2; exit 1; }
	@! grep -l 'event2/\|sqlite3.h\|curses.h\|sys/socket.h' auditor/lib/* \
	    || { echo "check-layers: lib/ includes the I/O of a stage" >&2; exit 1; }
	@! grep -l 'sys/socket.h' $$(ls auditor/*/*.c | grep -v 'tor/ctl[a-z_]*\.c\|audit/attrib[a-z_]*\.c') \
	    || { echo "check-layers: sockets outside tor/ctl and audit/attrib" >&2; exit 1; }
	@! grep -l 'event2/' $$(ls auditor/*/*.[ch] | grep -v 'tor/ctl[a-z_]*\.[ch]\|auditor/cmd/') \
	    || { echo "check-layers: libevent outside tor/ctl and cmd/" >&2; exit 1; }
	@! grep -l 'bpf/' $$(ls auditor/*/*.[ch] | grep -v '^auditor/kern/ktrack[a-z_.]*\.[ch]$$') \
	    || { echo "check-layers: libbpf outside kern/ktrack" >&2; exit 1; }
	@! grep -l 'event2/\|sqlite3.h\|sys/socket.h' auditor/kern/ktable.c \
	    || { echo "check-layers: the tracker's table does I/O" >&2; exit 1; }
	@! grep -l 'sqlite3.h' $$(ls auditor/*/*.[ch] ui/*.[ch] | grep -v '^auditor/store/') \
	    || { echo "check-layers: sqlite outside store/" >&2; exit 1; }
	@! grep -l 'curses.h' $$(ls auditor/*/*.[ch] ui/*.[ch] | grep -v '^ui/\(draw\|ui\|ui_key\)\.c$$') \
	    || { echo "check-layers: curses outside ui/draw.c, ui/ui.c and ui/ui_key.c" >&2; exit 1; }
	@! grep -l 'event2/\|sys/socket.h' ui/view*.c ui/rows.c ui/panel_*.c \
	    || { echo "check-layers: the dashboard's model or a panel does I/O" >&2; exit 1; }
	@! grep -l '#include "\(ui\|view\|draw\|rows\|panel\)[a-z_]*\.h"\|#include ".*ui/' auditor/*/*.[ch] \
	    || { echo "check-layers: auditor/ includes ui/" >&2; exit 1; }
	@echo "check-layers: ok"

# What `make install` and Debian's package install (debian/rules calls it):
# docs/examples/ is the one source; the paths in the units, the AppArmor
# profile and the cron line are written for BINDIR as they are installed.
EXAMPLES = docs/examples/isoaudit.conf docs/examples/isoaudit.service \
	   docs/examples/isoaudit-agent.service \
	   docs/examples/cron
UNITS_SYS = isoaudit.service isoaudit-check.service isoaudit-check.timer \
	   isoaudit-agent.service
# The profile's file is named after the binary's path (usr.bin.isoaudit).
AANAME	 = $(subst /,.,$(patsubst /%,%,$(BINDIR))).isoaudit
SUBST	 = sed -e 's|/usr/local/bin/isoaudit|$(BINDIR)/isoaudit|g' \
	   -e 's|usr\.local\.bin\.isoaudit|$(AANAME)|g'
install: isoaudit
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)/examples \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) \
	    $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(COMPDIR) $(DESTDIR)$(AADIR) \
	    $(DESTDIR)$(SYSCONFDIR)/isoaudit
	install -m 0755 isoaudit $(DESTDIR)$(BINDIR)/isoaudit
	install -m 0644 docs/isoaudit.1 $(DESTDIR)$(MANDIR)/man1/isoaudit.1
	install -m 0644 docs/isoaudit.conf.5 $(DESTDIR)$(MANDIR)/man5/isoaudit.conf.5
	install -m 0644 README.md CHANGELOG.md docs/architecture.md \
	    docs/dashboard.md docs/profiles.md docs/schema.md docs/agent.md \
	    $(DESTDIR)$(DOCDIR)/
	set -e; for f in $(EXAMPLES); do $(SUBST) $$f > \
	    $(DESTDIR)$(DOCDIR)/examples/$${f##*/}; \
	    chmod 0644 $(DESTDIR)$(DOCDIR)/examples/$${f##*/}; done
	set -e; for u in $(UNITS_SYS); do $(SUBST) docs/examples/$$u > \
	    $(DESTDIR)$(UNITDIR)/$$u; chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 0644 docs/examples/isoaudit.sysusers \
	    $(DESTDIR)$(SYSUSERSDIR)/isoaudit.conf
	install -m 0644 docs/examples/isoaudit.tmpfiles \
	    $(DESTDIR)$(TMPFILESDIR)/isoaudit.conf
	install -m 0644 docs/examples/isoaudit.bash-completion \
	    $(DESTDIR)$(COMPDIR)/isoaudit
	$(SUBST) docs/examples/apparmor.isoaudit > $(DESTDIR)$(AADIR)/$(AANAME)
	chmod 0644 $(DESTDIR)$(AADIR)/$(AANAME)
	@# The config is the administrator's once installed: never overwritten.
	[ -e $(DESTDIR)$(SYSCONFDIR)/isoaudit/isoaudit.conf ] || install -m 0644 \
	    docs/examples/isoaudit.conf $(DESTDIR)$(SYSCONFDIR)/isoaudit/isoaudit.conf

# Removes what install put there; the config only when it is unchanged.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/isoaudit
	rm -f $(DESTDIR)$(MANDIR)/man1/isoaudit.1
	rm -f $(DESTDIR)$(MANDIR)/man5/isoaudit.conf.5
	rm -rf $(DESTDIR)$(DOCDIR)
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS_SYS))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/isoaudit.conf \
	    $(DESTDIR)$(TMPFILESDIR)/isoaudit.conf $(DESTDIR)$(COMPDIR)/isoaudit \
	    $(DESTDIR)$(AADIR)/$(AANAME)
	! cmp -s docs/examples/isoaudit.conf \
	    $(DESTDIR)$(SYSCONFDIR)/isoaudit/isoaudit.conf || \
	    rm -f $(DESTDIR)$(SYSCONFDIR)/isoaudit/isoaudit.conf
	rmdir $(DESTDIR)$(SYSCONFDIR)/isoaudit 2>/dev/null || true

# Debian's package (debian/), built by tests/integration/t_package.sh (a
# part of make check) from a copy of the tree in a temporary directory and
# checked there (contents, lintian); the .deb is kept in build/package/.
package:
	@ISOAUDIT=$(CURDIR)/isoaudit ISOAUDIT_PACKAGE_KEEP=$(CURDIR)/build/package \
	    sh tests/integration/t_package.sh

clean:
	rm -rf build isoaudit

.PHONY: all deps check demo docs unit integration valgrind check-layers install \
	uninstall clean fuzz bench package
