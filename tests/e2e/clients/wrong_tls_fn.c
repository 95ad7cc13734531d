// SPDX-License-Identifier: MIT
/* A wrong probe location, for test_probation.py: a function with the
 * shape of OpenSSL's ssl_read_internal(SSL *, void *buf, size_t num,
 * size_t *readbytes) that returns success and a count beyond num, as a
 * function the locator mistook for it might. The test plants a plan on it
 * through the TLS plan cache. usage: wrong_tls_fn CALLS MS_BETWEEN */
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((noinline, used)) int wrong_read(void *ctx, void *buf, size_t num, size_t *done)
{
	__asm__ volatile("" ::: "memory");
	(void)ctx, (void)buf;
	*done = num + 4096;
	return 1;
}

int main(int argc, char **argv)
{
	char buf[64];
	size_t done;
	int calls = argc > 1 ? atoi(argv[1]) : 40, ms = argc > 2 ? atoi(argv[2]) : 50;

	for (int i = 0; i < calls; i++) {
		wrong_read(buf, buf, sizeof(buf), &done);
		usleep(ms * 1000);
	}
	return 0;
}
