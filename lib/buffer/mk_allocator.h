/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_ALLOCATOR_H
#define MK_ALLOCATOR_H

/**
 * @file
 * The buffer allocators: one interface over a named memory segment, served by an offset or a
 * slab allocator, with buffer handles that stay safe when their allocator goes first, and
 * per-segment metrics that another thread reads without locks.
 *
 * An allocator is created over a segment (name, base address, size, transport endpoint) and
 * hands out buffers: a data pointer (base + offset), the size asked for and what the kind
 * needs to take the space back. The kind is chosen per segment: MK_ALLOC_KIND_OFFSET
 * (lib/offset: any size, any alignment up to the base's, exact free-space figures),
 * MK_ALLOC_KIND_SLAB (lib/slab: O(1) with constant bounds, sizes up to one slab, 8-byte
 * alignment), or MK_ALLOC_KIND_AUTO, which applies the seed's choice guide
 * (mk_allocator_choose()).
 *
 * A buffer names its allocator by a slot of a process-wide registry and the generation that
 * slot had when the allocator was created. Every destroy bumps the generation, so a buffer
 * whose allocator is gone (even when a new allocator took the slot since) is told apart by
 * one atomic load: mk_buffer_free() then changes nothing and returns -ENODEV, and
 * mk_buffer_valid() answers false. That is the seed's weak reference, without a reference
 * count on the hot path.
 *
 * One owner: an allocator is not thread-safe and takes no lock; only its owner thread
 * allocates, frees its buffers and destroys it. Creating and destroying allocators (rare)
 * take a process-wide mutex. mk_buffer_valid(), mk_allocator_stats(), mk_allocator_size()
 * and mk_desc_from_buffer() may be called from any thread while the allocator exists: the
 * metrics are atomics written by the owner alone, inside a sequence counter, so a snapshot is
 * always one consistent moment.
 */

#include <stdbool.h>
#include <stdint.h>

#include "mk_offset.h"
#include "mk_slab.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Allocators that may exist at once in a process: the size of the registry that buffers
 * name their allocator by (64 KiB of static memory). A service has a few allocators per
 * worker lcore, so 4096 leaves room for hundreds of cores and many segments.
 */
#define MK_ALLOCATOR_REGISTRY_SLOTS	4096
/** Longest segment name, in bytes (as in a descriptor). */
#define MK_SEGMENT_NAME_MAX		255
/** Longest transport endpoint, in bytes (as in a descriptor). */
#define MK_ENDPOINT_MAX			255
/** Largest alignment a slab allocator serves: its chunks are multiples of 8 bytes apart. */
#define MK_ALLOC_SLAB_ALIGN_MAX		MK_SLAB_ALIGN
/** Buckets of the size histogram: bucket k counts sizes in [2^k, 2^(k+1)). */
#define MK_ALLOC_HIST_BUCKETS		64

/** Which allocator serves a segment. */
enum mk_alloc_kind {
	MK_ALLOC_KIND_AUTO = 0,	/**< decided by mk_allocator_choose() from the conf */
	MK_ALLOC_KIND_OFFSET,	/**< lib/offset */
	MK_ALLOC_KIND_SLAB,	/**< lib/slab */
};

/** Why an allocation failed: the index of mk_allocator_stats::fail. */
enum mk_alloc_fail {
	MK_ALLOC_FAIL_NOMEM = 0,	/**< -ENOMEM: no free space can hold it now */
	MK_ALLOC_FAIL_NOSPC,		/**< -ENOSPC: the offset node pool is at its limit */
	MK_ALLOC_FAIL_2BIG,		/**< -E2BIG: larger than this segment ever serves */
	MK_ALLOC_FAIL_INVAL,		/**< -EINVAL: bad size, alignment or arguments */
	MK_ALLOC_FAIL_REASONS,		/**< number of reasons */
};

