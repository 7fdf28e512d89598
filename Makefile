# VexFS Semantic — build, test and demo entry points. `make help` lists the targets.

SHELL := /bin/bash
CARGO ?= cargo
CLUSTER := tests/e2e/cluster
E2E_STATE ?= /dev/shm/vexfs-e2e-test

.PHONY: help build test unit test-s3 test-openapi test-oidc test-cluster e2e e2e-tools lint fmt generate generate-check demo demo-down bench bench-quality bench-nab bench-ingest clean-state test-known-answer bench-hdfs test-monitoring test-rules test-health monitoring-drift monitoring-tools install-plugin bench-scale bench-cluster

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

build: ## Build the operator, the engine and their tools (debug)
	$(CARGO) build --workspace --bins

test: unit test-s3 test-openapi test-oidc test-cluster test-monitoring e2e ## Run every test: unit, HTTP, process-level, OpenAPI, OIDC, clustered mode, monitoring, then end to end against a real control plane

unit: ## Unit, snapshot, CRD-drift, HTTP and process-level tests (no cluster)
	$(CARGO) test --workspace --exclude vexfs-e2e

S3_VENV ?= $(HOME)/.cache/vexfs-test/venv-$(shell sha256sum tests/s3/requirements.txt | cut -c1-12)

test-s3: ## Backup Jobs' S3 commands against a real S3 server (moto) on loopback
	test -x $(S3_VENV)/bin/moto_server || (python3 -m venv $(S3_VENV) && $(S3_VENV)/bin/pip install -q -r tests/s3/requirements.txt)
	PATH="$(S3_VENV)/bin:$$PATH" $(CARGO) test -p vexfs-operator --test day2_s3 -- --ignored

OPENAPI_VENV ?= $(HOME)/.cache/vexfs-test/venv-openapi-$(shell sha256sum tests/openapi/requirements.txt | cut -c1-12)

test-openapi: ## The engine's generated OpenAPI document through openapi-spec-validator (the drift tests run in `unit`)
	test -x $(OPENAPI_VENV)/bin/openapi-spec-validator || (python3 -m venv $(OPENAPI_VENV) && $(OPENAPI_VENV)/bin/pip install -q -r tests/openapi/requirements.txt)
	PATH="$(OPENAPI_VENV)/bin:$$PATH" $(CARGO) test -p vexfs-engine --test openapi_drift -- --ignored

test-oidc: ## Engine OIDC bearer tokens against a real OpenID provider (zitadel/oidc example OP) on loopback
	op="$$(tests/oidc/build.sh | tail -n1)" && \
	  VEXFS_OIDC_OP="$$op" $(CARGO) test -p vexfs-engine --test oidc_provider -- --ignored

test-cluster: ## Clustered engine replicas on a real 3-node NATS JetStream cluster (nats-server built from its Go module) on loopback
	nats="$$(tests/nats/build.sh | tail -n1)" && \
	  VEXFS_NATS_SERVER="$$nats" $(CARGO) test -p vexfs-engine --test cluster_ingest --test cluster_faults --test cluster_rebalance --test cluster_queries --test cluster_backup -- --ignored --test-threads=1

PREFIX ?= $(HOME)/.local

install-plugin: ## Build kubectl-vexfs (release) and install it as $(PREFIX)/bin/kubectl-vexfs for `kubectl vexfs`
	$(CARGO) build --release -p kubectl-vexfs
	install -D -m 0755 target/release/kubectl-vexfs $(PREFIX)/bin/kubectl-vexfs
	@echo "installed $(PREFIX)/bin/kubectl-vexfs; with $(PREFIX)/bin on PATH, run: kubectl vexfs --help"

PROM_TOOLS := monitoring/tools/build.sh

monitoring-tools: ## Build (or find cached) Prometheus, promtool and promcheck
	$(PROM_TOOLS)

test-monitoring: test-rules test-health monitoring-drift ## Alert rule unit tests, promcheck's own tests and the Argo CD health checks

