// SPDX-License-Identifier: MIT
/* The small-block cache in front of malloc: blocks are reused by size,
 * the cache stays within its bound, any malloc() block may be handed to
 * it, and jansson runs on it unchanged. */
#define _GNU_SOURCE /* malloc_usable_size */
#include <criterion/criterion.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/small_alloc.h"

Test(small_alloc, a_freed_block_serves_the_next_request_of_its_size)
{
	void *a = small_alloc__malloc(40), *b;

	cr_assert_not_null(a);
	small_alloc__free(a);
	cr_assert_eq(small_alloc__cached(), 1);
	b = small_alloc__malloc(33); /* same 48-byte class */
	cr_assert_eq(b, a);
	cr_assert_eq(small_alloc__cached(), 0);
	cr_assert_geq(malloc_usable_size(b), 33);
	free(b); /* a plain malloc block: free() is fine */
}

Test(small_alloc, a_block_only_serves_requests_that_fit)
{
	void *a = small_alloc__malloc(20), *b;

	small_alloc__free(a);
	b = small_alloc__malloc(200);
	cr_assert_neq(b, a);
	cr_assert_geq(malloc_usable_size(b), 200);
	small_alloc__free(b);
}

Test(small_alloc, big_blocks_and_blocks_past_the_bound_go_back_to_malloc)
{
	enum { N = SMALL_ALLOC_KEEP + 10 };
	void *v[N];
	size_t i;

	small_alloc__free(malloc(4096));
	cr_assert_eq(small_alloc__cached(), 0);
	for (i = 0; i < N; i++)
		v[i] = small_alloc__malloc(64);
	for (i = 0; i < N; i++)
		small_alloc__free(v[i]);
	cr_assert_eq(small_alloc__cached(), SMALL_ALLOC_KEEP);
	small_alloc__free(NULL);
}

Test(small_alloc, takes_blocks_malloc_made)
{
	char *s = strdup("a key from elsewhere");

	small_alloc__free(s);
	cr_assert_eq(small_alloc__cached(), 1);
}

Test(small_alloc, strndup_stops_at_n_or_the_nul)
{
	char *a = small_alloc__strndup("gen_ai.request.model", 6);
	char *b = small_alloc__strndup("short", SIZE_MAX);

	cr_assert_str_eq(a, "gen_ai");
	cr_assert_str_eq(b, "short");
	small_alloc__free(a);
	small_alloc__free(b);
}

static void *alloc_in_thread(void *arg)
{
	(void)arg;
	small_alloc__free(small_alloc__malloc(100));
	return (void *)small_alloc__cached();
}

Test(small_alloc, each_thread_has_its_own_cache)
{
	pthread_t t;
	void *n;

	cr_assert_eq(pthread_create(&t, NULL, alloc_in_thread, NULL), 0);
	cr_assert_eq(pthread_join(t, &n), 0);
	cr_assert_eq((size_t)n, 1);
	cr_assert_eq(small_alloc__cached(), 0);
}

Test(small_alloc, jansson_builds_parses_and_dumps_on_it)
{
	const char *doc = "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":"
			  "{\"role\":\"assistant\",\"content\":\"hi\"}}],\"n\":[1,2.5,null]}";
	json_t *a = json_loadb(doc, strlen(doc), 0, NULL), *b;
	char *s;
	int round;

	cr_assert_not_null(a);
	small_alloc__install_jansson();
	/* values made before the switch are freed through the cache */
	for (round = 0; round < 3; round++) {
		b = json_loadb(doc, strlen(doc), 0, NULL);
		cr_assert_not_null(b);
		cr_assert(json_equal(a, b));
		s = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
		cr_assert_str_eq(s, doc);
		free(s); /* json_dumps' documented contract */
		json_decref(b);
		cr_assert_gt(small_alloc__cached(), 0);
	}
	json_decref(a);
}
