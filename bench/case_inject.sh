#!/bin/sh
# SPDX-License-Identifier: MIT
# --inject-traceparent: plaintext wrk against nginx, untraced vs agentrace
# --comm wrk vs the same with --inject-traceparent, in one run.
exec python3 -B "$(dirname "$0")/lib/inject_cost.py" "$@"
