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

/* What travels in a request ring: one cache line. */
enum mk_req_op {
	MK_REQ_ALLOC = 1,
	MK_REQ_FREE = 2,
	/* Moves of capacity, on a worker's control ring from the control lcore only: */
	MK_REQ_CEDE = 3,	/* shard gives up to size bytes at end arg (enum mk_offset_side) */
	MK_REQ_ADOPT = 4,	/* shard takes size bytes in at end arg */
	/* ...and the worker's answer, on the control lcore's ring: handle = CEDE or ADOPT,
	 * size = bytes ceded or adopted, arg = status (0 or a negative errno) */
	MK_REQ_MOVED = 5,
	/* reaper -> every worker: free what client slot @client (generation in arg) owned;
	 * answered RELEASED with size = bytes, handle = buffers */
	MK_REQ_RELEASE = 6,
	MK_REQ_RELEASED = 7,
};

/* the completion answers a blocking call, not an asynchronous one */
#define MK_REQ_F_SYNC	0x01
/* alloc: fail at once rather than wait for a rebalancing move (MK_CLIENT_NOWAIT) */
#define MK_REQ_F_NOWAIT	0x02
/* adopt: the bytes go back to the donor that ceded them; no boundary moves */
#define MK_REQ_F_RETURN	0x04
/* alloc: has waited with the control lcore already (counted once) */
#define MK_REQ_F_WAITED	0x08
/* release: keep the buffers (as orphans) rather than free them */
#define MK_REQ_F_KEEP	0x10

/* Messages a worker's control ring holds: a move's step per segment, and a release. */
#define MK_WORKER_CTL_RING	(MK_SEGMENTS_MAX * 2 + 2)

/* An alloc parked with the control lcore carries when it first waited, in timer cycles,
 * in its footprint field (unused by allocs otherwise). */

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
	uint64_t footprint;	/* free: bytes set aside (the slab chunk); alloc: parked at */
	uint64_t token;		/* the client slot's: a request without it is dropped */
	uint64_t reserved2;
};

_Static_assert(sizeof(struct mk_req) == 64, "a request is one cache line");

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

_Static_assert(sizeof(struct mk_cpl) == 64, "a completion is one cache line");

/* The completion of @p rq with @p status, no buffer yet. */
static inline struct mk_cpl
mk_cpl_of(const struct mk_req *rq, int status)
{
	return (struct mk_cpl){
		.status = status, .op = rq->op, .flags = rq->flags, .shard = rq->shard,
		.tag = rq->tag,
	};
}

/* A shard's published snapshot, written by its worker inside a seqlock. */
struct mk_shard_pub {
	rte_seqlock_t lock;
	struct mk_shard_stats stats;
};

struct mk_segment;

/*
 * One contiguous part of a segment, served by one worker's allocator. Shard k owns the
 * offsets [bound[k], bound[k + 1]) of its segment; a boundary moves only across free space,
 * when the shard on the far side adopts what its neighbour ceded (see mk_control.c).
 */
struct mk_shard {
	struct mk_segment *seg;
	unsigned int index;		/* in its segment */
	unsigned int worker;		/* index of the owner in the service's workers */
	/* owned by the worker: */
	struct mk_allocator *alloc;
	struct mk_shard_stats counters;	/* running figures, published after each burst */
	uint64_t footprint_bytes;	/* bytes set aside for live buffers */
	bool dirty;			/* changed since the last publication */
	/* buffers that clients of other processes own, by offset (NULL until the first) */
	struct mk_owner_table *owners;
	/* read by anyone: */
	struct mk_shard_pub pub;
};

/* A segment's routing view and rebalancing figures, written by the control lcore inside a
 * seqlock. */
struct mk_route_pub {
	rte_seqlock_t lock;
	struct mk_route_view view;
	struct mk_rebalance_info rebalance;
};

struct mk_segment {
	struct mk_segment_conf conf;	/* workers resolved */
	unsigned int index;
	uint64_t max_alloc;		/* largest request the kind can ever serve here */
	struct mk_mem_region mem;
	struct mk_transport_reg transport; /* held from reserve to release */
	uint64_t granule;		/* shard boundaries keep to it where they can; a power
					 * of two (a page, or the slab size) */
	unsigned int nb_shards;
	struct mk_shard *shards;	/* in address order */
	/* nb_shards + 1 boundaries: bound[0] = 0, bound[nb_shards] = size; a worker that
	 * adopts moves the one it shares with the donor */
	_Atomic uint64_t *bound;
	struct mk_route_pub route;
};

