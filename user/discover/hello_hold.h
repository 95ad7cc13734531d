/* SPDX-License-Identifier: MIT */
/* The hello hold (issue #13): a process promoted by its ClientHello's SNI
 * gets its probes attached inside it, 10-30 ms here (an RCU grace period
 * in the kernel); over a fast path its first SSL_write comes sooner and
 * was lost. So it is stopped (SIGSTOP) as soon as the hello's record is
 * judged, before the attach, and continued (SIGCONT, common/held.h) after
 * it: the server's reply and the client's key schedule take longer than
 * the forced-wakeup record takes to reach us. Not for a process with a
 * controlling terminal (its shell would report it "Stopped"), nor without
 * CAP_KILL, nor with AGENTRACE_NO_HELLO_HOLD set (bench rows). */
#ifndef AR_DISCOVER_HELLO_HOLD_H
#define AR_DISCOVER_HELLO_HOLD_H

#include <stdbool.h>
#include <stdint.h>

/* Stops pid when it may be held. Returns true when it was stopped: the
 * caller must continue it. */
bool hello_hold__stop(uint32_t pid);

/* tty_nr of a /proc/PID/stat line (0: no controlling terminal), or -1
 * when the line does not parse. */
long long hello_hold__tty_nr(const char *stat);

#endif
