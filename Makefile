# make demo: install dependencies, build, run the quickstart example with tracing.
# make test: install dependencies, build, run every test; then build and run every test again
#            under AddressSanitizer + UndefinedBehaviorSanitizer (SANITIZE_BUILD), then build the
#            libFuzzer targets with clang and run each for FUZZ_SECONDS (FUZZ_BUILD).
BUILD ?= build
SANITIZE_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 20
JOBS ?= $(shell nproc)

APT_PACKAGES := cmake ninja-build g++ pkg-config libyaml-dev libgrpc++-dev \
  protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libcurl4-openssl-dev \
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libsqlite3-dev libgtest-dev \
  libgmock-dev libbenchmark-dev zlib1g-dev openssl procps
# The fuzz targets need clang's libFuzzer; only `make test` installs them.
FUZZ_PACKAGES := clang libclang-rt-14-dev

.PHONY: deps build test demo clean format

deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@scripts/install-deps.sh $(FUZZ_PACKAGES)
	scripts/sanitize.sh $(SANITIZE_BUILD)
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

demo: build
	scripts/demo.sh $(BUILD)/weft

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD) $(SANITIZE_BUILD) $(FUZZ_BUILD)
