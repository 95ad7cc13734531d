#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the benchmark helpers into build/bench/ with the project's flags.
set -eu
cd "$(dirname "$0")/.."
mkdir -p build/bench
cflags=$(make -s print-cflags)
libs=$(make -s print-ldlibs | sed 's/-lcriterion//')
# shellcheck disable=SC2086
gcc $cflags -o build/bench/gen_capture bench/gen_capture.c user/capture/file.c user/common/safe_file.c \
	user/common/log.c $libs
# shellcheck disable=SC2086
gcc $cflags -o build/bench/floor_probes bench/floor_probes.c user/discover/elf_image.c \
	user/capture/uprobe_multi.c $libs
# shellcheck disable=SC2086
gcc $cflags -o build/bench/floor_tracepoints bench/floor_tracepoints.c $libs
# TLS 1.3 records through BoringSSL's AEAD API, as rustls makes them
# (android-libboringssl-dev, scripts/deps.sh); the echo server is a copy so
# that agentrace --comm aead_pingpong traces the client only.
boring=/usr/lib/x86_64-linux-gnu/android
# shellcheck disable=SC2086
gcc $cflags -I/usr/include/android -o build/bench/aead_pingpong bench/aead_pingpong.c \
	-L$boring -Wl,-rpath,$boring -lcrypto
cp build/bench/aead_pingpong build/bench/aead_echo
# A -fcf-protection function (endbr64; push) for the probe_points case.
gcc -O2 -fcf-protection=full -fno-omit-frame-pointer -o build/bench/cet_loop bench/cet_loop.c
