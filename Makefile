# Jobline — the verbs of ARCHITECTURE.md. Every target installs what it needs first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
LOCAL := deploy/local

.PHONY: help install up down run test lint bench chaos contracts release-contracts screenshots

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install:  ## install system packages, Python dependencies and the Kafka jars (idempotent)
	@bash $(LOCAL)/install-system.sh
	@uv sync --locked --quiet
	@bash $(LOCAL)/kafka.sh install

up: install  ## start Kafka, PostgreSQL and the services in the background, load demo data
	@bash $(LOCAL)/postgres.sh start && bash $(LOCAL)/postgres.sh wait && bash $(LOCAL)/postgres.sh ensure-db
	@bash $(LOCAL)/kafka.sh start && bash $(LOCAL)/kafka.sh wait
	@bash $(LOCAL)/services.sh start
	@uv run --locked python deploy/demo/load_demo.py
	@bash $(LOCAL)/services.sh env > .run/env
	@echo "stack is up: console and API at http://127.0.0.1:8000 (settings in .run/env)"

down:  ## stop everything `make up` started
	@bash $(LOCAL)/services.sh stop
	@bash $(LOCAL)/kafka.sh stop
	@bash $(LOCAL)/postgres.sh stop

run: install  ## the stack in the foreground with demo data; Ctrl-C stops everything
	@bash $(LOCAL)/run.sh

test: install  ## every test, unit to end-to-end, against real Kafka and PostgreSQL
	@uv run --locked pytest

lint:  ## ruff, format check, mypy strict, import rules, the contracts' compatibility gate
	@uv run --locked ruff check .
	@uv run --locked ruff format --check .
	@uv run --locked mypy contracts/src libs/infra/src services/jobs/src services/comms/src services/invoicing/src \
		deploy/sandboxes/src ops/src chaos examples/lifecycle-consumer/src
	@uv run --locked lint-imports
	@uv run --locked jobline-contracts compat

chaos: install  ## fault injection on its own Kafka/PostgreSQL: kills and restarts under load, then checks nothing was lost or sent twice
	@PYTHONPATH=tests uv run --locked python -m chaos

bench: install  ## the benchmarks; writes bench/results.md
	@uv run --locked python -m bench

screenshots: install  ## the console's list and each dialog as PNGs in docs/screenshots/ (starts its own jobs service)
	@PYTHONPATH=tests uv run --locked python tests/e2e/console/screenshots.py

contracts:  ## regenerate JSON Schemas and docs/asyncapi.yaml from the contract models
	@uv run --locked jobline-contracts export

release-contracts:  ## freeze contracts/schemas as contracts/released/<jobline-contracts version> (AMEND=1 re-cuts an unpublished one)
	@uv run --locked jobline-contracts release $(if $(AMEND),--amend)
