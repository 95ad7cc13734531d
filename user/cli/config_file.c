// SPDX-License-Identifier: MIT
#define _GNU_SOURCE /* open_memstream */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cli/args.h"
#include "cli/config_file.h"
#include "export/config.h"

#define MAX_FLAG_COUNT 8 /* `verbose: 2` repeats a flag; more is a typo */

/* A setting that has an environment variable of its own outranks the file
 * (flags > env > file) through that variable. */
static const struct { const char *option, *env; } env_overrides[] = {
	{ "exporter", "OTEL_TRACES_EXPORTER" },
};

enum otel_kind { OK_STR, OK_URL, OK_INT, OK_KV, OK_PROTOCOL, OK_COMPRESSION, OK_EXPORTER };

/* The OTEL_* variables agentrace (or its OTLP exporters) read; the otel:
 * map accepts these and nothing else. */
static const struct { const char *name; enum otel_kind kind; } otel_vars[] = {
	{ "OTEL_SERVICE_NAME", OK_STR },
	{ "OTEL_RESOURCE_ATTRIBUTES", OK_KV },
	{ "OTEL_TRACES_EXPORTER", OK_EXPORTER },
	{ "OTEL_METRICS_EXPORTER", OK_EXPORTER },
	{ "OTEL_BSP_MAX_QUEUE_SIZE", OK_INT },
	{ "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", OK_INT },
	{ "OTEL_BSP_SCHEDULE_DELAY", OK_INT },
	{ "OTEL_BSP_EXPORT_TIMEOUT", OK_INT },
	{ "OTEL_METRIC_EXPORT_INTERVAL", OK_INT },
	{ "OTEL_METRIC_EXPORT_TIMEOUT", OK_INT },
};

/* OTEL_EXPORTER_OTLP_[TRACES_|METRICS_]<suffix> */
static const struct { const char *suffix; enum otel_kind kind; } otlp_vars[] = {
	{ "ENDPOINT", OK_URL },        { "PROTOCOL", OK_PROTOCOL },
	{ "COMPRESSION", OK_COMPRESSION }, { "TIMEOUT", OK_INT },
	{ "HEADERS", OK_KV },          { "CERTIFICATE", OK_STR },
	{ "CLIENT_CERTIFICATE", OK_STR }, { "CLIENT_KEY", OK_STR },
};

struct loader {
	const char *path;
	const struct argp *argp;
	void *input;
	FILE *err;
	yaml_document_t doc;
	int on_cmdline[64]; /* option keys argv sets */
	size_t n_on_cmdline;
};

static int fail(struct loader *l, const yaml_node_t *n, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct loader *l, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(l->err, "agentrace: %s:%zu: %s%s", l->path, n ? n->start_mark.line + 1 : 0,
		key ? key : "", key ? ": " : "");
	va_start(ap, fmt);
	vfprintf(l->err, fmt, ap);
	va_end(ap);
	fputc('\n', l->err);
	return -EINVAL;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* YAML null: ~, null, or nothing, unquoted. */
static bool is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcasecmp(s, "null"));
}

/* The table entry for long name (aliases resolve to their option), in argp
 * or one of its children (their options share the root's input, struct
 * cli_opts); *owner is the argp whose parser takes it. */
static const struct argp_option *find_long_in(const struct argp *argp, const char *name,
					      size_t len, bool exact, int *key,
					      const struct argp **owner)
{
	const struct argp_option *found = NULL, *base = NULL;

	for (const struct argp_option *o = argp->options; o && (o->name || o->key || o->doc); o++) {
		if (!(o->flags & OPTION_ALIAS))
			base = o;
		if (!o->name || strncmp(o->name, name, len) || (o->flags & OPTION_DOC))
			continue;
		if (!o->name[len]) {
			found = base;
			break;
		}
		if (!exact)
			found = found ? (const struct argp_option *)-1 : base;
	}
	if (found && found != (const struct argp_option *)-1) {
		*key = found->key;
		*owner = argp;
		return found;
	}
	for (const struct argp_child *c = argp->children; c && c->argp; c++) {
		const struct argp_option *o = find_long_in(c->argp, name, len, exact, key, owner);

		if (o)
			return o;
	}
	return NULL;
}

