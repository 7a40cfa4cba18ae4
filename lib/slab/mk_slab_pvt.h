/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SLAB_PVT_H
#define MK_SLAB_PVT_H

/*
 * Private to lib/slab: the layout of an instance and the hierarchical bitmaps, shared by
 * mk_slab.c (the allocator), mk_slab_pool.c (its free slabs and moving ends) and
 * mk_slab_check.c (its checker). The idea is in mk_slab.h.
 */

#include <stdbool.h>
#include <stdint.h>

#include "mk_slab.h"

#define MK_LIKELY(x)	__builtin_expect(!!(x), 1)
#define MK_UNLIKELY(x)	__builtin_expect(!!(x), 0)
/* What lib/slab's files share stays out of libmkalloc's exported symbols. */
#define MK_SLAB_PRIVATE	__attribute__((visibility("hidden")))

/** End of a pool list. */
#define SLAB_NONE	UINT32_MAX
/** Class of a slab in the pool, or block class of a slab without a block. */
#define CLASS_NONE	UINT8_MAX
/** Bits of a chunk's generation, in the handle and in its block. */
#define GEN_BITS	8
#define GEN_MASK	((UINT64_C(1) << GEN_BITS) - 1)
/** A bitmap word: 64 bits, so a level up is a shift by 6. */
#define WORD_SHIFT	6
#define WORD_MASK	((UINT64_C(1) << WORD_SHIFT) - 1)
/** Chunks per group: a group's freed bits and generations fill one 64-byte cache line. */
#define GROUP_CHUNKS	56
/** Levels of a hierarchical bitmap over 2^32 items (slabs; chunk groups are fewer). */
#define HBM_LEVELS_MAX	6
/** Mantissa bits of the size buckets: 16 buckets per power of two, 6.25 % wide each. */
#define BUCKET_MANT	4
/** The outer 1 / 2^OUTER_SHIFT of the range at each end is handed out of the pool last. */
#define OUTER_SHIFT	2

_Static_assert(MK_SLAB_CLASS_MAX <= CLASS_NONE, "class ids are stored in a byte");
_Static_assert((UINT64_C(1) << (WORD_SHIFT * HBM_LEVELS_MAX)) >= UINT64_C(1) << 32,
	"a hierarchical bitmap covers every slab index");

/*
 * The shape of a hierarchical bitmap: a bit per item in level 0, and a bit in level l + 1 for
 * each word of level l, set when that word is non-zero. The top level is one word, kept apart
 * (in the slab header or the class), the others are consecutive runs of words.
 */
struct hbm_shape {
	uint32_t levels;		/* levels, the top one included: 1 for up to 64 items */
	uint64_t words;			/* words below the top */
	uint64_t off[HBM_LEVELS_MAX];	/* word offset of each level below the top; off[0] = 0 */
};

/*
 * 56 chunks of a slab: their freed bits and their generations side by side, so that a free,
 * and the alloc that takes the chunk back, each touch one cache line of the block.
 */
struct chunk_group {
	uint64_t freed;			/* bit i: chunk i of the group is freed */
	uint8_t gen[GROUP_CHUNKS];	/* generation of each chunk */
};

_Static_assert(sizeof(struct chunk_group) == 64, "a chunk group is one cache line");

/*
 * One per slab of the space, in a table apart from the data. A slab of the range in the pool
 * is in one pool list; a slab given to a class has its bit in the in-use bitmap, and in the
 * class's partial-slab bitmap while it has a free chunk. A slab outside the range is in none
 * of them and holds no block; it keeps its generation window (epoch, gen_span) for when it
 * comes back.
 */
struct slab_hdr {
	uint64_t top;		/* top word of the group bitmap */
	struct chunk_group *block; /* groups, then the group bitmap; NULL when none */
	uint32_t next;		/* pool list, towards the tail */
	uint32_t prev;		/* pool list, towards the head */
	uint32_t bump;		/* chunks at or above this were never handed out in this turn */
	uint32_t live;		/* chunks handed out and not freed */
	uint32_t gen_valid;	/* generations below this are set in the block */
	uint8_t class_id;	/* CLASS_NONE while in the pool */
	uint8_t block_class;	/* class the block is sized for, CLASS_NONE without one */
	uint8_t epoch;		/* generations of this block start here... */
	uint8_t gen_span;	/* ...and reach at most this far above it */
};

_Static_assert(sizeof(struct slab_hdr) == 40, "a slab header is 40 bytes");

/* A pool list: SLAB_NONE at both ends when empty. Slabs are taken at the head. */
struct slab_list {
	uint32_t head;
	uint32_t tail;
};

