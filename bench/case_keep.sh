#!/bin/sh
# SPDX-License-Identifier: MIT
# Keep what matters (#12): per-call daemon cost and peak RSS with metrics on
# and with tail sampling holding 10k traces, against the same run without.
exec python3 -B "$(dirname "$0")/lib/keep.py" "$@"
