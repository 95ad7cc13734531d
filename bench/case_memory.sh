#!/bin/sh
# SPDX-License-Identifier: MIT
# Memory: agentrace RSS idle, with 10k open traced connections, and before
# and after 1,000 short-lived traced processes.
exec python3 -B "$(dirname "$0")/lib/memory.py" "$@"