struct slab_class {
	uint32_t size;		/* chunk bytes */
	uint32_t lo;		/* smallest size served from this class */
	uint32_t nchunks;	/* chunks per slab */
	uint32_t slabs;		/* slabs given to this class */
	struct slab_list cached; /* free slabs holding a block of this class */
	uint64_t ngroups;	/* chunk groups per slab */
	struct hbm_shape groups; /* bitmap of the groups with a freed chunk */
	uint64_t block_bytes;	/* block size, a multiple of the cache line */
	uint64_t partial_top;	/* top level of the bitmap of slabs with a free chunk */
	uint64_t live;		/* chunks handed out */
	uint64_t used_bytes;	/* sizes asked for */
};

/*
 * Slabs are numbered over the whole space [0, space_slabs); the range is [first, end). Every
 * table and bitmap over slabs covers the space, so that the range can move its ends.
 */
struct mk_slab {
	struct slab_hdr *hdrs;	/* one per slab of the space */
	uint8_t *bucket;	/* size bucket -> smallest class that may hold it */
	uint64_t *partial_words; /* the classes' partial-slab bitmaps below their top words */
	struct hbm_shape slabs;	/* ...their shape, and the in-use bitmap's */
	/*
	 * A handle, from bit 0 up: the chunk index in chunk_bits bits, the slab index, the
	 * generation from gen_shift (8 bits), the instance tag from tag_shift to bit 63.
	 */
	uint64_t tag;
	uint64_t tag_bits;	/* the tag in place in a handle */
	unsigned chunk_bits;
	unsigned gen_shift;
	unsigned tag_shift;
	unsigned slab_log2;
	uint64_t chunk_mask;
	uint64_t slab_mask;	/* after shifting right by chunk_bits */
	uint32_t slab_size;
	uint32_t min_slice;
	uint32_t space_slabs;	/* whole slabs of the space */
	uint32_t free_slabs;
	unsigned nclasses;
	unsigned nbuckets;
	uint64_t capacity;
	uint64_t unusable;
	uint64_t cached_mask[2];	/* classes with a free slab holding their block */
	uint64_t block_bytes;
	uint64_t slab_grabs;
	uint64_t slab_releases;
	uint64_t block_allocs;
	/* The range and where its free slabs are: cold, used when slabs change hands. */
	uint32_t first;		/* first slab of the range */
	uint32_t end;		/* one past its last */
	uint32_t nslabs;	/* end - first */
	uint32_t outer;		/* slabs at each end that the pool hands out last */
	struct slab_list clean;	/* free slabs without a block */
	uint64_t *used_words;	/* bitmap of the slabs given to a class, below its top word */
	uint64_t used_top;
	struct slab_class cls[];
};

static inline uint64_t
bit(uint64_t i)
{
	return UINT64_C(1) << (i & WORD_MASK);
}

/* Word w of level l of a hierarchical bitmap. */
static inline uint64_t
hbm_word(const struct hbm_shape *sh, const uint64_t *words, uint64_t top, unsigned l, uint64_t w)
{
	return l + 1 == sh->levels ? top : words[sh->off[l] + w];
}

/* --- hierarchical bitmaps ---------------------------------------------------------------- */
/*
 * The group bitmap of a slab, the partial-slab bitmap of a class and the in-use bitmap of the
 * slabs are hierarchical bitmaps (struct hbm_shape). Finding the lowest set bit is one
 * count-trailing-zeros per level (the highest, one count-leading-zeros per level). Set
 * sets every level's bit, set already or not, and clear_if clears under a mask: whether a
 * word was or becomes empty goes either way at random in a churn, so a branch there would
 * mispredict. Set and first run no loop for one or two levels: all that the groups of every
 * default class, and the slabs of a space up to 16 GiB of 4 MiB slabs, need.
 */

static inline void
hbm_set(const struct hbm_shape *sh, uint64_t *words, uint64_t *top, uint64_t idx)
{
	unsigned l;

	if (sh->levels > 1) {
		words[idx >> WORD_SHIFT] |= bit(idx);
		idx >>= WORD_SHIFT;
		for (l = 1; MK_UNLIKELY(l + 1 < sh->levels); l++) {
			words[sh->off[l] + (idx >> WORD_SHIFT)] |= bit(idx);
			idx >>= WORD_SHIFT;
		}
	}
	*top |= bit(idx);
}

/* Clear the bit of item idx if cond (0 or 1) is 1, and the bits above that this empties. */
static inline void
hbm_clear_if(const struct hbm_shape *sh, uint64_t *words, uint64_t *top, uint64_t idx,
		uint64_t cond)
{
	uint64_t *w, left;
	unsigned l;

	for (l = 0; l + 1 < sh->levels; l++) {
		w = &words[sh->off[l] + (idx >> WORD_SHIFT)];
		left = *w & ~(bit(idx) & -cond);
		*w = left;
		cond &= left == 0;
		idx >>= WORD_SHIFT;
	}
	*top &= ~(bit(idx) & -cond);
}

