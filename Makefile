# Entry points; the work is done by scripts/*.sh (usable without make too).
.PHONY: build run test bench tools

build:
	bash scripts/ensure-tools.sh build
	bash scripts/build.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench:
	bash scripts/bench.sh

tools:
	bash scripts/ensure-tools.sh bench
