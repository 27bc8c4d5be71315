# zstore - a distributed file store with replication, on ZeroMQ
#
#   make                 build bin/zstore-gateway, bin/zstore-bucket, bin/zstore,
#                        bin/zstore-monitor
#   make run             a gateway and 3 buckets on loopback, data under ./data
#   make test            unit and integration tests (installs missing packages)
#   make test-sanitize   the same tests under AddressSanitizer and UBSan
#   make test-chaos      the chaos test for 10 minutes (CHAOS_SECONDS, CHAOS_CLIENTS)
#   make test-docker     the image, the compose cluster and its demos, a swarm stack
#   make bench           bin/zstore-bench: zstore against this machine's limits (minutes)
#   make bench-quick     the same, small and short (under a minute; a smoke test)
#   make install PREFIX=/usr/local
#
# SANITIZE=1 builds into build/sanitize with ASan and UBSan.

PREFIX ?= /usr/local
.DEFAULT_GOAL := all
PKGS := libczmq libzmq libsodium

ifeq ($(SANITIZE),)
  BUILD := build/release
  BIN := bin
  SANFLAGS :=
else
  BUILD := build/sanitize
  BIN := build/sanitize/bin
  SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif

CC ?= cc
# V=1 shows whole commands
Q := $(if $(V),,@)
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Werror -Wno-missing-field-initializers
INCLUDES := -Icommon -Ibroker -Iworker -Iclient -Ibench
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(INCLUDES) $(PKG_CFLAGS) $(SANFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread

COMMON_SRC := $(filter-out %_main.c,$(wildcard common/zs_*.c))
BROKER_SRC := $(filter-out %_main.c,$(wildcard broker/zs_*.c))
WORKER_SRC := $(filter-out %_main.c,$(wildcard worker/zs_*.c))
CLIENT_SRC := $(filter-out %_main.c,$(wildcard client/zs_*.c))
BENCH_SRC := $(filter-out %_main.c,$(wildcard bench/zs_*.c))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))
COMMON_OBJ := $(call obj,$(COMMON_SRC))
BROKER_OBJ := $(call obj,$(BROKER_SRC))
WORKER_OBJ := $(call obj,$(WORKER_SRC))
CLIENT_OBJ := $(call obj,$(CLIENT_SRC))
BENCH_OBJ := $(call obj,$(BENCH_SRC))

