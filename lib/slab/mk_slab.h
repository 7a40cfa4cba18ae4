/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SLAB_H
#define MK_SLAB_H

/**
 * @file
 * The slab allocator: CacheLib's MemoryAllocator over one range of an offset space, handing
 * out offsets in that space and never touching the memory it describes.
 *
 * The space [0, limit) is cut into slabs (4 MiB by default), numbered from 0; a limit that is
 * not a multiple of the slab size leaves an unusable tail. The range is a run of whole slabs
 * in it, [base, base + capacity), whose ends move slab by slab: mk_slab_cede() gives up the
 * free slabs at one end, for the neighbouring range of the same space to take in with
 * mk_slab_adopt(). Slab numbers, offsets and handles are the space's, so nothing handed out
 * changes when an end moves. Each slab of the range is given, while it holds any allocation,
 * to one allocation class. Classes come from CacheLib's generateAllocSizes: the smallest (72
 * bytes) grows by a factor (1.25), rounded up to 8 bytes, while a slab holds more than one
 * chunk of it; the slab size itself is the last class (47 classes by default, 72, 96, 120,
 * ... 1,882,792, 4,194,304). A request is padded to at least the minimum slice size and
 * served from the smallest class that holds it; a fully free slab goes back to the pool at
 * once, so any class can take it.
 *
 * Unlike CacheLib, whose free lists run through the freed memory, every byte of bookkeeping
 * is out of band: a table of slab headers (40 bytes per slab of the space, so that the range
 * can grow into any of them), and for each slab given to a class a block sized for that
 * class. The block holds the chunks in groups of 56, each group one 64-byte cache line with a
 * bit per chunk (freed and not handed out again) and a generation byte per chunk, so that a
 * free, and the alloc that takes the chunk back, each touch one line; then a small
 * hierarchical bitmap of the groups with a freed chunk. That is 9.14 bits per chunk: 1.6 % of
 * the range when every chunk is 72 bytes, 0.12 % at most when every chunk is 1 KiB or more
 * (mk_slab_stats() gives the figure). The block stays with the slab in the pool, and a class
 * takes back a free slab that holds a block of its size before any other, so a slab that
 * keeps emptying and filling costs no metadata allocation. A slab that leaves the range
 * frees its block.
 *
 * Alloc and free are O(1) with constant bounds, with no loop over slabs or chunks:
 * - the class of a size is a table look-up on a small float of the size (4 mantissa bits)
 *   and a step over the classes inside that 6.25 % wide bucket (one for the default factor);
 * - each class has a hierarchical bitmap of its slabs with a free chunk (one word per 64
 *   slabs of the space and a level per factor of 64: two levels for up to 4096 slabs, at
 *   most six), and takes the lowest such slab, so low offsets fill first and high slabs
 *   drain to the pool;
 * - in a slab, the never-used chunks are handed out by a bump index and the freed ones are
 *   found with a count-trailing-zeros per level of the group bitmap (at most four levels,
 *   none below the top word for classes of 1184 bytes and more with the defaults);
 * - bitmap words that the bump index has not entered hold garbage and are cleared as it
 *   enters them, so giving a slab to a class clears one word;
 * - free slabs are kept in doubly linked lists, one per class of the block they hold and one
 *   for slabs without a block, found through a bitmap of the non-empty lists; the links let
 *   a move take any free slab out of its list in O(1).
 * The one step whose time is the C library's: when a class takes a slab that holds no block
 * of its size, the old block is freed and a new one allocated with aligned_alloc().
 *
 * Free slabs near the ends of the range are handed out last, so that the ends stay free for
 * moves: a slab in the outer quarter at either end joins its pool list at the tail, any other
 * at the head; a class takes an inner slab, with or without its block, before an outer one;
 * and a new range lists its slabs from the middle outwards. This costs alloc and free
 * nothing: it is decided only when a slab enters or leaves the pool. After a move the
 * quarters are those of the new range, and slabs listed before keep their places.
 *
 * A hierarchical bitmap of the slabs given to a class makes the run of free slabs at each end
 * one count of trailing or leading zeros per level: mk_slab_edge_free() is O(1), and
 * mk_slab_cede() and mk_slab_adopt() take O(1) per slab moved.
 *
 * mk_slab_report() is exact, unlike CacheLib's "unknown": largest_free is the largest request
 * that would succeed right now. It and the byte totals are read in O(classes).
 *
 * A handle carries the chunk index, the slab index, the chunk's generation (8 bits, bumped at
 * every free) and a tag of the instance, and a free also checks the offset, chunk size and
 * size against them, so a double free, a stale, foreign or forged handle, or one of a slab
 * outside the range, is refused with -EINVAL and changes nothing. When a slab gets a new block
 * (also after it left the range and came back), its generations start above all that the old
 * block handed out. So a stale handle is refused until its slab's generations have come
 * round, which takes at least 128 frees in that slab after it; a forged handle gets through
 * only if it equals a live one. The size itself is not stored (the caller's record carries
 * it): a free checks only that it belongs to the chunk's class.
 *
 * One owner: an instance is not thread-safe and takes no lock.
 */

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Smallest slab size accepted: 4 KiB. */
#define MK_SLAB_SIZE_MIN	(UINT32_C(1) << 12)
/** Largest slab size accepted: 1 GiB (chunk indices and bitmap levels are sized for it). */
#define MK_SLAB_SIZE_MAX	(UINT32_C(1) << 30)
/** Most allocation classes: CacheLib's kMaxClasses. */
#define MK_SLAB_CLASS_MAX	128
/** Largest growth factor accepted; above it every configuration has two classes anyway. */
#define MK_SLAB_FACTOR_MAX	65536.0
/** Class sizes are multiples of this (CacheLib's kAlignment). */
#define MK_SLAB_ALIGN		8
/** Fewest bits of a handle left for the instance tag; bounds slabs x chunks per slab. */
#define MK_SLAB_TAG_BITS_MIN	16

