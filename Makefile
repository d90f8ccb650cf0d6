# Thin wrapper over CMake; see README.md. Each entry point installs its own Debian packages first.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
# Newer Keas, each built in a cached Debian chroot (scripts/kea-chroot.sh): trixie = Kea 2.6,
# sid = Kea 3.0, into build-<suite>/. KEA_MATRIX_TARGETS empty = every target.
KEA_SUITES ?= trixie sid
KEA_BUILDS := $(addprefix build-,$(KEA_SUITES))
KEA_MATRIX_TARGETS ?=
# Debian releases whose packages `make deb` builds in their chroot besides this machine's; `make
# test` builds them into $(BUILD)/deb-<suite>/ for the ctest debian_packages_<suite>, which installs
# and autopkgtests them in that chroot.
DEB_SUITES ?= trixie
DEB_TEST_DIRS := $(addprefix $(BUILD)/deb-,$(DEB_SUITES))

.PHONY: all deps build build-asan test test-unit format format-check demo bench deb clean \
        kea-matrix kea-matrix-unit $(KEA_BUILDS) $(DEB_TEST_DIRS)

all: build

deps:
	scripts/install-deps.sh deps/*.txt

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN_BUILD)/CMakeCache.txt:
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DRPI_NETBOOT_SANITIZE=ON $(CMAKE_ARGS)

build-asan: deps $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# The hook, daemons, probe and tests built against each newer Kea (the host's own is `build`).
kea-matrix: $(KEA_BUILDS)

$(KEA_BUILDS): build-%: deps
	scripts/kea-chroot.sh build $* build-$* $(KEA_MATRIX_TARGETS)

# Unit tests of each matrix build, run inside its chroot.
kea-matrix-unit: kea-matrix
	for s in $(KEA_SUITES); do scripts/kea-chroot.sh run $$s -- ctest --test-dir build-$$s -L unit --output-on-failure -j$(JOBS) || exit 1; done

format:
	scripts/format.sh fix

format-check: deps
	scripts/format.sh check

# Every test: formatting, the full suite on the release build, unit and fuzz tests under ASan+UBSan.
# kea-matrix-unit: the whole tree also builds against Kea 2.6 and 3.0 (build-trixie/sid, GCC 14
# and 16, Catch2 v3) and passes its unit tests there; the hook's integration tests then run
# against those Keas with the hook from those trees.
test: format-check build build-asan kea-matrix-unit $(DEB_TEST_DIRS)
	ctest --test-dir $(ASAN_BUILD) -L 'unit|fuzz' --output-on-failure
	@# The report ends with the Kea versions the hook's integration tests ran against.
	ctest --test-dir $(BUILD) --output-on-failure --output-junit $(abspath $(BUILD))/ctest-junit.xml; \
	    status=$$?; /usr/bin/python3 tests/hook/kea_versions.py $(BUILD)/ctest-junit.xml || status=1; \
	    exit $$status

$(DEB_TEST_DIRS): $(BUILD)/deb-%: deps
	scripts/build-debs.sh --suite $* --out $@ --jobs $(JOBS)

test-unit: build
	ctest --test-dir $(BUILD) -L unit --output-on-failure

demo: build
	tests/lab/demo.py --build $(BUILD)

bench: build
	bench/run.sh --build $(BUILD)

# Packages for this machine's Debian (Kea 2.2 on Debian 12) and for each of DEB_SUITES, built in
# its chroot (build-deb-<suite>/); each depends on exactly the Kea it was built against.
deb: deps
	scripts/build-debs.sh
	for s in $(DEB_SUITES); do scripts/build-debs.sh --suite $$s || exit 1; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(KEA_BUILDS)
