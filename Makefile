# Lookout: GNU make, no autotools.  `make help` lists the targets.
VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
CC         := gcc
CLANG      ?= clang
BPFTOOL    ?= bpftool
BUILD      := build
PKGS       := ncursesw libbpf libcurl libcjson libpcre2-8 yaml-0.1
ARCH       := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

# Debian packages: what builds Lookout, and what its tests and benchmarks use.
DEPS_BUILD := gcc make pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev \
              libncurses-dev libcurl4-openssl-dev libcjson-dev libpcre2-dev libyaml-dev
DEPS_TEST  := $(DEPS_BUILD) tmux python3 prometheus openssl libclang-rt-14-dev \
              clang-format htop bpftrace valgrind iproute2 dpkg-dev

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# Fixed-size fields truncate by design, so snprintf truncation is not a warning.
WARN       := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wno-format-truncation
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -DLOOKOUT_VERSION='"$(VERSION)"' $(WARN) -g \
              -Iengine -I. -I$(BUILD) $(PKG_CFLAGS)
REL_CFLAGS  = $(BASE_CFLAGS) -O2
# The sanitizer build is clang's, and one build serves three users: the unit
# test binaries, build/asan/lookout (the end-to-end tests) and the libFuzzer
# harnesses. clang because its UBSan also sees float-cast-overflow (a double
# outside an integer's range cast to it), which gcc cannot check. The objects
# carry libFuzzer's coverage hooks (fuzzer-no-link): in an ordinary binary the
# sanitizer runtime's no-op hooks answer them, so the test binaries link and run
# as before, and the harnesses link the same library with -fsanitize=fuzzer, so
# `make test` compiles the library twice (release and this), not three times.
# clang does not know gcc's -Wformat-truncation; every other warning stays.
ASAN_CC    := $(CLANG)
ASAN_FLAGS := -fsanitize=address,undefined,float-cast-overflow -fsanitize=fuzzer-no-link \
              -fno-sanitize-recover=undefined,float-cast-overflow -fno-omit-frame-pointer
ASAN_CFLAGS = $(filter-out -Wno-format-truncation,$(BASE_CFLAGS)) -O1 $(ASAN_FLAGS)
# A build directory made by another compiler or other flags (this build was gcc's
# once) must not mix its objects with these: the stamp changes, and they rebuild.
ASAN_STAMP := $(BUILD)/asan/flags
ifneq ($(file <$(ASAN_STAMP)),$(ASAN_CC) $(ASAN_CFLAGS))
$(shell mkdir -p $(BUILD)/asan)
$(file >$(ASAN_STAMP),$(ASAN_CC) $(ASAN_CFLAGS))
endif