PROGRAMS := $(BIN)/zstore-gateway $(BIN)/zstore-bucket $(BIN)/zstore $(BIN)/zstore-monitor
#  Built with the programs (a test runs it) but not installed
BENCH := $(BIN)/zstore-bench
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/zs-%,$(wildcard tests/tools/*.c))

tools: $(TOOLS)

# Keep object files of tests and tools between builds
.SECONDARY:

.PHONY: tools all deps check-deps run test test-unit test-integration test-sanitize format fuzz \
        test-chaos test-docker format-check install uninstall clean bench bench-quick

all: check-deps $(PROGRAMS) $(BENCH)

check-deps:
	@pkg-config --exists $(PKGS) cmocka || { \
	  echo "zstore: missing libraries: run 'scripts/deps.sh' (apt-get) or 'scripts/make.sh' instead of make" >&2; \
	  exit 1; }

deps:
	@scripts/deps.sh all

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BIN)/zstore-gateway: $(BUILD)/broker/zs_gateway_main.o $(BROKER_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(BIN)/zstore-bucket: $(BUILD)/worker/zs_bucket_main.o $(WORKER_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(BIN)/zstore: $(BUILD)/client/zs_cli_main.o $(CLIENT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

$(BIN)/zstore-monitor: $(BUILD)/client/zs_monitor_main.o $(CLIENT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

# The benchmark fills the gateway's index itself, so it links the broker's
# modules, and measures the disk with the buckets' own file system steps
$(BIN)/zstore-bench: $(BUILD)/bench/zs_bench_main.o $(BENCH_OBJ) $(BROKER_OBJ) $(CLIENT_OBJ) \
                     $(BUILD)/worker/zs_fs.o $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

# Unit tests link every module and the kit they share; each uses what it needs
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(BUILD)/tests/unit/zs_testkit.o \
                       $(BROKER_OBJ) $(WORKER_OBJ) $(CLIENT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS) -lcmocka

$(BUILD)/tests/zs-%: $(BUILD)/tests/tools/%.o $(WORKER_OBJ) $(CLIENT_OBJ) $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_LDFLAGS) $^ -o $@ $(LIBS)

run: 
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@scripts/run-cluster.sh

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(TOOLS)
	@$(MAKE) --no-print-directory format-check
	@tests/run.sh --build $(BUILD) --bin $(BIN)

test-sanitize:
	@$(MAKE) --no-print-directory test SANITIZE=1

test-unit: all $(UNIT_TESTS) $(TOOLS)
	@tests/run.sh --build $(BUILD) --bin $(BIN) --unit-only

test-integration: all $(UNIT_TESTS) $(TOOLS)
	@tests/run.sh --build $(BUILD) --bin $(BIN) --integration-only

# The protocol codec under libFuzzer, ASan and UBSan, from a seed corpus of
# valid messages, for FUZZ_SECONDS (clang and its runtime: scripts/deps.sh fuzz)
FUZZ_SECONDS ?= 60
FUZZ_DIR := build/fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
fuzz:
	@scripts/deps.sh fuzz
	@mkdir -p $(FUZZ_DIR)/corpus
	@echo "  CLANG   $(FUZZ_DIR)/fuzz_proto"
	$(Q)clang -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(INCLUDES) $(PKG_CFLAGS) $(FUZZ_FLAGS) \
	  tests/fuzz/fuzz_proto.c $(COMMON_SRC) -o $(FUZZ_DIR)/fuzz_proto $(PKG_LIBS) -lpthread
	$(Q)clang -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(INCLUDES) $(PKG_CFLAGS) -g \
	  tests/fuzz/fuzz_seeds.c $(COMMON_SRC) -o $(FUZZ_DIR)/fuzz_seeds $(PKG_LIBS) -lpthread
	@$(FUZZ_DIR)/fuzz_seeds $(FUZZ_DIR)/seeds
	@ASAN_OPTIONS=detect_leaks=1 $(FUZZ_DIR)/fuzz_proto -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=10 -rss_limit_mb=2048 -max_len=1200000 -print_final_stats=1 \
	  -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds

# The long form of tests/integration/test_chaos.sh (make test runs a short one)
CHAOS_SECONDS ?= 600
CHAOS_CLIENTS ?= 8
test-chaos: all $(TOOLS)
	@ZS_BIN=$(BIN) ZS_TOOLS=$(BUILD)/tests CHAOS_SECONDS=$(CHAOS_SECONDS) \
	  CHAOS_CLIENTS=$(CHAOS_CLIENTS) tests/integration/test_chaos.sh

# zstore-bench starts its own cluster from $(BIN) and prints one table;
# BENCH_FLAGS adds options (e.g. BENCH_FLAGS="--json bench.json")
BENCH_FLAGS ?=
bench: all
	@$(BENCH) $(BENCH_FLAGS)

bench-quick: all
	@$(BENCH) --quick $(BENCH_FLAGS)

# Installs docker and starts an engine when missing; builds the image itself
test-docker:
	@docker/test.sh

SOURCES = $(wildcard common/*.[ch] broker/*.[ch] worker/*.[ch] client/*.[ch] bench/*.[ch] tests/unit/*.[ch] tests/tools/*.[ch] tests/fuzz/*.[ch])

format:
	clang-format -i $(SOURCES)

format-check:
	@clang-format --dry-run --Werror $(SOURCES) || { \
	  echo "zstore: code differs from .clang-format: run 'make format'" >&2; exit 1; }

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(PROGRAMS)))

clean:
	rm -rf build bin

-include $(shell find build -name '*.d' 2>/dev/null)
