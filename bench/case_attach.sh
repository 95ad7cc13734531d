#!/bin/sh
# SPDX-License-Identifier: MIT
# Attach: time to the ready file, and the share of freshly started
# processes whose first HTTPS call is captured.
exec python3 -B "$(dirname "$0")/lib/attach.py" "$@"
