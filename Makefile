# agentrace build: .bpf.c -> .bpf.o -> .skel.h -> .o -> build/agentrace
# Quiet unless V=1. Warnings are errors in both the BPF and the user world.

ARCH      ?= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
BUILD     ?= build
CLANG     ?= clang
CC        ?= gcc
BPFTOOL   ?= bpftool
PROTOC_C  ?= protoc-c
PKG_CONFIG ?= pkg-config
DEPS_CMD  ?= ./scripts/deps.sh
LLHTTP    ?= /usr/share/llhttp
LLHTTP_H  ?= /usr/share/include/llhttp
VERSION   := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

PKGS      := libbpf libelf zlib libcurl jansson libbrotlidec libzstd libprotobuf-c libxxhash yaml-0.1 \
	     capstone libnghttp2
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

CFLAGS    ?= -O2 -g
CFLAGS    += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	     -Wno-missing-field-initializers -Wno-format-truncation -fno-strict-aliasing \
	     -Iinclude -Iuser -I$(BUILD) -I$(BUILD)/gen -I$(LLHTTP_H) \
	     -DAGENTRACE_VERSION='"$(VERSION)"' $(PKG_CFLAGS)
LDLIBS    += $(PKG_LIBS) -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -D__BPF__ \
	      -Wall -Werror -Wno-unused-function \
	      -Wno-gnu-variable-sized-type-not-at-end \
	      -Ivmlinux/$(ARCH) -Iinclude -Ibpf

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