/** How an allocator is made. */
struct mk_allocator_conf {
	const char *name;	/**< segment name: 1..255 bytes of printable ASCII */
	void *base;		/**< first byte of the segment; not NULL, never touched */
	uint64_t size;		/**< bytes of the segment, within the address space */
	const char *endpoint;	/**< "host:port" peers reach it at; NULL or "" = local only */
	uint32_t rkey;		/**< RDMA remote key of the segment; 0 when none */
	enum mk_alloc_kind kind; /**< the allocator, or AUTO to apply the choice guide */
	/** Choice guide, for AUTO: largest allocation expected; 0 = not known (any size). */
	uint64_t max_alloc_size;
	/** Choice guide, for AUTO: exact free-byte figures are needed. */
	bool need_exact_free;
	/** Choice guide, for AUTO: largest alignment needed; 0 or 1 = none. */
	uint64_t need_align;
	/**
	 * Where the allocator's range starts in the segment: buffers get segment offsets in
	 * [range_base, range_base + size) and data = base + offset, so that ranges of one
	 * segment (a service's shards) share one offset space and can move their ends
	 * (mk_allocator_cede(), mk_allocator_adopt()). 0 for an allocator over the whole
	 * segment at base. The slab kind wants a multiple of the slab size.
	 */
	uint64_t range_base;
	/**
	 * How far the range may grow by mk_allocator_adopt(): it stays inside
	 * [0, range_limit). 0 = range_base + size (it may grow only at its low end). A
	 * segment's shards take the segment's size.
	 */
	uint64_t range_limit;
	/** Offset kind: node pool bounds (size and base are ignored: the conf's are used). */
	struct mk_offset_conf offset;
	/** Slab kind: slab and class parameters (size, base and limit are ignored likewise:
	 * the conf's size, range_base and range_limit are used). */
	struct mk_slab_conf slab;
};

/**
 * A buffer: what mk_allocator_alloc() fills in and mk_buffer_free() takes back. One owner:
 * a copy frees no more than once (the second free is refused with -EINVAL).
 */
struct mk_buffer {
	void *data;		/**< base + offset */
	uint64_t size;		/**< bytes asked for */
	uint64_t offset;	/**< from the segment's base */
	uint64_t footprint;	/**< bytes set aside: the chunk size on slab, size on offset */
	uint64_t handle;	/**< the kind's handle, opaque */
	uint64_t alloc_gen;	/**< generation of its allocator's registry slot; 0 = none */
	uint32_t alloc_id;	/**< registry slot of the allocator */
};

/**
 * Metrics of a segment, Mooncake's MasterMetricManager figures per segment. Counts since
 * the allocator was created; all from one moment.
 */
struct mk_allocator_stats {
	enum mk_alloc_kind kind;	/**< OFFSET or SLAB */
	uint64_t segment_size;		/**< bytes of the segment */
	uint64_t range_base;		/**< first offset of the range now */
	uint64_t capacity;		/**< bytes the kind manages now (slab: whole slabs) */
	uint64_t allocated_bytes;	/**< sizes asked for by live buffers */
	uint64_t footprint_bytes;	/**< bytes set aside for live buffers (>= allocated) */
	uint64_t live_buffers;		/**< buffers handed out and not freed */
	uint64_t alloc_count;		/**< successful allocations */
	uint64_t free_count;		/**< successful frees */
	uint64_t free_rejected;		/**< frees refused: a copy freed already, forged */
	uint64_t fail[MK_ALLOC_FAIL_REASONS];	/**< failed allocations, by reason */
	uint64_t size_hist[MK_ALLOC_HIST_BUCKETS]; /**< successful allocations by size */
};

struct mk_allocator;

/**
 * The seed's choice guide (15.4): the offset allocator when allocations above the slab size
 * (4 MiB), exact free-space figures or an alignment above 8 bytes are needed, the slab
 * allocator otherwise. A max_alloc_size of 0 means the sizes are not known, which only the
 * offset allocator can take. The slab allocator's largest free region is exact too, but its
 * free bytes are not (chunks are larger than requests), hence the guide's second rule.
 *
 * @param conf
 *   The conf: kind, and for AUTO max_alloc_size, need_exact_free, need_align and
 *   slab.slab_size (0 = 4 MiB).
 * @return
 *   conf->kind when it is not AUTO, else the kind the guide picks; MK_ALLOC_KIND_AUTO for a
 *   NULL @p conf.
 */
