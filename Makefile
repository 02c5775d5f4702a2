# SPDX-License-Identifier: MIT
# The front door. `make run` and `make check` each set up everything they need.
.PHONY: all deps build run check unit api format format-check check-src crash-test bench clean

all: build

deps:
	@scripts/install-deps

# Release binary at build/patron (benchmarks and scripts rely on this path).
build: deps
	@cmake --preset release -S . >/dev/null
	@cmake --build build -j2

run: build
	@scripts/run.sh

# Sanitizer build, every unit and API test, formatting and source rules.
check: deps format-check check-src
	@cmake --preset asan -S . >/dev/null
	@cmake --build build-asan -j2
	@cd build-asan && ctest --output-on-failure

unit: deps
	@cmake --preset asan -S . >/dev/null
	@cmake --build build-asan -j2
	@cd build-asan && ctest --output-on-failure -L unit

# Twenty SIGKILLs of the release server under load; prints crashes, acknowledged, lost, duplicated.
crash-test: build
	@PATRON_BIN=build/patron /usr/bin/python3 tests/crash/crash_test.py --kills 20

# Throughput and latency beside baselines measured in the same run (bench/run_bench.py).
bench: build
	@scripts/install-deps bench
	@/usr/bin/python3 bench/run_bench.py

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

format-check: deps
	@clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')

check-src:
	@scripts/check_src.sh

clean:
	rm -rf build build-asan build-dev
