#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The README's first command on a fresh machine (issue: hardening, part 0).

On a fresh machine the packages appear only when `make` runs `deps`, after it
parsed the Makefile. A fake pkg-config that knows nothing until the fake
deps step has run stands in for that machine: the build must still link."""

import os
import stat
import subprocess

from harness import ROOT, Workdir, check, test


@test
def test_make_run_links_when_packages_arrive_with_deps():
    wd = Workdir("fresh-make")
    try:
        flag = wd.file("deps-done")
        fake = wd.file("pkg-config")
        with open(fake, "w") as f:
            f.write("#!/bin/sh\n[ -e %s ] || exit 1\nexec pkg-config \"$@\"\n" % flag)
        os.chmod(fake, stat.S_IRWXU)
        build = wd.file("build")
        r = subprocess.run(
            ["make", "-C", ROOT, "run", "BUILD=" + build, "PKG_CONFIG=" + fake,
             "DEPS_CMD=touch " + flag, "ARGS=--version"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
        out = r.stdout.decode(errors="replace")
        check(r.returncode == 0, "make run failed on a fresh machine:\n" + out[-3000:])
        check("agentrace " in out, "make run did not run the built binary:\n" + out[-2000:])
    finally:
        wd.cleanup()