enum mk_alloc_kind mk_allocator_choose(const struct mk_allocator_conf *conf);

/**
 * Create an allocator over a segment and register it.
 *
 * @param conf
 *   The segment and the kind; see struct mk_allocator_conf.
 * @return
 *   The allocator, or NULL with errno set: EINVAL for a NULL @p conf or base, a name that
 *   is empty, too long or not printable ASCII, an endpoint that is not "host:port", a size
 *   of 0 or past the end of the address space, an unknown kind, or a conf the kind refuses
 *   (e.g. a slab segment smaller than one slab, or a slab range_base off the slab grid);
 *   ENFILE when all
 *   MK_ALLOCATOR_REGISTRY_SLOTS allocators exist; ENOMEM when memory runs out.
 */
struct mk_allocator *mk_allocator_create(const struct mk_allocator_conf *conf);

/**
 * Destroy an allocator. Its live buffers become stale: freeing one returns -ENODEV and
 * touches nothing. Only the owner thread may call it.
 *
 * @param a
 *   The allocator; NULL is allowed and does nothing.
 */
void mk_allocator_destroy(struct mk_allocator *a);

/**
 * Allocate a buffer of exactly @p size bytes at an address aligned to @p align.
 *
 * @param a
 *   The allocator.
 * @param size
 *   Bytes wanted, at least 1.
 * @param align
 *   0 or 1 for none, else a power of two that the data address must be a multiple of: up to
 *   the alignment of the segment's base on both kinds, and up to 8 on a slab allocator.
 * @param out
 *   Filled in on success; untouched on failure.
 * @return
 *   0; -EINVAL for a size of 0, NULL arguments, an alignment that is not a power of two or
 *   that the kind cannot give (see @p align); -E2BIG for a size above the capacity, or above
 *   the largest class (one slab) on a slab allocator; -ENOMEM when no free space holds it
 *   now; -ENOSPC when the offset allocator's node pool is at its limit. Every failure is
 *   counted by reason.
 */
int mk_allocator_alloc(struct mk_allocator *a, uint64_t size, uint64_t align,
		struct mk_buffer *out);

/**
 * Give a buffer back to the allocator that made it, and clear the handle.
 *
 * @param b
 *   The buffer.
 * @return
 *   0; -ENODEV when its allocator has been destroyed (nothing changes); -EINVAL for a NULL
 *   or cleared handle (e.g. freed already), or one its allocator refuses (a copy freed
 *   already, a forged or foreign handle): nothing changes then.
 */
int mk_buffer_free(struct mk_buffer *b);

/**
 * Whether the allocator of a buffer still exists (the seed's isAllocatorValid). Lock-free,
 * callable from any thread.
 *
 * @param b
 *   The buffer.
 * @return
 *   true when @p b names a live allocator; false for NULL, a cleared handle, or an allocator
 *   destroyed since (even if its registry slot has been reused).
 */
bool mk_buffer_valid(const struct mk_buffer *b);

/**
 * Give a buffer back to an allocator its owner holds: mk_buffer_free() without the registry
 * look-up, for an owner that keeps buffers as (offset, size, handle) and rebuilds the record
 * (the service's workers). Every other check is the same.
 *
 * @param a
 *   The allocator.
 * @param b
 *   The buffer: data, offset, size, footprint and handle must be those it was given;
 *   alloc_id and alloc_gen are not looked at. Cleared on success.
 * @return
 *   0; -EINVAL when it is not a live buffer of @p a; nothing changes then.
 */
int mk_allocator_free(struct mk_allocator *a, struct mk_buffer *b);

/**
 * @param a
 *   The allocator.
 * @return
 *   The kind serving the segment: MK_ALLOC_KIND_OFFSET or MK_ALLOC_KIND_SLAB.
 */
