# SPDX-FileCopyrightText: 2026 The isoaudit authors
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/fuzz/fuzz.mk: the libFuzzer harnesses and the core objects they
# link, built with clang into build/fuzz/.  tests/fuzz/run calls it from the
# top of the tree (make -f tests/fuzz/fuzz.mk); it is not part of the
# Makefile so that a plain `make` never needs clang.
#
# The core is every auditor/*/*.c but the command files (auditor/cmd/), compiled with
# -fsanitize=fuzzer-no-link,address,undefined; each harness adds
# -fsanitize=fuzzer (libFuzzer's main).  fuzz_reply links its own copy of
# reply.c built with small limits (REPLY_SMALL) so that a few KiB of input
# reach the code that cuts long lines and big replies.

FUZZ_CC	?= clang
O	 = build/fuzz
PKGS	 = libevent libsodium sqlite3 ncursesw
VERSION	:= $(shell sed -n 's/^VERSION[[:space:]]*=[[:space:]]*//p' Makefile)
WARN	 = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wwrite-strings
ifeq ($(CI),true)
WARN	+= -Werror
endif
SAN	 = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	   -fno-omit-frame-pointer
CFLAGS_ALL = -std=c11 -g -O1 $(WARN) $(SAN) -D_GNU_SOURCE \
	   -DISOAUDIT_VERSION='"$(VERSION)"' $(addprefix -I,$(DIRS)) \
	   $(shell pkg-config --cflags $(PKGS))
LIBS	 = $(shell pkg-config --libs $(PKGS))
REPLY_SMALL = -DREPLY_MAX_LINE=512 -DREPLY_MAX_SIZE=4096 -DREPLY_MAX_LINES=48
CORE_CFLAGS = $(CFLAGS_ALL) -fsanitize=fuzzer-no-link

DIRS	 = auditor/lib auditor/tor auditor/audit auditor/kern auditor/agent auditor/store \
	   auditor/report auditor/cmd ui
vpath %.c $(DIRS)
HDRS	 = $(wildcard $(addsuffix /*.h,$(DIRS)))
# (The connect tracker's kernel half is no userspace object: without
# HAVE_KTRACK, ktrack.c says it was built without it.)
CORE	 = $(filter-out ktrack.bpf,$(basename $(notdir $(wildcard $(addsuffix \
	   /*.c,$(filter-out auditor/cmd ui,$(DIRS)))))))
CORE_O	 = $(addprefix $(O)/obj/,$(addsuffix .o,$(CORE) schema))
NAMES	 = reply torev config record inject agent dumpdiff

all: $(addprefix $(O)/fuzz_,$(NAMES))

# Rebuild everything when the compiler or the flags change.
STAMP	 = $(FUZZ_CC) $(CORE_CFLAGS) $(REPLY_SMALL) $(LIBS)
ifneq ($(file <$(O)/flags),$(STAMP))
$(shell mkdir -p $(O)/obj)
$(file >$(O)/flags,$(STAMP))
endif

$(O)/flags: ;

$(O)/obj/%.o: %.c $(HDRS) $(O)/flags
	@mkdir -p $(O)/obj
	$(FUZZ_CC) $(CORE_CFLAGS) -c -o $@ $<
$(O)/obj/schema.o: build/schema.c $(O)/flags
	@mkdir -p $(O)/obj
	$(FUZZ_CC) $(CORE_CFLAGS) -c -o $@ $<
$(O)/obj/reply-small.o: auditor/tor/reply.c $(HDRS) $(O)/flags
	@mkdir -p $(O)/obj
	$(FUZZ_CC) $(CORE_CFLAGS) $(REPLY_SMALL) -c -o $@ $<

# The harnesses: fuzz_reply with the small limits (its checks use them).
$(O)/fuzz_reply: tests/fuzz/fuzz_reply.c tests/fuzz/fuzz.h \
    $(O)/obj/reply-small.o $(filter-out $(O)/obj/reply.o,$(CORE_O))
	$(FUZZ_CC) $(CFLAGS_ALL) $(REPLY_SMALL) -fsanitize=fuzzer -o $@ \
	    $(filter-out %.h,$^) $(LIBS)
$(O)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(CORE_O)
	$(FUZZ_CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ \
	    $(filter-out %.h,$^) $(LIBS)

.PHONY: all
.PRECIOUS: $(O)/obj/%.o
.SUFFIXES:
