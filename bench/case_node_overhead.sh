#!/bin/sh
# SPDX-License-Identifier: MIT
# Node overhead on untargeted traffic: wrk against nginx, plaintext HTTP,
# untraced vs agentrace --comm other vs agentrace tracing everything.
exec python3 -B "$(dirname "$0")/lib/node_overhead.py" "$@"
