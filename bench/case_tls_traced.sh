#!/bin/sh
# SPDX-License-Identifier: MIT
# Traced TLS: wrk against nginx over HTTPS, untraced vs agentrace --comm wrk
# vs a minimal bpftrace SSL_read/SSL_write uprobe script.
exec python3 -B "$(dirname "$0")/lib/tls_traced.py" "$@"