/* Lowest set item; top is not zero. */
static inline uint64_t
hbm_first(const struct hbm_shape *sh, const uint64_t *words, uint64_t top)
{
	uint64_t idx = (uint64_t)__builtin_ctzll(top);
	unsigned l;

	if (sh->levels > 1) {
		for (l = sh->levels - 2; MK_UNLIKELY(l > 0); l--)
			idx = (idx << WORD_SHIFT) |
				(uint64_t)__builtin_ctzll(words[sh->off[l] + idx]);
		idx = (idx << WORD_SHIFT) | (uint64_t)__builtin_ctzll(words[idx]);
	}
	return idx;
}

/* Highest set item; top is not zero. Out of the hot paths: no care for branches. */
static inline uint64_t
hbm_last(const struct hbm_shape *sh, const uint64_t *words, uint64_t top)
{
	uint64_t idx = 63 - (uint64_t)__builtin_clzll(top);
	unsigned l;

	for (l = sh->levels - 1; l-- > 0;)
		idx = (idx << WORD_SHIFT) |
			(63 - (uint64_t)__builtin_clzll(words[sh->off[l] + idx]));
	return idx;
}

/*
 * Item idx is used for the first time since the bitmap was emptied by clearing its top word:
 * clear the words that it is the first item under, which until now held garbage.
 */
static inline void
hbm_enter(const struct hbm_shape *sh, uint64_t *words, uint64_t idx)
{
	unsigned l;

	for (l = 0; l + 1 < sh->levels && (idx & WORD_MASK) == 0; l++) {
		idx >>= WORD_SHIFT;
		words[sh->off[l] + idx] = 0;
	}
}

/* Block layout of a class: the groups, then the group bitmap below its top word. */
/* The group bitmap of a slab, after its groups. */
static inline uint64_t *
group_words(const struct slab_hdr *h, const struct slab_class *cls)
{
	return (uint64_t *)(h->block + cls->ngroups);
}

/* The partial-slab bitmap of class cid, below its top word. */
static inline uint64_t *
partial_words(const struct mk_slab *sa, unsigned cid)
{
	return sa->partial_words + (uint64_t)cid * sa->slabs.words;
}

static inline bool
mask_test(const uint64_t *mask, unsigned id)
{
	return (mask[id >> WORD_SHIFT] & bit(id)) != 0;
}

static inline void
mask_set(uint64_t *mask, unsigned id)
{
	mask[id >> WORD_SHIFT] |= bit(id);
}

static inline void
mask_clear(uint64_t *mask, unsigned id)
{
	mask[id >> WORD_SHIFT] &= ~bit(id);
}

/*
 * Size buckets: a small float of size - 1 with BUCKET_MANT mantissa bits; exact below 32.
 * Monotonic, so the smallest class that may hold a size is a table look-up, and at most the
 * classes inside one 6.25 % wide bucket are stepped over after it.
 */
static inline unsigned
bucket_of(uint64_t v)
{
	unsigned e;

	if (v < (UINT64_C(2) << BUCKET_MANT))
		return (unsigned)v;
	e = 63 - (unsigned)__builtin_clzll(v);
	return ((e - BUCKET_MANT + 1) << BUCKET_MANT) +
		(unsigned)((v >> (e - BUCKET_MANT)) & ((1u << BUCKET_MANT) - 1));
}

/* Smallest value of size - 1 that falls in bucket b. */
static inline uint64_t
bucket_low(unsigned b)
{
	unsigned e;

	if (b < (2u << BUCKET_MANT))
		return b;
	e = (b >> BUCKET_MANT) + BUCKET_MANT - 1;
	return (uint64_t)((1u << BUCKET_MANT) + (b & ((1u << BUCKET_MANT) - 1))) <<
		(e - BUCKET_MANT);
}

/*
 * The pool of free slabs and the range (mk_slab_pool.c), for mk_slab.c. A free slab of the
 * range is in the pool list of its block's class, or of the slabs without a block.
 */

/* Set up the range [first, end) with every slab in the pool, without a block. */
MK_SLAB_PRIVATE void slab_range_init(struct mk_slab *sa, uint32_t first, uint32_t end);
/* Put free slab s in its pool list, where the pool's order wants it. */
MK_SLAB_PRIVATE void slab_pool_add(struct mk_slab *sa, uint32_t s);
/* Take free slab s, wherever it is, out of its pool list. */
MK_SLAB_PRIVATE void slab_pool_remove(struct mk_slab *sa, uint32_t s);
/* The free slab class cid takes next; the caller knows that a slab is free. */
MK_SLAB_PRIVATE uint32_t slab_pool_pick(const struct mk_slab *sa, unsigned cid);
/* Free a slab's block, if it has one. */
MK_SLAB_PRIVATE void slab_block_drop(struct mk_slab *sa, struct slab_hdr *h);

#endif /* MK_SLAB_PVT_H */
