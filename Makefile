# perfdb — `make demo` and `make test` do all the set-up on a fresh machine.
SWIFT ?= swift
PREFIX ?= /usr/local
BUILD_DIR := .build
PERFDB := $(BUILD_DIR)/debug/perfdb
DEMO_DB := demo.sqlite
# Release artifacts: the version perfdb reports, the man pages, the shell completions, the tarball.
VERSION := $(shell sed -n 's/^public let perfdbVersion = "\(.*\)"$$/\1/p' Sources/PerfDBModel/Version.swift)
RELEASE_PERFDB := $(BUILD_DIR)/release/perfdb
MAN_DIR := $(BUILD_DIR)/man
COMPLETIONS_DIR := $(BUILD_DIR)/completions
DIST_NAME := perfdb-$(VERSION)
DIST_STAGE := $(BUILD_DIR)/dist/$(DIST_NAME)
DIST_TARBALL := dist/$(DIST_NAME)-linux-$(shell uname -m).tar.gz

.PHONY: all build test test-deps demo reports dashboards bench bench-pg judge-bench reliability fuzz lint format install clean deps fixtures demo-history locust-fixtures locust-history ci-recipes release man completions dist dist-check

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

# What the tests start for real, each from Debian's packages when missing: a PostgreSQL server
# (a throw-away cluster per test run), headless Chromium (renders the HTML report:
# docs/html-report.md), Prometheus with promtool, a Pushgateway, Alertmanager; curl reads their
# HTTP APIs.
test-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ] || missing="$$missing prometheus"; \
	[ -x /usr/bin/prometheus-pushgateway ] || missing="$$missing prometheus-pushgateway"; \
	[ -x /usr/bin/prometheus-alertmanager ] || missing="$$missing prometheus-alertmanager"; \
	[ -x /usr/bin/curl ] || missing="$$missing curl"; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

test: deps test-deps
	$(SWIFT) build
	$(SWIFT) test
	tools/ci-recipes.sh $(PERFDB)

# The CI recipes of docs/ci/: actionlint, GitLab's schema, then each recipe run under a
# simulated GitHub Actions, GitLab CI and Jenkins, two pipelines racing on one history (docs/ci.md).
ci-recipes: build
	tools/ci-recipes.sh $(PERFDB)

# The longer reliability proofs (docs/reliability.md): concurrency, kill -9, disk full.
reliability: build test-deps
	tools/reliability.sh $(PERFDB)

# libFuzzer over every input adapter (FUZZ_RUNS executions each) with AddressSanitizer; its
# own build folder, so the normal build is untouched. docs/reliability.md.
FUZZ_RUNS ?= 5000
fuzz: deps
	PERFDB_FUZZ=1 $(SWIFT) build --build-path .build-fuzz --product perfdb-fuzz
	tools/fuzz.sh .build-fuzz/debug/perfdb-fuzz $(FUZZ_RUNS)

# The Grafana dashboards of dashboards/ for both data sources, from one description (docs/grafana.md).
dashboards:
	tools/grafana-dashboards.py

lint:
	$(SWIFT) format lint --strict --recursive Sources Plugins Tests Fuzz Package.swift

format:
	$(SWIFT) format format --in-place --recursive Sources Plugins Tests Fuzz Package.swift

