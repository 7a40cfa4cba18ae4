/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The demo load: one client per spare lcore churns buffers of random sizes through the
 * client API, mixing blocking, burst and asynchronous calls the way an application would.
 * Every buffer gets a stamp (derived from its offset, size and client) at both ends when it
 * arrives, and the stamp is checked before the buffer goes back: two buffers that overlap,
 * or a buffer handed out twice, show up as a stamp another client overwrote.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_launch.h>

#include "daemon.h"
#include "mk_client.h"
#include "mk_config.h"
#include "mk_prng.h"

/* Buffers one client holds at most. */
#define LIVE_MAX	8192
/* Asynchronous requests one client keeps in flight at most (less when the depth is less). */
#define ASYNC_MAX	32
/* Requests in one burst call at most. */
#define BURST_MAX	16
/* The largest request: the slab kind's largest class by default, and no more than a
 * sixteenth of a shard, so that a client's live set spreads over many buffers. */
#define SIZE_MAX_DEMO	(UINT64_C(4) << 20)
#define SHARD_SHARE	16
/* Live bytes all clients of a segment aim for, in tenths of it: some allocations then
 * fail for want of space, and the shards' nomem figures show how the service copes. */
#define FILL_TENTHS	7
/* Steps that allocate while the live set is under its target. */
#define GROW_PERCENT	60
/* Tags of asynchronous requests. */
#define TAG_ALLOC	1
#define TAG_FREE	2

struct demo;

struct demo_client {
	struct demo *demo;
	unsigned int id, lcore;
	char segment[MK_SEGMENT_NAME_SIZE];
	uint64_t seed;
	uint64_t max_size;	/* largest request */
	uint64_t align_max;	/* largest alignment the kind serves, up to a page */
	uint64_t bytes_cap;	/* live bytes it aims for */
	unsigned int async_max;
	struct mk_client *c;
	struct mk_buffer *live;
	unsigned int nb_live;
	uint64_t live_bytes;
	/* what it did, read by the main lcore once the client has returned */
	uint64_t requests, full, errors, kept, kept_bytes;
	char first_error[200];
	atomic_bool failed;
};

struct demo {
	atomic_bool stop;
	unsigned int nb, leak;
	struct demo_client clients[];
};

static void __rte_format_printf(2, 3)
client_error(struct demo_client *dc, const char *fmt, ...)
{
	va_list ap;

	if (dc->errors++ == 0) {
		va_start(ap, fmt);
		vsnprintf(dc->first_error, sizeof(dc->first_error), fmt, ap);
		va_end(ap);
	}
	atomic_store(&dc->failed, true);
}

static uint64_t
stamp_of(const struct demo_client *dc, const struct mk_buffer *b)
{
	uint64_t s = b->offset ^ (b->size << 20) ^ ((uint64_t)dc->id << 56);

	return mk_prng_next(&s);
}

/* The stamp at both ends; a buffer of less than 16 bytes has only the first 8 or fewer. */
static void
stamp(const struct demo_client *dc, const struct mk_buffer *b)
{
	uint64_t v = stamp_of(dc, b);

	memcpy(b->data, &v, RTE_MIN(b->size, sizeof(v)));
	if (b->size >= 2 * sizeof(v))
		memcpy((char *)b->data + b->size - sizeof(v), &v, sizeof(v));
}

static void
check_stamp(struct demo_client *dc, const struct mk_buffer *b)
{
	uint64_t v = stamp_of(dc, b), head = 0, tail = v;

	memcpy(&head, b->data, RTE_MIN(b->size, sizeof(v)));
	if (b->size >= 2 * sizeof(v))
		memcpy(&tail, (char *)b->data + b->size - sizeof(v), sizeof(v));
	if (memcmp(&head, &v, RTE_MIN(b->size, sizeof(v))) != 0 || tail != v)
		client_error(dc, "buffer at offset %" PRIu64 " (%" PRIu64 " bytes) was"
			" overwritten while it was ours", b->offset, b->size);
}

