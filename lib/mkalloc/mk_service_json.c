/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reading the service's JSON configuration (schema in mk_service_json.h): cJSON parses, and
 * every key is checked by a table of known keys and a getter per type. What is left "auto"
 * is resolved against the EAL, and the conf proved, in mk_service_json_resolve.c; writing a
 * conf is in mk_service_json_write.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cJSON.h>
#include <rte_common.h>
#include <rte_lcore.h>

#include "mk_config.h"
#include "mk_descriptor.h"
#include "mk_err.h"
#include "mk_mem.h"
#include "mk_transport.h"
#include "mk_service_json_pvt.h"
#include "mk_json_pvt.h"

/* Room for a key's path in a message: "segments[15]." and a key that cJSON read (the key of
 * an unknown one can be any length: it is cut short). */
#define PATH_MAX_LEN		64

static const char *const top_keys[] = {
	"workers", "control", "control_period_us", "routing", "rebalance", "rebalance_wait_us",
	"rebalance_drift_pct", "rebalance_cooldown_ms", "secondary_gone", "secondary_buffers",
	"idle", "burst", "client_depth",
	"max_clients", "segments", "comment",
};
static const char *const segment_keys[] = {
	"name", "size", "kind", "mem_driver", "socket", "workers", "max_alloc_size",
	"need_exact_free", "need_align", "slab_size", "max_nodes", "rdma_device", "rdma_port",
	"endpoint", "comment",
};

static const char *
type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsNull(v))
		return "null";
	if (cJSON_IsArray(v))
		return "an array";
	return "an object";
}

static int
wrong_type(char *err, size_t errlen, const char *path, const char *want, const cJSON *v)
{
	return mk_errf(err, errlen, -EINVAL, "%s: %s expected, not %s", path, want, type_name(v));
}

/* "a, b, c" */
static const char *
join(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i > 0 ? ", " : "",
			names[i]);
	return buf;
}

/* Every key of @p obj is one of @p keys, and none is given twice. */
static int
check_keys(const cJSON *obj, const char *where, const char *const *keys, size_t nb_keys,
	char *err, size_t errlen)
{
	const cJSON *k, *prev;
	char known[200];
	size_t i;

	for (k = obj->child; k != NULL; k = k->next) {
		for (i = 0; i < nb_keys; i++)
			if (strcmp(k->string, keys[i]) == 0)
				break;
		if (i == nb_keys)
			return mk_errf(err, errlen, -EINVAL, "%s%s: unknown key (known: %s)", where,
				k->string, join(keys, nb_keys, known, sizeof(known)));
		for (prev = obj->child; prev != k; prev = prev->next)
			if (strcmp(prev->string, k->string) == 0)
				return mk_errf(err, errlen, -EINVAL, "%s%s: given twice", where,
					k->string);
	}
	return 0;
}

/* An integer in [min, max], every value of which a double holds. */
static int
get_int(const cJSON *v, const char *path, int64_t min, int64_t max, int64_t *out, char *err,
	size_t errlen)
{
	double x;

	if (!cJSON_IsNumber(v))
		return wrong_type(err, errlen, path, "a number", v);
	x = v->valuedouble;
	/* written so that NaN fails too */
	if (!(x >= (double)min && x <= (double)max) || (double)(int64_t)x != x)
		return mk_errf(err, errlen, -EINVAL, "%s: %.15g is not an integer in %" PRId64 "..%"
			PRId64, path, x, min, max);
	*out = (int64_t)x;
	return 0;
}

static int
get_uint(const cJSON *v, const char *path, uint32_t min, uint32_t max, uint32_t *out,
	char *err, size_t errlen)
{
	int64_t x = 0;
	int rc = get_int(v, path, min, max, &x, err, errlen);

	if (rc == 0)
		*out = (uint32_t)x;
	return rc;
}

bool
mk_service_size_parse(const char *s, uint64_t *out)
{
	const char *unit;
	uint64_t v = 0;
	unsigned int shift;

	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (*s == '\0') {
		*out = v;
		return true;
	}
	unit = strchr(MK_SERVICE_JSON_SIZE_UNITS, *s >= 'a' ? *s - 'a' + 'A' : *s);
	if (unit == NULL || s[1] != '\0')
		return false;
	shift = 10 * (unsigned int)(unit - MK_SERVICE_JSON_SIZE_UNITS + 1);
	if (v > UINT64_MAX >> shift)
		return false;
	*out = v << shift;
	return true;
}

