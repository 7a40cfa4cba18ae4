/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The service's life: check a configuration, create segments, shards, allocators and rings,
 * launch the workers, stop them without losing a request, report what is still allocated,
 * and give everything back.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "mk_config.h"
#include "mk_descriptor.h"
#include "mk_err.h"
#include "mk_owner.h"
#include "mk_secondary.h"
#include "mk_service_pvt.h"
#include "mk_telemetry.h"

static struct mk_service *the_service;

/* How long a stop waits for the answers to secondaries' requests. */
#define STOP_REMOTE_S	2

/* the conf's strings fit what the transport and the descriptors take */
_Static_assert(sizeof(((struct mk_segment_conf *)0)->rdma_device) == MK_TRANSPORT_NAME_SIZE,
	"rdma_device is a transport name");
_Static_assert(sizeof(((struct mk_segment_conf *)0)->endpoint) <= MK_TRANSPORT_ENDPOINT_SIZE,
	"endpoint fits a registration");

void
mk_service_conf_defaults(struct mk_service_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->burst = MK_SERVICE_BURST;
	conf->client_depth = MK_SERVICE_CLIENT_DEPTH;
	conf->max_clients = MK_SERVICE_MAX_CLIENTS;
	conf->rebalance = true;
	conf->rebalance_wait_us = MK_REBALANCE_WAIT_US;
	conf->rebalance_drift_pct = MK_REBALANCE_DRIFT_PCT;
	conf->rebalance_cooldown_ms = MK_REBALANCE_COOLDOWN_MS;
	conf->secondary_buffers = MK_SECONDARY_BUFFERS;
}

bool
mk_service_conf_is_worker(const struct mk_service_conf *conf, unsigned int lcore)
{
	unsigned int i;

	for (i = 0; i < conf->nb_workers; i++)
		if (conf->worker_lcores[i] == lcore)
			return true;
	return false;
}

/* The granule shard boundaries keep to: whole slabs for the slab kind, pages otherwise. */
static uint64_t
shard_granule(const struct mk_segment_conf *s, enum mk_alloc_kind kind)
{
	if (kind == MK_ALLOC_KIND_SLAB)
		return s->slab_size != 0 ? s->slab_size : MK_SLAB_SIZE;
	return 4096;
}

static enum mk_alloc_kind
segment_kind(const struct mk_segment_conf *s)
{
	struct mk_allocator_conf ac = {
		.kind = s->kind, .max_alloc_size = s->max_alloc_size,
		.need_exact_free = s->need_exact_free, .need_align = s->need_align,
		.slab = { .slab_size = s->slab_size },
	};

	return mk_allocator_choose(&ac);
}

/* rdma_device, rdma_port and endpoint: nothing is opened here, only their form checked. */
static int
check_transport(const struct mk_segment_conf *s, unsigned int i, char *err, size_t errlen)
{
	char why[160];

	if (mk_transport_check(s->rdma_device, s->rdma_port, why, sizeof(why)) != 0)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].%s: %s", i,
			s->rdma_port > UINT8_MAX ? "rdma_port" : "rdma_device", why);
	if (strnlen(s->endpoint, sizeof(s->endpoint)) == sizeof(s->endpoint))
		return mk_errf(err, errlen, -EINVAL, "segments[%u].endpoint: not terminated", i);
	if (mk_desc_check_endpoint(s->endpoint, why, sizeof(why)) != 0)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].endpoint: %s", i, why);
	return 0;
}