ENGINE_SRC := $(wildcard engine/*/*.c)
BPF_SRC    := $(filter-out %.bpf.c,$(wildcard bpf/*.c))
# lookout.bpf.o (the map definitions) first: bpftool 7.1's linker loses an
# extern map's relocations when the extern comes before the definition.
BPF_PARTS  := $(BUILD)/bpf/parts/lookout.bpf.o $(filter-out %/lookout.bpf.o,\
              $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/parts/%.bpf.o,$(wildcard bpf/*.bpf.c)))
BPF_SKELS  := $(BUILD)/bpf/lookout.skel.h
TUI_SRC    := $(filter-out tui/main.c,$(wildcard tui/*.c))
TEST_SRC   := $(wildcard tests/test_*.c)
LIB_SRC    := $(ENGINE_SRC) $(BPF_SRC) $(TUI_SRC)

REL_OBJS   := $(patsubst %.c,$(BUILD)/rel/%.o,$(LIB_SRC))
ASAN_OBJS  := $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRC))
TEST_BINS  := $(patsubst tests/%.c,$(BUILD)/asan/tests/%,$(TEST_SRC))

.PHONY: docs all demo test bench fuzz fuzz-build soak deps deps-build install clean format help screenshots \
        check-format unit deb

all: lookout

help:
	@echo "make            build ./lookout"
	@echo "make demo       install what is missing, build, run the simulated demo"
	@echo "make test       install what is missing, build with ASan+UBSan, run every test"
	@echo "make bench      performance figures (see docs/bench.md)"
	@echo "make fuzz       run each libFuzzer harness FUZZ_SECONDS (default 60)"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR= ; make clean ; make format"
	@echo "make deb        lookout_$(VERSION)_<arch>.deb here (DEB_OUT=DIR elsewhere; docs/install.md)"

# ---- dependencies -------------------------------------------------------
define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "lookout: missing packages; run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
	    || { echo "lookout: apt-get install failed for:$$missing" >&2; exit 1; }; \
	fi
endef

deps-build:
	$(call install_missing,$(DEPS_BUILD))

deps:
	$(call install_missing,$(DEPS_TEST))

# ---- eBPF: vmlinux.h from the running kernel, then objects and skeletons ---
$(BUILD)/bpf/vmlinux.h:
	@mkdir -p $(@D)
	@test -r /sys/kernel/btf/vmlinux || { echo "lookout: this kernel has no BTF (/sys/kernel/btf/vmlinux); kernel events need CONFIG_DEBUG_INFO_BTF=y" >&2; exit 1; }
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

# Every bpf/*.bpf.c is a fragment (lookout.bpf.c: shared maps and settings;
# one per family of hooks); BPF static linking joins them into one object,
# hence one skeleton and one copy of each map.
$(BUILD)/bpf/parts/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(BUILD)/bpf/vmlinux.h
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD)/bpf -Ibpf -c $< -o $@

$(BUILD)/bpf/lookout.bpf.o: $(BPF_PARTS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/bpf/lookout.skel.h: $(BUILD)/bpf/lookout.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# Keep the BPF objects and skeleton: as intermediates make would delete them,
# and every object that depends on a skeleton would then be rebuilt.
.SECONDARY: $(BPF_SKELS) $(BUILD)/bpf/lookout.bpf.o $(BPF_PARTS)

# ---- user space ---------------------------------------------------------
$(BUILD)/rel/%.o: %.c $(BPF_SKELS)
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(REL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/%.o: %.c $(BPF_SKELS) $(ASAN_STAMP)
	@mkdir -p $(@D)
	@echo "  CC asan $<"
	@$(ASAN_CC) $(ASAN_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/rel/liblookout.a: $(REL_OBJS)
	rm -f $@ && ar qcs $@ $^

$(BUILD)/asan/liblookout.a: $(ASAN_OBJS)
	rm -f $@ && ar qcs $@ $^

lookout: $(BUILD)/rel/tui/main.o $(BUILD)/rel/liblookout.a
	$(CC) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/lookout: $(BUILD)/asan/tui/main.o $(BUILD)/asan/liblookout.a
	$(ASAN_CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/asan/tests/%: tests/%.c tests/test.h $(BUILD)/asan/liblookout.a
	@mkdir -p $(@D)
	@echo "  TEST    $<"
	@$(ASAN_CC) $(ASAN_CFLAGS) -Itests -o $@ $< $(BUILD)/asan/liblookout.a $(PKG_LIBS)

# test_wipe_o2 checks that secret wipes survive -O2, so it is built like the
# release (-O2, no sanitizer: ASan's allocator would hide the freed bytes),
# against the release library, with free() wrapped to inspect each block.
# It sits beside the ASan tests so tests/run.sh runs it with them.
$(BUILD)/asan/tests/test_wipe_o2: tests/wipe_o2.c tests/test.h $(BUILD)/rel/liblookout.a
	@mkdir -p $(@D)
	@echo "  TEST O2 $<"
	@$(CC) $(REL_CFLAGS) -Itests -Wl,--wrap=free -o $@ $< $(BUILD)/rel/liblookout.a $(PKG_LIBS)
TEST_BINS  += $(BUILD)/asan/tests/test_wipe_o2

# ---- fuzzing: libFuzzer harnesses (tests/fuzz/) on the sanitizer library ----
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h tests/fuzz/*.inc) \
                      $(BUILD)/asan/liblookout.a
	@mkdir -p $(@D)
	@echo "  FUZZ    $<"
	@$(ASAN_CC) $(ASAN_CFLAGS) -fsanitize=fuzzer -Itests/fuzz -Itui -o $@ $< \
	  $(BUILD)/asan/liblookout.a $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ---- the two commands of the README -----------------------------------
demo: deps-build
	@$(MAKE) --no-print-directory lookout
	./lookout --demo $(DEMO_ARGS)

unit: $(TEST_BINS) $(BUILD)/asan/lookout lookout $(FUZZ_BINS)

# The build uses every core unless the caller chose (-jN): a plain `make test`
# on a 2-core box spent minutes compiling one file at a time.
test: deps
	@$(MAKE) --no-print-directory $(if $(filter -j%,$(MAKEFLAGS)),,-j$(shell nproc)) unit
	@bash tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory lookout
	@bash tests/bench/run.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

soak: deps
	@$(MAKE) --no-print-directory $(BUILD)/asan/lookout lookout
	@bash tests/soak.sh 600

screenshots: deps
	@$(MAKE) --no-print-directory lookout
	@bash tests/screenshots.sh

# ---- housekeeping -------------------------------------------------------
docs: lookout
	bash docs/gen-snapshot-doc.sh ./lookout > docs/snapshot.md

install: lookout
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/lookout/themes \
	  $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 lookout $(DESTDIR)$(PREFIX)/bin/lookout
	install -m 0644 themes/*.theme $(DESTDIR)$(PREFIX)/share/lookout/themes/
	install -m 0644 docs/lookout.1 $(DESTDIR)$(PREFIX)/share/man/man1/lookout.1

# A Debian package of the release build; packaging files in docs/deploy/debian/.
# dpkg-dev brings dpkg-shlibdeps, which computes Depends from the binary.
DEB_OUT ?= .
deb: lookout
	$(call install_missing,dpkg-dev)
	@bash docs/deploy/debian/build-deb.sh $(VERSION) $(DEB_OUT)

FORMAT_SRC = $(shell git ls-files '*.c' '*.h' 2>/dev/null | grep -v vmlinux.h)
format:
	clang-format -i $(FORMAT_SRC)

check-format:
	@clang-format --dry-run --Werror $(FORMAT_SRC)

clean:
	rm -rf $(BUILD) lookout