/* A size: an exact integer, or a string with a suffix; "auto" when @p is_auto is given. */
static int
get_size(const cJSON *v, const char *path, uint64_t *out, bool *is_auto, char *err,
	size_t errlen)
{
	int64_t x;
	int rc;

	if (is_auto != NULL)
		*is_auto = false;
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble > (double)MK_SERVICE_JSON_EXACT_MAX)
			return mk_errf(err, errlen, -EINVAL, "%s: %.15g is above 2^53: write it as"
				" a string (\"8P\", or its digits)", path, v->valuedouble);
		rc = get_int(v, path, 0, (int64_t)MK_SERVICE_JSON_EXACT_MAX, &x, err, errlen);
		if (rc == 0)
			*out = (uint64_t)x;
		return rc;
	}
	if (!cJSON_IsString(v))
		return wrong_type(err, errlen, path, "a size (bytes, or a string: \"512M\")", v);
	if (is_auto != NULL && strcmp(v->valuestring, "auto") == 0) {
		*is_auto = true;
		*out = 0;
		return 0;
	}
	if (!mk_service_size_parse(v->valuestring, out))
		return mk_errf(err, errlen, -EINVAL, "%s: \"%s\" is not a size (bytes, or a number"
			" with K, M, G, T or P: \"512M\")%s", path, v->valuestring,
			is_auto != NULL ? ", nor \"auto\"" : "");
	return 0;
}

static int
get_bool(const cJSON *v, const char *path, bool *out, char *err, size_t errlen)
{
	if (!cJSON_IsBool(v))
		return wrong_type(err, errlen, path, "true or false", v);
	*out = cJSON_IsTrue(v);
	return 0;
}

/* A string of 1 .. size - 1 bytes, copied to @p buf. */
static int
get_string(const cJSON *v, const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	size_t len;

	if (!cJSON_IsString(v))
		return wrong_type(err, errlen, path, "a string", v);
	len = strlen(v->valuestring);
	if (len == 0 || len >= size)
		return mk_errf(err, errlen, -EINVAL, "%s: \"%s\": 1..%zu characters", path,
			v->valuestring, size - 1);
	memcpy(buf, v->valuestring, len + 1);
	return 0;
}