struct mk_worker {
	struct mk_service *svc;
	unsigned int index;
	unsigned int lcore;
	struct rte_ring *ring;		/* requests for the shards it owns */
	struct rte_ring *ctl;		/* moves and releases, from the control lcore or reaper */
	unsigned int nb_shards;		/* shards it owns, over all segments */
	struct mk_shard *shards[MK_SEGMENTS_MAX];
} __rte_cache_aligned;

/* Where a client slot is. */
enum mk_slot_state {
	MK_SLOT_FREE = 0,
	MK_SLOT_LOCAL,		/* a client of this process */
	MK_SLOT_REMOTE,		/* a client of a secondary process */
	MK_SLOT_GONE,		/* its secondary exited or detached: being reaped */
};

struct mk_client_slot {
	_Atomic int state;		/* enum mk_slot_state; a client takes a FREE one by CAS */
	struct rte_ring *ring;		/* completions, MP (workers) / SC (the client) */
	unsigned int segment;
	uint32_t gen;			/* opens of this slot so far: owner records carry it */
	int32_t pid;			/* the process of a remote client */
	int pidfd;			/* ...watched for its exit (primary only); -1 when none */
	atomic_uint_fast64_t submitted;	/* requests enqueued, written by the client */
	/* buffers a remote client owns now, kept by the workers */
	atomic_uint_fast64_t remote_live;
	atomic_uint_fast64_t remote_bytes;
	/* requests answered (completions sent, or dropped for a gone slot), by the workers
	 * and the control lcore: apart from what the client writes */
	_Alignas(RTE_CACHE_LINE_SIZE) atomic_uint_fast64_t answered;
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
	/* each slot's token, read by the workers at every request: kept apart from the
	 * slots' written lines; 0 (never a token) while the slot is free or gone */
	_Alignas(RTE_CACHE_LINE_SIZE) _Atomic uint64_t token[MK_CLIENTS_MAX];
	atomic_uint_fast64_t dropped;	/* requests without a valid client and token */
	/* buffers of secondaries gone, released or kept (orphans, until the primary frees) */
	atomic_uint_fast64_t released_live, released_bytes;
	atomic_uint_fast64_t orphan_live, orphan_bytes;
	uint64_t magic;			/* MK_SERVICE_MAGIC: what a secondary looks for */
	int32_t primary_pid;		/* the process that created it */
	/* the control lcore */
	struct rte_ring *ctl_ring;	/* to it: parked allocs and MOVED answers (MP, SC) */
	_Atomic bool parking;		/* workers park allocs with it (it runs and rebalances) */
	atomic_uint_fast32_t ctl_busy;	/* moves and reaps under way */
	struct mk_control *control;	/* its private state */
	uint64_t start_cycles;		/* timer cycles at mk_service_start() */
};

/* "mkalloc\0\1" */
#define MK_SERVICE_MAGIC	UINT64_C(0x6d6b616c6c6f6301)

/* What a worker or a waiting client does when there is nothing to do. */
void mk_service_idle(const struct mk_service *svc);

/* The control loop, launched on the control lcore. */
int mk_control_main(void *arg);

struct mk_control;
/* The control lcore's state (NULL with errno set), and its end. */
struct mk_control *mk_control_create(struct mk_service *svc);
void mk_control_destroy(struct mk_control *ctl);

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

/* The shard of a segment that holds @p offset, or NULL when it is outside the segment. A
 * live buffer's shard never changes (boundaries move only across free space). */
struct mk_shard *mk_segment_shard_of(const struct mk_segment *seg, uint64_t offset);

/* Shard k's first offset and its bytes, by the boundaries. */
static inline uint64_t
mk_shard_lo(const struct mk_segment *seg, unsigned int k)
{
	return atomic_load_explicit(&seg->bound[k], memory_order_acquire);
}

static inline uint64_t
mk_shard_len(const struct mk_segment *seg, unsigned int k)
{
	return mk_shard_lo(seg, k + 1) - mk_shard_lo(seg, k);
}

/* Take a FREE client slot for a client of this process or of a secondary (@p state):
 * its index, or -ENOSPC. */
int mk_slot_take(struct mk_service *svc, enum mk_slot_state state);

/* Requests the service has accepted but not yet answered, over all clients and workers. */
uint64_t mk_service_outstanding(const struct mk_service *svc);

#endif /* MK_SERVICE_PVT_H */