static void
keep(struct demo_client *dc, const struct mk_buffer *b)
{
	stamp(dc, b);
	dc->live[dc->nb_live++] = *b;
	dc->live_bytes += b->size;
}

/* A random live buffer, out of the live set and checked. */
static struct mk_buffer
take(struct demo_client *dc)
{
	unsigned int i = (unsigned int)mk_prng_below(&dc->seed, dc->nb_live);
	struct mk_buffer b = dc->live[i];

	dc->live[i] = dc->live[--dc->nb_live];
	dc->live_bytes -= b.size;
	check_stamp(dc, &b);
	return b;
}

/* Mostly small, some medium, a few up to the largest: a KV store's mix. */
static uint64_t
pick_size(struct demo_client *dc)
{
	uint64_t r = mk_prng_below(&dc->seed, 100);
	uint64_t hi = r < 60 ? 4096 : r < 90 ? 65536 : dc->max_size;

	return mk_prng_range(&dc->seed, 1, RTE_MIN(hi, dc->max_size));
}

static uint64_t
pick_align(struct demo_client *dc)
{
	if (mk_prng_below(&dc->seed, 4) != 0)
		return 0;
	return dc->align_max >> mk_prng_below(&dc->seed, 4);
}

/* What an allocation may answer besides 0: no space now is the load's normal state. */
static void
alloc_status(struct demo_client *dc, int status, const struct mk_buffer *b, uint64_t size)
{
	if (status == 0)
		keep(dc, b);
	else if (status == -ENOMEM || status == -ENOSPC)
		dc->full++;
	else
		client_error(dc, "alloc of %" PRIu64 " bytes: %s", size, strerror(-status));
}

static bool
has_room(const struct demo_client *dc)
{
	return dc->nb_live + mk_client_inflight(dc->c) + BURST_MAX < LIVE_MAX &&
		dc->live_bytes < dc->bytes_cap;
}

static void
collect(struct demo_client *dc)
{
	struct mk_completion cpl[ASYNC_MAX];
	unsigned int i, n = mk_client_poll(dc->c, cpl, RTE_DIM(cpl));

	for (i = 0; i < n; i++) {
		if (cpl[i].tag == TAG_ALLOC)
			alloc_status(dc, cpl[i].status, &cpl[i].buf, 0);
		else if (cpl[i].status != 0)
			client_error(dc, "asynchronous free: %s", strerror(-cpl[i].status));
	}
}

static void
step_burst(struct demo_client *dc, bool alloc)
{
	uint64_t sizes[BURST_MAX];
	struct mk_buffer bufs[BURST_MAX];
	int status[BURST_MAX];
	unsigned int i, n = 1 + (unsigned int)mk_prng_below(&dc->seed, BURST_MAX);
	uint64_t align = pick_align(dc);

	if (alloc) {
		for (i = 0; i < n; i++)
			sizes[i] = pick_size(dc);
		mk_client_alloc_burst(dc->c, sizes, align, bufs, status, n);
		for (i = 0; i < n; i++)
			alloc_status(dc, status[i], &bufs[i], sizes[i]);
		dc->requests += n;
		return;
	}
	n = RTE_MIN(n, dc->nb_live);
	for (i = 0; i < n; i++)
		bufs[i] = take(dc);
	if (mk_client_free_burst(dc->c, bufs, status, n) != n)
		for (i = 0; i < n; i++)
			if (status[i] != 0)
				client_error(dc, "burst free: %s", strerror(-status[i]));
	dc->requests += n;
}

/* One step of the churn: grow more often than shrink while there is room, so that the live
 * set climbs to the fill target and then hovers there; each way by any kind of call. */
