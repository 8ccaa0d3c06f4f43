# hposync — top-level build.  `make` builds every binary, `make test` builds and runs
# every test, `make demo` runs the main study.  Both install what they need first.
#
# The Makefile compiles directly (no CMake): one static library from src/**, one thin
# binary per apps/*.cpp, one doctest binary per test directory.

CXX      ?= g++
# Portable by default: x86-64-v2 (SSE4.2, POPCNT; every x86-64 CPU since Intel Nehalem
# 2008 / AMD Bulldozer 2011, and the baseline RHEL 9 requires), so a build made on a login
# node runs on every compute node. x86-64-v3 (AVX2, FMA) would exclude the Atom-class
# Pentium/Celeron cores sold until ~2021 and VMs that mask AVX. hposync's hot loops pick
# AVX2 / AVX-512 variants at run time (src/engine/cpu_dispatch.hpp) and oneDNN picks its
# own kernels, so little is lost: bench/portability.sh measures it.
# `make NATIVE=1 ...` builds for this machine's CPU only, in its own directory.
ifeq ($(NATIVE),1)
BUILD    ?= build-native
ARCHFLAGS ?= -march=native
else
BUILD    ?= build
ARCHFLAGS ?= -march=x86-64-v2 -mtune=generic
endif
OPTFLAGS ?= -O3 $(ARCHFLAGS)
# -ffp-contract=off: no fused multiply-add contraction, so the optimizer's element-wise
# updates give the same bits in every variant and in both builds.
# DEBUGINFO: the sanitizer build takes -g1 (line tables: its reports still name file and
# line) to halve its 2 GB of objects on CI's disk.
DEBUGINFO ?= -g
CXXFLAGS += -std=c++17 $(OPTFLAGS) -fno-math-errno -ffp-contract=off $(DEBUGINFO) -Wall -Wextra -fopenmp -Iinclude -isystem /usr/include/eigen3 -MMD -MP
LDLIBS   += -ldnnl -lboost_program_options -lboost_filesystem -ltbb -lz -lpthread -fopenmp

