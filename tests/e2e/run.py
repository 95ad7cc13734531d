#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs every end-to-end test module (needs root and a built agentrace).
usage: run.py [NAME-FILTER ...]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
import test_capture  # noqa: E402,F401
import test_genai  # noqa: E402,F401

if __name__ == "__main__":
    if os.geteuid() != 0:
        print("end-to-end tests load BPF and must run as root")
        sys.exit(1)
    passed, failed = harness.run_all(sys.argv[1:])
    print("e2e: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