enum mk_alloc_kind mk_allocator_kind(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   Bytes it manages: the segment size on offset, whole slabs on slab.
 */
uint64_t mk_allocator_capacity(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   The first offset of its range now (it moves with mk_allocator_cede() and
 *   mk_allocator_adopt() at the low end). Owner thread, or any thread through
 *   mk_allocator_stats().
 */
uint64_t mk_allocator_range_base(const struct mk_allocator *a);

/**
 * The seed's size(): bytes handed out, counted as the sizes asked for.
 *
 * @param a
 *   The allocator.
 * @return
 *   Sum of the sizes of the live buffers.
 */
uint64_t mk_allocator_size(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   The segment name, NUL-terminated, valid until the allocator is destroyed.
 */
const char *mk_allocator_name(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   The transport endpoint ("" for local only), valid until the allocator is destroyed.
 */
const char *mk_allocator_endpoint(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   The segment's RDMA remote key, 0 when none.
 */
uint32_t mk_allocator_rkey(const struct mk_allocator *a);

/**
 * @param a
 *   The allocator.
 * @return
 *   Its registry slot, 0 .. MK_ALLOCATOR_REGISTRY_SLOTS - 1 (what its buffers carry).
 */
uint32_t mk_allocator_id(const struct mk_allocator *a);


/**
 * The largest free region, exact on both kinds: on offset the largest free range, on slab the
 * largest request that would succeed now. Owner thread only.
 *
 * @param a
 *   The allocator.
 * @return
 *   Bytes; 0 when full.
 */
uint64_t mk_allocator_largest_free(const struct mk_allocator *a);

/**
 * Check the kind's structures and that the metrics agree with them. Owner thread only.
 *
 * @param a
 *   The allocator.
 * @return
 *   0; -EINVAL for NULL; -EFAULT (or the kind checker's error) for broken structures or
 *   metrics, with a message naming the first broken invariant on stderr.
 */
int mk_allocator_check(const struct mk_allocator *a);

/**
 * A consistent snapshot of the metrics. Lock-free, callable from any thread while the
 * allocator exists; retries while the owner is in the middle of an update.
 *
 * @param a
 *   The allocator.
 * @param s
 *   Filled in.
 */
void mk_allocator_stats(const struct mk_allocator *a, struct mk_allocator_stats *s);

/**
 * Give up free bytes at one end of the allocator's range: for moving capacity to the
 * neighbouring range of the same segment. The offset kind gives up the free region at that
 * end (mk_offset_cede()), the slab kind the run of whole free slabs there, @p max rounded
 * down to whole slabs (mk_slab_cede()); neither gives up its range's last byte or slab.
 * Owner thread only.
 *
 * @param a
 *   The allocator.
 * @param side
 *   MK_OFFSET_LOW (the end at range_base) or MK_OFFSET_HIGH.
 * @param max
 *   Most bytes to give up.
 * @param ceded
 *   Receives the bytes given up (0 when that end is allocated).
 * @return
 *   0; -EINVAL for bad arguments.
 */
int mk_allocator_cede(struct mk_allocator *a, enum mk_offset_side side, uint64_t max,
		uint64_t *ceded);

/**
 * The bytes mk_allocator_cede() could give up at one end now: the free region at that end
 * (offset kind, less the byte a range keeps), or the run of whole free slabs there (slab
 * kind, less the slab a range keeps). Owner thread only; O(1).
 *
 * @param a
 *   The allocator.
 * @param side
 *   Which end.
 * @return
 *   Bytes; 0 for bad arguments or an allocated end.
 */
uint64_t mk_allocator_edge_free(const struct mk_allocator *a, enum mk_offset_side side);

/**
 * Take in @p bytes at one end of the range (what the neighbouring range ceded). Owner
 * thread only.
 *
 * @param a
 *   The allocator.
 * @param side
 *   Which end.
 * @param bytes
 *   How many; whole slabs on the slab kind.
 * @return
 *   0; -EINVAL (bad arguments, bytes that are not whole slabs on the slab kind, or the range
 *   would leave [0, range_limit)); -ENOSPC (offset node pool full).
 */
int mk_allocator_adopt(struct mk_allocator *a, enum mk_offset_side side, uint64_t bytes);

/**
 * The name of a kind, for messages.
 *
 * @param kind
 *   The kind.
 * @return
 *   "auto", "offset", "slab", or "unknown".
 */
const char *mk_alloc_kind_name(enum mk_alloc_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* MK_ALLOCATOR_H */
