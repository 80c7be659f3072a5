# lettergate - build, install, test.
#   make                 build build/lettergated and build/lettergatectl
#   make check           whole suite twice: normal build, then ASan+UBSan
#   make test            whole suite once on the normal build
#   make install         PREFIX=/usr/local DESTDIR=
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each
#   make bench           benchmarks (not tests)
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT = -O1
MALLOC ?= glibc
else
BUILD ?= build
SANFLAGS =
OPT = -O2
MALLOC ?= jemalloc
endif

PKGS = gmime-3.0 glib-2.0 gio-2.0 libcurl openssl sqlite3 json-glib-1.0 vips libjpeg \
	libexttextcat libpcre2-8 gumbo cairo pangocairo libmicrohttpd
PKG_CFLAGS := $(shell pkg-config --cflags milter $(PKGS))
PKG_LIBS := $(shell pkg-config --libs $(PKGS))
# libmilter: the thread-per-session build scripts/libmilter.sh leaves in
# .deps/libmilter when it is there, else the system's (Debian's worker pool);
# LIBMILTER=path/to/libmilter.a chooses, LIBMILTER= forces the system's.
LIBMILTER ?= $(wildcard .deps/libmilter/libmilter.a)
MILTER_LIBS := $(if $(LIBMILTER),$(LIBMILTER),$(shell pkg-config --libs milter))

# The daemon's allocator: jemalloc (Debian's libjemalloc) in the normal build,
# 7% less CPU a letter and a fifth less memory than glibc's malloc under many
# session threads (README, "Speed"); MALLOC=glibc builds without it. The
# sanitizer build keeps glibc's, which AddressSanitizer replaces anyway.
ifeq ($(MALLOC),jemalloc)
MALLOC_LIBS := $(shell pkg-config --libs jemalloc 2>/dev/null)
ifeq ($(MALLOC_LIBS),)
$(error jemalloc not found (pkg-config jemalloc): run scripts/deps.sh, or build with MALLOC=glibc)
endif
MALLOC_CFLAGS = -DLG_MALLOC_JEMALLOC
else ifeq ($(MALLOC),glibc)
MALLOC_LIBS =
MALLOC_CFLAGS =
else
$(error MALLOC must be jemalloc or glibc)
endif

CC ?= cc
CFLAGS ?= $(OPT) -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow=local \
	-Wformat=2 -Wno-format-nonliteral -D_GNU_SOURCE -I. $(PKG_CFLAGS) $(SANFLAGS) -MMD -MP
LDFLAGS += $(SANFLAGS)
LDLIBS += $(MILTER_LIBS) $(PKG_LIBS) -lstemmer -lm -lpthread

MODULES = common conf parser policy translate store deliver milter
LIB_SRC := $(filter-out milter/lettergated.c,$(foreach m,$(MODULES),$(wildcard $(m)/*.c)))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(BUILD)/tools/%)

all: $(BUILD)/lettergated $(BUILD)/lettergatectl

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/liblettergate.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# a program from its object and the library (relinked when LIBMILTER changes)
LINK_PROGRAM = $(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/liblettergate.a $(LDLIBS)

$(BUILD)/milter/lettergated.o: CFLAGS += $(MALLOC_CFLAGS)
$(BUILD)/lettergated: $(BUILD)/milter/lettergated.o $(BUILD)/liblettergate.a $(LIBMILTER)
	@echo "  LD $@ (libmilter: $(if $(LIBMILTER),$(LIBMILTER),system's -lmilter); malloc: $(MALLOC))"
	@$(LINK_PROGRAM) $(MALLOC_LIBS)

$(BUILD)/lettergatectl: $(BUILD)/ctl/lettergatectl.o $(BUILD)/liblettergate.a $(LIBMILTER)
	$(LINK_PROGRAM)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/liblettergate.a
	@mkdir -p $(dir $@)
	@echo "  TEST $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblettergate.a $(LDLIBS) -lcmocka

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/liblettergate.a
	@mkdir -p $(dir $@)
	@echo "  TOOL $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/liblettergate.a $(LDLIBS)

tests: all $(UNIT_BIN) $(TOOL_BIN)

test: tests
	LG_BUILD=$(BUILD) tests/run.sh

check:
	$(MAKE) test SAN=0; a=$$?; $(MAKE) test SAN=1; b=$$?; test $$a = 0 -a $$b = 0

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(SYSCONFDIR)/lettergate/rules
	install -m 755 $(BUILD)/lettergated $(BUILD)/lettergatectl $(DESTDIR)$(SBINDIR)/
	install -m 644 conf/lettergate.conf $(DESTDIR)$(SYSCONFDIR)/lettergate/lettergate.conf.example
	install -m 644 conf/rules/*.rules $(DESTDIR)$(SYSCONFDIR)/lettergate/rules/
	install -m 644 man/lettergated.8 man/lettergatectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/lettergate.conf.5 $(DESTDIR)$(MANDIR)/man5/

fuzz:
	tests/fuzz/run.sh

bench: all
	tests/bench/run.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-san build-fuzz

.PHONY: all tests test check install fuzz bench format clean
-include $(LIB_OBJ:.o=.d) $(BUILD)/milter/lettergated.d $(BUILD)/ctl/lettergatectl.d
