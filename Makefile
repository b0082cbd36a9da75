# daedalus-v4l2: top-level build.  `make demo` decodes a stream through the
# device in a QEMU guest; `make check` runs every test (unit and guest).
#
#   make                 the daemon and tools (CMake, in build/host)
#   make module KDIR=..  the kernel module against a kernel build tree
#   make checkpatch      checkpatch.pl --strict on kernel/ and include/
#   make check           unit tests, sanitizer build, guest tests
#   make check-debug     the guest tests on the debug kernel (KASAN, lockdep, kmemleak, ...)
#   make conformance     the full conformance suites in the guest
#   make bench           bench/run: the benchmark table (docs/benchmarks.md; not a test)
#   make demo            build everything, boot the guest, decode a stream
#   make demo-arm64      the same in an arm64 guest (16K pages); slow, so in
#                        neither `make check` nor CI (docs/testing.md)
#   make install DESTDIR=.. PREFIX=/usr
#                        what the two Debian packages hold (docs/install.md)
#   make version         the version (CMakeLists.txt's project(), the only place)

KDIR ?= /lib/modules/$(shell uname -r)/build
BUILD ?= build
JOBS ?= 2
# The unit runs /usr/sbin/daedalusd: another PREFIX needs it edited.
PREFIX ?= /usr
VERSION := $(shell sed -n 's/^project(daedalus-v4l2 VERSION \([0-9.]*\) .*)$$/\1/p' CMakeLists.txt)
# DKMS takes module sources from /usr/src only.
DKMS_SRC = $(DESTDIR)/usr/src/daedalus-v4l2-$(VERSION)

.PHONY: all daemon module checkpatch unit asan check check-debug guest-check conformance bench demo demo-arm64 \
	install install-daemon install-dkms version clean

all: daemon

daemon:
	cmake -S . -B $(BUILD)/host -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/host -j$(JOBS)

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
	tools/deps.sh ensure check
	tests/check.sh

# Not part of `make check` (nor of .ci/run): see tests/guest/README.md for its cost.
check-debug:
	tools/deps.sh ensure check-debug
	tests/check.sh --debug-kernel

guest-check:
	tests/vm/run -- tests/guest/run-all.sh

conformance:
	tests/conformance.sh

bench:
	bench/run

demo:
	tools/deps.sh ensure demo
	tests/demo.sh

# Not part of `make check` (nor of .ci/run): its first run builds the arm64
# root under qemu-user (docs/testing.md says what it costs).
demo-arm64:
	tools/deps.sh ensure demo-arm64
	tests/demo.sh --arch arm64

install: install-daemon install-dkms

# daedalusd: the daemon, its man page, unit, sysusers, udev rule and docs (CMake's install rules).
install-daemon: daemon
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)/host --prefix $(PREFIX)

# daedalus-v4l2-dkms: the module's sources for DKMS (kernel/dkms.conf) and its modules-load.d entry.
install-dkms:
	@test -n "$(VERSION)" || { echo "no project() version in CMakeLists.txt" >&2; exit 1; }
	install -d $(DKMS_SRC)/kernel $(DKMS_SRC)/include $(DKMS_SRC)/tools
	install -m 644 kernel/Kbuild kernel/Makefile $(filter-out %.mod.c,$(wildcard kernel/*.c)) \
		$(wildcard kernel/*.h) $(DKMS_SRC)/kernel/
	install -m 644 include/daedalus_proto.h $(DKMS_SRC)/include/
	install -m 755 tools/build-m2m.sh $(DKMS_SRC)/tools/
	sed 's/#MODULE_VERSION#/$(VERSION)/' kernel/dkms.conf > $(DKMS_SRC)/dkms.conf
	chmod 644 $(DKMS_SRC)/dkms.conf
	install -D -m 644 kernel/modules-load.d.conf \
		$(DESTDIR)$(PREFIX)/lib/modules-load.d/daedalus-v4l2.conf

version:
	@echo $(VERSION)

clean:
	rm -rf $(BUILD)
	$(MAKE) -C kernel clean 2>/dev/null || true
