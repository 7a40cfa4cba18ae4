/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SERVICE_H
#define MK_SERVICE_H

/**
 * @file
 * The mkalloc service: segments of memory split into per-lcore shards, each shard served by
 * the allocator of one worker lcore in a run-to-completion loop fed by rte_rings.
 *
 * Layers, bottom up (each uses only those before it):
 *   lib/offset, lib/slab     range allocators: offsets only, metadata out of band, one owner
 *   lib/buffer               one allocator interface, buffers, descriptors, metrics
 *   drivers/mem              where a segment's bytes come from (memzone, anon)
 *   drivers/transport        how peers reach them (RDMA memory regions, or local only)
 *   lib/mkalloc              this: segments, shards, workers, rings, clients
 *   app/                     the mkalloc daemon, mkalloc-bench, the example client
 *
 * A segment is a named region from a memory driver, split into one contiguous shard per
 * worker lcore that serves it; each shard has its own lib/buffer allocator over its range.
 * Offsets and handles are segment-global, so a buffer can be freed from anywhere. The
 * boundaries between shards move across free space when the control lcore rebalances.
 *
 * The life of one request:
 *  1. A client (mk_client.h) writes a fixed-size request (alloc: size, alignment; free:
 *     offset, size, handle) and enqueues it on the request ring of the worker that owns the
 *     target shard: for an alloc the next shard of the client's round robin, for a free the
 *     shard whose range holds the offset. A client may have at most its depth of requests
 *     in flight, so a full ring is back-pressure (-EAGAIN), never a lost request.
 *  2. The worker dequeues a burst, drops any request that does not carry an open client's
 *     token, and serves each other against its own shard, or, if the request names a shard
 *     it does not own, forwards it to the owner's ring. An alloc that its shard cannot serve
 *     (-ENOMEM) moves on to the best shard it has not tried; when none could, it waits with
 *     the control lcore for a move of capacity between shards (mk_rebalance.c) unless
 *     asked not to.
 *  3. It enqueues one completion per request on the client's completion ring (status, tag,
 *     buffer), publishes the shard's statistics in a seqlock-protected snapshot, and goes
 *     back to its ring. It never blocks, never sleeps while there is work, takes no lock.
 *  4. The client polls its completion ring (or waits on it, in the blocking calls).
 * With a control lcore, every period it gathers the shards' published figures into a routing
 * view per segment (shards by largest free region); clients then send an allocation to the
 * best-fitting shard (the smallest largest-free-region that holds it, then the most free
 * bytes), and a shard that answers -ENOMEM passes it to the next best it has not tried.
 * Every request ring can hold every request that all clients may have in flight at once, so
 * a worker's enqueue (completion or forward) never fails and never waits. Clients of DPDK
 * secondary processes get their slot from the primary over rte_mp (mk_secondary.c) and use
 * the same rings; the control lcore reaps the slot of one that exits.
 *
 * Shutdown (mk_service_stop()): new requests are refused with -ESHUTDOWN, the workers go on
 * until every request already made has its completion, then stop; every buffer still
 * allocated is reported, count and bytes per segment.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mk_allocator.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Segments one service serves. */
#define MK_SEGMENTS_MAX		16
/** Worker lcores one service runs. */
#define MK_WORKERS_MAX		64
/** Clients that may be open at once. */
#define MK_CLIENTS_MAX		64
/** Longest segment name, with its NUL (the memzone driver's limit). */
#define MK_SEGMENT_NAME_SIZE	26

/** One segment. */
struct mk_segment_conf {
	char name[MK_SEGMENT_NAME_SIZE];	/**< unique, 1..25 characters */
	uint64_t size;				/**< bytes */
	enum mk_alloc_kind kind;		/**< offset, slab or auto (choice guide) */
	char mem_driver[32];			/**< "memzone" (default) or "anon" */
	int socket;				/**< NUMA socket, -1 for any */
	/** Worker lcores that serve it, one shard each; 0 = all of the service's workers. */
	unsigned int nb_workers;
	unsigned int workers[MK_WORKERS_MAX];	/**< lcore ids, each one of the service's */
	/** Choice guide inputs for AUTO, and the kinds' own parameters (0 = defaults). */
	uint64_t max_alloc_size;
	bool need_exact_free;
	uint64_t need_align;
	uint32_t slab_size;
	uint32_t max_nodes;
	/**
	 * RDMA registration (drivers/transport): "" or "none" (local transport only), "auto"
	 * (every device of the host, none found is no error), or a device name ("mlx5_0").
	 */
	char rdma_device[64];
	unsigned int rdma_port;			/**< the devices' port, 1..255; 0 = 1 */
	/** "host:port" of the transfer endpoint for descriptors; "" = the first device's GID */
	char endpoint[MK_ENDPOINT_MAX + 1];
};