static void
step(struct demo_client *dc)
{
	bool grow = has_room(dc) && mk_prng_below(&dc->seed, 100) < GROW_PERCENT;
	uint64_t way = mk_prng_below(&dc->seed, 3), size;
	struct mk_buffer b;
	int rc;

	if (!grow && dc->nb_live == 0)
		return;		/* nothing to free, no room to grow: let the answers come */
	if (way == 1) {
		step_burst(dc, grow);
		return;
	}
	dc->requests++;
	if (way == 2 && mk_client_inflight(dc->c) < dc->async_max) {
		if (grow) {
			rc = mk_client_submit_alloc(dc->c, pick_size(dc), pick_align(dc),
				TAG_ALLOC);
		} else {
			b = take(dc);
			rc = mk_client_submit_free(dc->c, &b, TAG_FREE);
			if (rc != 0)
				keep(dc, &b);	/* still ours: freed at the stop */
		}
		if (rc != 0)
			client_error(dc, "submit: %s", strerror(-rc));
		return;
	}
	if (grow) {
		size = pick_size(dc);
		rc = mk_client_alloc(dc->c, size, pick_align(dc), &b);
		alloc_status(dc, rc, &b, size);
	} else {
		b = take(dc);
		rc = mk_client_free(dc->c, &b);
		if (rc != 0)
			client_error(dc, "free: %s", strerror(-rc));
	}
}

/* Everything in flight answered, then every buffer freed but the ones kept on purpose. */
static void
finish(struct demo_client *dc)
{
	struct mk_buffer bufs[BURST_MAX];
	int status[BURST_MAX];
	unsigned int i, n;

	while (mk_client_inflight(dc->c) > 0)
		collect(dc);
	/* exactly --leak N kept, however few the churn left live at this moment */
	while (dc->nb_live < dc->demo->leak && dc->errors == 0) {
		struct mk_buffer b;
		uint64_t size = pick_size(dc);
		int rc = mk_client_alloc(dc->c, size, 0, &b);

		if (rc != 0) {
			alloc_status(dc, rc, &b, size);
			break;
		}
		keep(dc, &b);
	}
	while (dc->nb_live > dc->demo->leak) {
		n = RTE_MIN(dc->nb_live - dc->demo->leak, (unsigned int)BURST_MAX);
		for (i = 0; i < n; i++)
			bufs[i] = take(dc);
		if (mk_client_free_burst(dc->c, bufs, status, n) != n)
			for (i = 0; i < n; i++)
				if (status[i] != 0)
					client_error(dc, "free at the stop: %s",
						strerror(-status[i]));
	}
	dc->kept = dc->nb_live;
	dc->kept_bytes = dc->live_bytes;
}

static int
client_main(void *arg)
{
	struct demo_client *dc = arg;

	while (!atomic_load_explicit(&dc->demo->stop, memory_order_relaxed) && dc->errors == 0) {
		step(dc);
		collect(dc);
	}
	finish(dc);
	mk_client_close(dc->c);
	dc->c = NULL;
	return 0;
}

/* Sizes, alignments and the fill target from the segment and its share of the clients. */
static int
client_setup(struct demo_client *dc, const struct mk_service *svc,
	const struct mk_service_conf *conf, unsigned int segment, unsigned int sharing,
	char *err, size_t errlen)
{
	struct mk_segment_conf s;
	int shards = mk_service_segment_info(svc, segment, &s, NULL);
	uint64_t shard_size = s.size / (uint64_t)shards;
	bool slab = s.kind == MK_ALLOC_KIND_SLAB;

	snprintf(dc->segment, sizeof(dc->segment), "%s", s.name);
	dc->max_size = RTE_MIN(SIZE_MAX_DEMO, shard_size / SHARD_SHARE);
	if (slab)
		dc->max_size = RTE_MIN(dc->max_size, s.slab_size != 0 ? s.slab_size : MK_SLAB_SIZE);
	dc->max_size = RTE_MAX(dc->max_size, UINT64_C(1));
	dc->align_max = slab ? MK_ALLOC_SLAB_ALIGN_MAX : 4096;
	dc->bytes_cap = s.size / 10 * FILL_TENTHS / sharing;
	/* a blocking call needs a credit that answers waiting to be polled do not hold */
	dc->async_max = RTE_MIN((unsigned int)ASYNC_MAX, conf->client_depth / 2);
	dc->live = calloc(LIVE_MAX, sizeof(*dc->live));
	dc->c = mk_client_open(dc->segment);
	if (dc->live == NULL || dc->c == NULL) {
		snprintf(err, errlen, "client of segment '%s': %s", dc->segment, dc->live == NULL ?
			"out of memory" : "mk_client_open failed (max_clients?)");
		return -ENOMEM;
	}
	return 0;
}