PROTOS    := $(wildcard user/export/proto/*.proto)
PROTO_C   := $(patsubst user/export/proto/%.proto,$(BUILD)/gen/%.pb-c.c,$(PROTOS))
PROTO_OBJS := $(patsubst %.c,%.o,$(PROTO_C))

USER_SRCS := $(shell find user -name '*.c' | sort)
USER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(USER_SRCS))
MAIN_OBJ  := $(BUILD)/obj/user/main.o
LIB_OBJS  := $(filter-out $(MAIN_OBJ),$(USER_OBJS))

LLHTTP_SRCS := $(wildcard $(LLHTTP)/*.c)
LLHTTP_OBJS := $(patsubst $(LLHTTP)/%.c,$(BUILD)/obj/llhttp/%.o,$(LLHTTP_SRCS))

ALL_LIB_OBJS := $(LIB_OBJS) $(LLHTTP_OBJS) $(PROTO_OBJS)

TEST_SRCS := $(sort $(wildcard tests/unit/*.c))
TEST_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)
# Go binaries the TLS location unit tests read: with symbols and stripped.
GO_FIXTURES := $(BUILD)/tests/go_openai $(BUILD)/tests/go_openai_stripped

# A build with the packages missing must fail loudly, not link nothing.
ifeq ($(PKG_LIBS),)
ifeq ($(filter deps run test bench test-deploy clean,$(MAKECMDGOALS)),)
$(warning pkg-config found none of: $(PKGS); run `make deps` (or `make test`) first)
endif
endif

.PHONY: all deps run test test-built test-unit unit-asan test-e2e test-deploy bench fuzz fuzz-corpus fuzz-long clean vmlinux

all: $(BUILD)/agentrace

deps:
	$(Q)$(DEPS_CMD)

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/agentrace/events.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@

$(BUILD)/gen/%.pb-c.c $(BUILD)/gen/%.pb-c.h: user/export/proto/%.proto | $(BUILD)/gen
	$(call msg,PROTOC,$<)
	$(Q)$(PROTOC_C) --proto_path=user/export/proto --c_out=$(BUILD)/gen $<

$(BUILD)/gen/%.pb-c.o: $(BUILD)/gen/%.pb-c.c $(PROTO_C)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out -Werror,$(CFLAGS)) -c $< -o $@

# User objects depend on the skeletons and generated protobuf headers so
# that a fresh tree builds in one pass.
$(BUILD)/obj/%.o: %.c $(SKELS) $(PROTO_C) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/llhttp/%.o: $(LLHTTP)/%.c | $(BUILD)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -O2 -g -fPIC -I$(LLHTTP_H) -c $< -o $@

$(BUILD)/agentrace: $(MAIN_OBJ) $(ALL_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# BPF programs that unit tests load (tests/bpf/): the real bpf/*.bpf.h
# code driven through BPF_PROG_TEST_RUN.
TEST_BPF_SKELS := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/%.skel.h,$(wildcard tests/bpf/*.bpf.c))
$(BUILD)/tests/bpf/%.bpf.o: tests/bpf/%.bpf.c $(wildcard bpf/*.bpf.h) include/agentrace/events.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/tests/%.skel.h: $(BUILD)/tests/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_bpf > $@
$(TEST_OBJS): $(TEST_BPF_SKELS)

$(BUILD)/tests/unit: $(TEST_OBJS) $(ALL_LIB_OBJS) | $(BUILD)/tests $(GO_FIXTURES)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcriterion -o $@

GO_ENV    := GOFLAGS=-mod=mod CGO_ENABLED=0 GOCACHE=$(abspath $(BUILD))/gocache
$(BUILD)/tests/go_openai: tests/e2e/clients/go_openai/main.go | $(BUILD)/tests
	$(call msg,GO,$@)
	$(Q)cd $(<D) && $(GO_ENV) go build -o $(abspath $@) .
$(BUILD)/tests/go_openai_stripped: tests/e2e/clients/go_openai/main.go | $(BUILD)/tests
	$(call msg,GO,$@)
	$(Q)cd $(<D) && $(GO_ENV) go build -ldflags='-s -w' -o $(abspath $@) .

$(BUILD) $(BUILD)/bpf $(BUILD)/gen $(BUILD)/tests:
	$(Q)mkdir -p $@

# `run` and `test` install the packages first and then build in a second
# make, because this make read `pkg-config --libs` when it parsed the
# Makefile, which on a fresh machine was before the packages existed.
# RUN_MODE: empty is the binary's default, agent-first (agents whole,
# everything else bounded; issue #13); RUN_MODE=--trace-all copies every
# process whole.
RUN_MODE ?=
run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(abspath $(BUILD))/agentrace $(RUN_MODE) $(ARGS)

test: deps
	$(Q)$(MAKE) --no-print-directory test-built

test-built: all $(BUILD)/tests/unit unit-asan fuzz-corpus tests/e2e/node_modules/.stamp \
      tests/agents/node_modules/.stamp \
      tests/deploy/node_modules/.stamp
	$(Q)BUILD=$(BUILD) ./tests/run-all.sh

# The unit tests once more, built with ASan and UBSan into $(BUILD)/asan
# (run by make test): the "bad input never crashes" tests then mean it.
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	      -fno-omit-frame-pointer
unit-asan:
	$(Q)CFLAGS="$(SAN_CFLAGS)" $(MAKE) --no-print-directory BUILD=$(BUILD)/asan \
		$(BUILD)/asan/tests/unit

# The offline Kubernetes schema validator used by the manifest tests.
tests/deploy/node_modules/.stamp: tests/deploy/package-lock.json
	$(call msg,NPM,tests/deploy)
	$(Q)cd tests/deploy && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

# Official provider SDKs for the end-to-end clients, pinned by the lockfile.
tests/e2e/node_modules/.stamp: tests/e2e/package-lock.json
	$(call msg,NPM,tests/e2e)
	$(Q)cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

# The coding agents (Claude Code, Codex, Gemini CLI), pinned by the lockfile.
tests/agents/node_modules/.stamp: tests/agents/package-lock.json
	$(call msg,NPM,tests/agents)
	$(Q)cd tests/agents && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

test-unit: $(BUILD)/tests/unit
	$(Q)$(BUILD)/tests/unit --jobs=2

test-e2e: all
	$(Q)python3 tests/e2e/run.py

bench: deps
	$(Q)./scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./bench/run.sh

# Proves the container image's runtime stage is complete, without Docker.
test-deploy: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./deploy/test-deploy.sh

# libFuzzer harnesses (clang, ASan+UBSan). `make fuzz` builds them;
# `make fuzz-corpus` replays the committed seed corpus (part of make test).
# The sources are instrumented once into one archive ($(FUZZ_LIB)) that
# every harness links against, instead of each harness compiling them all.
FUZZERS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	      $(filter-out -Werror -O2 -g,$(CFLAGS)) -Wno-unused-command-line-argument -Wno-unknown-warning-option
FUZZ_LIB   := $(BUILD)/fuzzobj/libagentrace_fuzz.a
FUZZ_OBJS  := $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(filter-out user/main.c,$(USER_SRCS))) \
	      $(patsubst $(BUILD)/gen/%.c,$(BUILD)/fuzzobj/gen/%.o,$(PROTO_C)) \
	      $(patsubst $(LLHTTP)/%.c,$(BUILD)/fuzzobj/llhttp/%.o,$(LLHTTP_SRCS))

$(BUILD)/fuzzobj/user/%.o: user/%.c $(SKELS) $(PROTO_C) | $(BUILD)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@
$(BUILD)/fuzzobj/gen/%.o: $(BUILD)/gen/%.c $(PROTO_C) | $(BUILD)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(BUILD)/fuzzobj/llhttp/%.o: $(LLHTTP)/%.c | $(BUILD)
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@
$(FUZZ_LIB): $(FUZZ_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c $(wildcard tests/fuzz/*.h) $(FUZZ_LIB) | $(BUILD)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) $(LDLIBS) -o $@

fuzz: $(FUZZERS)

fuzz-corpus: $(FUZZERS)
	$(Q)for f in $(FUZZERS); do \
		n=$$(basename $$f | sed 's/^fuzz_//'); \
		$$f -runs=0 tests/fuzz/corpus/$$n >/dev/null 2>&1 || { echo "fuzz: $$f crashed on its corpus"; $$f -runs=0 tests/fuzz/corpus/$$n 2>&1 | tail -30; exit 1; }; \
		echo "fuzz: $$n corpus ok ($$(ls tests/fuzz/corpus/$$n | wc -l) inputs)"; \
	done

# Every harness for FUZZ_SECONDS (default 600) each; prints execs and
# coverage per harness (scripts/fuzz-long.sh; docs/security.md has figures).
fuzz-long: $(FUZZERS)
	$(Q)BUILD=$(BUILD) ./scripts/fuzz-long.sh

vmlinux:
	$(Q)./scripts/gen-vmlinux.sh

clean:
	$(Q)rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/fuzzobj -name '*.d' 2>/dev/null)

# For building one test file by hand: gcc $(make -s print-cflags) ...
print-cflags:
	@echo $(CFLAGS)
print-ldlibs:
	@echo $(LDLIBS) -lcriterion