static const struct argp_option *find_long(const struct argp *argp, const char *name,
					   size_t len, bool exact, int *key)
{
	const struct argp *owner;

	return find_long_in(argp, name, len, exact, key, &owner);
}

static const struct argp_option *find_short_in(const struct argp *argp, int c,
					       const struct argp **owner)
{
	for (const struct argp_option *o = argp->options; o && (o->name || o->key || o->doc); o++)
		if (o->key == c && !(o->flags & OPTION_DOC)) {
			*owner = argp;
			return o;
		}
	for (const struct argp_child *ch = argp->children; ch && ch->argp; ch++) {
		const struct argp_option *o = find_short_in(ch->argp, c, owner);

		if (o)
			return o;
	}
	return NULL;
}

static const struct argp_option *find_short(const struct argp *argp, int c)
{
	const struct argp *owner;

	return find_short_in(argp, c, &owner);
}

static void mark(struct loader *l, int key)
{
	if (l->n_on_cmdline < sizeof(l->on_cmdline) / sizeof(l->on_cmdline[0]))
		l->on_cmdline[l->n_on_cmdline++] = key;
}

static bool on_cmdline(const struct loader *l, int key)
{
	for (size_t i = 0; i < l->n_on_cmdline; i++)
		if (l->on_cmdline[i] == key)
			return true;
	return false;
}

/* Records which options argv sets, the way argp will read them. */
static void scan_argv(struct loader *l, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct argp_option *o;
		int key;

		if (!strcmp(a, "--"))
			return;
		if (!strncmp(a, "--", 2)) {
			size_t len = strcspn(a + 2, "=");

			o = find_long(l->argp, a + 2, len, false, &key);
			if (!o)
				continue;
			mark(l, key);
			if (o->arg && !(o->flags & OPTION_ARG_OPTIONAL) && !a[2 + len])
				i++;
		} else if (a[0] == '-' && a[1]) {
			for (const char *c = a + 1; *c; c++) {
				o = find_short(l->argp, (unsigned char)*c);
				if (!o)
					break;
				mark(l, o->key);
				if (o->arg) {
					if (!c[1] && !(o->flags & OPTION_ARG_OPTIONAL))
						i++;
					break;
				}
			}
		}
	}
}

/* The parser of the argp (root or child) that owns option key. */
static argp_parser_t parser_for(const struct argp *argp, int key)
{
	const struct argp *owner = argp;

	find_short_in(argp, key, &owner);
	return owner->parser;
}

/* The argp parsers keep pointers to their argument strings for the whole
 * run, so values from the file live on this list until config_file__release. */
struct kept {
	struct kept *next;
	char s[];
};
static struct kept *kept_strings;

static char *keep(const char *val)
{
	size_t n = strlen(val) + 1;
	struct kept *k = malloc(sizeof(*k) + n);

	if (!k)
		return NULL;
	memcpy(k->s, val, n);
	k->next = kept_strings;
	kept_strings = k;
	return k->s;
}

void config_file__release(void)
{
	struct kept *k;

	while ((k = kept_strings)) {
		kept_strings = k->next;
		free(k);
	}
}

/* Calls the argp parser for one value; its argp_error() text becomes our
 * error, with the file, line and key in front. */
static int call_parser(struct loader *l, const yaml_node_t *n, const char *name, int key,
		       const char *val)
{
	struct argp_state st = { 0 };
	char *buf = NULL, *arg = NULL, *msg;
	size_t len = 0;
	error_t r;
	int err = 0;

	if (val && !(arg = keep(val)))
		return -ENOMEM;
	st.root_argp = l->argp;
	st.input = l->input;
	st.name = (char *)"agentrace";
	st.flags = ARGP_NO_EXIT;
	st.out_stream = stdout;
	st.err_stream = open_memstream(&buf, &len);
	if (!st.err_stream)
		return -ENOMEM;
	r = parser_for(l->argp, key)(key, arg, &st);
	fclose(st.err_stream);
	if (len) {
		msg = buf + (strncmp(buf, "agentrace: ", 11) ? 0 : 11);
		msg[strcspn(msg, "\n")] = 0;
		err = fail(l, n, name, "%s", msg);
	} else if (r) {
		err = fail(l, n, name, "not accepted here");
	}
	free(buf);
	return err;
}