/** How an allocator is made. Zero fields take the defaults of mk_config.h. */
struct mk_slab_conf {
	uint64_t size;		/**< bytes of the range; at least one slab */
	uint32_t slab_size;	/**< power of two in [4 KiB, 1 GiB]; 0 = 4 MiB */
	double factor;		/**< class growth, in (1, 65536]; 0 = 1.25 */
	uint32_t min_class;	/**< smallest class, a multiple of 8, <= slab_size; 0 = 72 */
	uint32_t min_slice;	/**< requests are padded to this, 1 .. min_class; 0 = 64 */
	/** First byte of the range in its space, a multiple of the slab size: offsets handed
	 * out are in [base, base + capacity). 0 for a range at the start of its space. */
	uint64_t base;
	/** End of the space, which the range may grow to (mk_slab_adopt()): at least
	 * base + size; 0 = base + size (the range may grow only at its low end). */
	uint64_t limit;
};

/** An end of the range, for mk_slab_cede(), mk_slab_adopt() and mk_slab_edge_free(). Same
 * values as lib/offset's enum mk_offset_side. */
enum mk_slab_side {
	MK_SLAB_LOW = 0,	/**< the end at base */
	MK_SLAB_HIGH = 1,	/**< the end at base + capacity */
};

/** One allocation: what mk_slab_alloc() fills in and mk_slab_free() takes back. */
struct mk_slab_alloc {
	uint64_t offset;	/**< first byte of the chunk, in the space */
	uint64_t size;		/**< bytes asked for */
	uint64_t handle;	/**< opaque: chunk, slab, generation and instance tag */
	uint32_t chunk_size;	/**< bytes the chunk holds (its class size) */
};

/** Exact free-space figures at the moment of the call. */
struct mk_slab_report {
	uint64_t base;		/**< first byte of the range now */
	uint64_t capacity;	/**< whole slabs of the range x slab size */
	uint64_t used_bytes;	/**< sum of the sizes asked for by live allocations */
	uint64_t chunk_bytes;	/**< sum of the chunk sizes of live allocations */
	uint64_t free_slabs;	/**< slabs in the pool, given to no class */
	uint64_t largest_free;	/**< largest request that would succeed now; 0 if none */
};