static int
check_segment(const struct mk_service_conf *conf, unsigned int i, char *err, size_t errlen)
{
	const struct mk_segment_conf *s = &conf->segments[i];
	size_t len = strnlen(s->name, sizeof(s->name));
	unsigned int j, nb = s->nb_workers != 0 ? s->nb_workers : conf->nb_workers;
	uint64_t granule;

	if (len == 0 || len == sizeof(s->name))
		return mk_errf(err, errlen, -EINVAL, "segments[%u].name: 1..%zu characters", i,
			sizeof(s->name) - 1);
	for (j = 0; j < len; j++)
		if (s->name[j] <= ' ' || s->name[j] > '~' || s->name[j] == ':' || s->name[j] == ',')
			return mk_errf(err, errlen, -EINVAL, "segments[%u].name '%s': printable, no"
				" space, ':' or ','", i, s->name);
	for (j = 0; j < i; j++)
		if (strcmp(conf->segments[j].name, s->name) == 0)
			return mk_errf(err, errlen, -EINVAL, "segments[%u].name '%s' is used twice",
				i, s->name);
	if (s->kind != MK_ALLOC_KIND_AUTO && s->kind != MK_ALLOC_KIND_OFFSET &&
	    s->kind != MK_ALLOC_KIND_SLAB)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].kind: offset, slab or auto", i);
	if (s->mem_driver[0] != '\0' && mk_mem_driver_find(s->mem_driver) == NULL)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].mem_driver '%s': memzone or anon",
			i, s->mem_driver);
	if (s->nb_workers > conf->nb_workers)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].workers: %u, the service has %u",
			i, s->nb_workers, conf->nb_workers);
	for (j = 0; j < s->nb_workers; j++) {
		unsigned int k;

		if (!mk_service_conf_is_worker(conf, s->workers[j]))
			return mk_errf(err, errlen, -EINVAL, "segments[%u].workers: lcore %u is not"
				" a worker of the service", i, s->workers[j]);
		for (k = 0; k < j; k++)
			if (s->workers[k] == s->workers[j])
				return mk_errf(err, errlen, -EINVAL, "segments[%u].workers: lcore %u"
					" twice", i, s->workers[j]);
	}
	if (nb == 0)
		return mk_errf(err, errlen, -EINVAL, "segments[%u]: no worker to serve it", i);
	granule = shard_granule(s, segment_kind(s));
	if (s->size == 0 || s->size / nb < granule)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].size %" PRIu64 ": at least %"
			PRIu64 " bytes for each of its %u shards", i, s->size, granule, nb);
	if (s->size > MK_OFFSET_SIZE_MAX)
		return mk_errf(err, errlen, -EINVAL, "segments[%u].size %" PRIu64 " above 2^63", i,
			s->size);
	return check_transport(s, i, err, errlen);
}

