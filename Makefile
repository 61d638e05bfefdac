# probekit build. `make` builds build/probekit; `make check` runs every test;
# `make run` starts the agent. Quiet unless V=1.
.DELETE_ON_ERROR:
.SUFFIXES:

OUT       ?= build
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
ARCH      := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# CFLAGS is the caller's (optimisation, sanitizers); PK_CFLAGS is what the code needs.
# -iquote: our "features.h" must not shadow glibc's <features.h>.
CFLAGS    ?= -O2 -g
PK_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
             -D_GNU_SOURCE -iquote src -iquote bpf -iquote $(OUT) -DPK_VERSION='"$(VERSION)"'
# What every binary links, the node agent included: libbpf (which brings libelf and
# zlib itself), zlib, libzstd for the embedded reduced-BTF archive, libsodium
# (SHA256, minisign signatures) and json-c (the signed index). What only some
# commands need is loaded with dlopen on first use (src/common/dl.h): libcurl for
# downloads (the catalog, builds, and an agent with a repository), libarchive,
# liblzma, libbz2 and liblz4 for packages and kernel images, Expat for the RPM
# family, libmicrohttpd for run --metrics; their -dev packages are still needed
# for the headers (docs/architecture.md).
LDLIBS    += -lbpf -lz -lzstd -lsodium -ljson-c
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Wno-unused-function \
             -I$(OUT) -Ibpf

ifeq ($(SAN),1)
PK_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