static int apply_flag(struct loader *l, const yaml_node_t *n, const char *name, int key)
{
	const char *s = scalar(n);
	char *end;
	long count;

	if (!s || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return fail(l, n, name, "expected true or false");
	if (!strcmp(s, "true"))
		count = 1;
	else if (!strcmp(s, "false"))
		count = 0;
	else if ((count = strtol(s, &end, 10)) < 0 || *end || end == s || count > MAX_FLAG_COUNT)
		return fail(l, n, name, "expected true or false");
	for (long i = 0; i < count; i++) {
		int err = call_parser(l, n, name, key, NULL);

		if (err)
			return err;
	}
	return 0;
}

static int apply_option(struct loader *l, const yaml_node_t *kn, const yaml_node_t *vn)
{
	const char *name = scalar(kn);
	const struct argp_option *o;
	bool repeatable;
	int key, err;

	if (!strcmp(name, "config") || !strcmp(name, "help") || !strcmp(name, "usage") ||
	    !strcmp(name, "version"))
		return fail(l, kn, name, "not allowed in a config file");
	o = find_long(l->argp, name, strlen(name), true, &key);
	if (!o)
		return fail(l, kn, name, "unknown key (keys are the long options and otel)");
	if (on_cmdline(l, key))
		return 0;
	for (size_t i = 0; i < sizeof(env_overrides) / sizeof(env_overrides[0]); i++) {
		const char *v = getenv(env_overrides[i].env);

		if (!strcmp(name, env_overrides[i].option) && v && *v)
			return 0;
	}
	if (!o->arg)
		return apply_flag(l, vn, name, key);
	if (is_null(vn))
		return fail(l, vn, name, "needs a value");
	if (vn->type == YAML_SCALAR_NODE)
		return call_parser(l, vn, name, key, scalar(vn));
	repeatable = o->doc && strstr(o->doc, "repeatable");
	if (vn->type != YAML_SEQUENCE_NODE || !repeatable)
		return fail(l, vn, name, repeatable ? "expected a value or a list of values" :
			    "expected a single value");
	if (vn->data.sequence.items.top - vn->data.sequence.items.start > CLI_MAX_TARGETS)
		return fail(l, vn, name, "more than %d values", CLI_MAX_TARGETS);
	for (yaml_node_item_t *it = vn->data.sequence.items.start;
	     it < vn->data.sequence.items.top; it++) {
		const yaml_node_t *in = yaml_document_get_node(&l->doc, *it);

		if (!scalar(in) || is_null(in))
			return fail(l, in, name, "list items must be single values");
		err = call_parser(l, in, name, key, scalar(in));
		if (err)
			return err;
	}
	return 0;
}

static bool one_of(const char *v, const char *const *set)
{
	for (; *set; set++)
		if (!strcasecmp(v, *set))
			return true;
	return false;
}

/* Returns the kind of OTEL variable name, or -1. */
static int otel_kind(const char *name)
{
	static const char *const mids[] = { "", "TRACES_", "METRICS_" };
	char full[96];

	for (size_t i = 0; i < sizeof(otel_vars) / sizeof(otel_vars[0]); i++)
		if (!strcmp(name, otel_vars[i].name))
			return otel_vars[i].kind;
	for (size_t m = 0; m < 3; m++)
		for (size_t i = 0; i < sizeof(otlp_vars) / sizeof(otlp_vars[0]); i++) {
			snprintf(full, sizeof(full), "OTEL_EXPORTER_OTLP_%s%s", mids[m],
				 otlp_vars[i].suffix);
			if (!strcmp(name, full))
				return otlp_vars[i].kind;
		}
	return -1;
}

/* Checks one otel: value; never echoes it (headers hold credentials). */
static int check_otel(struct loader *l, const yaml_node_t *n, const char *name, int kind,
		      const char *v)
{
	static const char *const protocols[] = { "http/protobuf", "http/json", "grpc", NULL };
	static const char *const compressions[] = { "gzip", "none", NULL };
	static const char *const exporters[] = { "otlp", "console", "logging", "none", NULL };
	struct attr_list kv = { 0 };
	const char *why;
	char *end;
	int r;

	switch (kind) {
	case OK_URL:
		r = export_config__check_url(v, &why);
		if (r == -EINVAL)
			return fail(l, n, name, "the endpoint %s", why);
		return r;
	case OK_INT:
		errno = 0;
		if (strtol(v, &end, 10) < 0 || errno || *end || end == v)
			return fail(l, n, name, "expected a non-negative integer");
		return 0;
	case OK_KV:
		r = export_config__parse_kv(&kv, v);
		attrs__clear(&kv);
		if (r > 0)
			return fail(l, n, name, "%d malformed key=value entries", r);
		return r;
	case OK_PROTOCOL:
		return one_of(v, protocols) ? 0 :
		       fail(l, n, name, "expected http/protobuf, http/json or grpc");
	case OK_COMPRESSION:
		return one_of(v, compressions) ? 0 : fail(l, n, name, "expected gzip or none");
	case OK_EXPORTER:
		return one_of(v, exporters) ? 0 : fail(l, n, name, "expected otlp, console or none");
	}
	return 0;
}

static int apply_otel(struct loader *l, const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(l, map, "otel", "expected a map of OTEL_* variables");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = yaml_document_get_node(&l->doc, p->key);
		const yaml_node_t *vn = yaml_document_get_node(&l->doc, p->value);
		const char *k = scalar(kn), *v = scalar(vn), *cur;
		char name[96];
		int kind, err;

		if (!k)
			return fail(l, kn, "otel", "keys must be OTEL_* variable names");
		/* OTEL_EXPORTER_OTLP_ENDPOINT, or exporter_otlp_endpoint */
		snprintf(name, sizeof(name), "%s%s", strncasecmp(k, "OTEL_", 5) ? "OTEL_" : "", k);
		for (char *c = name; *c; c++)
			*c = toupper((unsigned char)*c);
		kind = otel_kind(name);
		if (kind < 0)
			return fail(l, kn, k, "unknown OTEL_* variable");
		if (!v || is_null(vn))
			return fail(l, vn, k, "expected a single value");
		err = check_otel(l, vn, k, kind, v);
		if (err)
			return err;
		cur = getenv(name);
		if ((!cur || !*cur) && setenv(name, v, 1))
			return -errno;
	}
	return 0;
}

