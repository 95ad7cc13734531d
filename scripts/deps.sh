#!/bin/sh
# Install build, runtime and test dependencies from Debian bookworm.
# Idempotent and quick when everything is already present.
set -eu
PKGS="make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool
node-llhttp libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
libcriterion-dev libcurl4-openssl-dev libjansson-dev libbrotli-dev
libzstd-dev libxxhash-dev libclang-rt-14-dev libyaml-dev openssl curl
python3-grpcio python3-protobuf python3-prometheus-client
libcapstone-dev libnghttp2-dev golang-go android-libboringssl-dev"
# `deps.sh bench` adds the benchmark tools (make bench).
[ "${1:-}" = bench ] && PKGS="$PKGS wrk nginx-light bpftrace valgrind zstd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# node 20 and python3 come with the machine image; say so if they are gone.
for c in node npm python3; do
	command -v "$c" >/dev/null || echo "deps: warning: $c not found (needed by end-to-end tests)" >&2
done