/** The service. */
struct mk_service_conf {
	unsigned int nb_segments;
	struct mk_segment_conf segments[MK_SEGMENTS_MAX];
	unsigned int nb_workers;
	unsigned int worker_lcores[MK_WORKERS_MAX];	/**< worker lcore ids, not the main lcore */
	uint32_t burst;		/**< requests a worker takes at once; 0 = 32 */
	uint32_t client_depth;	/**< requests one client may have in flight; 0 = 256 */
	uint32_t max_clients;	/**< clients open at once, 1..MK_CLIENTS_MAX; 0 = 16 */
	bool idle_pause;	/**< rte_pause() in idle loops (friendlier to a sibling thread) */
	bool idle_yield;	/**< sched_yield() in idle loops: for more lcores than CPUs */
	/** Run the control lcore: shard figures gathered into routing views, every period. */
	bool control;
	unsigned int control_lcore;	/**< its lcore: not the main one, not a worker */
	uint32_t control_period_us;	/**< 0 = MK_CONTROL_PERIOD_US (200) */
	/** Route allocations by the views (best fit by largest free region); else in turns. */
	bool routing;
	/**
	 * With the control lcore: move free capacity between neighbouring shards, for an
	 * allocation that fits no shard's largest free region but would fit after a move, and
	 * when shards' free bytes drift apart (see rebalance_drift_pct).
	 */
	bool rebalance;
	/** Longest an allocation waits for a move before it fails -ENOMEM; 0 = 100000 µs. */
	uint32_t rebalance_wait_us;
	/**
	 * Drift: when two neighbouring shards' free bytes differ by more than this percentage
	 * of a mean shard's capacity, free space moves from the one to the other (half the
	 * difference). 0 = no drift moves, only moves that an allocation waits for.
	 */
	uint32_t rebalance_drift_pct;
	/** Hysteresis: a boundary a drift move shifted is not shifted back by drift for this
	 * long (ms). */
	uint32_t rebalance_cooldown_ms;
	/**
	 * Clients in secondary processes (they need the control lcore, which watches them):
	 * when one exits or closes its client with buffers still allocated, keep them
	 * (reported, freed by the primary's clients) rather than release them.
	 */
	bool secondary_keep;
	/** Buffers that clients of secondaries may own at once, per shard; 0 = 65536. */
	uint32_t secondary_buffers;
};

/** One shard in a routing view. */
struct mk_route_entry {
	unsigned int shard;		/**< index in the segment */
	uint64_t capacity;		/**< bytes its allocator manages, by the control's ledger */
	uint64_t largest_free;		/**< as its worker last published it */
	uint64_t free_bytes;
	uint64_t live_buffers;
};

/** A segment as the control lcore last saw it: shards by largest free region, largest first. */
struct mk_route_view {
	uint64_t version;		/**< views published so far; 0: none yet */
	/**
	 * Sum over the shards. With in_transit, always the segment's size: capacity is
	 * conserved while it moves between shards.
	 */
	uint64_t capacity;
	uint64_t in_transit;		/**< bytes a donor ceded that the receiver has not adopted */
	uint64_t free_bytes;		/**< sum over the shards */
	uint64_t largest_free;		/**< over the shards */
	uint64_t live_buffers;		/**< sum over the shards */
	unsigned int nb_shards;
	struct mk_route_entry shard[MK_WORKERS_MAX];
};

/** A shard's statistics, as its worker last published them. */
struct mk_shard_stats {
	unsigned int segment;		/**< segment index */
	unsigned int shard;		/**< shard index in its segment */
	unsigned int lcore;		/**< owner worker lcore */
	uint64_t base;			/**< first offset of the shard in the segment */
	uint64_t capacity;		/**< bytes it manages */
	uint64_t allocated_bytes;	/**< sizes asked for by its live buffers */
	uint64_t free_bytes;		/**< capacity less the bytes set aside for live buffers */
	uint64_t largest_free;		/**< largest request it would serve now */
	uint64_t edge_free_low;		/**< free bytes it could cede at its low end */
	uint64_t edge_free_high;	/**< ...and at its high end */
	uint64_t live_buffers;
	uint64_t allocs;		/**< successful allocations */
	uint64_t frees;			/**< successful frees */
	uint64_t fail_nomem;		/**< allocs it could not serve (moved on, or failed) */
	uint64_t fail_other;		/**< allocs refused (-EINVAL, -E2BIG, -ENOSPC) */
	uint64_t free_rejected;		/**< frees refused (double, stale, forged) */
	uint64_t forwarded;		/**< requests it passed to another worker */
	uint64_t bursts;		/**< non-empty bursts served */
	uint64_t ceded_bytes;		/**< capacity it gave to neighbours */
	uint64_t adopted_bytes;		/**< capacity it took from neighbours */
};

