#!/bin/sh
# SPDX-License-Identifier: MIT
# What a uprobe costs by the instruction it sits on: a -fcf-protection
# function probed (empty entry and return programs) on its endbr64, which
# the kernel single-steps, and on the push after it, which it emulates.
exec python3 -B "$(dirname "$0")/lib/probe_points.py" "$@"
