/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_OFFSET_H
#define MK_OFFSET_H

/**
 * @file
 * The offset allocator: hands out byte ranges [offset, offset + size) of one range
 * [0, capacity), never touching the memory it describes.
 *
 * Free regions are kept in bins indexed by a small float of their size (4 mantissa bits, so 16
 * bins per power of two, over 64-bit sizes), with a two-level bitmap over the bins: finding a
 * non-empty bin that holds a request is two find-first-set instructions. Every region, free or
 * handed out, is a node in a doubly linked list in address order, so a free merges with both
 * neighbours in O(1). Nodes live in a pool outside the managed range that starts at
 * init_nodes and doubles up to max_nodes.
 *
 * Unlike bin allocators that round every request up to its bin (and so waste up to 1/8 of it),
 * an allocation takes exactly the bytes asked for: bins are used only to find a region. The
 * search looks at a few regions of the request's own bin (the tightest fits) before taking
 * the smallest larger bin, and when both come up empty it walks the regions that could still
 * hold the request: an allocation fails with -ENOMEM only when no free region can hold it.
 *
 * A handle carries the node index, the allocation's generation (an instance-wide count of
 * allocations, 20 bits) and a tag of the instance, so a double free, a stale or foreign
 * handle, or a forged one is refused with -EINVAL and changes nothing. (A stale handle could
 * match again only if its node were handed out with the same offset and size a multiple of
 * 2^20 allocations later.) Nodes are 32 bytes, outside the managed range.
 *
 * One owner: an instance is not thread-safe and takes no lock. Every function is O(1) but
 * mk_offset_report() (O(regions in the largest non-empty bin), nearly always one),
 * mk_offset_check() (walks everything) and the fallback search described above.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest capacity an offset allocator manages: 2^63 bytes. */
#define MK_OFFSET_SIZE_MAX	(UINT64_C(1) << 63)
/** Largest alignment accepted by mk_offset_alloc(): 2^62. */
#define MK_OFFSET_ALIGN_MAX	(UINT64_C(1) << 62)
/** Largest node pool: node indices (0 is reserved) take 28 bits of a handle. */
#define MK_OFFSET_NODES_LIMIT	((UINT32_C(1) << 28) - 1)

/** How an allocator is made. Zero fields take the defaults of mk_config.h. */
struct mk_offset_conf {
	uint64_t size;		/**< bytes managed: 1 .. 2^63 */
	uint32_t init_nodes;	/**< node pool at start; 0 = size/4096 clamped to [1 Ki, 64 Ki] */
	uint32_t max_nodes;	/**< node pool growth limit; 0 = size/1024 clamped to [1 Mi, 64 Mi] */
	/** First offset of the range: offsets handed out are in [base, base + size); base +
	 * size <= 2^63. A range that gives up or takes in bytes at its ends (mk_offset_cede(),
	 * mk_offset_adopt()) keeps its offsets: a shard of a segment uses segment offsets. */
	uint64_t base;
	uint32_t flags;		/**< MK_OFFSET_KEEP_EDGES or 0 */
};

/**
 * Flag of mk_offset_conf: placement keeps free space at the ends of the range where it can.
 * A region at an end is not split by size (large requests to its high end); the allocation
 * takes the side away from the end, so what stays free is where mk_offset_cede() can give it
 * up. For ranges that trade space at their ends (the service's shards).
 */
#define MK_OFFSET_KEEP_EDGES	UINT32_C(1)

/** An end of the range, for mk_offset_cede() and mk_offset_adopt(). */
enum mk_offset_side {
	MK_OFFSET_LOW,		/**< the end at base */
	MK_OFFSET_HIGH,		/**< the end at base + capacity */
};

/** One allocation: what mk_offset_alloc() fills in and mk_offset_free() takes back. */
struct mk_offset_alloc {
	uint64_t offset;	/**< first byte of the range */
	uint64_t size;		/**< bytes asked for (exactly what the range holds) */
	uint64_t handle;	/**< opaque: node index, generation and instance tag */
};

/** Exact free-space figures at the moment of the call. */
struct mk_offset_report {
	uint64_t total_free;	/**< free bytes */
	uint64_t largest_free;	/**< size of the largest free region */
	uint64_t free_regions;	/**< maximal free ranges */
};

/** Counters for benchmarks and the service's statistics. */
struct mk_offset_stats {
	uint64_t base;		/**< first offset of the range now */
	uint64_t capacity;	/**< bytes managed now */
	uint64_t used_bytes;	/**< bytes handed out */
	uint64_t live;		/**< allocations handed out and not freed */
	uint32_t nodes;		/**< nodes in the pool now */
	uint32_t max_nodes;	/**< the pool's growth limit */
	uint64_t meta_bytes;	/**< bytes of bookkeeping (instance and node pool) */
	uint32_t node_bytes;	/**< bytes per node */
	uint64_t fallback_searches; /**< allocations the O(1) search could not serve */
	uint64_t roomy_placements; /**< allocations placed in a roomy region, not the best fit */
};