/** Why capacity moved. */
enum mk_move_reason {
	MK_MOVE_NEED = 1,	/**< an allocation fits only after the move */
	MK_MOVE_DRIFT,		/**< neighbours' free bytes drifted apart */
};

/** One move of capacity between neighbouring shards. */
struct mk_move_record {
	uint64_t id;		/**< moves of the segment so far, this one included */
	uint64_t time_us;	/**< when it ended, µs since the service started */
	uint64_t bytes;		/**< capacity moved; 0 when the donor had none to give */
	uint32_t duration_us;	/**< from the request to the donor to the receiver's adopt */
	uint32_t from;		/**< donor shard */
	uint32_t to;		/**< receiving shard */
	uint8_t reason;		/**< enum mk_move_reason */
	int8_t status;		/**< 0, or the negative errno that undid it (bytes went back) */
};

/** Moves kept in struct mk_rebalance_info. */
#define MK_MOVES_KEPT	8

/** A segment's rebalancing, as the control lcore last published it. */
struct mk_rebalance_info {
	uint64_t moves;			/**< moves that shifted capacity */
	uint64_t moved_bytes;		/**< capacity they shifted */
	uint64_t need_moves;		/**< ...of them for a waiting allocation */
	uint64_t drift_moves;		/**< ...of them for drift */
	uint64_t failed_moves;		/**< moves that shifted nothing (donor busy, receiver full) */
	uint64_t waited;		/**< allocations that no shard could serve, so waited */
	uint64_t resent;		/**< ...sent back to a shard that then had room */
	uint64_t wait_timeouts;		/**< ...failed -ENOMEM at the end of their wait */
	uint64_t no_plan;		/**< ...failed -ENOMEM at once: no move could make room */
	uint64_t ledger_mismatch;	/**< shard capacities found unlike the ledger (a bug) */
	uint32_t waiting;		/**< allocations waiting now */
	uint32_t in_flight;		/**< 1 while a move is under way */
	unsigned int nb_last;		/**< records in last */
	struct mk_move_record last[MK_MOVES_KEPT];	/**< newest first */
};

struct mk_service;
struct mk_transport_reg;

/**
 * Fill @p conf with the defaults: no segment, no worker, burst 32, depth 256, 16 clients.
 *
 * @param conf
 *   Filled in.
 */
void mk_service_conf_defaults(struct mk_service_conf *conf);

/**
 * Whether an lcore is one of a configuration's workers.
 *
 * @param conf
 *   The configuration.
 * @param lcore
 *   The lcore id.
 * @return
 *   True when @p lcore is in conf->worker_lcores.
 */
bool mk_service_conf_is_worker(const struct mk_service_conf *conf, unsigned int lcore);

/**
 * Check a configuration against this process's EAL (lcores exist, are not the main lcore,
 * sizes fit, names are unique).
 *
 * @param conf
 *   The configuration.
 * @param err
 *   Receives a one-line reason naming the field; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   0, or -EINVAL.
 */
int mk_service_conf_check(const struct mk_service_conf *conf, char *err, size_t errlen);

/**
 * Create the service: reserve every segment's memory, cut it into shards, make their
 * allocators and the rings. Call from the main lcore after rte_eal_init().
 *
 * @param conf
 *   The configuration; copied.
 * @param err
 *   Receives a one-line reason on failure; may be NULL.
 * @param errlen
 *   Size of @p err.
 * @return
 *   The service, or NULL with rte_errno set (EINVAL for a bad conf, ENOMEM, EEXIST when a
 *   service already exists in this process).
 */
struct mk_service *mk_service_create(const struct mk_service_conf *conf, char *err,
	size_t errlen);

/**
 * Launch the worker loops on their lcores.
 *
 * @param svc
 *   The service.
 * @return
 *   0; -EBUSY when a worker lcore is not idle; -EALREADY when started.
 */
int mk_service_start(struct mk_service *svc);

/**
 * Stop: refuse new requests, let the workers answer every request already made, stop them,
 * and report the buffers still allocated to @p report (one line per segment that has any).
 *
 * @param svc
 *   The service.
 * @param report
 *   Where the leak report goes; NULL for none.
 * @return
 *   The number of buffers still allocated over all segments.
 */
