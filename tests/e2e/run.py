#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs every end-to-end test module, tests/e2e/test_*.py (needs root and a
built agentrace). Runs are serialised machine-wide with a lock, because
concurrent tracers would see each other's client processes.
usage: run.py [NAME-FILTER ...]"""
import fcntl
import glob
import importlib
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402

if __name__ == "__main__":
    # A runner started in the background of a non-interactive shell (as CI
    # may be) inherits SIGINT ignored, and so would every server the tests
    # start: python then never raises KeyboardInterrupt, and a test's
    # SIGINT cannot stop it. A handled signal is reset to default on exec.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if os.geteuid() != 0:
        print("end-to-end tests load BPF and must run as root")
        sys.exit(1)
    for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
        importlib.import_module(os.path.basename(path)[:-3])
    lock = open("/tmp/agentrace-e2e.lock", "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    passed, failed = harness.run_all(sys.argv[1:])
    print("e2e: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
