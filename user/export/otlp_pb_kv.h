/* SPDX-License-Identifier: MIT */
/*
 * Pieces both OTLP/protobuf encoders (traces and metrics) build their
 * message trees from. The trees only borrow strings from their sources;
 * every node is calloc'd through an arena and freed in one go after
 * packing.
 */
#ifndef AR_EXPORT_OTLP_PB_KV_H
#define AR_EXPORT_OTLP_PB_KV_H

#include <stddef.h>

#include "otlp_trace.pb-c.h"

#include "trace/span.h"

struct arena {
	void **v;
	size_t n, cap;
};

/* Hands p to the arena. Returns p, or NULL (p freed) on -ENOMEM. */
void *arena__keep(struct arena *a, void *p);
/* A zeroed node owned by the arena, or NULL on -ENOMEM. */
void *arena__alloc(struct arena *a, size_t sz);
void arena__free(struct arena *a);

/* Returns s itself when it is valid UTF-8, else a repaired copy owned by
 * the arena; NULL on -ENOMEM. */
char *otlp_pb__str(struct arena *a, char *s);

/* Builds the KeyValue list of l into *out and *n. Returns 0 or -ENOMEM. */
int otlp_pb__key_values(struct arena *ar, const struct attr_list *l, Otlp__KeyValue ***out,
			size_t *n);

#endif