# Ingest the bundled history (real k6 runs and chaos experiments, each with a CI context) into
# a fresh demo.sqlite, then show the runs, the latest run, the trend of the regressed endpoint
# with its change point, the gate's verdict on the latest run and on the latest Locust run, and
# the whole report as one HTML page (demo-report.html), and the whole warehouse as a static site
# (demo-site/).
demo: build
	@tools/demo-db.sh $(PERFDB) $(DEMO_DB)
	@echo "\$$ perfdb runs list --kind load"
	@$(PERFDB) runs list --db $(DEMO_DB) --kind load
	@echo
	@echo "\$$ perfdb runs show latest"
	@$(PERFDB) runs show latest --db $(DEMO_DB)
	@echo
	@echo "\$$ perfdb chaos trend"
	@$(PERFDB) chaos trend --db $(DEMO_DB) --config demo/perfdb.yml || echo "(exit code $$?)"
	@echo
	@echo "\$$ perfdb chaos impact 57"
	@$(PERFDB) chaos impact 57 --db $(DEMO_DB) --config demo/perfdb.yml
	@echo
	@echo "\$$ perfdb chaos impact --trend 'PMS struggling: slow and failing 2 % of calls, then recovering'"
	@$(PERFDB) chaos impact --db $(DEMO_DB) --config demo/perfdb.yml --trend 'PMS struggling: slow and failing 2 % of calls, then recovering' || echo "(exit code $$?)"
	@echo
	@echo "\$$ perfdb trend --series 'http_req_duration{endpoint:reservations}' --change-points"
	@$(PERFDB) trend --db $(DEMO_DB) --config demo/perfdb.yml --series 'http_req_duration{endpoint:reservations}' --change-points
	@echo
	@echo "\$$ perfdb check latest"
	@$(PERFDB) check latest --db $(DEMO_DB) --config demo/perfdb.yml; echo "exit code: $$?"
	@echo
	@echo "\$$ perfdb check latest --scenario locust"
	@$(PERFDB) check latest --db $(DEMO_DB) --config demo/perfdb.yml --scenario locust; echo "exit code: $$?"
	@echo
	@echo "\$$ perfdb report --format html --output demo-report.html"
	@$(PERFDB) report --db $(DEMO_DB) --config demo/perfdb.yml --format html --output demo-report.html
	@echo "demo-report.html: $$(wc -c <demo-report.html) bytes, open it in a browser"
	@echo
	@echo "\$$ perfdb site demo-site"
	@rm -rf demo-site
	@$(PERFDB) site --db $(DEMO_DB) --config demo/perfdb.yml demo-site

# Re-render reports/examples/ from the demo data (a test fails when they are stale).
reports: build
	tools/make-reports.sh $(PERFDB)

# One self-contained binary (static Swift runtime) that runs from any directory, with its man
# pages and bash, zsh and fish completions (docs/install.md). DESTDIR stages it for a package.
install: deps
	$(MAKE) --no-print-directory man
	$(MAKE) --no-print-directory completions
	$(call install_tree,$(DESTDIR)$(PREFIX))

