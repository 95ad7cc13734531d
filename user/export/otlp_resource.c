// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export/otlp_resource.h"

void otlp_resource__service_name(const struct span_process *p, char *buf, size_t sz)
{
	if (p->service_name[0])
		snprintf(buf, sz, "%s", p->service_name);
	else if (p->exe_name[0])
		snprintf(buf, sz, "unknown_service:%s", p->exe_name);
	else
		snprintf(buf, sz, "unknown_service");
}

static bool same_process(const struct span_process *a, const struct span_process *b)
{
	return a->pid == b->pid && strcmp(a->service_name, b->service_name) == 0;
}

/* Copies one attribute unless its key is already in l. */
static int attrs__add_missing(struct attr_list *l, const struct attr *a)
{
	if (attrs__get(l, a->key))
		return 0;
	switch (a->type) {
	case ATTR_STR:
		return attrs__set_str(l, a->key, a->s);
	case ATTR_INT:
		return attrs__set_int(l, a->key, a->i);
	case ATTR_DOUBLE:
		return attrs__set_double(l, a->key, a->d);
	case ATTR_BOOL:
		return attrs__set_bool(l, a->key, a->b);
	case ATTR_STR_ARRAY:
		return attrs__set_str_array(l, a->key, (const char *const *)a->arr.v,
					    a->arr.n);
	}
	return 0;
}

/* semconv host.arch of the machine agentrace was built for, which is the
 * one it traces. */
static const char *host_arch(void)
{
#if defined(__x86_64__)
	return "amd64";
#elif defined(__aarch64__)
	return "arm64";
#elif defined(__i386__)
	return "x86";
#elif defined(__arm__)
	return "arm32";
#elif defined(__s390x__)
	return "s390x";
#elif defined(__powerpc64__)
	return "ppc64";
#else
	return NULL;
#endif
}

/* Fills l with the Resource attributes of p. Returns 0 or -ENOMEM. */
static int resource_attrs(struct attr_list *l, const struct span_process *p,
			  const struct attr_list *extra, const char *host)
{
	char svc[160];
	int err;

	otlp_resource__service_name(p, svc, sizeof(svc));
	err = attrs__set_str(l, "service.name", svc);
	if (!err && p->pid)
		err = attrs__set_int(l, "process.pid", p->pid);
	if (!err && p->exe_name[0])
		err = attrs__set_str(l, "process.executable.name", p->exe_name);
	if (!err && p->exe_path[0])
		err = attrs__set_str(l, "process.executable.path", p->exe_path);
	if (!err && p->owner[0])
		err = attrs__set_str(l, "process.owner", p->owner);
	if (!err && p->runtime_name[0])
		err = attrs__set_str(l, "process.runtime.name", p->runtime_name);
	if (!err && p->runtime_version[0])
		err = attrs__set_str(l, "process.runtime.version", p->runtime_version);
	if (!err && p->container_id[0])
		err = attrs__set_str(l, "container.id", p->container_id);
	if (!err && p->pod_uid[0])
		err = attrs__set_str(l, "k8s.pod.uid", p->pod_uid);
	/* No semconv name exists for the QoS class; this one is ours. */
	if (!err && p->qos_class[0])
		err = attrs__set_str(l, "k8s.pod.qos_class", p->qos_class);
	for (size_t i = 0; !err && extra && i < extra->n; i++)
		err = attrs__add_missing(l, &extra->v[i]);
	if (!err && host[0] && !attrs__get(l, "host.name"))
		err = attrs__set_str(l, "host.name", host);
	if (!err && host_arch() && !attrs__get(l, "host.arch"))
		err = attrs__set_str(l, "host.arch", host_arch());
	if (!err && !attrs__get(l, "os.type"))
		err = attrs__set_str(l, "os.type", "linux");
	return err;
}

void otlp_groups__release(struct otlp_groups *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->v[i].spans);
		attrs__clear(&g->v[i].attrs);
	}
	free(g->v);
	g->v = NULL;
	g->n = 0;
}

int otlp_groups__build(struct otlp_groups *g, struct span *const *spans, size_t n,
		       const struct attr_list *extra)
{
	char host[256] = "";
	size_t *owner = NULL;
	int err = -ENOMEM;

	memset(g, 0, sizeof(*g));
	if (!n)
		return 0;
	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	owner = calloc(n, sizeof(*owner));
	g->v = calloc(n, sizeof(*g->v));
	if (!owner || !g->v)
		goto cleanup;
	/* Quadratic in the number of processes per batch, which is small. */
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < g->n; j++)
			if (same_process(g->v[j].proc, &spans[i]->proc))
				break;
		if (j == g->n)
			g->v[g->n++].proc = &spans[i]->proc;
		owner[i] = j;
		g->v[j].n++;
	}
	for (size_t j = 0; j < g->n; j++) {
		struct otlp_group *grp = &g->v[j];

		grp->spans = calloc(grp->n, sizeof(*grp->spans));
		if (!grp->spans)
			goto cleanup;
		grp->n = 0;
		err = resource_attrs(&grp->attrs, grp->proc, extra, host);
		if (err)
			goto cleanup;
		err = -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct otlp_group *grp = &g->v[owner[i]];

		grp->spans[grp->n++] = spans[i];
	}
	err = 0;
cleanup:
	free(owner);
	if (err)
		otlp_groups__release(g);
	return err;
}

int otlp_resource__attrs(struct attr_list *l, const struct span_process *p,
			 const struct attr_list *extra)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1))
		host[0] = '\0';
	return resource_attrs(l, p, extra, host);
}