/* One of @p names, whose index goes to @p out. */
static int
get_choice(const cJSON *v, const char *path, const char *const *names, unsigned int n,
	unsigned int *out, char *err, size_t errlen)
{
	char list[64];
	unsigned int i;

	if (!cJSON_IsString(v))
		return wrong_type(err, errlen, path, "a string", v);
	for (i = 0; i < n; i++) {
		if (strcmp(v->valuestring, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return mk_errf(err, errlen, -EINVAL, "%s: \"%s\" is not one of %s", path, v->valuestring,
		join(names, n, list, sizeof(list)));
}

/* "host:port" of the transfer endpoint, or "" for none. */
static int
get_endpoint(const cJSON *v, const char *path, char *buf, size_t size, char *err, size_t errlen)
{
	char why[160];
	size_t len;

	if (!cJSON_IsString(v))
		return wrong_type(err, errlen, path, "a string (\"host:port\" or \"\")", v);
	len = strlen(v->valuestring);
	if (len >= size || mk_desc_check_endpoint(v->valuestring, why, sizeof(why)) != 0)
		return mk_errf(err, errlen, -EINVAL, "%s: %s", path, len >= size ?
			"longer than 255 bytes" : why);
	memcpy(buf, v->valuestring, len + 1);
	return 0;
}

/* A comment: a string, or a list of strings (one per line, for long ones). */
static int
check_comment(const cJSON *v, const char *path, char *err, size_t errlen)
{
	const cJSON *e;

	if (cJSON_IsString(v))
		return 0;
	if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach(e, v)
			if (!cJSON_IsString(e))
				break;
		if (e == NULL)
			return 0;
	}
	return wrong_type(err, errlen, path, "a string or a list of strings", v);
}

/* A list of lcore ids, at most MK_WORKERS_MAX of them. */
static int
get_lcores(const cJSON *v, const char *path, unsigned int *lcores, unsigned int *n, char *err,
	size_t errlen)
{
	const cJSON *e;
	char epath[PATH_MAX_LEN + 8];
	uint32_t id;
	int rc;

	if (!cJSON_IsArray(v))
		return wrong_type(err, errlen, path, "a list of lcore ids", v);
	*n = 0;
	cJSON_ArrayForEach(e, v) {
		snprintf(epath, sizeof(epath), "%s[%u]", path, *n);
		if (*n == MK_WORKERS_MAX)
			return mk_errf(err, errlen, -EINVAL, "%s: more than %d lcores", path,
				MK_WORKERS_MAX);
		rc = get_uint(e, epath, 0, RTE_MAX_LCORE - 1, &id, err, errlen);
		if (rc != 0)
			return rc;
		lcores[(*n)++] = id;
	}
	if (*n == 0)
		return mk_errf(err, errlen, -EINVAL, "%s: an empty list", path);
	return 0;
}

static int
parse_workers(const cJSON *v, struct mk_service_conf *conf, struct mk_json_pending *p, char *err,
	size_t errlen)
{
	int rc;

	if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
		p->workers = WORKERS_AUTO;
		return 0;
	}
	if (cJSON_IsNumber(v)) {
		p->workers = WORKERS_COUNT;
		rc = get_uint(v, "workers", 1, MK_WORKERS_MAX, &p->workers_count, err, errlen);
		if (rc == 0 && p->workers_count > mk_json_other_lcores())
			rc = mk_errf(err, errlen, -EINVAL, "workers: %u asked for, the EAL has %u"
				" lcores besides the main one (see -l/--lcores)",
				p->workers_count, mk_json_other_lcores());
		return rc;
	}
	if (!cJSON_IsArray(v))
		return wrong_type(err, errlen, "workers", "\"auto\", a number or a list of lcores",
			v);
	p->workers = WORKERS_LIST;
	rc = get_lcores(v, "workers", conf->worker_lcores, &conf->nb_workers, err, errlen);
	if (rc == 0 && conf->nb_workers > mk_json_other_lcores())
		rc = mk_errf(err, errlen, -EINVAL, "workers: %u lcores listed, the EAL has %u"
			" besides the main one (see -l/--lcores)", conf->nb_workers,
			mk_json_other_lcores());
	return rc;
}

/* "auto", false, or an lcore id. */
static int
parse_control(const cJSON *v, struct mk_service_conf *conf, struct mk_json_pending *p, char *err,
	size_t errlen)
{
	if (cJSON_IsString(v) && strcmp(v->valuestring, "auto") == 0) {
		p->control = CONTROL_AUTO;
		return 0;
	}
	if (cJSON_IsFalse(v)) {
		p->control = CONTROL_OFF;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return wrong_type(err, errlen, "control", "\"auto\", false or an lcore id", v);
	p->control = CONTROL_LCORE;
	return get_uint(v, "control", 0, RTE_MAX_LCORE - 1, &conf->control_lcore, err, errlen);
}

static int
parse_socket(const cJSON *v, const char *path, int *socket, char *err, size_t errlen)
{
	unsigned int i;
	int64_t x;
	int rc = get_int(v, path, -1, RTE_MAX_NUMA_NODES - 1, &x, err, errlen);

	if (rc != 0 || x == -1) {
		*socket = -1;
		return rc;
	}
	for (i = 0; i < rte_socket_count(); i++) {
		if (rte_socket_id_by_idx(i) == (int)x) {
			*socket = (int)x;
			return 0;
		}
	}
	return mk_errf(err, errlen, -EINVAL, "%s: socket %" PRId64 " is not one of the EAL's (%u"
		" sockets)", path, x, rte_socket_count());
}

static bool
power_of_two(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

/* What the kinds' own rules say about the guide and the parameters. */
static int
check_kind_params(const struct mk_segment_conf *s, unsigned int i, char *err, size_t errlen)
{
	uint64_t slab = s->slab_size != 0 ? s->slab_size : MK_SLAB_SIZE;

	if (s->slab_size != 0 && (!power_of_two(s->slab_size) ||
	    s->slab_size < MK_SLAB_SIZE_MIN || s->slab_size > MK_SLAB_SIZE_MAX))
		return mk_errf(err, errlen, -EINVAL, "segments[%u].slab_size: %" PRIu32 " is not a"
			" power of two from %u to %u", i, s->slab_size, MK_SLAB_SIZE_MIN,
			MK_SLAB_SIZE_MAX);
	if (s->need_align != 0 && !power_of_two(s->need_align))
		return mk_errf(err, errlen, -EINVAL, "segments[%u].need_align: %" PRIu64 " is not a"
			" power of two", i, s->need_align);
	if (s->kind != MK_ALLOC_KIND_SLAB)
		return 0;
	if (s->need_align > MK_ALLOC_SLAB_ALIGN_MAX)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].need_align: %" PRIu64 ", the"
			" slab kind aligns to at most %d (use \"offset\" or \"auto\")", i,
			s->need_align, MK_ALLOC_SLAB_ALIGN_MAX);
	if (s->max_alloc_size > slab)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].max_alloc_size: %" PRIu64 ", the"
			" slab kind serves at most one slab (%" PRIu64 ")", i, s->max_alloc_size,
			slab);
	return 0;
}

