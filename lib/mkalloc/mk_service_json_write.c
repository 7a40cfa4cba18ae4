/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing the service's configuration as JSON: every key, nothing left "auto", sizes in
 * their friendliest exact form, so that mk_service_conf_from_json() reads back the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "mk_err.h"
#include "mk_service_json.h"
#include "mk_transport.h"

/* The exact size as the friendliest JSON: "512M" when it is whole units, else a number. */
static cJSON *
size_item(uint64_t v)
{
	static const char units[] = MK_SERVICE_JSON_SIZE_UNITS;
	char text[24];
	unsigned int u = 0;

	while (v != 0 && u < sizeof(units) - 1 && v % (UINT64_C(1) << (10 * (u + 1))) == 0)
		u++;
	if (u > 0) {
		snprintf(text, sizeof(text), "%" PRIu64 "%c", v >> (10 * u), units[u - 1]);
		return cJSON_CreateString(text);
	}
	if (v <= MK_SERVICE_JSON_EXACT_MAX)
		return cJSON_CreateNumber((double)v);
	snprintf(text, sizeof(text), "%" PRIu64, v);
	return cJSON_CreateString(text);
}

static cJSON *
lcores_item(const unsigned int *lcores, unsigned int n)
{
	cJSON *a = cJSON_CreateArray();
	unsigned int i;

	for (i = 0; a != NULL && i < n; i++) {
		if (!cJSON_AddItemToArray(a, cJSON_CreateNumber(lcores[i]))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* cJSON_AddItemToObject() that frees @p item when it cannot take it. */
static bool
add(cJSON *o, const char *key, cJSON *item)
{
	if (item != NULL && cJSON_AddItemToObject(o, key, item))
		return true;
	cJSON_Delete(item);
	return false;
}

static cJSON *
segment_item(const struct mk_segment_conf *s)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	ok = ok && add(o, "name", cJSON_CreateString(s->name));
	ok = ok && add(o, "size", size_item(s->size));
	ok = ok && add(o, "kind", cJSON_CreateString(mk_alloc_kind_name(s->kind)));
	ok = ok && add(o, "mem_driver", cJSON_CreateString(s->mem_driver[0] != '\0' ?
		s->mem_driver : "memzone"));
	ok = ok && add(o, "socket", cJSON_CreateNumber(s->socket));
	if (s->nb_workers > 0)
		ok = ok && add(o, "workers", lcores_item(s->workers, s->nb_workers));
	ok = ok && add(o, "max_alloc_size", size_item(s->max_alloc_size));
	ok = ok && add(o, "need_exact_free", cJSON_CreateBool(s->need_exact_free));
	ok = ok && add(o, "need_align", size_item(s->need_align));
	ok = ok && add(o, "slab_size", size_item(s->slab_size));
	ok = ok && add(o, "max_nodes", cJSON_CreateNumber(s->max_nodes));
	ok = ok && add(o, "rdma_device", cJSON_CreateString(s->rdma_device[0] != '\0' ?
		s->rdma_device : "none"));
	ok = ok && add(o, "rdma_port", cJSON_CreateNumber(s->rdma_port != 0 ? s->rdma_port :
		MK_TRANSPORT_PORT_DEFAULT));
	ok = ok && add(o, "endpoint", cJSON_CreateString(s->endpoint));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
mk_service_conf_to_json(const struct mk_service_conf *conf, char *buf, size_t cap, char *err,
	size_t errlen)
{
	cJSON *o, *segs;
	unsigned int i;
	char *text;
	size_t len;
	bool ok;

	if (conf == NULL || buf == NULL || conf->nb_segments > MK_SEGMENTS_MAX ||
	    conf->nb_workers > MK_WORKERS_MAX)
		return mk_errf(err, errlen, -EINVAL, "config: no conf, no buffer, or counts out of"
			" range");
	for (i = 0; i < conf->nb_segments; i++)
		if (strcmp(mk_alloc_kind_name(conf->segments[i].kind), "unknown") == 0)
			return mk_errf(err, errlen, -EINVAL, "segments[%u].kind: %d has no name", i,
				(int)conf->segments[i].kind);
	o = cJSON_CreateObject();
	ok = o != NULL;
	ok = ok && add(o, "workers", lcores_item(conf->worker_lcores, conf->nb_workers));
	ok = ok && add(o, "control", conf->control ? cJSON_CreateNumber(conf->control_lcore) :
		cJSON_CreateFalse());
	ok = ok && add(o, "control_period_us", cJSON_CreateNumber(conf->control_period_us));
	ok = ok && add(o, "routing", cJSON_CreateBool(conf->routing));
	ok = ok && add(o, "rebalance", cJSON_CreateBool(conf->rebalance));
	ok = ok && add(o, "rebalance_wait_us", cJSON_CreateNumber(conf->rebalance_wait_us));
	ok = ok && add(o, "rebalance_drift_pct", cJSON_CreateNumber(conf->rebalance_drift_pct));
	ok = ok && add(o, "rebalance_cooldown_ms",
		cJSON_CreateNumber(conf->rebalance_cooldown_ms));
	ok = ok && add(o, "secondary_gone",
		cJSON_CreateString(conf->secondary_keep ? "keep" : "release"));
	ok = ok && add(o, "secondary_buffers", cJSON_CreateNumber(conf->secondary_buffers));
	ok = ok && add(o, "idle", cJSON_CreateString(conf->idle_yield ? "yield" :
		conf->idle_pause ? "pause" : "spin"));
	ok = ok && add(o, "burst", cJSON_CreateNumber(conf->burst));
	ok = ok && add(o, "client_depth", cJSON_CreateNumber(conf->client_depth));
	ok = ok && add(o, "max_clients", cJSON_CreateNumber(conf->max_clients));
	segs = ok ? cJSON_AddArrayToObject(o, "segments") : NULL;
	ok = segs != NULL;
	for (i = 0; ok && i < conf->nb_segments; i++) {
		cJSON *s = segment_item(&conf->segments[i]);

		ok = s != NULL && cJSON_AddItemToArray(segs, s);
		if (!ok)
			cJSON_Delete(s);
	}
	text = ok ? cJSON_Print(o) : NULL;
	cJSON_Delete(o);
	if (text == NULL)
		return mk_errf(err, errlen, -ENOMEM, "config: out of memory writing JSON");
	len = strlen(text);
	if (len >= cap) {
		cJSON_free(text);
		return mk_errf(err, errlen, -EMSGSIZE, "config: the JSON needs %zu bytes, the"
			" buffer holds %zu", len + 1, cap);
	}
	memcpy(buf, text, len + 1);
	cJSON_free(text);
	return (int)len;
}
