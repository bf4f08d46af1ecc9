# Front door. `make run` and `make test` work on a fresh Debian 12 machine: they install what is
# missing (apt, as root), build, and run. Everything else is for developers.
SHELL := /bin/bash
.DEFAULT_GOAL := build
JOBS ?= $(shell nproc)
CONFIG ?= config/rustsocks.toml

BUILD_PKGS := cmake g++ make ninja-build ccache pkg-config libboost1.81-dev libtomlplusplus-dev \
  nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev libcrypt-dev \
  libssl-dev libpam0g-dev
TEST_PKGS := python3 python3-socks curl iproute2 procps clang-format-14 prometheus \
  libpam-wrapper libnss-wrapper pamtester libpam-modules
FUZZ_PKGS := clang-14 libclang-rt-14-dev
BENCH_PKGS := libbenchmark-dev microsocks dante-server iproute2 procps

.PHONY: deps deps-test deps-fuzz deps-bench build run test test-asan test-tsan bench bench-auth bench-udp fuzz \
  format check-format tidy clean

deps:
	@tools/install-deps.sh $(BUILD_PKGS)

deps-test: deps
	@tools/install-deps.sh $(TEST_PKGS)

deps-fuzz: deps
	@tools/install-deps.sh $(FUZZ_PKGS)

deps-bench: deps
	@tools/install-deps.sh $(BENCH_PKGS)

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

run: build
	@tools/ensure-run-user.sh "$$(sed -n 's/^user *= *"\(.*\)".*/\1/p' $(CONFIG) | head -n 1)"
	exec build/release/rustsocks --config $(CONFIG)

test: deps-test build
	cd build/release && ctest --output-on-failure -j $(JOBS) --timeout 300

test-asan: deps-test
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS) --timeout 600

test-tsan: deps-test
	cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)
	cd build/tsan && TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/tools/tsan.supp" ctest --output-on-failure -j $(JOBS) --timeout 600

bench: deps-bench build
	bench/compare.sh build/release/rustsocks

bench-auth: deps-bench build
	bench/auth_compare.sh build/release/rustsocks

bench-udp: deps-bench build
	bench/udp_compare.sh build/release/rustsocks

fuzz: deps-fuzz
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)
	tools/run-fuzzers.sh build/fuzz $(or $(FUZZ_SECONDS),60)

format:
	tools/check-format.sh --fix

check-format:
	tools/check-format.sh

tidy:
	tools/run-tidy.sh

clean:
	rm -rf build