uint64_t mk_service_stop(struct mk_service *svc, FILE *report);

/**
 * Destroy the service (stopping it first if needed) and release its memory. Open clients
 * become unusable: every call on them returns -ESHUTDOWN, and mk_client_close() frees them.
 *
 * @param svc
 *   The service; NULL does nothing.
 */
void mk_service_destroy(struct mk_service *svc);

/**
 * The service of this process, or NULL.
 *
 * @return
 *   The service created last and not destroyed.
 */
struct mk_service *mk_service_get(void);

/**
 * Number of segments.
 *
 * @param svc
 *   The service.
 * @return
 *   Segments configured.
 */
unsigned int mk_service_segment_count(const struct mk_service *svc);

/**
 * A segment's index by name.
 *
 * @param svc
 *   The service.
 * @param name
 *   The segment's name.
 * @return
 *   Its index, or -ENOENT.
 */
int mk_service_segment_find(const struct mk_service *svc, const char *name);

/**
 * A segment's configuration and memory.
 *
 * @param svc
 *   The service.
 * @param segment
 *   Index.
 * @param conf
 *   Filled in with its configuration (workers and kind resolved), if not NULL.
 * @param base
 *   Filled in with its first byte, if not NULL.
 * @return
 *   Number of shards, or -EINVAL for a bad index.
 */
int mk_service_segment_info(const struct mk_service *svc, unsigned int segment,
	struct mk_segment_conf *conf, void **base);

/**
 * A segment's transport: its RDMA registration (devices, keys) or why it has none.
 *
 * @param svc
 *   The service.
 * @param segment
 *   Index.
 * @param out
 *   Filled in with a copy (struct mk_transport_reg of mk_transport.h).
 * @return
 *   0, or -EINVAL for a bad index or a NULL @p out.
 */
int mk_service_segment_transport(const struct mk_service *svc, unsigned int segment,
	struct mk_transport_reg *out);

/**
 * The shards' latest published statistics; lock-free, callable from any thread.
 *
 * @param svc
 *   The service.
 * @param segment
 *   Index.
 * @param out
 *   Receives up to @p max entries, shard 0 first.
 * @param max
 *   Room in @p out.
 * @return
 *   The number of shards of the segment (may exceed @p max), or -EINVAL.
 */
int mk_service_shard_stats(const struct mk_service *svc, unsigned int segment,
	struct mk_shard_stats *out, unsigned int max);

/**
 * The control lcore's latest view of a segment; lock-free, callable from any thread.
 *
 * @param svc
 *   The service.
 * @param segment
 *   Index.
 * @param out
 *   Filled in; version 0 when no control lcore has published one.
 * @return
 *   0, or -EINVAL for a bad index.
 */
int mk_service_route_view(const struct mk_service *svc, unsigned int segment,
	struct mk_route_view *out);

/**
 * The control lcore's latest rebalancing figures of a segment; lock-free, any thread.
 *
 * @param svc
 *   The service.
 * @param segment
 *   Index.
 * @param out
 *   Filled in; all zero when no control lcore runs.
 * @return
 *   0, or -EINVAL for a bad index or a NULL @p out.
 */
int mk_service_rebalance_info(const struct mk_service *svc, unsigned int segment,
	struct mk_rebalance_info *out);

/**
 * Check the service's structures: every shard's allocator (mk_allocator_check()), the
 * shards' ranges against the boundaries (contiguous, in order, covering the segment), and
 * their capacities against the segment's size. The allocators belong to the worker lcores:
 * call it before mk_service_start() or after mk_service_stop().
 *
 * @param svc
 *   The service.
 * @return
 *   0; -EBUSY while the workers run; -EFAULT with a message on stderr naming the first
 *   broken invariant.
 */
int mk_service_check(const struct mk_service *svc);

/**
 * Wait for an lcore started with rte_eal_remote_launch() to return, sleeping between looks
 * (rte_eal_wait_lcore() spins, which starves the lcore waited for when both share a CPU).
 *
 * @param lcore
 *   The lcore.
 * @return
 *   What its function returned.
 */
int mk_lcore_wait(unsigned int lcore);

/**
 * The @p n-th lcore of the EAL after the main one (n = 0: the first), to hand out lcores to
 * workers and clients in order.
 *
 * @param n
 *   Index among the non-main lcores.
 * @return
 *   Its lcore id, or RTE_MAX_LCORE when there are not that many.
 */
unsigned int mk_lcore_nth(unsigned int n);

#ifdef __cplusplus
}
#endif

#endif /* MK_SERVICE_H */
