/* SPDX-License-Identifier: MIT */
/*
 * OpenSSL 3.0-3.2's SSL_read/SSL_write are thin wrappers:
 *
 *   SSL_read(s, buf, int num):  int n; r = ssl_read_internal(s, buf, num, &n);
 *                               return r > 0 ? n : r;
 *   SSL_read_ex(s, buf, num, readbytes): return ssl_read_internal(...) (>= 0)
 *
 * and the same for write. A uprobe on the wrapper's first instruction
 * (`sub rsp, N`) is single-stepped out of line: an int3 plus a debug trap
 * per call, most of what a traced TLS call costs on a VM. The internal
 * function starts with `push`, which the kernel emulates, so probes there
 * cost one trap. This recognises the wrapper pair by its code and names
 * the function both forward to; the _ex programs then sit on it.
 */
#ifndef AR_DISCOVER_TLS_WRAPPER_H
#define AR_DISCOVER_TLS_WRAPPER_H

#include <stddef.h>
#include <stdint.h>

/* code[len] at virtual address addr is the start of the int-returning
 * wrapper (ex == 0: SSL_read/SSL_write) or of the _ex wrapper (ex == 1).
 * Returns 0 and the address of the function it forwards its arguments to
 * (s, buf, num, size_t *out) when the code is exactly that: nothing before
 * the first direct call touches rdi, rsi or rdx (but the int wrapper's
 * sign extension of num) or rcx (but the int wrapper's pointer to its
 * stack slot), and the int wrapper returns that slot's value after a
 * successful call. -ENOENT when it is anything else. */
int tls_wrapper__callee(const uint8_t *code, size_t len, uint64_t addr, int ex,
			uint64_t *callee);

/* Both wrappers of a pair, at addresses plain and ex: the function both
 * forward to, or 0 when either does not match or they forward to
 * different functions. */
uint64_t tls_wrapper__pair(const uint8_t *plain, uint64_t plain_addr, const uint8_t *ex,
			   uint64_t ex_addr, size_t len);

#endif
