# replkit — every runbook step is a target. `make help` lists them.
# Pass flags to a step with ARGS, e.g. `make seed ARGS="--dry-run"`.
SHELL := /bin/bash
TSX   := node_modules/.bin/tsx
# The replkit command (bin/replkit.js over the build in dist/, compiled by make setup / deps).
REPLKIT := node bin/replkit.js
ARGS  ?=

.DEFAULT_GOAL := help
.PHONY: help setup deps up down status clean schema seed demo test typecheck lint format bench-seed bench-copy bench replicate rollback verify check bench-check bench-switchover bench-replicas \
        sync repair fix-conflict sequences sync-sequences chaos metrics switchover migrate

help: deps ## list the targets, and the nodes they act on
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'
	@$(REPLKIT) cluster nodes 2>/dev/null || echo "  (no nodes: the configuration does not load; see make check)"

setup: ## install PostgreSQL 15, pgTAP, pg_prove, Prometheus (Debian) and npm packages (PostgreSQL 16-18 builds) when missing; silent when ready
	@bash scripts/setup.sh

# Read-only targets need only the npm packages: they never install a server.
deps:
	@bash scripts/npm-deps.sh

# The two commands of the README
demo: setup ## the whole job on the local cluster: up, schema, seed, replicate, verify, final state
	@$(REPLKIT) up
	@$(REPLKIT) schema
	@$(REPLKIT) seed
	@$(REPLKIT) replicate --restart-primary
# The final state is printed even when a criterion fails; the exit status is verify's.
	@$(REPLKIT) verify; verdict=$$?; $(REPLKIT) final-state; exit $$verdict

test: setup ## every test: lint (Biome), typecheck, unit, integration (drills, bench --quick), pgTAP, make verify; "N passed, N failed"
	@$(TSX) scripts/run-tests.ts $(ARGS)

# The local cluster
up: setup ## start the local cluster (the nodes of PRIMARY_URL and REPLICA_URLS on loopback; see below)
	@$(REPLKIT) up

down: setup ## stop the local cluster cleanly
	@$(REPLKIT) down

status: deps ## show the local cluster's nodes
	@$(REPLKIT) status

clean: setup ## stop the local cluster and delete .cluster/
	@$(REPLKIT) cluster clean --yes

# The runbook, step by step
schema: setup ## apply sql/schema to every node (DDL is not replicated)
	@$(REPLKIT) schema $(ARGS)

seed: setup ## runbook step 1: seed data/products.json into the PRIMARY (ARGS="--dry-run", "--file PATH")
	@$(REPLKIT) seed $(ARGS)

check: deps ## runbook steps 2 and 5.1: health and consistency; prints OK/WARNING/CRITICAL (make exits 0 or 2: monitor with npm run check-replication)
	@$(REPLKIT) check $(ARGS)

replicate: setup ## runbook step 3: logical replication PRIMARY → replicas (idempotent; a new replica copied in one transaction from the slot's snapshot; ARGS="--dry-run", "--restart-primary" when wal_level must change, "--copy-method parallel --copy-jobs N", "--copy-method subscription")
	@$(REPLKIT) replicate $(ARGS)

sync: setup ## runbook step 4, safely: repair the differing rows, or copy the replica again when many differ, under live writes (ARGS="--yes [--replica R] [--table T] [--copy] [--dry-run]")
	@$(REPLKIT) sync $(ARGS)

verify: setup ## runbook step 5: the five success criteria as pgTAP suites run by pg_prove
	@$(REPLKIT) verify $(ARGS)

repair: setup ## only the rows of a replica that differ from the PRIMARY, under live writes; saves what it overwrites (ARGS="--replica R [--table T] --yes [--dry-run]")
	@$(REPLKIT) repair $(ARGS)

rollback: setup ## undo replication: subscriptions, slots, publication (ARGS="--yes [--revert-wal-level] [--drop-role]")
	@$(REPLKIT) rollback $(ARGS)

# Switchover: a replica becomes the PRIMARY (the major-version upgrade path)
migrate: setup ## schema changes while replicating, in the order that keeps apply running (ARGS="--file change.sql --yes [--dry-run]")
	@$(REPLKIT) migrate $(ARGS)

switchover: setup ## promote a replica with nothing lost; the old PRIMARY follows it (ARGS="--to replica1 --yes [--dry-run] [--write-env]")
	@$(REPLKIT) switchover $(ARGS)

# Monitoring
metrics: deps ## Prometheus exporter on METRICS_PORT (default 9720, loopback): /metrics, /healthz (ARGS="--canary", "--once")
	@$(REPLKIT) metrics $(ARGS)

# Repairs and drills
fix-conflict: setup ## a subscription stopped by an apply error: its LSN and key; ARGS="--resync --yes" or "--skip --yes"
	@$(REPLKIT) fix-conflict $(ARGS)

sequences: deps ## sequence values per node (not replicated); exit 1 when a replica is behind
	@$(REPLKIT) sequences $(ARGS)

sync-sequences: deps ## raise each replica's sequences to at least the PRIMARY's, never backwards (ARGS="--dry-run")
	@$(REPLKIT) sync-sequences $(ARGS)

chaos: up ## fault drills with figures: replica down, resync under load, PRIMARY restart, conflict, partition (ARGS="--drills LIST")
	@$(TSX) scripts/chaos.ts $(ARGS)

# Benchmarks and checks
bench: up ## the performance report: every benchmark vs its same-run baseline, plots in bench/results (ARGS="--quick")
	@$(TSX) scripts/bench.ts $(ARGS)

bench-seed: up ## make bench's seed section alone, at one size (make bench runs 300,000 and 1,000,000): seed vs raw COPY vs row-at-a-time, unreplicated and replicating, client memory (ARGS="--rows N")
	@$(TSX) scripts/bench.ts --only seed $(ARGS)

bench-copy: up ## make bench's initial-copy section alone: make replicate vs pg_dump + pg_restore and pgcopydb; a parallel copy killed half-way and resumed; one table of 5× the rows vs one COPY stream (ARGS="--rows N")
	@$(TSX) scripts/bench.ts --only copy $(ARGS)

bench-check: up ## make bench's compare-and-repair section alone, 10M products (database replkit_bench; ARGS="--rows N --keep")
	@$(TSX) scripts/bench.ts --only consistency $(ARGS)

bench-switchover: up ## make bench's switchover section alone: ten switchovers under pgbench through PgBouncer, every write pause
	@$(TSX) scripts/bench.ts --only switchover $(ARGS)

bench-replicas: up ## make bench's replicas section alone: replicate, check, a scrape and verify with 2, 5 and 10 replicas, each on a cluster of its own
	@$(TSX) scripts/bench.ts --only replicas $(ARGS)

typecheck: setup ## strict TypeScript check
	@node_modules/.bin/tsc --noEmit

lint: deps ## Biome: the formatter's and linter's verdict on scripts/, test/, bin/ (make format rewrites the files)
	@node_modules/.bin/biome ci --colors=off

format: deps ## Biome: format scripts/, test/, bin/ in place
	@node_modules/.bin/biome format --write
