// SPDX-License-Identifier: MIT
/*
 * A function built with -fcf-protection (endbr64; push rbp; ...) called in
 * a loop, for the probe_points case: where on it a uprobe costs what.
 *
 *   cet_loop N   prints "PID FILE_OFFSET_OF_f", waits for a line on stdin,
 *                calls f N times and prints the ns per call
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline)) long f(long a, long b)
{
	volatile long x = a;

	return x + b;
}

/* File offset of f through the executable mapping that holds it. */
static unsigned long long file_off(const void *fn)
{
	unsigned long long lo, hi, off;
	char line[512], perm[8];
	FILE *m = fopen("/proc/self/maps", "re");

	while (m && fgets(line, sizeof(line), m)) {
		if (sscanf(line, "%llx-%llx %7s %llx", &lo, &hi, perm, &off) == 4 &&
		    (uintptr_t)fn >= lo && (uintptr_t)fn < hi) {
			fclose(m);
			return (uintptr_t)fn - lo + off;
		}
	}
	if (m)
		fclose(m);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000, s = 0;
	struct timespec t0, t1;
	char go[8];

	printf("%d %llx\n", getpid(), file_off((const void *)f));
	fflush(stdout);
	if (!fgets(go, sizeof(go), stdin))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		s += f(i, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f %ld\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n, s);
	return 0;
}