LIB_SRC   := $(shell find src -name '*.cpp' | sort)
LIB_OBJ   := $(LIB_SRC:%.cpp=$(BUILD)/%.o)
APP_SRC   := $(wildcard apps/*.cpp)
APPS      := $(APP_SRC:apps/%.cpp=$(BUILD)/bin/%)
UNIT_SRC  := $(wildcard tests/unit/*.cpp)
UNIT_OBJ  := $(UNIT_SRC:%.cpp=$(BUILD)/%.o)
E2E_SRC   := $(wildcard tests/e2e/*.cpp)
E2E_OBJ   := $(E2E_SRC:%.cpp=$(BUILD)/%.o)
TOOL_SRC  := $(wildcard tools/*.cpp)
TOOLS     := $(TOOL_SRC:tools/%.cpp=$(BUILD)/bin/%)

.PHONY: all deps deps-torch deps-bench lock data test unit e2e demo debug clean bench bench-scale stress fuzz test-slurm check-modules
.PHONY: test-cluster test-cluster-if-possible test-portability
all: $(APPS) $(TOOLS)

# ---- dependencies ---------------------------------------------------------------
# C++ side: Debian's packages (tools/install-deps.sh). Python side: one project environment,
# .venv, from the hashed lock files in requirements/ (tools/python-env.sh); every Python
# entry point runs through tools/py. Groups: main (numpy, scikit-learn, Keras 3 on JAX),
# torch (PyTorch 2.x: ~4 GB with the CUDA wheels PyPI's torch depends on, so only the
# targets that run it install it), bench (Optuna 5, SMAC3, DEHB, HEBO). A second run of
# any of these is a no-op.
deps:
	@bash tools/install-deps.sh
	@bash tools/python-env.sh main

deps-torch: deps
	@bash tools/python-env.sh main torch

deps-bench: deps
	@bash tools/python-env.sh main torch bench

# Re-resolves requirements/*.in into the hashed locks (CPython 3.11, x86-64 Linux) with uv,
# installed for the purpose into a throw-away environment. Commit the changed locks.
lock:
	@bash tools/lock.sh

# ---- data -------------------------------------------------------------------------
data: $(BUILD)/bin/mnist-json-to-idx
	@bash tools/fetch-data.sh $(BUILD)/bin/mnist-json-to-idx

# ---- build --------------------------------------------------------------------------
# The compiler command line is part of every object's inputs: objects made with other
# flags (e.g. an old -march=native build) are rebuilt, not mixed in.
FLAGS_STAMP := $(BUILD)/flags.txt
ifeq ($(filter clean,$(MAKECMDGOALS)),)
$(shell mkdir -p $(BUILD) && (echo '$(CXX) $(CXXFLAGS)' | cmp -s - $(FLAGS_STAMP) || echo '$(CXX) $(CXXFLAGS)' >$(FLAGS_STAMP)))
endif

$(BUILD)/%.o: %.cpp $(FLAGS_STAMP)
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# hpo-report's vendored chart library is compiled in with .incbin (src/report/assets/README.md).
$(BUILD)/src/report/chartjs_asset.o: src/report/assets/chart.umd.js

$(BUILD)/libhposync.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/apps/%.o $(BUILD)/libhposync.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(BUILD)/libhposync.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_OBJ) $(BUILD)/libhposync.a
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/e2e-tests: $(E2E_OBJ) $(BUILD)/libhposync.a
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

check-modules:
	@bash tools/check-module-graph.sh --self-test
	@bash tools/check-module-graph.sh

# ---- tests --------------------------------------------------------------------------
# `make test` is what CI runs and what the README gives: deps, data, build, every test.
# The end-to-end tests find the binaries and data through HPOSYNC_BIN / HPOSYNC_DATA.
export HPOSYNC_BIN  = $(abspath $(BUILD)/bin)
export HPOSYNC_DATA = $(abspath data)

# PyTorch (5 GB of CUDA wheels) is installed unless the disk cannot hold it with room for
# the build: then its checks say SKIPPED with the reason, and so does the last line here.
test: deps
	@bash tools/python-env.sh --optional main torch
	@bash tools/check-module-graph.sh --self-test
	@bash tools/check-module-graph.sh
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all $(BUILD)/unit-tests $(BUILD)/e2e-tests
	@$(MAKE) --no-print-directory test-portability
	@$(MAKE) --no-print-directory test-cluster-if-possible
	@$(MAKE) --no-print-directory stress-quick
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory sim
	@$(MAKE) --no-print-directory e2e
	@! test -f .venv/hposync-skipped/torch || \
	  echo "make test: passed WITHOUT the PyTorch checks: $$(cat .venv/hposync-skipped/torch)"

unit: $(BUILD)/unit-tests
	cd tests && ../$(BUILD)/unit-tests

# ---- deterministic simulation (tests/sim, docs/RELIABILITY.md) ------------------------
# Master, workers and a stranger in one process over an in-memory FileOps and a simulated
# clock; one seed decides every interleaving and fault. A failing seed prints its replay
# command (`$(BUILD)/sim-tests --seed N --verbose`). `make sim SIM_SEEDS=100000` for more.
.PHONY: sim
SIM_SRC   := $(wildcard tests/sim/*.cpp)
SIM_OBJ   := $(SIM_SRC:%.cpp=$(BUILD)/%.o)
SIM_SEEDS ?= 5000
$(BUILD)/sim-tests: $(SIM_OBJ) $(BUILD)/libhposync.a
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

sim: $(BUILD)/sim-tests
	$(BUILD)/sim-tests --seeds $(SIM_SEEDS)
-include $(SIM_OBJ:.o=.d)

e2e: $(BUILD)/e2e-tests all
	cd tests && ../$(BUILD)/e2e-tests

.PHONY: test-slurm-if-present stress-quick test-twohost

stress-quick:
	@if [ -f tests/stress/run.sh ]; then bash tests/stress/run.sh --quick; fi

test-twohost: all $(BUILD)/bin/fsprobe
	bash tests/twohost/run.sh

# Helper programs of the benches and tests, built here with the library's flags (the
# scripts compile nothing themselves): bench/scale's scale-bench, tests/twohost's fsprobe.
$(BUILD)/bin/scale-bench: $(BUILD)/bench/scale/scale_bench.o $(BUILD)/libhposync.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

$(BUILD)/bin/fsprobe: $(BUILD)/tests/twohost/fsprobe.o $(BUILD)/libhposync.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)
-include $(BUILD)/bench/scale/scale_bench.d $(BUILD)/tests/twohost/fsprobe.d

# bench/run.sh's and bench/engine_compare.sh's programs (the scripts call these targets),
# beside their objects in $(BUILD)/bench/ where bench/profile.sh looks for engine-bench.
.PHONY: bench-programs
bench-programs: $(BUILD)/bench/engine-bench $(BUILD)/bench/portability-bench
$(BUILD)/bench/engine-bench: $(BUILD)/bench/engine_bench.o $(BUILD)/libhposync.a
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)
-include $(BUILD)/bench/engine_bench.d
# bench/portability.sh's optimizer timer (built in build/ and, with NATIVE=1, build-native/):
# it asks the engine's own dispatch which variant runs (src/engine/cpu_dispatch.hpp).
$(BUILD)/bench/portability_bench.o: CXXFLAGS += -Isrc/engine
$(BUILD)/bench/portability-bench: $(BUILD)/bench/portability_bench.o $(BUILD)/libhposync.a
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)
-include $(BUILD)/bench/portability_bench.d

# The fuzzer's flags (clang, libFuzzer, ASan + UBSan); tests/fuzz/run.sh compiles with these.
FUZZ_CXXFLAGS ?= -std=c++17 -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -Iinclude -isystem /usr/include/eigen3
FUZZ_LDFLAGS  ?= -fsanitize=fuzzer -lz
fuzz:
	FUZZ_CXXFLAGS="$(FUZZ_CXXFLAGS)" FUZZ_LDFLAGS="$(FUZZ_LDFLAGS)" bash tests/fuzz/run.sh $(FUZZ_SECONDS)

test-slurm-if-present:
	@if [ -f tests/slurm/run.sh ]; then $(MAKE) --no-print-directory test-slurm; fi

test-slurm: all
	bash tests/slurm/run.sh

# Three Slurm nodes in network namespaces, sshfs, four scenarios (tests/cluster/run.sh).
# make test runs it where the machine can (root, network namespaces, FUSE); elsewhere it
# says why and runs the one-node test-slurm instead, if it can.
test-cluster: all
	bash tests/cluster/run.sh

test-cluster-if-possible:
	@if why=$$(bash tests/cluster/run.sh --check 2>&1); then \
	    $(MAKE) --no-print-directory test-cluster; \
	else \
	    echo "make test: test-cluster skipped: $$why"; \
	    $(MAKE) --no-print-directory test-slurm-if-present; \
	fi

# The default build on an emulated pre-AVX CPU (qemu-user), the dispatch variants'
# bits, and the native build's SIGILL there if build-native/ exists.
test-portability: all
	bash tests/cluster/portability.sh

# ---- the main job -------------------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all
	bash tools/demo.sh

# ---- sanitizer build ------------------------------------------------------------------
# ASan + UBSan build of everything and the unit tests; `make test-asan` runs them (CI does).
debug:
	$(MAKE) -j2 BUILD=build-debug OPTFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" DEBUGINFO=-g1 \
	    LDLIBS="$(LDLIBS) -fsanitize=address,undefined" all build-debug/unit-tests

# The unit tests under ASan + UBSan. Leak checking is off: oneDNN and libgomp keep
# their thread pools and kernel caches for the process's lifetime by design.
.PHONY: test-asan
test-asan: debug
	cd tests && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ../build-debug/unit-tests

# ---- thread sanitizer -----------------------------------------------------------------
# `make -j2 test-tsan`: the unit tests built with -fsanitize=thread in build-tsan/ (the
# library and unit-tests only: ~12 min at -j1 on 2 busy cores), run on the cases that
# start threads or race processes: pending-index claimers, the pause detector's ticker,
# the worker's heartbeat thread, leases, subprocess, the claim/hand-back transitions,
# racing result writers, the external trainer runner (49 cases, ~16 s). Any TSan report
# makes it exit nonzero (66): a race planted in Heartbeat::set_state is reported.
# tests/tsan.supp silences reports from uninstrumented libraries only (oneDNN, libgomp,
# TBB), never in hposync code. Not part of `make test` or .ci/run (time budget): run it
# by hand after touching threads (docs/RELIABILITY.md, "How to check a deployment").
.PHONY: test-tsan tsan-build
TSAN_TESTS ?= pending index*,pause detector*,protocol lease*,subprocess*,transition*,claim filter*,job format: a handed-back*,protocol result file: exactly one*,trainer:*,heartbeat*
tsan-build:
	$(MAKE) --no-print-directory BUILD=build-tsan OPTFLAGS="-O1 -fsanitize=thread -fno-omit-frame-pointer" \
	    LDLIBS="$(LDLIBS) -fsanitize=thread" build-tsan/unit-tests

test-tsan: tsan-build
	cd tests && TSAN_OPTIONS="suppressions=$(abspath tests/tsan.supp) second_deadlock_stack=1 history_size=4" \
	    ../build-tsan/unit-tests -tc="$(TSAN_TESTS)"

bench: deps-bench
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all
	BUILD=$(BUILD) bash bench/run.sh
	@$(MAKE) --no-print-directory bench-scale

# `make bench-quick`: a few rows of `make bench`'s engine part (bench/configs-quick.txt, no
# torch.compile); minutes, not the full run's ~30. The protocol beside Optuna's journal is
# bench-scale's (make bench runs it). Profiles: bash bench/profile.sh.
.PHONY: bench-quick
bench-quick: deps-bench
	@$(MAKE) --no-print-directory -j2 all
	BUILD=$(BUILD) QUICK=1 bash bench/run.sh

# 1,000 to 100,000 no-op jobs, 4 / 16 / 128 workers, beside Optuna 5's JournalFileBackend (and
# Optuna 3.1, the older row; both installed if missing); 23 minutes at load ~20. Writes the
# scale section of bench/results.md.
bench-scale: deps-bench deps-optuna3 all $(BUILD)/bin/scale-bench
	BUILD=$(BUILD) bash bench/scale/run.sh

# The older peer row of bench-scale: Optuna 3.1 in its own environment (.venv-optuna3, from
# requirements/optuna3.lock; it cannot share .venv with Optuna 5).
.PHONY: deps-optuna3
deps-optuna3: deps
	@HPOSYNC_VENV=$(CURDIR)/.venv-optuna3 bash tools/python-env.sh main optuna3

# Workers on a second host over sshfs beside the same workers on the local disk (the
# set-up of test-twohost; root): 1,000 to 100,000 no-op jobs, 4 workers. Figures in docs/SCALE.md.
.PHONY: bench-twohost
bench-twohost: all
	BUILD=$(BUILD) bash bench/scale/twohost.sh 4 1000 10000 100000

# `make bench-search`: every search strategy and the peers (Optuna 5, SMAC3, DEHB, HEBO) on the same objectives
# (bench/search_run.sh); writes bench/search-results.md and bench/search-results.png.
.PHONY: bench-search
$(BUILD)/bin/search-bench: $(BUILD)/bench/search_bench.o $(BUILD)/libhposync.a
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDLIBS)

bench-search: deps-bench
	@$(MAKE) --no-print-directory -j2 $(BUILD)/bin/search-bench
	BUILD=$(BUILD) bash bench/search_run.sh

# `make bench-search-replay`: a tabular benchmark through the real protocol (hpo-master + 4
# hpo-workers whose trainer looks results up, trainers/tabular_lookup.py): TPE and BOHB on
# mnist-cnn, wall time, jobs/s, idle time between rounds, best checked against the
# in-process replay (bench/search_replay.sh; under a minute).
.PHONY: bench-search-replay
bench-search-replay: deps all
	@$(MAKE) --no-print-directory -j2 $(BUILD)/bin/search-bench
	BUILD=$(BUILD) bash bench/search_replay.sh

# `make bench-frameworks`: the frameworks study (engine, PyTorch, scikit-learn, Keras) run once
# through hpo-master and four hpo-workers; writes bench/frameworks-results.md (framework x
# optimizer x batch: updates, setup s, training s, final loss, overrun). FULL=1: the full study (hours).
.PHONY: bench-frameworks
bench-frameworks: all
	BUILD=$(BUILD) HPOSYNC_BIN=$(BUILD)/bin bash bench/frameworks_table.sh $(if $(FULL),--full)

stress: all $(BUILD)/unit-tests
	@$(MAKE) --no-print-directory sim SIM_SEEDS=100000
	bash tests/stress/run.sh

clean:
	rm -rf $(BUILD) build-debug build-native build-tsan

-include $(BUILD)/bench/search_bench.d
-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(E2E_OBJ:.o=.d) $(APP_SRC:apps/%.cpp=$(BUILD)/apps/%.d)