int
mk_service_conf_check(const struct mk_service_conf *conf, char *err, size_t errlen)
{
	unsigned int i, j;
	int rc;

	if (conf == NULL)
		return mk_errf(err, errlen, -EINVAL, "no configuration");
	if (conf->nb_segments == 0 || conf->nb_segments > MK_SEGMENTS_MAX)
		return mk_errf(err, errlen, -EINVAL, "segments: 1..%d, not %u", MK_SEGMENTS_MAX,
			conf->nb_segments);
	if (conf->nb_workers == 0 || conf->nb_workers > MK_WORKERS_MAX)
		return mk_errf(err, errlen, -EINVAL, "workers: 1..%d, not %u", MK_WORKERS_MAX,
			conf->nb_workers);
	for (i = 0; i < conf->nb_workers; i++) {
		unsigned int l = conf->worker_lcores[i];

		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l))
			return mk_errf(err, errlen, -EINVAL, "workers: lcore %u is not enabled in the"
				" EAL (%u lcores; see -l/--lcores)", l, rte_lcore_count());
		if (l == rte_get_main_lcore())
			return mk_errf(err, errlen, -EINVAL, "workers: lcore %u is the main lcore", l);
		for (j = 0; j < i; j++)
			if (conf->worker_lcores[j] == l)
				return mk_errf(err, errlen, -EINVAL, "workers: lcore %u twice", l);
	}
	if (conf->control) {
		unsigned int l = conf->control_lcore;

		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l))
			return mk_errf(err, errlen, -EINVAL, "control_lcore: lcore %u is not enabled"
				" in the EAL", l);
		if (l == rte_get_main_lcore() || mk_service_conf_is_worker(conf, l))
			return mk_errf(err, errlen, -EINVAL, "control_lcore: lcore %u is the main"
				" lcore or a worker", l);
		if (conf->control_period_us > 1000000)
			return mk_errf(err, errlen, -EINVAL, "control_period_us: at most 1000000,"
				" not %u", conf->control_period_us);
	}
	if (conf->rebalance_wait_us > 10000000)
		return mk_errf(err, errlen, -EINVAL, "rebalance_wait_us: at most 10000000, not %u",
			conf->rebalance_wait_us);
	if (conf->rebalance_drift_pct > 1000)
		return mk_errf(err, errlen, -EINVAL, "rebalance_drift_pct: at most 1000, not %u",
			conf->rebalance_drift_pct);
	if (conf->secondary_buffers > (1u << 24))
		return mk_errf(err, errlen, -EINVAL, "secondary_buffers: at most 16777216, not %u",
			conf->secondary_buffers);
	if (conf->rebalance_cooldown_ms > 3600000)
		return mk_errf(err, errlen, -EINVAL, "rebalance_cooldown_ms: at most 3600000, not"
			" %u", conf->rebalance_cooldown_ms);
	if (conf->burst == 0 || conf->burst > 64)
		return mk_errf(err, errlen, -EINVAL, "burst: 1..64, not %u", conf->burst);
	if (conf->client_depth == 0 || conf->client_depth > (1u << 16))
		return mk_errf(err, errlen, -EINVAL, "client_depth: 1..65536, not %u",
			conf->client_depth);
	if (conf->max_clients == 0 || conf->max_clients > MK_CLIENTS_MAX)
		return mk_errf(err, errlen, -EINVAL, "max_clients: 1..%d, not %u", MK_CLIENTS_MAX,
			conf->max_clients);
	for (i = 0; i < conf->nb_segments; i++) {
		rc = check_segment(conf, i, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

struct mk_shard *
mk_segment_shard_of(const struct mk_segment *seg, uint64_t offset)
{
	unsigned int lo = 0, hi = seg->nb_shards;

	if (offset >= seg->conf.size)
		return NULL;
	/* the last boundary at or below offset; bound[0] = 0 */
	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (mk_shard_lo(seg, mid) <= offset)
			lo = mid;
		else
			hi = mid;
	}
	return &seg->shards[lo];
}

static unsigned int
worker_index(const struct mk_service *svc, unsigned int lcore)
{
	unsigned int i;

	for (i = 0; i < svc->nb_workers; i++)
		if (svc->workers[i].lcore == lcore)
			break;
	return i;
}

/* Register the segment's memory for peers as its conf asks; held until segment_destroy(). */
static int
segment_register(struct mk_segment *seg, char *err, size_t errlen)
{
	const struct mk_segment_conf *s = &seg->conf;
	struct mk_transport_reg *t = &seg->transport;
	char why[256];
	int rc;

	rc = mk_transport_register(s->rdma_device, s->rdma_port, s->endpoint, seg->mem.addr,
		s->size, t, why, sizeof(why));
	if (rc != 0)
		return mk_errf(err, errlen, rc, "segment '%s': %s", s->name, why);
	if (t->state == MK_TRANSPORT_UNAVAILABLE)
		RTE_LOG(NOTICE, USER1, "mkalloc: segment '%s': RDMA unavailable: %s; the local"
			" transport serves it\n", s->name, t->reason);
	else if (t->state == MK_TRANSPORT_REGISTERED)
		RTE_LOG(INFO, USER1, "mkalloc: segment '%s': RDMA registered on %u device(s),"
			" rkey 0x%x, endpoint %s\n", s->name, t->nb_devices, t->rkey,
			t->endpoint[0] != '\0' ? t->endpoint : "(none)");
	return 0;
}

static int
segment_create(struct mk_service *svc, unsigned int i, char *err, size_t errlen)
{
	struct mk_segment *seg = &svc->segments[i];
	struct mk_segment_conf *s = &seg->conf;
	enum mk_alloc_kind kind;
	uint64_t granule, share;
	unsigned int k;
	int rc;

	*s = svc->conf.segments[i];
	seg->index = i;
	if (s->nb_workers == 0) {
		s->nb_workers = svc->conf.nb_workers;
		memcpy(s->workers, svc->conf.worker_lcores, sizeof(s->workers));
	}
	if (s->mem_driver[0] == '\0')
		snprintf(s->mem_driver, sizeof(s->mem_driver), "memzone");
	kind = segment_kind(s);
	s->kind = kind;		/* what the choice guide picked, for those who ask */
	granule = shard_granule(s, kind);
	/* a slab serves up to one slab; an offset allocator up to its range */
	seg->max_alloc = kind == MK_ALLOC_KIND_SLAB ? granule : s->size;

	rc = mk_mem_reserve(s->mem_driver, s->name, s->size, s->socket, &seg->mem, err, errlen);
	if (rc != 0)
		return rc;
	rc = segment_register(seg, err, errlen);
	if (rc != 0)
		return rc;
	seg->granule = granule;
	seg->nb_shards = s->nb_workers;
	seg->shards = rte_zmalloc("mk_shards", sizeof(*seg->shards) * seg->nb_shards,
		RTE_CACHE_LINE_SIZE);
	seg->bound = rte_zmalloc("mk_bounds", sizeof(*seg->bound) * (seg->nb_shards + 1),
		RTE_CACHE_LINE_SIZE);
	if (seg->shards == NULL || seg->bound == NULL)
		return mk_errf(err, errlen, -ENOMEM, "segment '%s': out of memory", s->name);

	/* equal shards on granule boundaries; the last one takes the rest */
	share = s->size / seg->nb_shards / granule * granule;
	for (k = 0; k < seg->nb_shards; k++) {
		struct mk_shard *sh = &seg->shards[k];
		struct mk_allocator_conf ac = {
			.name = s->name, .size = k + 1 < seg->nb_shards ?
				share : s->size - share * k,
			.kind = kind, .offset = { .max_nodes = s->max_nodes,
				/* shards give and take space at their ends */
				.flags = seg->nb_shards > 1 ? MK_OFFSET_KEEP_EDGES : 0 },
			.slab = { .slab_size = s->slab_size },
			/* every shard's descriptors name the segment's registration */
			.endpoint = seg->transport.endpoint, .rkey = seg->transport.rkey,
		};

		sh->seg = seg;
		sh->index = k;
		sh->worker = worker_index(svc, s->workers[k]);
		atomic_store(&seg->bound[k], share * k);
		atomic_store(&seg->bound[k + 1], share * k + ac.size);
		/* one offset space per segment: a shard's buffers carry segment offsets, and
		 * its range may move anywhere inside the segment */
		ac.base = seg->mem.addr;
		ac.range_base = share * k;
		ac.range_limit = s->size;
		rte_seqlock_init(&sh->pub.lock);
		sh->alloc = mk_allocator_create(&ac);
		if (sh->alloc == NULL)
			return mk_errf(err, errlen, -errno, "segment '%s' shard %u: allocator: %s",
				s->name, k, strerror(errno));
		sh->counters.segment = i;
		sh->counters.shard = k;
		sh->counters.lcore = s->workers[k];
		svc->workers[sh->worker].shards[svc->workers[sh->worker].nb_shards++] = sh;
		mk_shard_publish(sh);
	}
	return 0;
}

static void
segment_destroy(struct mk_segment *seg)
{
	unsigned int k;

	for (k = 0; seg->shards != NULL && k < seg->nb_shards; k++) {
		mk_allocator_destroy(seg->shards[k].alloc);
		mk_owner_destroy(seg->shards[k].owners);
	}
	rte_free(seg->shards);
	seg->shards = NULL;
	rte_free(seg->bound);
	seg->bound = NULL;
	/* no peer may reach the memory once it goes back to its driver */
	if (mk_transport_deregister(&seg->transport) != 0)
		RTE_LOG(WARNING, USER1, "mkalloc: segment '%s': an RDMA deregistration failed\n",
			seg->conf.name);
	mk_mem_release(&seg->mem);
}

/* Request rings hold every request all clients may have in flight: enqueues never fail. */
static int
rings_create(struct mk_service *svc, char *err, size_t errlen)
{
	unsigned int i, count = svc->conf.max_clients * svc->conf.client_depth;
	char name[RTE_RING_NAMESIZE];

	for (i = 0; i < svc->nb_workers; i++) {
		struct mk_worker *w = &svc->workers[i];

		snprintf(name, sizeof(name), "mk_req_%u", i);
		/* RTS producers: clients and workers that share a CPU cannot stall each other */
		w->ring = rte_ring_create_elem(name, sizeof(struct mk_req), count, SOCKET_ID_ANY,
			RING_F_MP_RTS_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (w->ring == NULL)
			return mk_errf(err, errlen, -rte_errno, "request ring of lcore %u: %s",
				w->lcore, rte_strerror(rte_errno));
	}
	for (i = 0; i < svc->nb_workers && svc->conf.control; i++) {
		struct mk_worker *w = &svc->workers[i];

		/* one producer (the control lcore), one consumer (the worker) */
		snprintf(name, sizeof(name), "mk_ctl_%u", i);
		w->ctl = rte_ring_create_elem(name, sizeof(struct mk_req), MK_WORKER_CTL_RING,
			SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (w->ctl == NULL)
			return mk_errf(err, errlen, -rte_errno, "control ring of lcore %u: %s",
				w->lcore, rte_strerror(rte_errno));
	}
	if (svc->conf.control) {
		/* every request may park with the control lcore, each segment has a move's
		 * answer on the way, and each worker a release's */
		svc->ctl_ring = rte_ring_create_elem("mk_ctl", sizeof(struct mk_req),
			count + MK_SEGMENTS_MAX * 2 + svc->nb_workers, SOCKET_ID_ANY,
			RING_F_MP_RTS_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (svc->ctl_ring == NULL)
			return mk_errf(err, errlen, -rte_errno, "the control lcore's ring: %s",
				rte_strerror(rte_errno));
	}
	for (i = 0; i < svc->conf.max_clients; i++) {
		snprintf(name, sizeof(name), "mk_cpl_%u", i);
		svc->clients[i].ring = rte_ring_create_elem(name, sizeof(struct mk_cpl),
			svc->conf.client_depth, SOCKET_ID_ANY,
			RING_F_MP_RTS_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
		if (svc->clients[i].ring == NULL)
			return mk_errf(err, errlen, -rte_errno, "completion ring %u: %s", i,
				rte_strerror(rte_errno));
	}
	return 0;
}

static void
teardown(struct mk_service *svc)
{
	unsigned int i;

	for (i = 0; i < svc->nb_segments; i++)
		segment_destroy(&svc->segments[i]);
	for (i = 0; svc->workers != NULL && i < svc->nb_workers; i++) {
		rte_ring_free(svc->workers[i].ring);
		rte_ring_free(svc->workers[i].ctl);
	}
	rte_ring_free(svc->ctl_ring);
	mk_control_destroy(svc->control);
	for (i = 0; i < MK_CLIENTS_MAX; i++)
		rte_ring_free(svc->clients[i].ring);
	rte_free(svc->workers);
	rte_free(svc);
}

struct mk_service *
mk_service_create(const struct mk_service_conf *conf, char *err, size_t errlen)
{
	struct mk_service *svc;
	unsigned int i;
	int rc;

	if (the_service != NULL) {
		mk_errf(err, errlen, 0, "a service exists in this process already");
		rte_errno = EEXIST;
		return NULL;
	}
	rc = mk_service_conf_check(conf, err, errlen);
	if (rc != 0) {
		rte_errno = -rc;
		return NULL;
	}
	svc = rte_zmalloc("mk_service", sizeof(*svc), RTE_CACHE_LINE_SIZE);
	if (svc == NULL) {
		mk_errf(err, errlen, 0, "out of memory for the service");
		rte_errno = ENOMEM;
		return NULL;
	}
	svc->conf = *conf;
	svc->nb_workers = conf->nb_workers;
	svc->workers = rte_zmalloc("mk_workers", sizeof(*svc->workers) * svc->nb_workers,
		RTE_CACHE_LINE_SIZE);
	if (svc->workers == NULL) {
		rte_free(svc);
		mk_errf(err, errlen, 0, "out of memory for the workers");
		rte_errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < MK_CLIENTS_MAX; i++) {
		svc->clients[i].segment = UINT_MAX;	/* no segment until a client opens */
		svc->clients[i].pidfd = -1;
	}
	for (i = 0; i < svc->nb_workers; i++) {
		svc->workers[i].svc = svc;
		svc->workers[i].index = i;
		svc->workers[i].lcore = conf->worker_lcores[i];
	}
	rc = rings_create(svc, err, errlen);
	for (i = 0; rc == 0 && i < conf->nb_segments; i++) {
		rc = segment_create(svc, i, err, errlen);
		svc->nb_segments = i + 1;
	}
	if (rc == 0 && conf->control) {
		svc->control = mk_control_create(svc);
		if (svc->control == NULL)
			rc = mk_errf(err, errlen, -ENOMEM, "out of memory for the control lcore");
	}
	if (rc == 0)
		rc = mk_secondary_publish(svc, err, errlen);
	if (rc != 0) {
		teardown(svc);
		rte_errno = -rc;
		return NULL;
	}
	atomic_store(&svc->state, MK_SVC_CREATED);
	mk_telemetry_register();	/* a failure is logged; the service works without it */
	mk_telemetry_service_lock();
	the_service = svc;
	mk_telemetry_service_unlock();
	return svc;
}

int
mk_service_start(struct mk_service *svc)
{
	unsigned int i;

	if (svc->primary_pid != getpid())
		return -EPERM;
	if (atomic_load(&svc->state) != MK_SVC_CREATED)
		return -EALREADY;
	for (i = 0; i < svc->nb_workers; i++)
		if (rte_eal_get_lcore_state(svc->workers[i].lcore) != WAIT)
			return -EBUSY;
	if (svc->conf.control && rte_eal_get_lcore_state(svc->conf.control_lcore) != WAIT)
		return -EBUSY;
	atomic_store(&svc->state, MK_SVC_RUNNING);
	svc->start_cycles = rte_get_timer_cycles();
	/* the control lcore first: workers park allocations with it only when it runs */
	if (svc->conf.control) {
		if (rte_eal_remote_launch(mk_control_main, svc, svc->conf.control_lcore) != 0)
			RTE_LOG(WARNING, USER1, "mkalloc: the control lcore did not start: no"
				" routing views, no rebalancing\n");
		else
			atomic_store(&svc->parking, svc->conf.rebalance);
	}
	for (i = 0; i < svc->nb_workers; i++) {
		int rc = rte_eal_remote_launch(mk_worker_main, &svc->workers[i],
			svc->workers[i].lcore);

		if (rc != 0) {
			/* the ones launched stop again; nothing was served yet */
			atomic_store(&svc->state, MK_SVC_STOPPED);
			while (i-- > 0)
				mk_lcore_wait(svc->workers[i].lcore);
			if (svc->conf.control)
				mk_lcore_wait(svc->conf.control_lcore);
			atomic_store(&svc->parking, false);
			atomic_store(&svc->state, MK_SVC_CREATED);
			return rc;
		}
	}
	return 0;
}

void
mk_service_idle(const struct mk_service *svc)
{
	if (svc->conf.idle_yield)
		sched_yield();
	else if (svc->conf.idle_pause)
		rte_pause();
}

int
mk_lcore_wait(unsigned int lcore)
{
	const struct timespec tick = { .tv_nsec = 200000 };

	while (rte_eal_get_lcore_state(lcore) != WAIT)
		nanosleep(&tick, NULL);
	return rte_eal_wait_lcore(lcore);
}

unsigned int
mk_lcore_nth(unsigned int n)
{
	unsigned int l;

	RTE_LCORE_FOREACH_WORKER(l)
		if (n-- == 0)
			return l;
	return RTE_MAX_LCORE;
}

int
mk_slot_take(struct mk_service *svc, enum mk_slot_state state)
{
	unsigned int i;

	for (i = 0; i < svc->conf.max_clients; i++) {
		int expected = MK_SLOT_FREE;

		if (atomic_compare_exchange_strong(&svc->clients[i].state, &expected, state)) {
			svc->clients[i].gen++;
			return (int)i;
		}
	}
	return -ENOSPC;
}

/* Requests of one kind of client (local: of this process) not answered yet. */
static uint64_t
outstanding_of(const struct mk_service *svc, bool local)
{
	uint64_t outstanding = 0;
	unsigned int i;

	for (i = 0; i < MK_CLIENTS_MAX; i++) {
		const struct mk_client_slot *slot = &svc->clients[i];
		int state = atomic_load(&slot->state);
		uint64_t answered, submitted;

		/* a gone client's requests are dropped, not answered: nobody waits for them */
		if (state == MK_SLOT_GONE || (state == MK_SLOT_REMOTE) == local)
			continue;
		/* answers first: each was submitted before it was answered; a secondary that
		 * wrote its count wrong makes it look done, never negative */
		answered = atomic_load(&slot->answered);
		submitted = atomic_load(&slot->submitted);
		outstanding += submitted > answered ? submitted - answered : 0;
	}
	return outstanding;
}

uint64_t
mk_service_outstanding(const struct mk_service *svc)
{
	return outstanding_of(svc, true) + outstanding_of(svc, false);
}

uint64_t
mk_service_stop(struct mk_service *svc, FILE *report)
{
	uint64_t leaked = 0;
	unsigned int i, k;
	int state = atomic_load(&svc->state);

	if (svc->primary_pid != getpid())
		return 0;	/* a secondary's: not its to stop */
	if (state == MK_SVC_RUNNING) {
		uint64_t give_up = rte_get_timer_cycles() + rte_get_timer_hz() * STOP_REMOTE_S;

		/* no new request from here on; every request made gets its answer, and the
		 * move under way (none starts now) ends before the workers stop. Secondaries
		 * get a bound: one that lies about its count cannot hold the stop forever. */
		atomic_store(&svc->state, MK_SVC_STOPPING);
		while (outstanding_of(svc, true) != 0 || atomic_load(&svc->ctl_busy) != 0 ||
		       (outstanding_of(svc, false) != 0 && rte_get_timer_cycles() < give_up))
			mk_service_idle(svc);
		atomic_store(&svc->state, MK_SVC_STOPPED);
		for (i = 0; i < svc->nb_workers; i++)
			mk_lcore_wait(svc->workers[i].lcore);
		if (svc->conf.control)
			mk_lcore_wait(svc->conf.control_lcore);
	} else if (state == MK_SVC_CREATED) {
		atomic_store(&svc->state, MK_SVC_STOPPED);
	}
	for (i = 0; i < svc->nb_segments; i++) {
		struct mk_segment *seg = &svc->segments[i];
		uint64_t live = 0, bytes = 0;

		for (k = 0; k < seg->nb_shards; k++) {
			struct mk_allocator_stats st;

			mk_allocator_stats(seg->shards[k].alloc, &st);
			live += st.live_buffers;
			bytes += st.allocated_bytes;
		}
		if (live != 0 && report != NULL)
			fprintf(report, "mkalloc: segment '%s': %" PRIu64 " buffers (%" PRIu64
				" bytes) still allocated at shutdown\n", seg->conf.name, live, bytes);
		leaked += live;
	}
	if (atomic_load(&svc->orphan_live) != 0 && report != NULL)
		fprintf(report, "mkalloc: of which %" PRIu64 " buffers (%" PRIu64 " bytes) were"
			" kept when their secondary processes went\n",
			(uint64_t)atomic_load(&svc->orphan_live),
			(uint64_t)atomic_load(&svc->orphan_bytes));
	return leaked;
}

void
mk_service_destroy(struct mk_service *svc)
{
	if (svc == NULL || svc->primary_pid != getpid())
		return;
	if (atomic_load(&svc->state) != MK_SVC_STOPPED)
		mk_service_stop(svc, NULL);
	mk_secondary_unpublish(svc);
	mk_telemetry_service_lock();	/* no telemetry callback is inside it after this */
	if (the_service == svc)
		the_service = NULL;
	mk_telemetry_service_unlock();
	teardown(svc);
}

struct mk_service *
mk_service_get(void)
{
	if (the_service == NULL && rte_eal_process_type() == RTE_PROC_SECONDARY)
		return mk_secondary_service();
	return the_service;
}

unsigned int
mk_service_segment_count(const struct mk_service *svc)
{
	return svc->nb_segments;
}

int
mk_service_segment_find(const struct mk_service *svc, const char *name)
{
	unsigned int i;

	for (i = 0; name != NULL && i < svc->nb_segments; i++)
		if (strcmp(svc->segments[i].conf.name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int
mk_service_segment_info(const struct mk_service *svc, unsigned int segment,
	struct mk_segment_conf *conf, void **base)
{
	if (segment >= svc->nb_segments)
		return -EINVAL;
	if (conf != NULL)
		*conf = svc->segments[segment].conf;
	if (base != NULL)
		*base = svc->segments[segment].mem.addr;
	return (int)svc->segments[segment].nb_shards;
}

int
mk_service_segment_transport(const struct mk_service *svc, unsigned int segment,
	struct mk_transport_reg *out)
{
	if (segment >= svc->nb_segments || out == NULL)
		return -EINVAL;
	*out = svc->segments[segment].transport;
	return 0;
}

int
mk_service_shard_stats(const struct mk_service *svc, unsigned int segment,
	struct mk_shard_stats *out, unsigned int max)
{
	const struct mk_segment *seg;
	unsigned int k;

	if (segment >= svc->nb_segments)
		return -EINVAL;
	seg = &svc->segments[segment];
	for (k = 0; k < seg->nb_shards && k < max; k++) {
		const struct mk_shard_pub *pub = &seg->shards[k].pub;
		uint32_t sn;

		do {
			sn = rte_seqlock_read_begin(&pub->lock);
			out[k] = pub->stats;
		} while (rte_seqlock_read_retry(&pub->lock, sn));
	}
	return (int)seg->nb_shards;
}

int
mk_service_check(const struct mk_service *svc)
{
	int state = atomic_load(&svc->state);
	unsigned int i, k;

	if (state == MK_SVC_RUNNING || state == MK_SVC_STOPPING)
		return -EBUSY;
	for (i = 0; i < svc->nb_segments; i++) {
		const struct mk_segment *seg = &svc->segments[i];

		if (mk_shard_lo(seg, 0) != 0 || mk_shard_lo(seg, seg->nb_shards) != seg->conf.size) {
			fprintf(stderr, "mkalloc check: segment '%s': boundaries do not span it\n",
				seg->conf.name);
			return -EFAULT;
		}
		for (k = 0; k < seg->nb_shards; k++) {
			const struct mk_allocator *a = seg->shards[k].alloc;
			uint64_t lo = mk_shard_lo(seg, k), hi = mk_shard_lo(seg, k + 1);

			if (mk_allocator_check(a) != 0)
				return -EFAULT;
			/* the slab kind leaves a tail after its last whole slab */
			if (mk_allocator_range_base(a) != lo || lo >= hi ||
			    mk_allocator_capacity(a) > hi - lo ||
			    (k + 1 < seg->nb_shards && mk_allocator_capacity(a) != hi - lo)) {
				fprintf(stderr, "mkalloc check: segment '%s' shard %u: range [%" PRIu64
					", +%" PRIu64 ") against boundaries [%" PRIu64 ", %" PRIu64
					")\n", seg->conf.name, k, mk_allocator_range_base(a),
					mk_allocator_capacity(a), lo, hi);
				return -EFAULT;
			}
		}
	}
	return 0;
}