static bool duplicate(struct loader *l, const yaml_node_t *map, const yaml_node_pair_t *p)
{
	const char *k = scalar(yaml_document_get_node(&l->doc, p->key));

	for (const yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
		const char *qk = scalar(yaml_document_get_node(&l->doc, q->key));

		if (qk && !strcmp(qk, k))
			return true;
	}
	return false;
}

const char *config_file__find(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--config"))
			return i + 1 < argc ? argv[i + 1] : NULL;
		if (!strncmp(argv[i], "--config=", 9))
			return argv[i] + 9;
	}
	return NULL;
}

int config_file__apply(const char *path, const struct argp *argp, int argc, char **argv,
		       void *input, FILE *err_out)
{
	struct loader l = { .path = path, .argp = argp, .input = input, .err = err_out };
	yaml_parser_t parser;
	const yaml_node_t *root;
	bool have_doc = false;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		fprintf(err_out, "agentrace: --config %s: %s\n", path, strerror(-err));
		return err;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &l.doc)) {
		fprintf(err_out, "agentrace: %s:%zu: %s\n", path, parser.problem_mark.line + 1,
			parser.problem ? parser.problem : "not YAML");
		err = -EINVAL;
		goto cleanup;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&l.doc);
	if (!root || is_null(root))
		goto cleanup; /* an empty file sets nothing */
	if (root->type != YAML_MAPPING_NODE) {
		err = fail(&l, root, NULL, "expected a map of options");
		goto cleanup;
	}
	scan_argv(&l, argc, argv);
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     !err && p < root->data.mapping.pairs.top; p++) {
		const yaml_node_t *kn = yaml_document_get_node(&l.doc, p->key);
		const yaml_node_t *vn = yaml_document_get_node(&l.doc, p->value);

		if (!scalar(kn))
			err = fail(&l, kn, NULL, "keys must be option names");
		else if (duplicate(&l, root, p))
			err = fail(&l, kn, scalar(kn), "given twice");
		else if (!strcmp(scalar(kn), "otel"))
			err = apply_otel(&l, vn);
		else
			err = apply_option(&l, kn, vn);
	}
cleanup:
	if (have_doc)
		yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return err;
}