# One folder per subsystem (docs/architecture.md); all of them go into one static
# library, and the linker takes from it only what a binary calls.
SUBSYSTEMS := common agent btf verify kernels fetch build repo farm
LIB_SRCS  := $(sort $(foreach d,$(SUBSYSTEMS),$(wildcard src/$(d)/*.c)))
LIB_HDRS  := $(sort $(foreach d,$(SUBSYSTEMS),$(wildcard src/$(d)/*.h)))
CLI_SRCS  := $(sort $(wildcard src/cli/*.c))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(OUT)/obj/%.o)
CLI_OBJS  := $(CLI_SRCS:src/cli/%.c=$(OUT)/obj/cli/%.o)
BPF_OBJS  := $(OUT)/probe.btf.bpf.o $(OUT)/probe.core.bpf.o
# unit tests: tests/<subsystem>/test_*.c -> $(OUT)/tests/<subsystem>/test_*
UNIT_SRCS := $(sort $(wildcard tests/*/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/%.c=$(OUT)/tests/%)

.PHONY: all deps run check check-san test-unit bench fuzz clean legacy btf-corpus verify-all
all: $(OUT)/probekit $(UNIT_BINS)

deps:
	$(Q)bash scripts/deps.sh

$(OUT)/vmlinux.h: | $(OUT)
	$(call msg,GEN,$@)
	$(Q)test -r $(VMLINUX_BTF) || { echo "probekit: error: cannot read kernel BTF '$(VMLINUX_BTF)' (set VMLINUX_BTF=FILE)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

# legacy: the same source without CO-RE, laid out for the kernel whose BTF made vmlinux.h
$(OUT)/probe.btf.bpf.o: BPF_MODE := -DPK_MODE_BTF
$(OUT)/probe.core.bpf.o: BPF_MODE := -DPK_MODE_CORE
$(OUT)/probe.legacy.bpf.o: BPF_MODE := -DPK_MODE_LEGACY -DBPF_NO_PRESERVE_ACCESS_INDEX
$(OUT)/probe.%.bpf.o: bpf/probe.bpf.c bpf/probe.h $(OUT)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) $(BPF_MODE) -c $< -o $@
	$(Q)llvm-strip -g $@   # DWARF is not needed at load; .BTF and .BTF.ext stay
legacy: $(OUT)/probe.legacy.bpf.o

$(OUT)/obj/%.o: src/%.c $(LIB_HDRS) bpf/probe.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(PK_CFLAGS) $(CFLAGS) -c $< -o $@
$(OUT)/obj/agent/embedded.o: src/agent/embedded.S $(BPF_OBJS) | $(OUT)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D) && $(CC) -c -DPK_OBJ_BTF='"$(OUT)/probe.btf.bpf.o"' -DPK_OBJ_CORE='"$(OUT)/probe.core.bpf.o"' $< -o $@
LIB_OBJS += $(OUT)/obj/agent/embedded.o
$(OUT)/obj/build/probe_source_data.o: src/build/probe_source_data.S bpf/probe.bpf.c bpf/probe.h | $(OUT)
	$(call msg,AS,$@)
	$(Q)mkdir -p $(@D) && $(CC) -c -DPK_SRC_PROBE_C='"bpf/probe.bpf.c"' -DPK_SRC_PROBE_H='"bpf/probe.h"' $< -o $@
LIB_OBJS += $(OUT)/obj/build/probe_source_data.o

# The repository key the agent trusts when neither --repo-key nor PROBEKIT_REPO_KEY
# names one: `make REPO_PUBKEY=FILE` (a minisign public key file; its base64 line is
# compiled in). None by default: a repository is then trusted only through a key
# the operator gives.
REPO_PUBKEY ?=
ifneq ($(REPO_PUBKEY),)
PK_REPO_PUBKEY_B64 := $(shell sed -n 2p '$(REPO_PUBKEY)' | tr -cd 'A-Za-z0-9+/=')
$(OUT)/obj/cli/repo_opts.o: PK_CFLAGS += -DPK_BUILTIN_REPO_KEY='"$(PK_REPO_PUBKEY_B64)"'
$(OUT)/obj/cli/repo_opts.o: $(REPO_PUBKEY)
endif

# The agent embeds reduced BTFs for every kernel in BTF_CORPUS (btfhub layout:
# <os>/<version>/<arch>/<release>.btf). probekit-tool (the same code without the
# archive) reduces and packs them; an empty or missing corpus gives an empty archive.
BTF_CORPUS ?= /var/cache/probekit/btf-corpus
BTF_CORPUS_FILES := $(shell find $(BTF_CORPUS) -name '*.btf' 2>/dev/null)
$(OUT)/probekit-tool: $(CLI_OBJS) $(OUT)/libprobekit.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(CLI_OBJS) $(OUT)/libprobekit.a $(LDLIBS) -o $@
$(OUT)/btf-archive.pkba: $(OUT)/probekit-tool $(OUT)/probe.core.bpf.o $(BTF_CORPUS_FILES) scripts/build-btf-archive.sh
	$(call msg,BTFPACK,$@ ($(words $(BTF_CORPUS_FILES)) kernels from $(BTF_CORPUS)))
	$(Q)bash scripts/build-btf-archive.sh $(OUT)/probekit-tool $(OUT)/probe.core.bpf.o $(BTF_CORPUS) $@
# fill BTF_CORPUS with the current Debian kernels' BTF (ALL=1: every kernel package)
btf-corpus: deps $(OUT)/probekit-tool
	$(Q)PK=$(OUT)/probekit-tool bash scripts/btf-corpus.sh --out $(BTF_CORPUS) $(if $(ALL),--all)
$(OUT)/embedded_btf.o: src/agent/embedded_btf.S $(OUT)/btf-archive.pkba
	$(call msg,AS,$@)
	$(Q)$(CC) -c -DPK_BTF_ARCHIVE='"$(OUT)/btf-archive.pkba"' $< -o $@

$(OUT)/obj/cli/%.o: src/cli/%.c $(wildcard src/cli/*.h) $(LIB_HDRS) bpf/probe.h | $(OUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(PK_CFLAGS) $(CFLAGS) -iquote src/cli -c $< -o $@

$(OUT)/libprobekit.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(OUT)/probekit: $(CLI_OBJS) $(OUT)/libprobekit.a $(OUT)/embedded_btf.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $(CLI_OBJS) $(OUT)/embedded_btf.o $(OUT)/libprobekit.a $(LDLIBS) -o $@

# the extract test makes its own inputs with the compressors the agent does not link
$(OUT)/tests/btf/test_btf_extract: LDLIBS += -llzma -llz4 -lbz2
# the kernels tests check index digests (libsodium, only there) and read apt's Packages.lz4
$(OUT)/tests/kernels/test_release: LDLIBS += -llz4
# test_features reads the objects' ELF with libelf, independently of our own reader
$(OUT)/tests/agent/test_features: LDLIBS += -lelf
# test_metrics scrapes the endpoint with libcurl itself (the agent loads it with dlopen)
$(OUT)/tests/agent/test_metrics: LDLIBS += -lcurl
$(OUT)/tests/%: tests/%.c tests/unit.h $(OUT)/libprobekit.a
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D) && $(CC) $(PK_CFLAGS) $(CFLAGS) $(LDFLAGS) -iquote tests $< $(OUT)/libprobekit.a $(LDLIBS) -o $@

$(OUT):
	$(Q)mkdir -p $(OUT)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/probekit run $(ARGS)

check: deps
	$(Q)$(MAKE) --no-print-directory all legacy
	$(Q)OUT=$(OUT) bash tests/run.sh

check-san: deps
	$(Q)$(MAKE) --no-print-directory OUT=build-san SAN=1 CC=clang all legacy
	$(Q)OUT=build-san PK_SAN=1 bash tests/run.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) bash bench/run.sh
	$(Q)OUT=$(OUT) BTF_CORPUS=$(BTF_CORPUS) bash bench/btf.sh
	$(Q)OUT=$(OUT) bash bench/kernels.sh
	$(Q)OUT=$(OUT) bash bench/farm.sh
	$(Q)OUT=$(OUT) bash bench/agent_repo.sh
	$(Q)OUT=$(OUT) bash bench/farm_verify.sh

# boot every kernel image of the Debian catalog in QEMU (btf, no-btf; legacy from the farm's
# repository in VERIFY_DIR where a headers package exists); writes docs/kernel-matrix.{md,json}.
# SINCE=docs/kernel-matrix.json boots only what changed (nightly)
verify-all: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)OUT=$(OUT) bash scripts/verify-all.sh $(if $(SINCE),--since $(SINCE))

clean:
	rm -rf build build-san build-fuzz

# libFuzzer targets: tests/fuzz/fuzz_<name>.c, seeds in tests/fuzz/corpus/<name>/.
# `make fuzz` runs each for FUZZ_SECONDS; crashes land in build-fuzz/crashes/.
FUZZ_OUT     := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_OUT)/%)
.PHONY: fuzz fuzz-build
ifneq ($(OUT),$(FUZZ_OUT))
$(FUZZ_OUT)/libprobekit.a: FORCE
	$(Q)$(MAKE) --no-print-directory OUT=$(FUZZ_OUT) CC=clang CFLAGS='$(FUZZ_CFLAGS)' $(FUZZ_OUT)/libprobekit.a
endif
$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OUT)/libprobekit.a
	$(call msg,FUZZ,$@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -std=gnu11 -D_GNU_SOURCE -iquote src -iquote bpf $< $(FUZZ_OUT)/libprobekit.a $(LDLIBS) -o $@
fuzz-build: $(FUZZ_BINS)
fuzz: deps fuzz-build
	$(Q)mkdir -p $(FUZZ_OUT)/crashes
	$(Q)for f in $(FUZZ_BINS); do n=$$(basename $$f); mkdir -p $(FUZZ_OUT)/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		if ! $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=$(FUZZ_OUT)/crashes/$$n- \
		    $(FUZZ_OUT)/corpus/$$n $$( [ -d tests/fuzz/corpus/$$n ] && echo tests/fuzz/corpus/$$n ) \
		    >$(FUZZ_OUT)/$$n.log 2>&1; then tail -30 $(FUZZ_OUT)/$$n.log; exit 1; fi; \
		tail -2 $(FUZZ_OUT)/$$n.log; done
.PHONY: FORCE
FORCE:
