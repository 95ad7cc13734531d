#!/bin/sh
# SPDX-License-Identifier: MIT
# R4 garbage at volume (issue #14): hostile HTTP through traced sockets;
# the daemon stays up, within its memory budget, answers /healthz, exits
# on SIGTERM in time and still reports a real client's LLM calls.
# BENCH_STORM_MB (default 1024) sets the volume.
exec python3 -B "$(dirname "$0")/lib/garbage_storm.py" "$@"