/** Counters and metadata cost, for benchmarks and the service's statistics. */
struct mk_slab_stats {
	uint64_t base;		/**< first byte of the range now */
	uint64_t capacity;	/**< whole slabs of the range x slab size */
	uint64_t unusable;	/**< the space's tail after its last whole slab: no range holds it */
	uint64_t live;		/**< allocations handed out and not freed */
	uint64_t used_bytes;	/**< sum of the sizes asked for by live allocations */
	uint64_t chunk_bytes;	/**< sum of the chunk sizes of live allocations */
	uint32_t slab_size;	/**< bytes per slab */
	uint32_t slabs;		/**< slabs of the range */
	uint32_t free_slabs;	/**< slabs in the pool */
	uint32_t classes;	/**< allocation classes */
	uint64_t meta_bytes;	/**< all bookkeeping: instance, tables, headers, chunk blocks */
	uint64_t header_bytes;	/**< the slab header table alone (every slab of the space) */
	uint64_t block_bytes;	/**< per-slab chunk blocks (bitmaps and generations) alone */
	uint64_t slab_grabs;	/**< slabs taken from the pool by a class */
	uint64_t slab_releases;	/**< slabs given back to the pool */
	uint64_t block_allocs;	/**< chunk blocks allocated (a slab taken by a new class) */
};

struct mk_slab;

/**
 * Create an allocator over the whole slabs of [conf->base, conf->base + conf->size), in a
 * space [0, conf->limit).
 *
 * @param conf
 *   Range, space and class parameters; see struct mk_slab_conf.
 * @return
 *   The allocator, or NULL with errno set: EINVAL for a NULL @p conf, a size below one slab,
 *   a slab size that is not a power of two in [4 KiB, 1 GiB], a factor not in (1, 65536] or
 *   too small to make the next class larger, a min_class that is not a multiple of 8, below
 *   min_slice or above the slab size, more than 128 classes, a base that is not a multiple
 *   of the slab size, a base + size past 2^64 or past a limit that is not 0, or a space with
 *   more slabs than a handle can name next to a 16-bit tag (2^24 slabs of 4 MiB with the
 *   defaults); ENOMEM when the tables cannot be allocated.
 */
struct mk_slab *mk_slab_create(const struct mk_slab_conf *conf);

/**
 * Destroy an allocator. Its outstanding allocations become invalid.
 *
 * @param sa
 *   The allocator; NULL is allowed and does nothing.
 */
void mk_slab_destroy(struct mk_slab *sa);

/**
 * Allocate a chunk of the smallest class that holds @p size, padded to min_slice.
 *
 * @param sa
 *   The allocator.
 * @param size
 *   Bytes wanted, 1 .. slab size.
 * @param out
 *   Filled in on success; untouched on failure.
 * @return
 *   0; -EINVAL for a size of 0 or NULL arguments; -E2BIG for a size above the largest class
 *   (one slab: use an offset allocator); -ENOMEM when the class has no free chunk and no slab
 *   is free (or, rarely, when a slab taken by a new class cannot get its chunk block).
 */
int mk_slab_alloc(struct mk_slab *sa, uint64_t size, struct mk_slab_alloc *out);

/**
 * Give a chunk back. A slab whose last chunk comes back returns to the pool.
 *
 * @param sa
 *   The allocator that made @p a.
 * @param a
 *   What mk_slab_alloc() filled in.
 * @return
 *   0; -EINVAL for NULL arguments or when @p a is not a live allocation of this allocator
 *   (double free, stale, foreign or forged handle, a chunk of a slab outside the range, or an
 *   offset, size or chunk size that does not match the handle); nothing changes then.
 */
int mk_slab_free(struct mk_slab *sa, const struct mk_slab_alloc *a);

