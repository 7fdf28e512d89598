# VexFS Semantic — build, test and demo entry points. `make help` lists the targets.

SHELL := /bin/bash
CARGO ?= cargo
CLUSTER := tests/e2e/cluster
E2E_STATE ?= /dev/shm/vexfs-e2e-test

.PHONY: help build test unit test-s3 e2e e2e-tools lint fmt generate generate-check demo demo-down bench bench-quality bench-scale clean-state

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

build: ## Build the operator, the engine and their tools (debug)
	$(CARGO) build --workspace --bins

test: unit test-s3 e2e ## Run every test: unit, HTTP, process-level, then end to end against a real control plane

unit: ## Unit, snapshot, CRD-drift, HTTP and process-level tests (no cluster)
	$(CARGO) test --workspace --exclude vexfs-e2e

S3_VENV ?= $(HOME)/.cache/vexfs-test/venv-$(shell sha256sum tests/s3/requirements.txt | cut -c1-12)

test-s3: ## Backup Jobs' S3 commands against a real S3 server (moto) on loopback
	test -x $(S3_VENV)/bin/moto_server || (python3 -m venv $(S3_VENV) && $(S3_VENV)/bin/pip install -q -r tests/s3/requirements.txt)
	PATH="$(S3_VENV)/bin:$$PATH" $(CARGO) test -p vexfs-operator --test day2_s3 -- --ignored

e2e-tools: ## Build (or find cached) kube-apiserver, etcd, kwok, helm, kubectl and the kstatus checker
	$(CLUSTER)/build.sh

e2e: ## End-to-end suite: starts a local control plane, runs tests/e2e against it, stops it
	$(CARGO) build -p vexfs-operator -p vexfs-engine --bins
	$(CLUSTER)/build.sh
	VEXFS_E2E_STATE=$(E2E_STATE) tests/e2e/run.sh

lint: ## Formatting, clippy with warnings denied, and generated-file drift
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(MAKE) generate-check

fmt: ## Format the code
	$(CARGO) fmt --all

generate: ## Regenerate crds/ and the chart's CRD copies from the Rust types
	$(CARGO) run -q -p vexfs-operator --bin crdgen

generate-check: ## Fail when the committed CRDs differ from the generated ones
	$(CARGO) test -q -p vexfs-operator --test crd_drift

demo: ## Local control plane + operator + sample VexfsSemantic + engine fed real HDFS events
	scripts/demo.sh

demo-down: ## Stop whatever a demo left running
	scripts/demo.sh down

bench: ## Criterion benchmarks of the engine's hot paths
	$(CARGO) bench -p vexfs-engine

N ?= 1000

bench-scale: ## The release operator with N resources (default 1000) on a local control plane
	tests/e2e/scale/bench-scale.sh $(N)

bench-quality: ## Analytics quality harnesses on ../shared/data with their Python peers
	bench/run.sh
