# hposync — top-level build.  `make` builds every binary, `make test` builds and runs
# every test, `make demo` runs the main study.  Both install what they need first.
#
# The Makefile compiles directly (no CMake): one static library from src/**, one thin
# binary per apps/*.cpp, one doctest binary per test directory.

CXX      ?= g++
BUILD    ?= build
OPTFLAGS ?= -O3 -march=native
CXXFLAGS += -std=c++17 $(OPTFLAGS) -fno-math-errno -g -Wall -Wextra -fopenmp -Iinclude -isystem /usr/include/eigen3 -MMD -MP
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

.PHONY: all deps data test unit e2e demo debug clean bench bench-scale stress fuzz test-slurm check-modules
all: $(APPS) $(TOOLS)

# ---- dependencies ---------------------------------------------------------------
deps:
	@bash tools/install-deps.sh

# ---- data -------------------------------------------------------------------------
data: $(BUILD)/bin/mnist-json-to-idx
	@bash tools/fetch-data.sh $(BUILD)/bin/mnist-json-to-idx

# ---- build --------------------------------------------------------------------------
$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

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
	@bash tools/check-module-graph.sh

# ---- tests --------------------------------------------------------------------------
# `make test` is what CI runs and what the README gives: deps, data, build, every test.
# The end-to-end tests find the binaries and data through HPOSYNC_BIN / HPOSYNC_DATA.
export HPOSYNC_BIN  = $(abspath $(BUILD)/bin)
export HPOSYNC_DATA = $(abspath data)

test: deps
	@bash tools/check-module-graph.sh
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all $(BUILD)/unit-tests $(BUILD)/e2e-tests
	@$(MAKE) --no-print-directory test-slurm-if-present
	@$(MAKE) --no-print-directory stress-quick
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory e2e

unit: $(BUILD)/unit-tests
	cd tests && ../$(BUILD)/unit-tests

e2e: $(BUILD)/e2e-tests all
	cd tests && ../$(BUILD)/e2e-tests

.PHONY: test-slurm-if-present stress-quick test-twohost
stress-quick:
	@if [ -f tests/stress/run.sh ]; then bash tests/stress/run.sh --quick; fi

test-twohost: all
	bash tests/twohost/run.sh

fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

test-slurm-if-present:
	@if [ -f tests/slurm/run.sh ]; then $(MAKE) --no-print-directory test-slurm; fi

test-slurm: all
	bash tests/slurm/run.sh

# ---- the main job -------------------------------------------------------------------
demo: deps
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all
	bash tools/demo.sh

# ---- sanitizer build ------------------------------------------------------------------
debug:
	$(MAKE) BUILD=build-debug OPTFLAGS="-O1 -fsanitize=address,undefined -fno-omit-frame-pointer" \
	    LDLIBS="$(LDLIBS) -fsanitize=address,undefined" all build-debug/unit-tests

bench: deps
	@$(MAKE) --no-print-directory data
	@$(MAKE) --no-print-directory -j2 all
	BUILD=$(BUILD) bash bench/run.sh
	@$(MAKE) --no-print-directory bench-scale

# 1,000 to 100,000 no-op jobs, 4 / 16 / 128 workers, beside Optuna's JournalFileStorage
# (installed if missing); 23 minutes at load ~20. Writes the scale section of bench/results.md.
bench-scale: all
	BUILD=$(BUILD) bash bench/scale/run.sh

stress: all $(BUILD)/unit-tests
	bash tests/stress/run.sh

clean:
	rm -rf $(BUILD) build-debug

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(E2E_OBJ:.o=.d) $(APP_SRC:apps/%.cpp=$(BUILD)/apps/%.d)