/**
 * Exact free-space figures, in O(classes).
 *
 * @param sa
 *   The allocator.
 * @param r
 *   Filled in.
 */
void mk_slab_report(const struct mk_slab *sa, struct mk_slab_report *r);

/**
 * Counters and metadata cost, in O(classes).
 *
 * @param sa
 *   The allocator.
 * @param s
 *   Filled in.
 */
void mk_slab_stats(const struct mk_slab *sa, struct mk_slab_stats *s);

/**
 * Walk every structure (class table, size buckets, the range in its space, slab headers
 * inside and outside the range, chunk groups and bitmaps, generations, partial-slab and
 * in-use bitmaps, free-slab lists, counters) and check its invariants.
 *
 * @param sa
 *   The allocator.
 * @return
 *   0, -EINVAL for a NULL @p sa, -ENOMEM when the walk cannot get its scratch memory, or
 *   -EFAULT for broken structures, with a message naming the first broken invariant on stderr.
 */
int mk_slab_check(const struct mk_slab *sa);

/**
 * Give up the free slabs at one end of the range: the run of whole slabs there that are in
 * the pool (given to no class), at most @p max bytes of them, and never the last slab of the
 * range. They leave with their blocks; a handle of a chunk in them is refused from then on.
 * O(1) per slab given up.
 *
 * @param sa
 *   The allocator.
 * @param side
 *   Which end.
 * @param max
 *   Most bytes to give up; rounded down to whole slabs.
 * @param ceded
 *   Receives the bytes given up, a multiple of the slab size: 0 when the slab at that end is
 *   in use, the range has one slab, or @p max is below one slab.
 * @return
 *   0; -EINVAL for NULL arguments or a bad side.
 */
int mk_slab_cede(struct mk_slab *sa, enum mk_slab_side side, uint64_t max, uint64_t *ceded);

/**
 * The bytes mk_slab_cede() could give up at one end now: the run of free slabs there, less
 * the slab a range always keeps. O(1).
 *
 * @param sa
 *   The allocator.
 * @param side
 *   Which end.
 * @return
 *   Bytes, a multiple of the slab size; 0 when the slab at that end is in use, for a range
 *   of one slab, or for NULL or a bad side.
 */
uint64_t mk_slab_edge_free(const struct mk_slab *sa, enum mk_slab_side side);

/**
 * Take in whole slabs at one end of the range (what the neighbouring range ceded): they join
 * the pool, the outermost to be handed out last. O(1) per slab taken in.
 *
 * @param sa
 *   The allocator.
 * @param side
 *   Which end.
 * @param bytes
 *   How many: a multiple of the slab size, at least one slab.
 * @return
 *   0; -EINVAL for NULL, a bad side, 0 bytes or bytes that are not whole slabs, or a range
 *   that would reach below 0 or past the last whole slab of the space.
 */
int mk_slab_adopt(struct mk_slab *sa, enum mk_slab_side side, uint64_t bytes);

/**
 * Number of allocation classes.
 *
 * @param sa
 *   The allocator.
 * @return
 *   1 .. MK_SLAB_CLASS_MAX.
 */
unsigned mk_slab_class_count(const struct mk_slab *sa);

/**
 * Chunk size of a class. Classes are numbered from the smallest, 0 .. count - 1.
 *
 * @param sa
 *   The allocator.
 * @param class_id
 *   The class.
 * @return
 *   The class's chunk size, or 0 when @p class_id is out of range.
 */
uint32_t mk_slab_class_size(const struct mk_slab *sa, unsigned class_id);

/**
 * The class that mk_slab_alloc() would serve @p size from.
 *
 * @param sa
 *   The allocator.
 * @param size
 *   Bytes wanted.
 * @return
 *   The class id; -EINVAL for a size of 0, -E2BIG for a size above the largest class.
 */
int mk_slab_class_of(const struct mk_slab *sa, uint64_t size);

#ifdef __cplusplus
}
#endif

#endif /* MK_SLAB_H */