static void
demo_free(struct demo *d)
{
	unsigned int i;

	for (i = 0; i < d->nb; i++) {
		mk_client_close(d->clients[i].c);
		free(d->clients[i].live);
	}
	free(d);
}

struct demo *
demo_start(struct mk_service *svc, const struct mk_service_conf *conf,
	const unsigned int *lcores, unsigned int n, unsigned int leak, uint64_t seed, char *err,
	size_t errlen)
{
	unsigned int i, segs = mk_service_segment_count(svc);
	struct demo *d = calloc(1, sizeof(*d) + n * sizeof(d->clients[0]));
	int rc;

	if (d == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->leak = leak;
	for (i = 0; i < n; i++) {
		struct demo_client *dc = &d->clients[i];

		dc->demo = d;
		dc->id = i;
		dc->lcore = lcores[i];
		dc->seed = seed + i;
		d->nb = i + 1;
		/* clients i, i + segs, ... share segment i */
		if (client_setup(dc, svc, conf, i % segs, (n - i % segs + segs - 1) / segs, err,
		    errlen) != 0) {
			demo_free(d);
			return NULL;
		}
	}
	for (i = 0; i < n; i++) {
		rc = rte_eal_remote_launch(client_main, &d->clients[i], lcores[i]);
		if (rc != 0) {
			snprintf(err, errlen, "cannot launch a client on lcore %u: %s", lcores[i],
				strerror(-rc));
			atomic_store(&d->stop, true);
			while (i-- > 0)
				mk_lcore_wait(lcores[i]);
			demo_free(d);
			return NULL;
		}
	}
	return d;
}

bool
demo_failed(const struct demo *d)
{
	unsigned int i;

	for (i = 0; i < d->nb; i++)
		if (atomic_load(&d->clients[i].failed))
			return true;
	return false;
}

uint64_t
demo_stop(struct demo *d, FILE *out, uint64_t *kept, uint64_t *kept_bytes)
{
	uint64_t requests = 0, full = 0, errors = 0;
	unsigned int i;

	atomic_store(&d->stop, true);
	*kept = *kept_bytes = 0;
	for (i = 0; i < d->nb; i++) {
		struct demo_client *dc = &d->clients[i];

		mk_lcore_wait(dc->lcore);
		fprintf(out, "mkalloc: demo client %u (lcore %u, segment '%s'): %" PRIu64
			" requests, %" PRIu64 " allocations found no space, %" PRIu64 " errors,"
			" kept %" PRIu64 " buffers (%" PRIu64 " bytes)\n", i, dc->lcore,
			dc->segment, dc->requests, dc->full, dc->errors, dc->kept, dc->kept_bytes);
		if (dc->errors != 0)
			fprintf(out, "mkalloc: demo client %u: first error: %s\n", i,
				dc->first_error);
		requests += dc->requests;
		full += dc->full;
		errors += dc->errors;
		*kept += dc->kept;
		*kept_bytes += dc->kept_bytes;
	}
	fprintf(out, "mkalloc: demo: %u clients, %" PRIu64 " requests (%" PRIu64 " found no"
		" space), %" PRIu64 " errors; every buffer's stamps checked before its free\n",
		d->nb, requests, full, errors);
	demo_free(d);
	return errors;
}
