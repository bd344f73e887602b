# SPDX-License-Identifier: GPL-2.0
#
# spf: build the module, run it, test it.
#
#   make                      spf.ko for x86_64 against the cached Debian headers
#   make ARCH=arm64           cross-build for arm64
#   make FLAVOUR=rt           against the PREEMPT_RT headers
#   make KDIR=/path/to/build  against any 6.1 build tree
#   make FLAVOUR=running      against the running kernel's build tree
#   make run                  the demo: convoy and uncontended faults, spf off/on
#   make bench [ARCH=arm64]   the performance evidence (docs/benchmarks.md);
#                             BENCH_ARGS='--reps 9 --seconds 2' for longer runs
#   make coverage             real programs' faults by type, the share spf
#                             handles (x86-64; tools/coverage/run)
#   make check                every test, both arches (see README)
#   make check-broken         each deliberately broken module build caught
#                             by its kselftest (tests/broken/matrix)
#   make module BROKEN=name   one such build (include/spf/broken.h)
#   make debug-kernel         build the debug x86-64 kernel (hours; cached)
#   make check-debug          every VM test on that kernel, kmemleak, soak
#   make soak [ARCH=arm64]    stress-ng --verify with/without spf, reload x50,
#                             the data-integrity torture 120 s
#   make checkpatch           kernel style on every C file and header
#   make docs                 render docs/*.dot to SVG (graphviz)
#   make check-user           the userspace torture alone (tests/userspace)
#   make bench-user           userspace fault benchmark, to build/bench-user/
#
# Objects go to build/ARCH-FLAVOUR/ (a tree of links to the sources), so
# several configurations can be built side by side.

# The machine's own arch by default, so that FLAVOUR=running needs no
# ARCH on an arm64 machine.
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
ARCH ?= $(HOST_ARCH)
FLAVOUR ?= stock
ifeq ($(ARCH),x86)
override ARCH := x86_64
endif
ifeq ($(ARCH)$(HOST_ARCH),arm64x86_64)
ifeq ($(CROSS_COMPILE),)
CROSS_COMPILE := aarch64-linux-gnu-
endif
endif

# Development builds use W=1 (make check fails on any warning); a user's
# build against the running kernel does not, so it needs no perl
# (W=1 runs scripts/kernel-doc).
ifeq ($(FLAVOUR),running)
EXTRA_WARN ?=
else
EXTRA_WARN ?= 1
endif

TOP := $(CURDIR)
BROKEN ?=
BUILD := $(TOP)/build/$(ARCH)-$(FLAVOUR)$(if $(BROKEN),-broken-$(BROKEN))
KDIR ?= $(shell $(TOP)/tools/kdir $(ARCH) $(FLAVOUR))
MODULE_SRCS := Kbuild $(wildcard spf vma_lookup pgtable_rcu wrapper include)

export ARCH CROSS_COMPILE

.PHONY: all module clean run check check-broken check-quick bench coverage checkpatch tests deps \
	check-user bench-user check-debug debug-kernel soak docs profile

all: module

deps:
	@$(TOP)/tools/setup/host-deps
	@$(TOP)/tools/fetch-kernels

module:
	@test -n "$(KDIR)" || { echo "spf: no kernel build tree (KDIR)"; exit 1; }
	@mkdir -p $(BUILD)
	@cp -rsf $(addprefix $(TOP)/,$(MODULE_SRCS)) $(BUILD)/
	$(MAKE) -C $(KDIR) M=$(BUILD) W=$(EXTRA_WARN) SPF_BROKEN=$(BROKEN) modules
	@echo "spf: built $(BUILD)/spf.ko"

tests:
	@$(MAKE) -C tests/kselftest ARCH=$(ARCH) OUT=$(BUILD)/tests

checkpatch:
	@$(TOP)/tools/check/checkpatch

docs:
	@for f in docs/*.dot; do dot -Tsvg $$f -o $${f%.dot}.svg && echo "spf: rendered $${f%.dot}.svg"; done

run:
	@$(TOP)/tools/run-demo

check:
	@$(TOP)/tools/check/run-all

check-broken:
	@$(TOP)/tools/check/broken-matrix

debug-kernel:
	@$(TOP)/tools/debug-kernel/build

check-debug:
	@$(TOP)/tools/check/run-debug

soak:
	@$(TOP)/tools/stress/soak --arch $(ARCH) --flavour $(FLAVOUR)

bench:
	@$(TOP)/tools/bench/run --arch $(ARCH) $(BENCH_ARGS)

coverage:
	@$(TOP)/tools/coverage/run

# PROFILE_ARGS: fault_bench's arguments, e.g. PROFILE_ARGS='-t 1 -m 16 -F shared -d 3'
profile:
	@$(TOP)/tools/perf/insn-profile --arch $(ARCH) $(if $(PROFILE_ARGS),-- $(PROFILE_ARGS))

check-user:
	@$(TOP)/tests/userspace/run

bench-user:
	@$(TOP)/tests/userspace/bench-user $(TOP)/build/bench-user

clean:
	rm -rf $(TOP)/build