static int
parse_segment(const cJSON *obj, unsigned int i, struct mk_segment_conf *s, bool *size_auto,
	char *err, size_t errlen)
{
	static const char *const kinds[] = { "auto", "offset", "slab" };
	static const enum mk_alloc_kind kind_of[] = {
		MK_ALLOC_KIND_AUTO, MK_ALLOC_KIND_OFFSET, MK_ALLOC_KIND_SLAB,
	};
	char where[16], path[PATH_MAX_LEN], why[160];
	const cJSON *v;
	unsigned int choice;
	uint64_t size;
	int rc = 0;

	snprintf(where, sizeof(where), "segments[%u]", i);
	if (!cJSON_IsObject(obj))
		return wrong_type(err, errlen, where, "an object", obj);
	snprintf(path, sizeof(path), "%s.", where);
	rc = check_keys(obj, path, segment_keys, RTE_DIM(segment_keys), err, errlen);
	if (rc != 0)
		return rc;
	memset(s, 0, sizeof(*s));
	s->socket = -1;
	snprintf(s->mem_driver, sizeof(s->mem_driver), "memzone");
	s->rdma_port = MK_TRANSPORT_PORT_DEFAULT;
	if (cJSON_GetObjectItemCaseSensitive(obj, "name") == NULL)
		return mk_errf(err, errlen, -EINVAL, "%s.name: missing", where);
	if (cJSON_GetObjectItemCaseSensitive(obj, "size") == NULL)
		return mk_errf(err, errlen, -EINVAL, "%s.size: missing (a size, or \"auto\")",
			where);
	cJSON_ArrayForEach(v, obj) {
		const char *key = v->string;

		snprintf(path, sizeof(path), "%s.%s", where, key);
		if (strcmp(key, "name") == 0) {
			rc = get_string(v, path, s->name, sizeof(s->name), err, errlen);
		} else if (strcmp(key, "size") == 0) {
			rc = get_size(v, path, &s->size, size_auto, err, errlen);
			if (rc == 0 && !*size_auto && s->size == 0)
				rc = mk_errf(err, errlen, -EINVAL, "%s: 0 bytes", path);
		} else if (strcmp(key, "kind") == 0) {
			rc = get_choice(v, path, kinds, RTE_DIM(kinds), &choice, err, errlen);
			s->kind = kind_of[rc == 0 ? choice : 0];
		} else if (strcmp(key, "mem_driver") == 0) {
			rc = get_string(v, path, s->mem_driver, sizeof(s->mem_driver), err, errlen);
			if (rc == 0 && mk_mem_driver_find(s->mem_driver) == NULL)
				rc = mk_errf(err, errlen, -EINVAL, "%s: no driver \"%s\" (memzone,"
					" anon, or one the program registered)", path,
					s->mem_driver);
		} else if (strcmp(key, "socket") == 0) {
			rc = parse_socket(v, path, &s->socket, err, errlen);
		} else if (strcmp(key, "workers") == 0) {
			rc = get_lcores(v, path, s->workers, &s->nb_workers, err, errlen);
		} else if (strcmp(key, "max_alloc_size") == 0) {
			rc = get_size(v, path, &s->max_alloc_size, NULL, err, errlen);
		} else if (strcmp(key, "need_exact_free") == 0) {
			rc = get_bool(v, path, &s->need_exact_free, err, errlen);
		} else if (strcmp(key, "need_align") == 0) {
			rc = get_size(v, path, &s->need_align, NULL, err, errlen);
		} else if (strcmp(key, "slab_size") == 0) {
			rc = get_size(v, path, &size, NULL, err, errlen);
			if (rc == 0 && size > MK_SLAB_SIZE_MAX)
				rc = mk_errf(err, errlen, -EINVAL, "%s: %" PRIu64 " is above %u",
					path, size, MK_SLAB_SIZE_MAX);
			s->slab_size = (uint32_t)size;
		} else if (strcmp(key, "max_nodes") == 0) {
			rc = get_uint(v, path, 0, MK_OFFSET_NODES_LIMIT, &s->max_nodes, err,
				errlen);
		} else if (strcmp(key, "rdma_device") == 0) {
			rc = get_string(v, path, s->rdma_device, sizeof(s->rdma_device), err,
				errlen);
			if (rc == 0 && mk_transport_check(s->rdma_device, 0, why, sizeof(why)) != 0)
				rc = mk_errf(err, errlen, -EINVAL, "%s: %s", path, why);
			/* one spelling of "none", the writer's "", down to the bytes */
			if (rc == 0 && strcmp(s->rdma_device, "none") == 0)
				memset(s->rdma_device, 0, sizeof(s->rdma_device));
		} else if (strcmp(key, "rdma_port") == 0) {
			rc = get_uint(v, path, 1, UINT8_MAX, &s->rdma_port, err, errlen);
		} else if (strcmp(key, "endpoint") == 0) {
			rc = get_endpoint(v, path, s->endpoint, sizeof(s->endpoint), err, errlen);
		} else {
			rc = check_comment(v, path, err, errlen);
		}
		if (rc != 0)
			return rc;
	}
	return check_kind_params(s, i, err, errlen);
}

