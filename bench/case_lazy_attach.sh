#!/bin/sh
# SPDX-License-Identifier: MIT
# Lazy syscall tracepoints: first plaintext call of fresh --comm targets
# started while the tracepoints are detached (issue #13).
exec python3 -B "$(dirname "$0")/lib/lazy_attach.py" "$@"
