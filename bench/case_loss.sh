#!/bin/sh
# SPDX-License-Identifier: MIT
# Loss under load: TLS LLM calls at 500..5000 calls/s, spans per call and
# agentrace's drop counters.
exec python3 -B "$(dirname "$0")/lib/loss.py" "$@"
