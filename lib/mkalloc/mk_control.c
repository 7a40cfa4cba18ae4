/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore: every period it reads each shard's published figures and publishes, per
 * segment, a routing view (shards by largest free region). Clients and workers read the view
 * to send an allocation where it fits best, so that a segment split into shards fails only
 * when no shard can hold the request. The control lcore never touches an allocator.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_seqlock.h>

#include "mk_config.h"
#include "mk_service_pvt.h"

static int
by_largest_free(const void *a, const void *b)
{
	const struct mk_route_entry *x = a, *y = b;

	if (x->largest_free != y->largest_free)
		return x->largest_free > y->largest_free ? -1 : 1;
	if (x->free_bytes != y->free_bytes)
		return x->free_bytes > y->free_bytes ? -1 : 1;
	return x->shard < y->shard ? -1 : (x->shard > y->shard);
}

static void
publish_view(struct mk_service *svc, struct mk_segment *seg)
{
	struct mk_shard_stats st[MK_WORKERS_MAX];
	struct mk_route_view v;
	unsigned int k;
	int n = mk_service_shard_stats(svc, seg->index, st, MK_WORKERS_MAX);

	memset(&v, 0, sizeof(v));
	v.version = seg->route.view.version + 1;	/* only this lcore writes it */
	v.nb_shards = (unsigned int)n;
	for (k = 0; k < v.nb_shards; k++) {
		v.shard[k] = (struct mk_route_entry){
			.shard = k, .largest_free = st[k].largest_free,
			.free_bytes = st[k].free_bytes, .live_buffers = st[k].live_buffers,
		};
		v.capacity += st[k].capacity;
		v.free_bytes += st[k].free_bytes;
		v.live_buffers += st[k].live_buffers;
		if (st[k].largest_free > v.largest_free)
			v.largest_free = st[k].largest_free;
	}
	qsort(v.shard, v.nb_shards, sizeof(v.shard[0]), by_largest_free);
	rte_seqlock_write_lock(&seg->route.lock);
	seg->route.view = v;
	rte_seqlock_write_unlock(&seg->route.lock);
}

int
mk_control_main(void *arg)
{
	struct mk_service *svc = arg;
	uint32_t period = svc->conf.control_period_us != 0 ? svc->conf.control_period_us :
		MK_CONTROL_PERIOD_US;
	struct timespec tick = { .tv_sec = period / 1000000, .tv_nsec = period % 1000000 * 1000 };
	unsigned int i;

	while (atomic_load_explicit(&svc->state, memory_order_acquire) != MK_SVC_STOPPED) {
		for (i = 0; i < svc->nb_segments; i++)
			publish_view(svc, &svc->segments[i]);
		/* not a data-plane loop: it sleeps between looks */
		nanosleep(&tick, NULL);
	}
	return 0;
}

int
mk_service_route_view(const struct mk_service *svc, unsigned int segment,
	struct mk_route_view *out)
{
	const struct mk_route_pub *pub;
	uint32_t sn;

	if (segment >= svc->nb_segments || out == NULL)
		return -EINVAL;
	pub = &svc->segments[segment].route;
	do {
		sn = rte_seqlock_read_begin(&pub->lock);
		*out = pub->view;
	} while (rte_seqlock_read_retry(&pub->lock, sn));
	return 0;
}

/* The best untried shard of the view: the smallest largest-free-region that holds @p size,
 * then the most free bytes; else the untried one with the largest region. */
static int
route_by_view(const struct mk_route_pub *pub, uint64_t size, uint64_t tried)
{
	int best, fallback;
	unsigned int k;
	uint32_t sn;

	do {
		const struct mk_route_view *v = &pub->view;

		sn = rte_seqlock_read_begin(&pub->lock);
		best = fallback = -1;
		for (k = 0; k < v->nb_shards; k++) {
			const struct mk_route_entry *e = &v->shard[k];

			if (tried & (UINT64_C(1) << e->shard))
				continue;
			if (fallback < 0)
				fallback = (int)k;	/* the view is sorted: the largest region */
			if (e->largest_free >= size && (best < 0 ||
			    e->largest_free < v->shard[best].largest_free))
				best = (int)k;
		}
		best = best >= 0 ? (int)v->shard[best].shard :
			fallback >= 0 ? (int)v->shard[fallback].shard : -1;
	} while (rte_seqlock_read_retry(&pub->lock, sn));
	return best;
}

int
mk_route_next(const struct mk_service *svc, const struct mk_segment *seg, uint64_t size,
	uint64_t tried, unsigned int from)
{
	unsigned int k;

	if (svc->conf.routing && __atomic_load_n(&seg->route.view.version, __ATOMIC_RELAXED)) {
		int shard = route_by_view(&seg->route, size, tried);

		/* a view older than a shard's last answer may list it as untried: check below */
		if (shard >= 0)
			return shard;
	}
	for (k = 0; k < seg->nb_shards; k++) {
		unsigned int shard = (from + k) % seg->nb_shards;

		if (!(tried & (UINT64_C(1) << shard)))
			return (int)shard;
	}
	return -1;
}
