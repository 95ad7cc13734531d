#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Probation of TLS functions located by evidence (issue #15,
discover/first_calls.c), with real BPF and a real process: a plan that
points at a wrong function must be refused on its first calls, its probes
detached, and the refusal remembered in the plan cache."""

import os
import re
import struct
import subprocess

from harness import Agentrace, Workdir, check, teardown, test, HERE
from xxh64 import xxh64

# enum values of user/discover/tls_lib.h, as the plan cache stores them
TLS_LIB_OPENSSL_STATIC = 4
TLS_PROG_SSL_READ_EX, TLS_PROG_SSL_READ_EX_RET = 6, 7


def file_offset(path, symbol):
    """File offset of symbol's address, through the PT_LOAD holding it."""
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    addr = int(next(line.split()[0] for line in out.splitlines()
                    if line.endswith(" " + symbol)), 16)
    with open(path, "rb") as f:
        elf = f.read()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + i * phentsize)
        if p_type == 1 and p_vaddr <= addr < p_vaddr + p_filesz:
            return addr - p_vaddr + p_offset
    raise AssertionError("%s not in a PT_LOAD of %s" % (symbol, path))


def plant_plan(cache, exe, off):
    """A cache entry saying: stripped OpenSSL, ssl_read_internal at off."""
    st = os.stat(exe)
    with open(exe, "rb") as f:
        f.seek(off)
        head = f.read(16)
    check_hash = xxh64(head + head)  # the 16 bytes at each of the two probes
    with open(cache, "w") as f:
        f.write("agentrace-tls-plans 3\n%d %d %d %d %d %d %d %x 2 %d:%x %d:%x #\n" % (
            st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns,
            TLS_LIB_OPENSSL_STATIC, 1 << TLS_LIB_OPENSSL_STATIC, check_hash,
            TLS_PROG_SSL_READ_EX, off, TLS_PROG_SSL_READ_EX_RET, off))
    os.chmod(cache, 0o644)


@test
def test_probation_refuses_results_beyond_the_length():
    """The kernel reports each call whose count exceeds its length argument
    (AR_EV_TLS_ODD); four of them detach the probes, the warning names the
    check, and the cache keeps the refusal for the next daemon."""
    wd = Workdir("probation")
    ar = None
    try:
        exe = wd.file("wrong_tls_fn")
        subprocess.run(["cc", "-O1", "-o", exe, os.path.join(HERE, "clients", "wrong_tls_fn.c")],
                       check=True)
        cache = wd.file("tls-plans")
        plant_plan(cache, exe, file_offset(exe, "wrong_read"))
        ar = Agentrace(wd, ["--comm", "wrong_tls_fn", "--tls-cache", cache,
                            "--exporter", "none"])
        subprocess.run([exe, "40", "50"], check=True, timeout=60)
        ar.finish()
        err = ar.err()
        check(re.search(r"attached .* probes to .*wrong_tls_fn", err),
              "the planted plan was not attached:\n" + err[-3000:])
        check(re.search(r"on its first calls results do not fit their length arguments: its "
                        r"probes are detached", err), "not refused:\n" + err[-3000:])
        odd = int(re.search(r"tls_odd_calls=(\d+)", err).group(1))
        check(odd >= 4, "the kernel reported %d odd calls" % odd)
        check("tls_refused=1" in err, "refusal not counted:\n" + err[-1500:])
        check(odd < 40, "all %d calls were reported: the probes stayed attached" % odd)
        with open(cache) as f:
            text = f.read()
        check("refused on its first calls (results do not fit" in text,
              "the refusal is not in the cache:\n" + text)
    finally:
        teardown(wd, ar)