struct mk_offset;

/**
 * Create an allocator over [0, conf->size).
 *
 * @param conf
 *   Size and node pool bounds; see struct mk_offset_conf.
 * @return
 *   The allocator, or NULL with errno set: EINVAL for a size of 0 or above 2^63, a base +
 *   size above 2^63, a max_nodes
 *   above MK_OFFSET_NODES_LIMIT or init_nodes above max_nodes; ENOMEM when the pool cannot
 *   be allocated.
 */
struct mk_offset *mk_offset_create(const struct mk_offset_conf *conf);

/**
 * Destroy an allocator. Its outstanding allocations become invalid.
 *
 * @param oa
 *   The allocator; NULL is allowed and does nothing.
 */
void mk_offset_destroy(struct mk_offset *oa);

/**
 * Allocate a range of exactly @p size bytes.
 *
 * @param oa
 *   The allocator.
 * @param size
 *   Bytes wanted, at least 1.
 * @param align
 *   0 or 1 for none, else a power of two up to 2^62 that the offset must be a multiple of.
 * @param out
 *   Filled in on success; untouched on failure.
 * @return
 *   0; -EINVAL for a size of 0, a bad alignment or NULL arguments; -ENOMEM when no free
 *   region can hold the request; -ENOSPC when a region exists but the node pool is at
 *   max_nodes and the split would need a new node.
 */
int mk_offset_alloc(struct mk_offset *oa, uint64_t size, uint64_t align,
		struct mk_offset_alloc *out);

/**
 * Give a range back. It merges with free neighbours.
 *
 * @param oa
 *   The allocator that made @p a.
 * @param a
 *   What mk_offset_alloc() filled in.
 * @return
 *   0; -EINVAL when @p a is not a live allocation of this allocator (double free, stale,
 *   foreign or forged handle); nothing changes then.
 */
int mk_offset_free(struct mk_offset *oa, const struct mk_offset_alloc *a);

/**
 * Exact free-space figures.
 *
 * @param oa
 *   The allocator.
 * @param r
 *   Filled in.
 */
void mk_offset_report(const struct mk_offset *oa, struct mk_offset_report *r);

/**
 * Counters and metadata cost.
 *
 * @param oa
 *   The allocator.
 * @param s
 *   Filled in.
 */
void mk_offset_stats(const struct mk_offset *oa, struct mk_offset_stats *s);

/**
 * Walk every structure (address list, bins, bitmaps, node pool, totals) and check its
 * invariants.
 *
 * @param oa
 *   The allocator.
 * @return
 *   0, or a negative errno (-EFAULT for broken structures) with a message naming the first
 *   broken invariant on stderr.
 */
int mk_offset_check(const struct mk_offset *oa);

/**
 * Give up free bytes at one end of the range: the range shrinks by up to @p max bytes of the
 * free region at that end (never to nothing: at least one byte stays). For moving capacity
 * between neighbouring ranges; O(1).
 *
 * @param oa
 *   The allocator.
 * @param side
 *   Which end.
 * @param max
 *   Most bytes to give up.
 * @param ceded
 *   Receives the bytes given up: 0 when the end is allocated.
 * @return
 *   0; -EINVAL for a bad side or NULL arguments.
 */
int mk_offset_cede(struct mk_offset *oa, enum mk_offset_side side, uint64_t max,
		uint64_t *ceded);

/**
 * The free bytes at one end of the range: what mk_offset_cede() could give up there now
 * (the free region at that end, less the byte a range always keeps). O(1).
 *
 * @param oa
 *   The allocator.
 * @param side
 *   Which end.
 * @return
 *   Bytes; 0 when that end is allocated or for a bad side.
 */
uint64_t mk_offset_edge_free(const struct mk_offset *oa, enum mk_offset_side side);

/**
 * Take in @p bytes of free space at one end of the range (what a neighbour ceded): they
 * join the free region at that end, or become one. O(1).
 *
 * @param oa
 *   The allocator.
 * @param side
 *   Which end.
 * @param bytes
 *   How many, at least 1.
 * @return
 *   0; -EINVAL for a bad side, 0 bytes, or a range that would leave [0, 2^63]; -ENOSPC
 *   when a new free region needs a node and the pool is at max_nodes.
 */
int mk_offset_adopt(struct mk_offset *oa, enum mk_offset_side side, uint64_t bytes);

/**
 * Call @p fn for every live allocation in address order (snapshots, leak reports, tests).
 *
 * @param oa
 *   The allocator.
 * @param fn
 *   Called with the allocation and @p arg; a non-zero return stops the walk.
 * @param arg
 *   Passed to @p fn.
 * @return
 *   The number of allocations visited.
 */
uint64_t mk_offset_walk(const struct mk_offset *oa,
		int (*fn)(const struct mk_offset_alloc *a, void *arg), void *arg);

#ifdef __cplusplus
}
#endif

#endif /* MK_OFFSET_H */