# install_tree ROOT: bin/, share/man/man1/ and the completions where each shell looks for them.
define install_tree
	install -d $(1)/bin $(1)/share/man/man1 $(1)/share/bash-completion/completions \
		$(1)/share/zsh/site-functions $(1)/share/fish/vendor_completions.d
	install -m 755 $(RELEASE_PERFDB) $(1)/bin/perfdb
	install -m 644 $(MAN_DIR)/*.1 $(1)/share/man/man1/
	install -m 644 $(COMPLETIONS_DIR)/perfdb.bash $(1)/share/bash-completion/completions/perfdb
	install -m 644 $(COMPLETIONS_DIR)/_perfdb $(1)/share/zsh/site-functions/_perfdb
	install -m 644 $(COMPLETIONS_DIR)/perfdb.fish $(1)/share/fish/vendor_completions.d/perfdb.fish
endef

# The release binary with the Swift runtime linked in; it still links libsqlite3, zlib, libstdc++
# and glibc dynamically (docs/install.md).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib
	@if readelf -d $(RELEASE_PERFDB) | grep -E 'NEEDED.*lib(swift|Foundation|dispatch|BlocksRuntime)'; then \
		echo "release: $(RELEASE_PERFDB) links the Swift runtime dynamically"; exit 1; fi

# Man pages (mdoc, one per command) from the command definitions, by swift-argument-parser's
# generate-manual plugin. The plugin builds the package in release mode itself — with the Swift
# runtime linked dynamically, over $(RELEASE_PERFDB); `make release` (or `completions`) after it
# relinks the static binary. It passes its own work folder as --output-directory first; the one
# given here comes last and wins.
man: deps
	rm -rf $(MAN_DIR)
	mkdir -p $(MAN_DIR)
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --multi-page \
		--authors "The perfdb authors" --output-directory $(CURDIR)/$(MAN_DIR)
	@test -f $(MAN_DIR)/perfdb.1 || { echo "man: generate-manual wrote no perfdb.1"; exit 1; }
	@echo "man: $$(ls $(MAN_DIR) | wc -l) pages in $(MAN_DIR)"

# Shell completions, from the static release binary.
completions: release
	mkdir -p $(COMPLETIONS_DIR)
	$(RELEASE_PERFDB) --generate-completion-script bash >$(COMPLETIONS_DIR)/perfdb.bash
	$(RELEASE_PERFDB) --generate-completion-script zsh >$(COMPLETIONS_DIR)/_perfdb
	$(RELEASE_PERFDB) --generate-completion-script fish >$(COMPLETIONS_DIR)/perfdb.fish

# The release tarball $(DIST_TARBALL): $(DIST_NAME)/ holding bin/perfdb (stripped), the man
# pages, the completions, LICENSE and README.md. Man pages first, so that the static binary
# `completions` builds is the one packed.
dist: deps
	@test -n "$(VERSION)" || { echo "dist: no version in Sources/PerfDBModel/Version.swift"; exit 1; }
	$(MAKE) --no-print-directory man
	$(MAKE) --no-print-directory completions
	rm -rf $(BUILD_DIR)/dist
	$(call install_tree,$(DIST_STAGE))
	strip $(DIST_STAGE)/bin/perfdb
	install -m 644 LICENSE README.md $(DIST_STAGE)/
	mkdir -p dist
	tar -C $(BUILD_DIR)/dist --owner=0 --group=0 --numeric-owner --sort=name \
		-czf $(DIST_TARBALL) $(DIST_NAME)
	@echo "dist: $(DIST_TARBALL) ($$(du -h $(DIST_TARBALL) | cut -f1))"

# Proves the tarball on a minimal Debian (debootstrap and chroot; needs root). docs/install.md.
dist-check: dist
	tools/dist-check.sh $(DIST_TARBALL)

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

# The gate's judgment on synthetic histories resampled from real k6 samples: false alarms, recall,
# detection delay and change points of `check`, `baseline drift` and `trend` on summaries and raw
# streams, beside a naive rule and Apache Otava 0.8.0 (a benchmark, not a test; installs Otava into
# .build/judge-bench-venv with pip). JUDGE_BENCH_ARGS="--quick" for a short one. Then the false
# alarms on real run-to-run noise: the demo history's stable runs replayed in shuffled histories.
JUDGE_BENCH_ARGS ?=
REPLAY_BENCH_ARGS ?=
judge-bench: deps
	$(SWIFT) build -c release
	tools/judge-bench.py --perfdb $(BUILD_DIR)/release/perfdb $(JUDGE_BENCH_ARGS)
	tools/replay-bench.py --perfdb $(BUILD_DIR)/release/perfdb $(REPLAY_BENCH_ARGS)

# Re-make the fixtures and the demo history with the real tools (k6, Chaos Toolkit).
fixtures:
	tools/make-fixtures.sh
	tools/make-generator-fixtures.sh

demo-history:
	tools/make-demo-history.sh

# Re-make the Locust fixtures (Tests/Fixtures/locust, with Locust's own figures of each run) and
# the demo's Locust history (demo/locust) with real Locust 2.47.0, installed from PyPI into
# .build/locust-venv when missing.
LOCUST_VENV := $(BUILD_DIR)/locust-venv
$(LOCUST_VENV)/bin/locust:
	python3 -m venv $(LOCUST_VENV)
	$(LOCUST_VENV)/bin/pip install -q locust==2.47.0

locust-fixtures: $(LOCUST_VENV)/bin/locust
	LOCUST=$(LOCUST_VENV)/bin/locust LOCUST_PYTHON=$(LOCUST_VENV)/bin/python3 tools/make-locust-fixtures.sh

locust-history: $(LOCUST_VENV)/bin/locust
	LOCUST=$(LOCUST_VENV)/bin/locust tools/make-locust-history.sh

clean:
	rm -rf $(BUILD_DIR) dist $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
