# The two set-up commands are `make run` and `make test`; the rest are for developers.
CARGO_TARGET_DIR ?= $(HOME)/.cache/arranger-target
export CARGO_TARGET_DIR

.PHONY: run test lint schema bench

## Build and start the server in single-user mode on the current directory.
run:
	cargo run --release -p arranger -- serve

## Every test: unit, property, integration (real server on ephemeral ports) and CLI tests.
test:
	cargo test --workspace --all-targets

## Formatting and lints, as CI checks them.
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

## Regenerate docs/protocol.schema.json and the reference part of docs/protocol.md from the Rust types.
schema:
	cargo run -q -p arranger -- schema > docs/protocol.schema.json
	cargo run -q -p arranger -- schema --markdown > target-reference.md.tmp
	sed -n '1,/^<!-- reference:start -->$$/p' docs/protocol.md > protocol.md.tmp
	cat target-reference.md.tmp >> protocol.md.tmp
	sed -n '/^<!-- reference:end -->$$/,$$p' docs/protocol.md >> protocol.md.tmp
	mv protocol.md.tmp docs/protocol.md && rm -f target-reference.md.tmp

## The density and latency benchmark (see docs/benchmarks.md).
bench:
	cargo build --release -p arranger
	$(CARGO_TARGET_DIR)/release/arranger bench