test-rules: ## promtool check and unit tests of the alert rules (monitoring/rules)
	bin="$$($(PROM_TOOLS) | tail -n1)" && \
	  "$$bin/promtool" check rules monitoring/rules/vexfs.rules.yaml && \
	  cd monitoring/rules && "$$bin/promtool" test rules vexfs.rules.test.yaml
	cd monitoring/tools && go test ./...

test-health: ## Argo CD health.lua checks run by gopher-lua on their testdata
	cd monitoring/argocd && go test ./...

e2e-tools: ## Build (or find cached) kube-apiserver, etcd, kwok, helm, kubectl and the kstatus checker
	$(CLUSTER)/build.sh

e2e: ## End-to-end suite: starts a local control plane, runs tests/e2e against it, stops it
	$(CARGO) build -p vexfs-operator -p vexfs-engine -p kubectl-vexfs --bins
	$(CLUSTER)/build.sh
	VEXFS_E2E_STATE=$(E2E_STATE) tests/e2e/run.sh

lint: ## Formatting, clippy with warnings denied, and generated-file drift
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) generate-check

fmt: ## Format the code
	$(CARGO) fmt --all

CHART_FILES := charts/vexfs-operator/files

generate: ## Regenerate crds/ and the chart's CRD copies from the Rust types; copy rules and dashboards into the chart
	$(CARGO) run -q -p vexfs-operator --bin crdgen
	cp monitoring/rules/vexfs.rules.yaml $(CHART_FILES)/
	rm -f $(CHART_FILES)/dashboards/*.json && cp monitoring/grafana/*.json $(CHART_FILES)/dashboards/

generate-check: monitoring-drift ## Fail when committed generated files differ from their sources
	$(CARGO) test -q -p vexfs-operator --test crd_drift

monitoring-drift: ## Fail when the chart's copies of the rules or dashboards differ from monitoring/
	diff -u monitoring/rules/vexfs.rules.yaml $(CHART_FILES)/vexfs.rules.yaml
	diff -ru monitoring/grafana $(CHART_FILES)/dashboards

demo: ## Local control plane + operator + sample VexfsSemantic + engine fed real HDFS events; dashboard up until Ctrl-C
	scripts/demo.sh --keep

demo-down: ## Stop whatever a demo left running
	scripts/demo.sh down

bench: ## Criterion benchmarks of the engine's hot paths
	$(CARGO) bench -p vexfs-engine

N ?= 1000

bench-scale: ## The release operator with N resources (default 1000) on a local control plane
	tests/e2e/scale/bench-scale.sh $(N)

bench-quality: ## Analytics quality harnesses on ../shared/data with their Python peers
	bench/run.sh

NAB ?= ../shared/data/nab

bench-nab: ## NAB scores of the series detector: in-sample and leave-one-category-out
	$(CARGO) build --release --quiet -p vexfs-engine --bin vexfs-nab
	target/release/vexfs-nab --nab $(NAB) --loco

bench-ingest: ## 1M-event HTTP ingest, analytics off and on, beside VictoriaLogs (3 runs each)
	bench/ingest_peer.sh

bench-cluster: ## Clustered mode on NATS: ingest (standalone, 1 and 3 replicas) and query fan-out latency
	bench/cluster_ingest.sh
	bench/cluster_query.sh

test-known-answer: ## The known-answer stream through the real binary (also part of `make unit`)
	$(CARGO) test -p vexfs-engine --test known_answer

BENCH_VENV ?= $(HOME)/.cache/vexfs-bench/venv-$(shell sha256sum bench/requirements.txt | cut -c1-12)

bench-hdfs: ## HDFS session verdicts (P/R/F1) beside IsolationForest, PCA and a DeepLog-style baseline
	test -x $(BENCH_VENV)/bin/python || (python3 -m venv $(BENCH_VENV) && $(BENCH_VENV)/bin/pip install -q -r bench/requirements.txt)
	$(CARGO) build --release -q -p vexfs-engine --bin vexfs-engine
	$(BENCH_VENV)/bin/python bench/hdfs_sessions.py --engine target/release/vexfs-engine
