#!/bin/sh
# SPDX-License-Identifier: MIT
# Cost per traced TLS call for each probe kind: Go crypto/tls (entry + RET
# uprobes) and the aws-lc/BoringSSL AEAD record probes (rustls's) beside
# OpenSSL (uprobe + uretprobe), same run.
exec python3 -B "$(dirname "$0")/lib/probe_cost.py" "$@"