static int
parse_top(const cJSON *root, struct mk_service_conf *conf, struct mk_json_pending *p, char *err,
	size_t errlen)
{
	static const char *const idles[] = { "auto", "spin", "pause", "yield" };
	static const char *const gone_choices[] = { "release", "keep" };
	const cJSON *v, *seg;
	unsigned int choice, i;
	int rc;

	if (!cJSON_IsObject(root))
		return wrong_type(err, errlen, "config", "an object", root);
	rc = check_keys(root, "", top_keys, RTE_DIM(top_keys), err, errlen);
	if (rc != 0)
		return rc;
	mk_service_conf_defaults(conf);
	memset(p, 0, sizeof(*p));
	p->workers = WORKERS_AUTO;
	p->control = CONTROL_AUTO;
	p->routing = true;
	p->idle_auto = true;
	if (cJSON_GetObjectItemCaseSensitive(root, "segments") == NULL)
		return mk_errf(err, errlen, -EINVAL, "segments: missing (a list of 1..%d segments)",
			MK_SEGMENTS_MAX);
	cJSON_ArrayForEach(v, root) {
		const char *key = v->string;

		if (strcmp(key, "workers") == 0) {
			rc = parse_workers(v, conf, p, err, errlen);
		} else if (strcmp(key, "control") == 0) {
			rc = parse_control(v, conf, p, err, errlen);
		} else if (strcmp(key, "control_period_us") == 0) {
			rc = get_uint(v, key, 0, 1000000, &conf->control_period_us, err, errlen);
		} else if (strcmp(key, "routing") == 0) {
			rc = get_bool(v, key, &p->routing, err, errlen);
		} else if (strcmp(key, "rebalance") == 0) {
			rc = get_bool(v, key, &conf->rebalance, err, errlen);
		} else if (strcmp(key, "rebalance_wait_us") == 0) {
			rc = get_uint(v, key, 0, 10000000, &conf->rebalance_wait_us, err, errlen);
		} else if (strcmp(key, "rebalance_drift_pct") == 0) {
			rc = get_uint(v, key, 0, 1000, &conf->rebalance_drift_pct, err, errlen);
		} else if (strcmp(key, "rebalance_cooldown_ms") == 0) {
			rc = get_uint(v, key, 0, 3600000, &conf->rebalance_cooldown_ms, err, errlen);
		} else if (strcmp(key, "secondary_gone") == 0) {
			rc = get_choice(v, key, gone_choices, RTE_DIM(gone_choices), &choice, err,
				errlen);
			conf->secondary_keep = rc == 0 && choice == 1;
		} else if (strcmp(key, "secondary_buffers") == 0) {
			rc = get_uint(v, key, 1, 1u << 24, &conf->secondary_buffers, err, errlen);
		} else if (strcmp(key, "idle") == 0) {
			rc = get_choice(v, key, idles, RTE_DIM(idles), &choice, err, errlen);
			p->idle_auto = rc == 0 && choice == 0;
			conf->idle_pause = rc == 0 && choice == 2;
			conf->idle_yield = rc == 0 && choice == 3;
		} else if (strcmp(key, "burst") == 0) {
			rc = get_uint(v, key, 1, 64, &conf->burst, err, errlen);
		} else if (strcmp(key, "client_depth") == 0) {
			rc = get_uint(v, key, 1, 1u << 16, &conf->client_depth, err, errlen);
		} else if (strcmp(key, "max_clients") == 0) {
			rc = get_uint(v, key, 1, MK_CLIENTS_MAX, &conf->max_clients, err, errlen);
		} else if (strcmp(key, "segments") == 0) {
			if (!cJSON_IsArray(v))
				return wrong_type(err, errlen, key, "a list", v);
			i = (unsigned int)cJSON_GetArraySize(v);
			if (i == 0 || i > MK_SEGMENTS_MAX)
				return mk_errf(err, errlen, -EINVAL, "segments: 1..%d segments, not"
					" %u", MK_SEGMENTS_MAX, i);
			conf->nb_segments = i;
			i = 0;
			cJSON_ArrayForEach(seg, v) {
				rc = parse_segment(seg, i, &conf->segments[i], &p->size_auto[i],
					err, errlen);
				if (rc != 0)
					return rc;
				i++;
			}
		} else {
			rc = check_comment(v, key, err, errlen);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* "line 3, column 14" of @p pos in @p text. */
static void
text_position(const char *text, const char *pos, char *buf, size_t len)
{
	unsigned int line = 1, col = 1;
	const char *c;

	for (c = text; c < pos; c++) {
		col++;
		if (*c == '\n') {
			line++;
			col = 1;
		}
	}
	snprintf(buf, len, "line %u, column %u", line, col);
}

int
mk_service_conf_from_json(const char *text, size_t len, const struct mk_service_json_opts *opts,
	struct mk_service_conf *conf, char *err, size_t errlen)
{
	struct mk_json_pending p;
	const char *end = NULL;
	char where[48];
	cJSON *root;
	int rc;

	if (text == NULL || conf == NULL)
		return mk_errf(err, errlen, -EINVAL, "config: no text or no conf");
	if (rte_lcore_count() == 0)	/* the EAL counts its lcores at init */
		return mk_errf(err, errlen, -ENODEV, "config: the EAL is not initialised");
	if (len > MK_SERVICE_JSON_MAX)
		return mk_errf(err, errlen, -EINVAL, "config: %zu bytes, at most %u", len,
			MK_SERVICE_JSON_MAX);
	root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (root == NULL) {
		text_position(text, end != NULL ? end : text + len, where, sizeof(where));
		return mk_errf(err, errlen, -EINVAL, "config: not valid JSON at %s", where);
	}
	while (end != NULL && end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != NULL && end < text + len) {
		text_position(text, end, where, sizeof(where));
		cJSON_Delete(root);
		return mk_errf(err, errlen, -EINVAL, "config: text after the JSON object at %s",
			where);
	}
	if (mk_json_has_nul_escape(text, len)) {
		cJSON_Delete(root);
		return mk_errf(err, errlen, -EINVAL, "config: a string holds \\u0000");
	}
	rc = parse_top(root, conf, &p, err, errlen);
	cJSON_Delete(root);
	return rc != 0 ? rc : mk_json_resolve(conf, &p, opts, err, errlen);
}

int
mk_service_conf_load(const char *path, const struct mk_service_json_opts *opts,
	struct mk_service_conf *conf, char *err, size_t errlen)
{
	char why[256] = "";
	struct stat st;
	size_t got;
	char *text;
	FILE *f;
	int rc;

	if (path == NULL)
		return mk_errf(err, errlen, -EINVAL, "config: no path");
	f = fopen(path, "r");
	if (f == NULL) {
		rc = -errno;
		return mk_errf(err, errlen, rc, "%s: %s", path, strerror(-rc));
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return mk_errf(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > MK_SERVICE_JSON_MAX) {
		fclose(f);
		return mk_errf(err, errlen, -EFBIG, "%s: %lld bytes, at most %u", path,
			(long long)st.st_size, MK_SERVICE_JSON_MAX);
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		fclose(f);
		return mk_errf(err, errlen, -ENOMEM, "%s: out of memory", path);
	}
	got = fread(text, 1, (size_t)st.st_size, f);
	rc = ferror(f) ? -EIO : 0;
	fclose(f);
	if (rc == 0)
		rc = mk_service_conf_from_json(text, got, opts, conf, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "read error");
	free(text);
	return rc == 0 ? 0 : mk_errf(err, errlen, rc, "%s: %s", path, why);
}
