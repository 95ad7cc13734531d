#!/bin/sh
# SPDX-License-Identifier: MIT
# Daemon cost per call: agentrace analyze on generated capture files of
# non-streaming and streaming OpenAI calls; wall ns and instructions per call.
exec python3 "$(dirname "$0")/lib/daemon_cost.py" "$@"
