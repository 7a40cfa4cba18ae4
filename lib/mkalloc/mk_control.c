/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore: every period it reads each shard's published figures, rebalances
 * capacity between shards (mk_rebalance.c), and publishes, per segment, a routing view
 * (shards by largest free region) and its rebalancing figures. Clients and workers read the
 * view to send an allocation where it fits best, so that a segment split into shards fails
 * only when no shard can hold the request. The control lcore never touches an allocator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_seqlock.h>

#include "mk_config.h"
#include "mk_control_pvt.h"
#include "mk_secondary.h"

struct mk_control *
mk_control_create(struct mk_service *svc)
{
	const struct mk_service_conf *c = &svc->conf;
	struct mk_control *ctl = calloc(1, sizeof(*ctl));
	unsigned int i, k;

	if (ctl == NULL)
		return NULL;
	ctl->svc = svc;
	ctl->hz = rte_get_timer_hz();
	ctl->wait_cycles = ctl->hz * (c->rebalance_wait_us != 0 ? c->rebalance_wait_us :
		MK_REBALANCE_WAIT_US) / 1000000;
	ctl->cooldown_cycles = ctl->hz * c->rebalance_cooldown_ms / 1000;
	ctl->max_parked = c->max_clients * c->client_depth;
	ctl->reap.slot = -1;
	ctl->parked = calloc(ctl->max_parked, sizeof(*ctl->parked));
	if (ctl->parked == NULL) {
		free(ctl);
		return NULL;
	}
	/* the ledger starts from the shards as created */
	for (i = 0; i < svc->nb_segments; i++)
		for (k = 0; k < svc->segments[i].nb_shards; k++)
			ctl->seg[i].cap[k] = mk_allocator_capacity(svc->segments[i].shards[k].alloc);
	return ctl;
}

void
mk_control_destroy(struct mk_control *ctl)
{
	if (ctl == NULL)
		return;
	free(ctl->parked);
	free(ctl);
}

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

/* The view: the shards' published figures, with capacities from the ledger. */
static void
publish_view(struct mk_control *ctl, struct mk_segment *seg)
{
	struct mk_seg_control *sc = &ctl->seg[seg->index];
	struct mk_route_view v;
	unsigned int k;

	memset(&v, 0, sizeof(v));
	v.version = seg->route.view.version + 1;	/* only this lcore writes it */
	v.nb_shards = seg->nb_shards;
	v.in_transit = sc->in_transit;
	for (k = 0; k < v.nb_shards; k++) {
		const struct mk_shard_stats *st = &sc->st[k];

		v.shard[k] = (struct mk_route_entry){
			.shard = k, .capacity = sc->cap[k], .largest_free = st->largest_free,
			.free_bytes = st->free_bytes, .live_buffers = st->live_buffers,
		};
		v.capacity += sc->cap[k];
		v.free_bytes += st->free_bytes;
		v.live_buffers += st->live_buffers;
		if (st->largest_free > v.largest_free)
			v.largest_free = st->largest_free;
	}
	qsort(v.shard, v.nb_shards, sizeof(v.shard[0]), by_largest_free);
	rte_seqlock_write_lock(&seg->route.lock);
	seg->route.view = v;
	seg->route.rebalance = sc->info;
	rte_seqlock_write_unlock(&seg->route.lock);
}

/* Every period, or ten times as often while a move is under way or an allocation waits. */
int
mk_control_main(void *arg)
{
	struct mk_service *svc = arg;
	struct mk_control *ctl = svc->control;
	uint32_t period = svc->conf.control_period_us != 0 ? svc->conf.control_period_us :
		MK_CONTROL_PERIOD_US;
	uint32_t brisk = RTE_MAX(period / 10, 10u);
	unsigned int i;
	bool busy;

	while (atomic_load_explicit(&svc->state, memory_order_acquire) != MK_SVC_STOPPED) {
		uint32_t us;
		struct timespec tick;

		mk_rebalance_drain(ctl);
		mk_secondary_watch(ctl);
		for (i = 0; i < svc->nb_segments; i++)
			mk_service_shard_stats(svc, i, ctl->seg[i].st, MK_WORKERS_MAX);
		busy = mk_rebalance_round(ctl) || ctl->reap.slot >= 0;
		for (i = 0; i < svc->nb_segments; i++)
			publish_view(ctl, &svc->segments[i]);
		/* not a data-plane loop: it sleeps between looks */
		us = busy ? brisk : period;
		tick = (struct timespec){ .tv_sec = us / 1000000, .tv_nsec = us % 1000000 * 1000 };
		nanosleep(&tick, NULL);
	}
	return 0;
}

/* One moment of what the control lcore published for a segment: its view, or its
 * rebalancing figures. */
static int
read_published(const struct mk_service *svc, unsigned int segment, struct mk_route_view *view,
	struct mk_rebalance_info *info)
{
	const struct mk_route_pub *pub;
	uint32_t sn;

	if (segment >= svc->nb_segments || (view == NULL && info == NULL))
		return -EINVAL;
	pub = &svc->segments[segment].route;
	do {
		sn = rte_seqlock_read_begin(&pub->lock);
		if (view != NULL)
			*view = pub->view;
		if (info != NULL)
			*info = pub->rebalance;
	} while (rte_seqlock_read_retry(&pub->lock, sn));
	return 0;
}

int
mk_service_rebalance_info(const struct mk_service *svc, unsigned int segment,
	struct mk_rebalance_info *out)
{
	return out == NULL ? -EINVAL : read_published(svc, segment, NULL, out);
}

int
mk_service_route_view(const struct mk_service *svc, unsigned int segment,
	struct mk_route_view *out)
{
	return out == NULL ? -EINVAL : read_published(svc, segment, out, NULL);
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
