# daedalus-v4l2: top-level build.  `make demo` decodes a stream through the
# device in a QEMU guest; `make check` runs every test (unit and guest).
#
#   make                 the daemon and tools (CMake, in build/host)
#   make module KDIR=..  the kernel module against a kernel build tree
#   make checkpatch      checkpatch.pl --strict on kernel/ and include/
#   make check           unit tests, sanitizer build, guest tests
#   make check-debug     the guest tests on the debug kernel (KASAN, lockdep, kmemleak, ...)
#   make conformance     the full conformance suites in the guest
#   make demo            build everything, boot the guest, decode a stream

KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD ?= build

.PHONY: all daemon module checkpatch unit asan check check-debug guest-check conformance demo clean

all: daemon

daemon:
	cmake -S . -B $(BUILD)/host -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/host -j2

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules

checkpatch:
	tools/checkpatch.sh

unit: daemon
	ctest --test-dir $(BUILD)/host --output-on-failure

asan:
	cmake -S . -B $(BUILD)/asan -DCMAKE_BUILD_TYPE=Debug -DDAEDALUS_SANITIZE=ON
	cmake --build $(BUILD)/asan -j2
	ctest --test-dir $(BUILD)/asan --output-on-failure

check:
	tests/check.sh

# Not part of `make check` (nor of .ci/run): see tests/guest/README.md for its cost.
check-debug:
	tests/check.sh --debug-kernel

guest-check:
	tests/vm/run -- tests/guest/run-all.sh

conformance:
	tests/conformance.sh

demo:
	tests/demo.sh

clean:
	rm -rf $(BUILD)
	$(MAKE) -C kernel clean 2>/dev/null || true
