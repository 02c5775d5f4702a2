# SPDX-License-Identifier: MIT
# The front door. `make run` and `make check` each set up everything they need.
.PHONY: all deps build run check unit api format format-check check-src crash-test bench fuzz clean

all: build

deps:
	@scripts/install-deps

# Release binary at build/patron (benchmarks and scripts rely on this path), with the web faces
# built by Vite and embedded (docs/web.md): `npm ci` only when web/package-lock.json changed
# since the last install, the Vite build only when a file of web/ changed.
build: deps
	@cmake --preset release -S . >/dev/null
	@cmake --build build -j2

run: build
	@scripts/run.sh

# Sanitizer build, every unit and API test, formatting and source rules; the release build too,
# which `make run` and the benchmarks use (warnings are errors there as well). Three tests at a
# time: the API suites on SQLite and on PostgreSQL (the longest, COST in tests/CMakeLists.txt,
# each in two pytest workers) and the browser tests run side by side, each mostly waiting on
# its servers, so a run takes about the longest of them.
check: deps format-check check-src build
	@cmake --preset asan -S . >/dev/null
	@cmake --build build-asan -j2
	@cd build-asan && ctest -j3 --output-on-failure

unit: deps
	@cmake --preset asan -S . >/dev/null
	@cmake --build build-asan -j2
	@cd build-asan && ctest --output-on-failure -L unit

# Twenty SIGKILLs of the release server under load, then power cuts, kills inside checkpoints and
# migrations and failing fsyncs through the fault VFS (tests/fault/faultvfs.c); prints crashes,
# acknowledged, lost, duplicated.
crash-test: build
	@cc -shared -fPIC -O2 -o build/libpt_faultvfs.so tests/fault/faultvfs.c -lsqlite3 -lpthread
	@PATRON_BIN=build/patron PATRON_FAULTVFS=build/libpt_faultvfs.so /usr/bin/python3 \
		tests/crash/crash_test.py --kills 20 --power-cuts 10 --checkpoint-kills 5 \
		--migration-kills 10 --fsync-failures 3

# Throughput and latency beside baselines measured in the same run (bench/run_bench.py).
bench: build
	@scripts/install-deps bench
	@/usr/bin/python3 bench/run_bench.py
	@cd web && PATRON_BIN=$(CURDIR)/build/patron node --import tsx tests/first-render.bench.ts

# libFuzzer on every request decoder for FUZZ_SECONDS each (default 60); new findings join
# fuzz/corpus/<target>/ (-merge=1 keeps the corpus small).
FUZZ_SECONDS ?= 60
fuzz:
	@scripts/install-deps fuzz
	@cmake --preset fuzz -S . >/dev/null
	@cmake --build build-fuzz -j2
	@for t in member purchase return rule code wire; do \
	    mkdir -p build-fuzz/corpus-$$t; \
	    build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        build-fuzz/corpus-$$t fuzz/corpus/$$t 2>&1 | tail -n 3 || exit 1; \
	    build-fuzz/fuzz_$$t -merge=1 fuzz/corpus/$$t build-fuzz/corpus-$$t >/dev/null 2>&1; \
	done

format:
	@clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c' 'fuzz/*.h' 'bench/*.c')

format-check: deps
	@clang-format --dry-run -Werror $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h' 'fuzz/*.c' 'fuzz/*.h' 'bench/*.c')

check-src:
	@scripts/check_src.sh

clean:
	rm -rf build build-asan build-dev build-fuzz
