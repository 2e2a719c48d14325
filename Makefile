# make demo: install dependencies, build, run the quickstart example with tracing.
# make test: install dependencies, build, run every test.
BUILD ?= build
JOBS ?= $(shell nproc)

APT_PACKAGES := cmake ninja-build g++ pkg-config libyaml-dev libgrpc++-dev \
  protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libcurl4-openssl-dev \
  nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libsqlite3-dev libgtest-dev \
  libgmock-dev libbenchmark-dev zlib1g-dev openssl procps

.PHONY: deps build test demo clean format

deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)/weft

format:
	clang-format -i $$(git ls-files '*.h' '*.cc')

clean:
	rm -rf $(BUILD)
