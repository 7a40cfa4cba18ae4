/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SERVICE_PVT_H
#define MK_SERVICE_PVT_H

/*
 * The service's own structures: requests and completions as they travel in rte_rings, and
 * the segment, shard, worker and client records they name.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>
#include <rte_seqlock.h>

#include "mk_allocator.h"
#include "mk_mem.h"
#include "mk_service.h"
#include "mk_transport.h"

/* What travels in a request ring: 48 bytes, so a burst of 32 is 24 cache lines. */
enum mk_req_op {
	MK_REQ_ALLOC = 1,
	MK_REQ_FREE = 2,
};

/* the completion answers a blocking call, not an asynchronous one */
#define MK_REQ_F_SYNC	0x01

struct mk_req {
	uint8_t op;		/* enum mk_req_op */
	uint8_t flags;		/* MK_REQ_F_* */
	uint8_t reserved;
	uint8_t segment;
	uint16_t client;	/* completion ring */
	uint16_t shard;		/* the shard it is for */
	uint64_t tag;		/* the caller's, given back */
	uint64_t size;
	uint64_t arg;		/* alloc: alignment; free: segment-global offset */
	uint64_t handle;	/* free: the allocator's handle; alloc: bit k, shard k tried */
	uint64_t footprint;	/* free: bytes set aside (the slab chunk) */
};

/* What travels in a completion ring: 64 bytes, one cache line. */
struct mk_cpl {
	int32_t status;		/* 0 or a negative errno */
	uint8_t op;
	uint8_t flags;
	uint16_t shard;		/* the shard that answered */
	uint64_t tag;
	uint64_t offset;	/* segment-global */
	uint64_t size;
	uint64_t handle;
	uint64_t footprint;
	uint64_t alloc_gen;	/* the shard allocator's registry slot and generation */
	uint32_t alloc_id;
	uint32_t reserved;
};

/* A shard's published snapshot, written by its worker inside a seqlock. */
struct mk_shard_pub {
	rte_seqlock_t lock;
	struct mk_shard_stats stats;
};

struct mk_segment;

/* One contiguous part of a segment, served by one worker's allocator. */
struct mk_shard {
	struct mk_segment *seg;
	unsigned int index;		/* in its segment */
	unsigned int worker;		/* index of the owner in the service's workers */
	uint64_t base;			/* first offset in the segment */
	uint64_t len;
	/* owned by the worker: */
	struct mk_allocator *alloc;
	struct mk_shard_stats counters;	/* running figures, published after each burst */
	uint64_t footprint_bytes;	/* bytes set aside for live buffers */
	bool dirty;			/* changed since the last publication */
	/* read by anyone: */
	struct mk_shard_pub pub;
};

/* A segment's routing view, written by the control lcore inside a seqlock. */
struct mk_route_pub {
	rte_seqlock_t lock;
	struct mk_route_view view;
};

struct mk_segment {
	struct mk_segment_conf conf;	/* workers resolved */
	unsigned int index;
	uint64_t max_alloc;		/* largest request the kind can ever serve here */
	struct mk_mem_region mem;
	struct mk_transport_reg transport; /* held from reserve to release */
	unsigned int nb_shards;
	struct mk_shard *shards;	/* sorted by base */
	struct mk_route_pub route;
};

struct mk_worker {
	struct mk_service *svc;
	unsigned int index;
	unsigned int lcore;
	struct rte_ring *ring;		/* requests for the shards it owns */
	unsigned int nb_shards;		/* shards it owns, over all segments */
	struct mk_shard *shards[MK_SEGMENTS_MAX];
	atomic_uint_fast64_t completions; /* requests answered, for the shutdown count */
} __rte_cache_aligned;

struct mk_client_slot {
	atomic_bool used;
	struct rte_ring *ring;		/* completions, MP (workers) / SC (the client) */
	unsigned int segment;
	atomic_uint_fast64_t submitted;	/* requests enqueued, written by the client */
} __rte_cache_aligned;

enum mk_service_state {
	MK_SVC_CREATED = 0,
	MK_SVC_RUNNING,
	MK_SVC_STOPPING,	/* no new request; workers answer what was made */
	MK_SVC_STOPPED,
};

struct mk_service {
	struct mk_service_conf conf;
	_Atomic int state;		/* enum mk_service_state */
	unsigned int nb_segments;
	struct mk_segment segments[MK_SEGMENTS_MAX];
	unsigned int nb_workers;
	struct mk_worker *workers;
	struct mk_client_slot clients[MK_CLIENTS_MAX];
};

/* What a worker or a waiting client does when there is nothing to do. */
void mk_service_idle(const struct mk_service *svc);

/* The control loop, launched on the control lcore. */
int mk_control_main(void *arg);

/*
 * Where an allocation of @p size goes next, among the shards not in @p tried (bit k: shard
 * k): by the routing view when there is one (best fit, then most free bytes, else the
 * largest), else the first untried shard after @p from. -1 when every shard was tried.
 */
int mk_route_next(const struct mk_service *svc, const struct mk_segment *seg, uint64_t size,
	uint64_t tried, unsigned int from);

/* The worker loop, launched on each worker lcore. */
int mk_worker_main(void *arg);

/* Publish a shard's figures; its owner only (or the main lcore before the workers run). */
void mk_shard_publish(struct mk_shard *sh);

/* The shard of a segment that holds @p offset, or NULL when it is outside the segment. */
struct mk_shard *mk_segment_shard_of(const struct mk_segment *seg, uint64_t offset);

/* Requests the service has accepted but not yet answered, over all clients and workers. */
uint64_t mk_service_outstanding(const struct mk_service *svc);

#endif /* MK_SERVICE_PVT_H */
