# Thin wrapper over CMake. `make run` and `make test` work on a fresh Debian machine.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build run test bench sanitize validate clean

all: build

deps:
	@scripts/setup-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) > /dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Default scenario: one training step of LLM-jp-3 172B on 64 DGX H100 nodes.
run: build
	@mkdir -p out
	$(BUILD)/clustertwin train --scenario examples/llmjp3-172b-h100.yaml --trace out/llmjp3-172b-step.json
	@echo "timeline written to out/llmjp3-172b-step.json (open in https://ui.perfetto.dev or chrome://tracing)"

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@for b in $(BUILD)/bench_*; do $$b; done

sanitize: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCLUSTERTWIN_SANITIZE=ON -DCLUSTERTWIN_BENCH=OFF > /dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ctest --output-on-failure -j $(JOBS)

validate: build
	@validation/run.sh

clean:
	rm -rf $(BUILD) build-asan
