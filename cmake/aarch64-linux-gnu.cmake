# SPDX-License-Identifier: BSD-2-Clause
# CMake toolchain file: the daemon, tools and unit tests for arm64 (the
# Raspberry Pi 5) with Debian's cross compiler, against arm64 development
# packages installed through multiarch (dpkg --add-architecture arm64;
# apt-get install gcc-aarch64-linux-gnu libc6-dev:arm64 libavcodec-dev:arm64
# libavutil-dev:arm64 libdav1d-dev:arm64 linux-libc-dev:arm64).
#
#   cmake -S . -B build/arm64 --toolchain cmake/aarch64-linux-gnu.cmake
#
# Debian's cross gcc searches /usr/include/aarch64-linux-gnu and
# /usr/lib/aarch64-linux-gnu itself, so the sysroot is /; only programs and
# libraries found by CMake need steering.  tools/cross-arm64.sh uses this.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
# find_library() searches /usr/lib/aarch64-linux-gnu (not x86_64's);
# find_program() finds host programs.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
# pkg-config (not used by the build today) would read arm64's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
