/* SPDX-License-Identifier: MIT */
/* The processes named by --pid: each must exist at start, and its exit is
 * logged once, so a run that can no longer trace anything says so. */
#ifndef AR_DISCOVER_PID_WATCH_H
#define AR_DISCOVER_PID_WATCH_H

#include <stddef.h>
#include <sys/types.h>

struct pid_watch;

/* Checks that every pid in pids[0..n) exists; logs the first that does
 * not and returns -ESRCH (or -errno of the check). Returns 0 otherwise. */
int pid_watch__check(const pid_t *pids, size_t n);

/* Remembers pids[0..n) (copied). Returns NULL on -ENOMEM. */
struct pid_watch *pid_watch__new(const pid_t *pids, size_t n);
void pid_watch__free(struct pid_watch *w);

/* Feeds a ring record; an AR_EV_PROC_EXIT of a watched pid is logged the
 * first time only. NULL w is a no-op. */
void pid_watch__handle(struct pid_watch *w, const void *rec, size_t len);

#endif
