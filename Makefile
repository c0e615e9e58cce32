# Thin wrapper over CMake: the README's commands.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all setup configure build test test-asan bench run demo clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt:
	@$(MAKE) --no-print-directory setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

configure: $(BUILD)/CMakeCache.txt

build: configure
	cmake --build $(BUILD) -j $(JOBS)

test: setup build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Unit tests under AddressSanitizer and UndefinedBehaviorSanitizer (CPU engine
# only: the CUDA backend is checked on a GPU, scripts/gpu_check.sh).
test-asan: setup
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTPLR_SANITIZE=ON -DTPLR_CUDA=OFF
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -L unit -j $(JOBS)

bench: setup build
	bash bench/run.sh

run: setup build
	bash scripts/run.sh

# The single-node demo: train the tiny model alone, then let it write.
demo: setup build
	bash scripts/train_demo.sh

clean:
	rm -rf $(BUILD) $(BUILD)-asan
