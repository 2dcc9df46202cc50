# perfdb — `make demo` and `make test` do all the set-up on a fresh machine.
SWIFT ?= swift
PREFIX ?= /usr/local
BUILD_DIR := .build
PERFDB := $(BUILD_DIR)/debug/perfdb
DEMO_DB := demo.sqlite

.PHONY: all build test test-deps demo reports bench bench-pg reliability fuzz lint format install clean deps fixtures demo-history

all: build

# System libraries the build links against: SQLite (through GRDB) and zlib (gzip input).
deps:
	@missing=""; \
	[ -f /usr/include/sqlite3.h ] || missing="$$missing libsqlite3-dev"; \
	[ -f /usr/include/zlib.h ] || missing="$$missing zlib1g-dev"; \
	command -v sqlite3 >/dev/null 2>&1 || missing="$$missing sqlite3"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi

# What the tests start for real: a PostgreSQL server (a throw-away cluster per test run).
test-deps:
	@if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then \
		echo "installing postgresql"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq postgresql; \
	fi

build: deps
	$(SWIFT) build

test: deps test-deps
	$(SWIFT) build
	$(SWIFT) test

# The longer reliability proofs (docs/reliability.md): concurrency, kill -9, disk full.
reliability: build test-deps
	tools/reliability.sh $(PERFDB)

# libFuzzer over every input adapter (FUZZ_RUNS executions each) with AddressSanitizer; its
# own build folder, so the normal build is untouched. docs/reliability.md.
FUZZ_RUNS ?= 5000
fuzz: deps
	PERFDB_FUZZ=1 $(SWIFT) build --build-path .build-fuzz --product perfdb-fuzz
	tools/fuzz.sh .build-fuzz/debug/perfdb-fuzz $(FUZZ_RUNS)

lint:
	$(SWIFT) format lint --strict --recursive Sources Plugins Tests Fuzz Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Plugins Tests Fuzz Package.swift

# Ingest the bundled history (real k6 runs and chaos experiments, each with a CI context) into
# a fresh demo.sqlite, then show the runs, the latest run, the trend of the regressed endpoint
# with its change point, and the gate's verdict on the latest run.
demo: build
	@tools/demo-db.sh $(PERFDB) $(DEMO_DB)
	@echo "\$$ perfdb runs list --kind load"
	@$(PERFDB) runs list --db $(DEMO_DB) --kind load
	@echo
	@echo "\$$ perfdb runs show latest"
	@$(PERFDB) runs show latest --db $(DEMO_DB)
	@echo
	@echo "\$$ perfdb chaos trend"
	@$(PERFDB) chaos trend --db $(DEMO_DB) || echo "(exit code $$?)"
	@echo
	@echo "\$$ perfdb trend --series 'http_req_duration{endpoint:reservations}' --change-points"
	@$(PERFDB) trend --db $(DEMO_DB) --series 'http_req_duration{endpoint:reservations}' --change-points
	@echo
	@echo "\$$ perfdb check latest"
	@$(PERFDB) check latest --db $(DEMO_DB); echo "exit code: $$?"

# Re-render reports/examples/ from the demo data (a test fails when they are stale).
reports: build
	tools/make-reports.sh $(PERFDB)

# One self-contained binary (static Swift runtime) that runs from any directory.
install: deps
	$(SWIFT) build -c release --static-swift-stdlib
	install -d $(PREFIX)/bin
	install -m 755 $(BUILD_DIR)/release/perfdb $(PREFIX)/bin/perfdb

# perfdb ingest against a user's orjson script and DuckDB on 300 MB and 2 GB k6 NDJSON files,
# then `check latest` on a 10,000-run history (benchmarks, not tests; docs/performance.md).
# BENCH_SIZES="300" for a quick one.
BENCH_SIZES ?= 300 2000
BENCH_HISTORY ?= 10000
bench: deps
	$(SWIFT) build -c release
	tools/bench.sh $(BUILD_DIR)/release/perfdb $(BENCH_SIZES)
	tools/bench-check.sh $(BUILD_DIR)/release/perfdb $(BENCH_HISTORY)

# perfdb on PostgreSQL against perfdb on a SQLite file in the same run: 8-client ingest rate,
# single-ingest latency, a raw stream, check/trend on a BENCH_PG_RUNS-run history, bytes per run
# (a benchmark, not a test; docs/scaling.md).
BENCH_PG_RUNS ?= 100000
bench-pg: deps test-deps
	$(SWIFT) build -c release
	tools/bench-pg.sh $(BUILD_DIR)/release/perfdb $(BENCH_PG_RUNS)

# Re-make the fixtures and the demo history with the real tools (k6, Chaos Toolkit).
fixtures:
	tools/make-fixtures.sh

demo-history:
	tools/make-demo-history.sh

clean:
	rm -rf $(BUILD_DIR) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
