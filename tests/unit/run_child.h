/* SPDX-License-Identifier: MIT */
/* Runs code that may exit (argp errors) in a child, capturing its stderr. */
#ifndef AR_TESTS_RUN_CHILD_H
#define AR_TESTS_RUN_CHILD_H

#include <criterion/criterion.h>
#include <stddef.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs fn(arg) in a child (which exits 0 if fn returns) with its stderr
 * read into err (NUL-terminated, up to cap - 1 bytes). Returns the child's
 * exit status, or -1 if a signal ended it. */
static inline int run_child(void (*fn)(void *), void *arg, char *err, size_t cap)
{
	int pipefd[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	cr_assert_eq(pipe(pipefd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		fn(arg);
		_exit(0);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], err + got, cap - 1 - got)) > 0)
		got += n;
	err[got] = 0;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#endif
