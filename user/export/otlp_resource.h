/* SPDX-License-Identifier: MIT */
/*
 * Groups a batch of spans by traced process, the OTLP Resource they share,
 * and builds each Resource's attributes. Both OTLP encodings use it so the
 * protobuf and JSON bodies carry the same resources.
 */
#ifndef AR_EXPORT_OTLP_RESOURCE_H
#define AR_EXPORT_OTLP_RESOURCE_H

#include "trace/span.h"

/* OTLP scope for every span agentrace makes. */
#define OTLP_SCOPE_NAME "agentrace"

struct otlp_group {
	const struct span_process *proc; /* of the first span in the group */
	struct span **spans;             /* borrowed */
	size_t n;
	struct attr_list attrs;          /* resource attributes, owned */
};

struct otlp_groups {
	struct otlp_group *v;
	size_t n;
};

/*
 * Splits spans[0..n) into one group per (pid, service name), keeping the
 * batch order inside each group. Resource attributes come from the process
 * identity first, then from extra (the daemon's OTEL_RESOURCE_ATTRIBUTES,
 * may be NULL) for keys not yet set, then host.name, host.arch and os.type. Returns 0, or -ENOMEM
 * with *g left empty.
 */
int otlp_groups__build(struct otlp_groups *g, struct span *const *spans, size_t n,
		       const struct attr_list *extra);
void otlp_groups__release(struct otlp_groups *g);

/* Fills l with the Resource attributes of one process, as a group gets
 * them. Returns 0 or -ENOMEM (l may hold some). */
int otlp_resource__attrs(struct attr_list *l, const struct span_process *p,
			 const struct attr_list *extra);

/* Writes the service.name a process gets ("unknown_service:<exe>" if it
 * has none) into buf. */
void otlp_resource__service_name(const struct span_process *p, char *buf, size_t sz);

#endif
