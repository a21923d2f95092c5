# The two set-up commands are `make run` and `make test`; the rest are for developers.
CARGO_TARGET_DIR ?= $(HOME)/.cache/arranger-target
export CARGO_TARGET_DIR

.PHONY: run test lint schema bench web

# The web UI's packages, installed again only when package-lock.json changes. `npm install`
# (which keeps to the lock file) rather than `npm ci`: the registry here records no other
# platforms' optional packages (Tailwind's native builds), and `npm ci` refuses such a lock.
WEB_DEPS := web/node_modules/.package-lock.json

$(WEB_DEPS): web/package-lock.json
	cd web && npm install --no-audit --no-fund

## Build the web UI into web/dist (embedded in the server binary when it is built).
web: $(WEB_DEPS)
	cd web && npm run build

## Build and start the server in single-user mode on the current directory.
run: web
	cargo run --release -p arranger -- serve

## Every test: unit, property, integration (real server on ephemeral ports) and CLI tests.
## Then the web UI's component tests (Vitest) and its end-to-end tests, which drive Debian's
## Chromium (playwright-core) against the real server and the fake LLM.
test: web
	cargo test --workspace --all-targets
	cd web && npm test
	cargo build -p arranger -p arranger-fake-llm
	cd web && npm run e2e

## Formatting and lints, as CI checks them.
lint: $(WEB_DEPS)
	cd web && npx tsc --noEmit
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

## Regenerate docs/protocol.schema.json, web/src/protocol.gen.ts and the reference part of docs/protocol.md
## from the Rust types, and docs/openapi.json from the HTTP handlers.
schema:
	cargo run -q -p arranger -- schema > docs/protocol.schema.json
	cargo run -q -p arranger -- schema --openapi > docs/openapi.json
	cargo run -q -p arranger -- schema --typescript > web/src/protocol.gen.ts
	cargo run -q -p arranger -- schema --markdown > target-reference.md.tmp
	sed -n '1,/^<!-- reference:start -->$$/p' docs/protocol.md > protocol.md.tmp
	cat target-reference.md.tmp >> protocol.md.tmp
	sed -n '/^<!-- reference:end -->$$/,$$p' docs/protocol.md >> protocol.md.tmp
	mv protocol.md.tmp docs/protocol.md && rm -f target-reference.md.tmp

## The density and latency benchmark (see docs/benchmarks.md).
bench:
	cargo build --release -p arranger
	$(CARGO_TARGET_DIR)/release/arranger bench
