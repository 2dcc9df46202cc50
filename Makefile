# perfdb — `make demo` and `make test` do all the set-up on a fresh machine.
SWIFT ?= swift
PREFIX ?= /usr/local
BUILD_DIR := .build
PERFDB := $(BUILD_DIR)/debug/perfdb
DEMO_DB := demo.sqlite

.PHONY: all build test demo lint format install clean deps fixtures demo-history

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

build: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build
	$(SWIFT) test

lint:
	$(SWIFT) format lint --strict --recursive Sources Plugins Tests Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Plugins Tests Package.swift

# Ingest the bundled history (real k6 runs with a CI context each) into a fresh demo.sqlite,
# then print the runs and the latest one.
demo: build
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@tail -n +2 demo/history/runs.tsv | while IFS="$$(printf '\t')" read -r file commit build branch started exit_code; do \
		$(PERFDB) ingest --db $(DEMO_DB) --quiet --scenario load --environment staging \
			--branch "$$branch" --commit "$$commit" --build "$$build" \
			--build-url "https://ci.example.com/hotel-api/builds/$$build" \
			--started-at "$$started" --exit-code "$$exit_code" "demo/history/$$file" || exit 1; \
	done
	@echo "\$$ perfdb runs list --db $(DEMO_DB)"
	@$(PERFDB) runs list --db $(DEMO_DB)
	@echo
	@echo "\$$ perfdb runs show latest --db $(DEMO_DB)"
	@$(PERFDB) runs show latest --db $(DEMO_DB)

# One self-contained binary (static Swift runtime) that runs from any directory.
install: deps
	$(SWIFT) build -c release --static-swift-stdlib
	install -d $(PREFIX)/bin
	install -m 755 $(BUILD_DIR)/release/perfdb $(PREFIX)/bin/perfdb

# Re-make the fixtures and the demo history with the real tools (k6, Chaos Toolkit).
fixtures:
	tools/make-fixtures.sh

demo-history:
	tools/make-demo-history.sh

clean:
	rm -rf $(BUILD_DIR) $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
