/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offset allocator: bins of free regions over 64-bit sizes, nodes in address order, a
 * node pool outside the managed range. See mk_offset.h for the idea; this file is in the
 * order of a request's life: mapping sizes to bins, the bins and their bitmaps, the node
 * pool, the search, alloc, free, then the figures and the checker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mk_config.h"
#include "mk_offset.h"

/*
 * Bins: with SL_LOG2 = 4, a size s >= 16 with top bit e maps to first level e - 3 and second
 * level the 4 bits below the top bit; sizes 0..15 map one to one onto first level 0. So 16
 * bins per power of two, 61 first levels cover sizes up to 2^64 - 1, and every bin holds
 * sizes within 1/16 of each other. MK_OFFSET_SL_LOG2 (mk_config.h) says why 4.
 */
#define SL_LOG2		MK_OFFSET_SL_LOG2
#define SL_COUNT	(1u << SL_LOG2)
#define FL_COUNT	(64u - SL_LOG2 + 1)
#define BIN_COUNT	(FL_COUNT * SL_COUNT)
/* bin_find_from() answers "none" with a slot in [BIN_COUNT, BIN_SLOTS), whose head is NIL */
#define BIN_SLOTS	(64u * SL_COUNT)

/* The request-size histogram: 8 bins per power of two, enough for every 64-bit size. */
#define HIST_BINS	512u
/* Weight a request adds, and the total at which every bin is halved (so old sizes fade). */
#define HIST_STEP	16u
#define HIST_HALVE	(1u << 16)

/* A second-level bitmap: one bit per bin of a first level. */
#if SL_LOG2 <= 5
typedef uint32_t sl_bits_t;
#define sl_ctz(x)	((unsigned int)__builtin_ctz(x))
#define sl_clz_top(x)	(31u - (unsigned int)__builtin_clz(x))
#else
typedef uint64_t sl_bits_t;
#define sl_ctz(x)	((unsigned int)__builtin_ctzll(x))
#define sl_clz_top(x)	(63u - (unsigned int)__builtin_clzll(x))
#endif

/*
 * Node 0 is a sentinel: "no node" in every link, never free, never handed out. The address
 * list is a ring through it (its addr_next is the node at offset 0, its addr_prev the last
 * one), and writes through a link that names it land harmlessly in it, so the list updates on
 * the hot paths need no branch. Its size is 0, whose bin 0 no region ever uses (a region has
 * at least one byte), so that with its bin links reset to NIL, bin_remove() and pool_give()
 * on it change nothing: a free merges with "the sentinel" in place of a neighbour that is not
 * free, without a branch. It is never free (node_is_free() says so by its index: its bin
 * links are scratch that those writes land in).
 */
#define NIL		0u

/*
 * A handle: node index, the allocation's generation, and the instance's tag. Generations are
 * an instance-wide count of allocations (20 bits): a stale handle names a node handed out
 * again only with another generation, unless a multiple of 2^20 allocations came between
 * and the new allocation has the old one's offset and size too.
 */
#define HANDLE_IDX_BITS	28
#define HANDLE_GEN_BITS	20
#define HANDLE_IDX_MASK	((UINT64_C(1) << HANDLE_IDX_BITS) - 1)
#define HANDLE_GEN_MASK	((UINT32_C(1) << HANDLE_GEN_BITS) - 1)
#define HANDLE_TAG_SHIFT (HANDLE_IDX_BITS + HANDLE_GEN_BITS)

/*
 * A node is 32 bytes, so that two share a cache line and none straddles two: churn touches
 * a dozen nodes per free and alloc, and the node array is most of what it keeps in cache.
 * What a node is, its last two words say:
 * - a free region: bin_prev and bin_next link its bin's list (NIL at the ends);
 * - handed out: bin_prev is MARK_USED, bin_next the generation its handle carries;
 * - unused: bin_prev is MARK_UNUSED, bin_next links the pool's unused stack.
 * Node indices stay below 2^28, so no link is ever mistaken for a mark. A free region's bin
 * is not kept: bin_of() of its size says it in a few instructions.
 */
#define MARK_UNUSED	UINT32_C(0xfffffffe)
#define MARK_USED	UINT32_C(0xffffffff)

struct node {
	uint64_t offset;
	uint64_t size;
	uint32_t addr_prev;	/* neighbours in address order, free or used */
	uint32_t addr_next;
	uint32_t bin_prev;	/* see above */
	uint32_t bin_next;
};
_Static_assert(sizeof(struct node) == 32, "a node is half a cache line");

struct mk_offset {
	uint64_t base;		/* the range is [base, base + capacity) */
	uint64_t capacity;
	uint64_t free_regions;	/* counted by the callers of bin_insert() and bin_remove() */
	uint64_t used_bytes;
	uint64_t live;
	uint64_t fallback_searches;
	uint64_t roomy_placements;
	uint32_t gen;		/* the generation of the next allocation */

	/* what requests look like, for placement: see "sizes seen" below */
	uint64_t req_max;		/* the largest request */
	uint64_t req_recent;		/* the largest recent one: decays by 1/16 per request */
	uint32_t hist_total;		/* the histogram's weight */
	uint16_t hist_lo, hist_hi;	/* its lowest and highest bins ever used */
	uint16_t spread_age;		/* requests since sizes_spread() looked */
	bool keep_edges;		/* MK_OFFSET_KEEP_EDGES */
	bool spread;			/* what it saw */
	uint32_t hist[HIST_BINS];	/* request sizes, 8 bins per power of two, decaying */

	struct node *nodes;	/* [0] is the sentinel, then the pool */
	uint32_t pool_size;	/* entries of nodes[], the sentinel included */
	uint32_t max_nodes;	/* growth limit, the sentinel not included */
	uint32_t unused;	/* top of the unused-node stack */
	uint32_t unused_count;
	uint16_t tag;

	uint64_t fl_map;			/* bit fl: some bin of first level fl is non-empty */
	sl_bits_t sl_map[64];			/* bit sl: bin fl * SL_COUNT + sl is non-empty */
	uint32_t bin_head[BIN_SLOTS];		/* NIL when empty */
	/* of a non-empty bin: >= every size in it; of an empty one, left over */
	uint64_t bin_max[BIN_SLOTS];
	uint8_t bin_stale[BIN_SLOTS];		/* 1: bin_max may be above the true maximum */
};

/* --- sizes and bins ------------------------------------------------------------------- */

/*
 * A size with top bit e >= SL_LOG2 + 1 is (SL_COUNT + sl) << shift with shift = e - SL_LOG2,
 * in bin (shift + 1) * SL_COUNT + sl = shift * SL_COUNT + (size >> shift). Sizes below
 * 2 * SL_COUNT take shift 0 and so map one to one, without a branch.
 */
static inline unsigned int
bin_of(uint64_t size)
{
	unsigned int shift = 63u - SL_LOG2 -
		(unsigned int)__builtin_clzll(size | (2 * SL_COUNT - 1));

	return shift * SL_COUNT + (unsigned int)(size >> shift);
}

/* The smallest size that maps to bin b. */
static inline uint64_t
bin_min(unsigned int b)
{
	unsigned int fl = b / SL_COUNT, sl = b % SL_COUNT;

	if (fl == 0)
		return sl;
	return (uint64_t)(SL_COUNT + sl) << (fl - 1);
}

/* Whether node @p idx is a free region: links are below the marks, and the sentinel is not. */
static inline bool
node_is_free(const struct mk_offset *oa, uint32_t idx)
{
	return (oa->nodes[idx].bin_prev < MARK_UNUSED) & (idx != NIL);
}

/* Whether node @p n is handed out. */
static inline bool
node_is_used(const struct node *n)
{
	return n->bin_prev == MARK_USED;
}

/*
 * The first non-empty bin at or above b (b <= BIN_COUNT), or a slot >= BIN_COUNT whose head
 * is NIL. Written without branches: which bin holds a request is data, not a pattern that a
 * branch predictor can learn.
 */
static inline unsigned int
bin_find_from(const struct mk_offset *oa, unsigned int b)
{
	unsigned int fl = b / SL_COUNT, sl = b % SL_COUNT, fl_up;
	sl_bits_t sl_bits = oa->sl_map[fl] & ((sl_bits_t)~(sl_bits_t)0 << sl);
	uint64_t fl_bits = (oa->fl_map & (UINT64_MAX << (fl + 1))) | (UINT64_C(1) << 63);

	fl_up = (unsigned int)__builtin_ctzll(fl_bits);	/* 63: none, and sl_map[63] is 0 */
	fl = sl_bits != 0 ? fl : fl_up;
	sl_bits = sl_bits != 0 ? sl_bits : oa->sl_map[fl];
	return fl * SL_COUNT + sl_ctz(sl_bits | (sl_bits_t)1 << (SL_COUNT - 1));
}

static inline void
bin_insert(struct mk_offset *oa, uint32_t idx)
{
	struct node *n = &oa->nodes[idx];
	unsigned int b = bin_of(n->size);
	uint32_t head = oa->bin_head[b];
	/* all ones when the bin holds regions already: its maximum and flag are left over if not */
	uint64_t keep = -(uint64_t)(head != NIL);
	uint64_t max = oa->bin_max[b] & keep;

	n->bin_prev = NIL;
	n->bin_next = head;
	oa->nodes[head].bin_prev = idx;
	oa->bin_head[b] = idx;
	/*
	 * Above every other size of the bin, the new maximum is exact. The bits are set whether
	 * or not they already were: a branch on "was the bin empty" is one the predictor cannot
	 * learn, setting a set bit costs nothing.
	 */
	oa->bin_stale[b] &= (uint8_t)keep & (n->size <= max);
	oa->bin_max[b] = n->size > max ? n->size : max;
	oa->sl_map[b / SL_COUNT] |= (sl_bits_t)1 << (b % SL_COUNT);
	oa->fl_map |= UINT64_C(1) << (b / SL_COUNT);
}

/* Take a free region out of its bin; the sentinel with its bin links at NIL: nothing changes. */
static inline void
bin_remove(struct mk_offset *oa, uint32_t idx)
{
	struct node *n = &oa->nodes[idx];
	unsigned int b = bin_of(n->size), fl = b / SL_COUNT;
	uint32_t prev = n->bin_prev, next = n->bin_next;
	/* the last region of its bin has neither neighbour in the bin's list */
	bool emptied = (prev | next) == NIL;
	uint32_t head = oa->bin_head[b];

	oa->nodes[prev].bin_next = next;
	oa->nodes[next].bin_prev = prev;
	/* a select of two values, not a conditional store: that would be a branch */
	oa->bin_head[b] = prev == NIL ? next : head;

	/*
	 * A bin that lost its largest region is stale; an emptied one drops its bits, and its
	 * maximum and flag are left for bin_insert() to reset. Without branches: whether a bin
	 * empties is data (cachegrind counted 0.3 mispredicts per churn pair on that branch), and
	 * a mispredict costs more than these few operations.
	 */
	oa->bin_stale[b] |= n->size == oa->bin_max[b];
	oa->sl_map[fl] &= (sl_bits_t)~((sl_bits_t)emptied << (b % SL_COUNT));
	oa->fl_map &= ~((uint64_t)(oa->sl_map[fl] == 0) << fl);
}

/* --- the node pool -------------------------------------------------------------------- */

static void
pool_push_range(struct mk_offset *oa, uint32_t from, uint32_t to)
{
	uint32_t i;

	/* pushed from the top down so that low indices are handed out first */
	for (i = to; i > from; i--) {
		struct node *n = &oa->nodes[i - 1];

		n->bin_prev = MARK_UNUSED;
		n->bin_next = oa->unused;
		oa->unused = i - 1;
	}
	oa->unused_count += to - from;
}

/* Double the pool (up to max_nodes) until @p want unused nodes exist. */
static int
pool_grow(struct mk_offset *oa, uint32_t want)
{
	uint64_t nodes_now = oa->pool_size - 1, grown = nodes_now * 2;
	struct node *nodes;

	if (grown > oa->max_nodes)
		grown = oa->max_nodes;
	if (grown - nodes_now + oa->unused_count < want)
		return -ENOSPC;
	nodes = realloc(oa->nodes, (grown + 1) * sizeof(*nodes));
	if (nodes == NULL)
		return -ENOSPC;
	memset(&nodes[oa->pool_size], 0, (grown - nodes_now) * sizeof(*nodes));
	oa->nodes = nodes;
	pool_push_range(oa, oa->pool_size, (uint32_t)grown + 1);
	oa->pool_size = (uint32_t)grown + 1;
	return 0;
}

static inline int
pool_reserve(struct mk_offset *oa, uint32_t want)
{
	return oa->unused_count >= want ? 0 : pool_grow(oa, want);
}

static inline uint32_t
pool_take(struct mk_offset *oa)
{
	uint32_t idx = oa->unused;

	oa->unused = oa->nodes[idx].bin_next;
	oa->unused_count--;
	return idx;
}

/* Give a node back; the sentinel: nothing changes but its bin links (scratch, see free). */
static inline void
pool_give(struct mk_offset *oa, uint32_t idx)
{
	struct node *n = &oa->nodes[idx];
	/* all ones for the sentinel */
	uint32_t keep = -(uint32_t)(idx == NIL);

	n->bin_prev = MARK_UNUSED;
	n->bin_next = oa->unused;
	oa->unused = idx ^ ((idx ^ oa->unused) & keep);
	oa->unused_count += idx != NIL;
}

/* --- creation ------------------------------------------------------------------------- */

static uint32_t
clamp_nodes(uint64_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

static uint16_t
next_tag(void)
{
	static atomic_uint counter;
	unsigned int c = atomic_fetch_add(&counter, 1);

	/* consecutive instances always differ; the pid spreads them across processes */
	return (uint16_t)((c + (unsigned int)getpid() * 40503u) & 0xffff);
}

struct mk_offset *
mk_offset_create(const struct mk_offset_conf *conf)
{
	struct mk_offset *oa;
	uint32_t init_nodes, max_nodes, first;

	if (conf == NULL || conf->size == 0 || conf->size > MK_OFFSET_SIZE_MAX ||
	    conf->base > MK_OFFSET_SIZE_MAX - conf->size ||
	    conf->max_nodes > MK_OFFSET_NODES_LIMIT || (conf->flags & ~MK_OFFSET_KEEP_EDGES) != 0 ||
	    (conf->max_nodes != 0 && conf->init_nodes > conf->max_nodes)) {
		errno = EINVAL;
		return NULL;
	}
	max_nodes = conf->max_nodes != 0 ? conf->max_nodes :
		clamp_nodes(conf->size / MK_OFFSET_MAX_NODES_DIV, MK_OFFSET_MAX_NODES_MIN,
			MK_OFFSET_MAX_NODES_MAX);
	init_nodes = conf->init_nodes != 0 ? conf->init_nodes :
		clamp_nodes(conf->size / MK_OFFSET_INIT_NODES_DIV, MK_OFFSET_INIT_NODES_MIN,
			MK_OFFSET_INIT_NODES_MAX);
	if (conf->init_nodes == 0 && init_nodes > max_nodes)
		init_nodes = max_nodes;
	if (init_nodes > max_nodes) {
		errno = EINVAL;
		return NULL;
	}

	oa = calloc(1, sizeof(*oa));
	if (oa == NULL)
		return NULL;
	oa->nodes = calloc((size_t)init_nodes + 1, sizeof(*oa->nodes));
	if (oa->nodes == NULL) {
		free(oa);
		errno = ENOMEM;
		return NULL;
	}
	oa->base = conf->base;
	oa->capacity = conf->size;
	oa->max_nodes = max_nodes;
	oa->pool_size = init_nodes + 1;
	oa->unused = NIL;
	oa->tag = next_tag();
	oa->spread_age = UINT16_MAX;	/* the first roomy decision looks at the sizes */
	oa->keep_edges = (conf->flags & MK_OFFSET_KEEP_EDGES) != 0;
	pool_push_range(oa, 1, oa->pool_size);

	first = pool_take(oa);
	oa->nodes[first] = (struct node){ .offset = conf->base, .size = conf->size };
	oa->nodes[NIL].addr_next = oa->nodes[NIL].addr_prev = first;
	bin_insert(oa, first);
	oa->free_regions = 1;
	return oa;
}

void
mk_offset_destroy(struct mk_offset *oa)
{
	if (oa == NULL)
		return;
	free(oa->nodes);
	free(oa);
}

/* --- sizes seen ---------------------------------------------------------------------- */

/*
 * Placement, once space is tight, looks at what requests have been like while it was: the
 * largest request, a recent maximum that decays by 1/16 per request, and a histogram of sizes
 * at 8 bins per power of two whose weights halve every 4096 requests. While space is
 * plentiful nothing is recorded: churn does not pay for figures it never uses.
 */
static inline unsigned int
hist_bin(uint64_t size)
{
	unsigned int top = 63u - (unsigned int)__builtin_clzll(size | 8);

	/* sizes below 16 share the first bins; above, the 3 bits below the top one */
	return (top - 3) * 8 + (unsigned int)((size >> (top - 3)) & 7);
}

static void
hist_halve(struct mk_offset *oa)
{
	unsigned int b;

	oa->hist_total = 0;
	for (b = oa->hist_lo; b <= oa->hist_hi; b++) {
		oa->hist[b] >>= 1;
		oa->hist_total += oa->hist[b];
	}
}

static inline void
requests_see(struct mk_offset *oa, uint64_t size)
{
	unsigned int b = hist_bin(size);

	oa->req_max = size > oa->req_max ? size : oa->req_max;
	oa->req_recent -= oa->req_recent >> MK_OFFSET_RECENT_DECAY_SHIFT;
	oa->req_recent = size > oa->req_recent ? size : oa->req_recent;
	if (oa->hist_total == 0)
		oa->hist_lo = oa->hist_hi = (uint16_t)b;
	oa->hist_lo = b < oa->hist_lo ? (uint16_t)b : oa->hist_lo;
	oa->hist_hi = b > oa->hist_hi ? (uint16_t)b : oa->hist_hi;
	oa->hist[b] += HIST_STEP;
	oa->hist_total += HIST_STEP;
	oa->spread_age += oa->spread_age < UINT16_MAX;
	if (oa->hist_total >= HIST_HALVE)
		hist_halve(oa);
}

/*
 * Whether request sizes are spread: MK_OFFSET_ROOMY_DIVERSE bins of the histogram hold more
 * than 1 % of its weight each. A few fixed sizes (the DSA pair of a KV cache) are not. The
 * answer is kept for MK_OFFSET_SPREAD_REUSE requests; the look goes down from the largest
 * sizes, where spread weight mostly is.
 */
static bool
sizes_spread(struct mk_offset *oa)
{
	unsigned int b, bins = 0;

	if (oa->spread_age < MK_OFFSET_SPREAD_REUSE)
		return oa->spread;
	oa->spread_age = 0;
	oa->spread = false;
	for (b = oa->hist_hi + 1u; b-- > oa->hist_lo && oa->hist_total != 0;) {
		bins += (uint64_t)oa->hist[b] * 100 > oa->hist_total;
		if (bins >= MK_OFFSET_ROOMY_DIVERSE) {
			oa->spread = true;
			break;
		}
	}
	return oa->spread;
}

/* --- the search ----------------------------------------------------------------------- */

/* Bytes from a region's start to the first @p mask-aligned byte (mask = align - 1). */
static inline uint64_t
align_pad(uint64_t offset, uint64_t mask)
{
	return ((offset + mask) & ~mask) - offset;
}

static inline bool
region_fits(const struct node *n, uint64_t size, uint64_t mask)
{
	uint64_t pad = align_pad(n->offset, mask);

	return n->size >= size && n->size - size >= pad;
}

/* First fit among the first @p limit regions of bin b; NIL when none. */
static inline uint32_t
bin_first_fit(const struct mk_offset *oa, unsigned int b, uint64_t size, uint64_t mask,
	unsigned int limit)
{
	uint32_t idx = oa->bin_head[b];

	if (oa->bin_max[b] < size)
		return NIL;
	for (; idx != NIL && limit > 0; limit--) {
		const struct node *n = &oa->nodes[idx];

		if (region_fits(n, size, mask))
			return idx;
		idx = n->bin_next;
	}
	return NIL;
}

/* The smallest region that fits among the first @p limit of bin b; NIL when none. */
static inline uint32_t
bin_best_fit(const struct mk_offset *oa, unsigned int b, uint64_t size, unsigned int limit)
{
	uint32_t idx = oa->bin_head[b], best = NIL;
	uint64_t best_size = UINT64_MAX;

	if (oa->bin_max[b] < size)
		return NIL;
	for (; idx != NIL && limit > 0; limit--) {
		const struct node *n = &oa->nodes[idx];

		if (n->size == size)
			return idx;
		if (n->size > size && n->size < best_size) {
			best = idx;
			best_size = n->size;
		}
		idx = n->bin_next;
	}
	return best;
}

/*
 * The exact answer when the O(1) search found nothing: the smallest region in bins
 * [from, to] that holds the request with its alignment. Bins above @p to hold only regions
 * that fit for sure and were found empty. Walking a bin whole also makes its maximum exact
 * again, so a request that keeps failing costs O(1) the next time.
 */
static uint32_t
search_exact(struct mk_offset *oa, unsigned int from, unsigned int to, uint64_t size,
	uint64_t mask)
{
	uint32_t best = NIL;
	unsigned int b;

	oa->fallback_searches++;
	for (b = bin_find_from(oa, from); b <= to && b < BIN_COUNT; b = bin_find_from(oa, b + 1)) {
		uint64_t max = 0;
		uint32_t idx;

		if (oa->bin_max[b] < size)
			continue;
		for (idx = oa->bin_head[b]; idx != NIL; idx = oa->nodes[idx].bin_next) {
			const struct node *n = &oa->nodes[idx];

			if (n->size > max)
				max = n->size;
			if (region_fits(n, size, mask) &&
			    (best == NIL || n->size < oa->nodes[best].size))
				best = idx;
		}
		oa->bin_max[b] = max;
		oa->bin_stale[b] = 0;
	}
	return best;
}

/*
 * The unaligned search once space is tight: best fit among the first few regions of the own
 * bin, else of the smallest larger bin, else the exact walk. Out of line, so that the O(1)
 * search stays inlined in alloc.
 */
static __attribute__((noinline)) uint32_t
search_tight(struct mk_offset *oa, uint64_t size)
{
	unsigned int own = bin_of(size);
	uint32_t idx = bin_best_fit(oa, own, size, MK_OFFSET_BIN_SCAN);

	if (idx == NIL)
		idx = bin_best_fit(oa, bin_find_from(oa, own + 1), size, MK_OFFSET_BIN_SCAN);
	return idx != NIL ? idx : search_exact(oa, own, own, size, 0);
}

/* Whether space is tight (MK_OFFSET_TIGHT_SHIFT): then placement looks harder. */
static inline bool
space_tight(const struct mk_offset *oa)
{
	return oa->used_bytes >= oa->capacity - (oa->capacity >> MK_OFFSET_TIGHT_SHIFT);
}

/*
 * The smallest of the regions that hold @p least bytes, if at least MK_OFFSET_ROOMY_COUNT do;
 * else NIL. The walk goes up the bins from the one of @p least, and stops after
 * MK_OFFSET_ROOMY_SCAN regions (then NIL, unless the count was reached).
 */
static uint32_t
roomy_region(const struct mk_offset *oa, uint64_t least)
{
	uint32_t best = NIL, idx;
	unsigned int b, best_bin = 0, count = 0, walked = 0;

	for (b = bin_find_from(oa, bin_of(least)); b < BIN_COUNT; b = bin_find_from(oa, b + 1)) {
		if (oa->bin_max[b] < least)
			continue;
		for (idx = oa->bin_head[b]; idx != NIL; idx = oa->nodes[idx].bin_next) {
			const struct node *n = &oa->nodes[idx];

			if (++walked > MK_OFFSET_ROOMY_SCAN)
				return NIL;
			if (n->size < least)
				continue;
			count++;
			/* bins go up in size: the smallest is in the first bin that has one */
			if (best == NIL || (b == best_bin && n->size < oa->nodes[best].size)) {
				best = idx;
				best_bin = b;
			}
			if (count >= MK_OFFSET_ROOMY_COUNT && b != best_bin)
				return best;
		}
		if (count >= MK_OFFSET_ROOMY_COUNT)
			return best;
	}
	return NIL;
}

/*
 * Roomy placement (search() calls it once space is tight and request sizes are spread): a
 * request whose best fit would leave a middling remainder (at least 1/32 of the largest
 * request) goes instead to the smallest region that keeps room for another recent-maximum
 * request, as long as at least MK_OFFSET_ROOMY_COUNT such regions exist. Best fit scatters
 * remainders too small for most requests and too big to leave; while large regions are
 * plentiful, keeping remainders large wastes less in the end (fill/refill U2 0.9851 -> 0.990
 * in simulation).
 */
static __attribute__((noinline)) uint32_t
prefer_roomy(struct mk_offset *oa, uint32_t best, uint64_t size)
{
	uint64_t least = size + oa->req_recent;
	uint32_t roomy;

	if (best == NIL || oa->nodes[best].size - size < oa->req_max >> MK_OFFSET_ROOMY_REM_SHIFT ||
	    least < size)
		return best;
	roomy = roomy_region(oa, least);
	if (roomy == NIL)
		return best;
	oa->roomy_placements++;
	return roomy;
}

/*
 * Where a request goes. Without alignment, while space is plentiful: the newest region of its
 * own bin if it holds the request (the tightest fit at hand; the sentinel's size 0 never holds
 * one), else the head of the smallest larger bin, chosen without a branch; else the exact walk
 * of the own bin. Once space is tight (@p tight: space_tight()) and request sizes are spread
 * (sizes_spread()): the smallest that fits of the first few regions of the own bin, else of
 * the smallest larger bin, else the walk; then prefer_roomy() may choose another. With
 * an alignment: the first few regions of the own bin, the head of the smallest larger bin if
 * it holds the request once aligned, the head of the smallest bin that holds
 * size + align - 1 for sure, else the exact walk.
 */
static inline uint32_t
search(struct mk_offset *oa, uint64_t size, uint64_t mask, bool tight)
{
	unsigned int own = bin_of(size), sure, b;
	uint32_t own_head = oa->bin_head[own];
	uint32_t up_head = oa->bin_head[bin_find_from(oa, own + 1)];
	uint32_t idx;

	if (mask == 0) {
		/*
		 * When requests come in a few sizes (a KV cache's), the first region that holds
		 * one serves as well as the tightest, and a look at several costs a cache miss
		 * each in a large pool: only spread sizes get the harder look.
		 */
		if (tight && sizes_spread(oa)) {
			idx = search_tight(oa, size);
			return MK_OFFSET_ROOMY ? prefer_roomy(oa, idx, size) : idx;
		}
		idx = oa->nodes[own_head].size >= size ? own_head : up_head;
		return idx != NIL ? idx : search_exact(oa, own, own, size, 0);
	}
	idx = bin_first_fit(oa, own, size, mask, MK_OFFSET_BIN_SCAN);
	if (idx != NIL)
		return idx;
	if (up_head != NIL && region_fits(&oa->nodes[up_head], size, mask))
		return up_head;
	sure = size + mask >= size ? bin_of(size + mask) : BIN_COUNT - 1;
	b = bin_find_from(oa, sure + 1);
	if (b < BIN_COUNT)
		return oa->bin_head[b];
	return search_exact(oa, own, sure, size, mask);
}

/* --- alloc and free ------------------------------------------------------------------- */

static inline uint64_t
make_handle(const struct mk_offset *oa, uint32_t idx)
{
	return (uint64_t)idx | (uint64_t)oa->nodes[idx].bin_next << HANDLE_IDX_BITS |
		(uint64_t)oa->tag << HANDLE_TAG_SHIFT;
}

/* Put a new node for [offset, offset + size) after @p prev in address order. */
static inline uint32_t
node_insert_after(struct mk_offset *oa, uint32_t prev, uint64_t offset, uint64_t size)
{
	uint32_t idx = pool_take(oa);
	struct node *n = &oa->nodes[idx];
	struct node *p = &oa->nodes[prev];

	n->offset = offset;
	n->size = size;
	n->addr_prev = prev;
	n->addr_next = p->addr_next;
	oa->nodes[p->addr_next].addr_prev = idx;
	p->addr_next = idx;
	return idx;
}

/*
 * Cut the free region @p idx (already out of its bin) into @p size bytes to hand out and a
 * free remainder of @p tail bytes; return the node of the part handed out.
 *
 * Where the allocation goes in the region decides what lies together, and what the remainder
 * can merge with later. Unaligned requests only (@p may_move); aligned ones take the start.
 * - By size (MK_OFFSET_PLACE_BY_SIZE), in a region at an end of the range (unless
 *   MK_OFFSET_KEEP_EDGES) or a roomy one (it keeps room for a recent-maximum request besides
 *   this one): requests of at least half the largest take the high end, smaller ones the low
 *   end. The free end of a range fills from both sides, large requests together at the top,
 *   so that frees leave holes that large requests fit.
 * - Else, once space is tight (@p tight, MK_OFFSET_PLACE_BY_NEIGHBOUR): the end next to the
 *   region's smaller neighbour, so the remainder sits next to the bigger one and joins a
 *   bigger hole when that one is freed.
 * - Else the start: while space is plentiful two neighbour loads cost churn more than the
 *   rule gains.
 *
 * The side is chosen without a branch: it is data, not a pattern to predict. The branch on
 * @p tight is one the predictor learns (tightness changes slowly).
 */
static inline uint32_t
split_tail(struct mk_offset *oa, uint32_t idx, uint64_t size, uint64_t tail, bool may_move,
	bool tight)
{
	struct node *n = &oa->nodes[idx];
	/* all ones when the allocation takes the high end, else 0 */
	uint64_t high = 0, low_part;
	uint32_t second, free_part;

	if (may_move) {
		uint64_t room = size + oa->req_recent;
		bool at_end = (n->addr_prev == NIL) | (n->addr_next == NIL);
		bool by_size = MK_OFFSET_PLACE_BY_SIZE && tight &&
			((room >= size && size + tail >= room) | (at_end & !oa->keep_edges));
		uint64_t size_high = -(uint64_t)(size >= oa->req_max - oa->req_max / 2);
		uint64_t pick = -(uint64_t)by_size, neighbour_high = 0;

		if (MK_OFFSET_PLACE_BY_NEIGHBOUR && tight) {
			/* size - 1 wraps the sentinel's 0 (a range end) to the largest value */
			uint64_t before = oa->nodes[n->addr_prev].size - 1;
			uint64_t after = oa->nodes[n->addr_next].size - 1;

			neighbour_high = -(uint64_t)(after < before);
		}
		high = (size_high & pick) | (neighbour_high & ~pick);
	}
	/* selects by mask, not by ?:, which compilers turn into a branch here */
	low_part = size ^ ((size ^ tail) & high);

	n->size = low_part;
	second = node_insert_after(oa, idx, n->offset + low_part, size + tail - low_part);
	free_part = second ^ ((second ^ idx) & (uint32_t)high);
	bin_insert(oa, free_part);
	/* of idx and second, the one that is not free_part */
	return free_part ^ second ^ idx;
}

/* mk_offset_alloc() with its arguments checked; mask = align - 1, 0 for none. */
static inline __attribute__((always_inline)) int
alloc_masked(struct mk_offset *oa, uint64_t size, uint64_t mask, struct mk_offset_alloc *out)
{
	/* once, for the search and the split: nothing below changes it before the split */
	bool tight = space_tight(oa);
	uint64_t pad, tail;
	uint32_t idx, used;
	struct node *n;
	int rc;

	if (tight)
		requests_see(oa, size);
	if (size > oa->capacity - oa->used_bytes)
		return -ENOMEM;

	idx = search(oa, size, mask, tight);
	if (idx == NIL)
		return -ENOMEM;
	pad = align_pad(oa->nodes[idx].offset, mask);
	tail = oa->nodes[idx].size - pad - size;
	/* every node a split needs is reserved first, so a failure changes nothing */
	rc = pool_reserve(oa, (pad != 0) + (tail != 0));
	if (rc != 0)
		return rc;
	/* the region goes, the pad and the tail stay free */
	oa->free_regions += (uint64_t)(pad != 0) + (tail != 0) - 1;

	bin_remove(oa, idx);
	n = &oa->nodes[idx];
	used = idx;
	if (pad != 0) {
		/* the region's start stays free; the allocation is a new node after it */
		n->size = pad;
		used = node_insert_after(oa, idx, n->offset + pad, size);
		bin_insert(oa, idx);
	}
	if (tail != 0)
		used = split_tail(oa, used, size, tail, mask == 0, tight);
	n = &oa->nodes[used];
	n->size = size;
	n->bin_prev = MARK_USED;
	n->bin_next = oa->gen;
	oa->gen = (oa->gen + 1) & HANDLE_GEN_MASK;
	oa->used_bytes += size;
	oa->live++;

	out->offset = n->offset;
	out->size = size;
	out->handle = make_handle(oa, used);
	return 0;
}

int
mk_offset_alloc(struct mk_offset *oa, uint64_t size, uint64_t align, struct mk_offset_alloc *out)
{
	if (oa == NULL || out == NULL || size == 0 || align > MK_OFFSET_ALIGN_MAX ||
	    (align & (align - 1)) != 0)
		return -EINVAL;
	/* the unaligned case gets its own copy, compiled knowing that there is no pad */
	if (align <= 1)
		return alloc_masked(oa, size, 0, out);
	return alloc_masked(oa, size, align - 1, out);
}

/* The node @p a names if it is a live allocation of @p oa, else NIL. */
static uint32_t
handle_node(const struct mk_offset *oa, const struct mk_offset_alloc *a)
{
	uint64_t idx = a->handle & HANDLE_IDX_MASK;
	const struct node *n;

	if ((a->handle >> HANDLE_TAG_SHIFT) != oa->tag || idx >= oa->pool_size)
		return NIL;
	n = &oa->nodes[idx];
	if (!node_is_used(n) || n->bin_next != ((a->handle >> HANDLE_IDX_BITS) & HANDLE_GEN_MASK) ||
	    n->offset != a->offset || n->size != a->size)
		return NIL;
	return (uint32_t)idx;
}

/*
 * Merge the free neighbour @p idx into a region being freed: out of its bin, back to the
 * pool. @p idx is the sentinel when that neighbour is not free; then nothing changes. The
 * caller has already unlinked it from the address list.
 */
static inline void
neighbour_drop(struct mk_offset *oa, uint32_t idx)
{
	/* the sentinel's bin links are scratch that bin_insert() and bin_remove() write */
	oa->nodes[NIL].bin_prev = oa->nodes[NIL].bin_next = NIL;
	bin_remove(oa, idx);
	pool_give(oa, idx);
}

int
mk_offset_free(struct mk_offset *oa, const struct mk_offset_alloc *a)
{
	uint32_t idx, prev, next, left, right, left_mask, right_mask;
	struct node *n;

	if (oa == NULL || a == NULL)
		return -EINVAL;
	idx = handle_node(oa, a);
	if (idx == NIL)
		return -EINVAL;
	n = &oa->nodes[idx];
	oa->used_bytes -= n->size;
	oa->live--;

	/*
	 * The freed node takes in its free neighbours. Whether a neighbour is free is data (half
	 * the time either way in churn, so nearly a mispredict per free when it was a branch):
	 * a neighbour that is not free is replaced by the sentinel, whose size is 0 and whose
	 * removal changes nothing, and the links are chosen by mask.
	 */
	prev = n->addr_prev;
	next = n->addr_next;
	left_mask = -(uint32_t)node_is_free(oa, prev);
	right_mask = -(uint32_t)node_is_free(oa, next);
	left = prev & left_mask;
	right = next & right_mask;
	n->offset -= oa->nodes[left].size;
	n->size += oa->nodes[left].size + oa->nodes[right].size;
	prev ^= (prev ^ oa->nodes[left].addr_prev) & left_mask;
	next ^= (next ^ oa->nodes[right].addr_next) & right_mask;
	n->addr_prev = prev;
	n->addr_next = next;
	oa->nodes[prev].addr_next = idx;
	oa->nodes[next].addr_prev = idx;
	neighbour_drop(oa, left);
	neighbour_drop(oa, right);
	bin_insert(oa, idx);
	oa->free_regions += 1 - (uint64_t)(left != NIL) - (right != NIL);
	return 0;
}

/* --- moving the ends of the range ----------------------------------------------------- */

/* The region at an end of the range: the sentinel's neighbours in the address ring. */
static inline uint32_t
edge_node(const struct mk_offset *oa, enum mk_offset_side side)
{
	return side == MK_OFFSET_LOW ? oa->nodes[NIL].addr_next : oa->nodes[NIL].addr_prev;
}

uint64_t
mk_offset_edge_free(const struct mk_offset *oa, enum mk_offset_side side)
{
	const struct node *n;
	uint32_t idx;

	if (oa == NULL || (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH))
		return 0;
	idx = edge_node(oa, side);
	n = &oa->nodes[idx];
	if (!node_is_free(oa, idx))
		return 0;
	return n->size == oa->capacity ? n->size - 1 : n->size;
}

int
mk_offset_cede(struct mk_offset *oa, enum mk_offset_side side, uint64_t max, uint64_t *ceded)
{
	uint32_t idx;
	struct node *n;
	uint64_t give;

	if (oa == NULL || ceded == NULL || (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH))
		return -EINVAL;
	*ceded = 0;
	idx = edge_node(oa, side);
	n = &oa->nodes[idx];
	if (!node_is_free(oa, idx) || max == 0)
		return 0;
	/* a range never goes empty: the last byte stays */
	give = n->size < max ? n->size : max;
	if (give == oa->capacity)
		give--;
	if (give == 0)
		return 0;
	bin_remove(oa, idx);
	if (give == n->size) {
		oa->nodes[n->addr_prev].addr_next = n->addr_next;
		oa->nodes[n->addr_next].addr_prev = n->addr_prev;
		pool_give(oa, idx);
		oa->free_regions--;
	} else {
		n->size -= give;
		if (side == MK_OFFSET_LOW)
			n->offset += give;
		bin_insert(oa, idx);
	}
	if (side == MK_OFFSET_LOW)
		oa->base += give;
	oa->capacity -= give;
	*ceded = give;
	return 0;
}

int
mk_offset_adopt(struct mk_offset *oa, enum mk_offset_side side, uint64_t bytes)
{
	uint32_t idx;
	struct node *n;
	int rc;

	if (oa == NULL || bytes == 0 || (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH))
		return -EINVAL;
	if (side == MK_OFFSET_LOW ? bytes > oa->base :
	    bytes > MK_OFFSET_SIZE_MAX - oa->base - oa->capacity)
		return -EINVAL;
	idx = edge_node(oa, side);
	n = &oa->nodes[idx];
	if (node_is_free(oa, idx)) {
		/* the free end grows */
		bin_remove(oa, idx);
		n->size += bytes;
		if (side == MK_OFFSET_LOW)
			n->offset -= bytes;
		bin_insert(oa, idx);
	} else {
		/* the end is allocated: the bytes become a free region of their own */
		rc = pool_reserve(oa, 1);
		if (rc != 0)
			return rc;
		if (side == MK_OFFSET_LOW)
			bin_insert(oa, node_insert_after(oa, NIL, oa->base - bytes, bytes));
		else
			bin_insert(oa, node_insert_after(oa, idx, oa->base + oa->capacity, bytes));
		oa->free_regions++;
	}
	if (side == MK_OFFSET_LOW)
		oa->base -= bytes;
	oa->capacity += bytes;
	return 0;
}

/* --- figures -------------------------------------------------------------------------- */

static uint64_t
largest_free(const struct mk_offset *oa)
{
	unsigned int fl, b;
	uint64_t max = 0;
	uint32_t idx;

	if (oa->fl_map == 0)
		return 0;
	fl = 63u - (unsigned int)__builtin_clzll(oa->fl_map);
	b = fl * SL_COUNT + sl_clz_top(oa->sl_map[fl]);
	if (!oa->bin_stale[b])
		return oa->bin_max[b];
	for (idx = oa->bin_head[b]; idx != NIL; idx = oa->nodes[idx].bin_next)
		if (oa->nodes[idx].size > max)
			max = oa->nodes[idx].size;
	return max;
}

void
mk_offset_report(const struct mk_offset *oa, struct mk_offset_report *r)
{
	r->total_free = oa->capacity - oa->used_bytes;
	r->largest_free = largest_free(oa);
	r->free_regions = oa->free_regions;
}

void
mk_offset_stats(const struct mk_offset *oa, struct mk_offset_stats *s)
{
	s->base = oa->base;
	s->capacity = oa->capacity;
	s->used_bytes = oa->used_bytes;
	s->live = oa->live;
	s->nodes = oa->pool_size - 1;
	s->max_nodes = oa->max_nodes;
	s->node_bytes = sizeof(struct node);
	s->meta_bytes = sizeof(*oa) + (uint64_t)oa->pool_size * sizeof(struct node);
	s->fallback_searches = oa->fallback_searches;
	s->roomy_placements = oa->roomy_placements;
}

uint64_t
mk_offset_walk(const struct mk_offset *oa, int (*fn)(const struct mk_offset_alloc *a, void *arg),
	void *arg)
{
	uint64_t visited = 0;
	uint32_t idx;

	for (idx = oa->nodes[NIL].addr_next; idx != NIL; idx = oa->nodes[idx].addr_next) {
		const struct node *n = &oa->nodes[idx];
		struct mk_offset_alloc a;

		if (!node_is_used(n))
			continue;
		a.offset = n->offset;
		a.size = n->size;
		a.handle = make_handle(oa, idx);
		visited++;
		if (fn(&a, arg) != 0)
			break;
	}
	return visited;
}

/* --- the checker ---------------------------------------------------------------------- */

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "mk_offset_check: " __VA_ARGS__);	\
		fputc('\n', stderr);					\
		return -EFAULT;						\
	}								\
} while (0)

static int
check_address_list(const struct mk_offset *oa, uint64_t *free_count, uint64_t *used_count)
{
	uint64_t end = 0, free_bytes = 0, used_bytes = 0, steps = 0;
	uint32_t idx, prev = NIL;
	bool prev_free = false;

	*free_count = *used_count = 0;
	end = oa->base;
	CHECK(oa->capacity > 0 && oa->base <= MK_OFFSET_SIZE_MAX - oa->capacity,
		"range [%" PRIu64 ", +%" PRIu64 ") is empty or past 2^63", oa->base, oa->capacity);
	CHECK(oa->nodes[NIL].size == 0, "node 0, the sentinel, has size %" PRIu64,
		oa->nodes[NIL].size);
	CHECK(oa->gen <= HANDLE_GEN_MASK, "next generation %u too wide", oa->gen);
	for (idx = oa->nodes[NIL].addr_next; idx != NIL; prev = idx, idx = oa->nodes[idx].addr_next) {
		const struct node *n = &oa->nodes[idx];

		CHECK(idx < oa->pool_size, "address link to node %u out of the pool", idx);
		CHECK(++steps < oa->pool_size, "address list has a cycle");
		CHECK(n->addr_prev == prev, "node %u: addr_prev %u, expected %u", idx,
			n->addr_prev, prev);
		CHECK(node_is_free(oa, idx) || node_is_used(n),
			"node %u in the address list is neither free nor used (mark %#x)", idx,
			n->bin_prev);
		CHECK(n->offset == end, "node %u starts at %" PRIu64 ", expected %" PRIu64, idx,
			n->offset, end);
		CHECK(n->size > 0 && n->size <= oa->base + oa->capacity - end,
			"node %u: size %" PRIu64 " at %" PRIu64 " runs past capacity", idx,
			n->size, n->offset);
		CHECK(!node_is_used(n) || n->bin_next <= HANDLE_GEN_MASK,
			"node %u: generation %u too wide", idx, n->bin_next);
		if (node_is_free(oa, idx)) {
			CHECK(!prev_free, "free nodes %u and %u are adjacent, not merged", prev, idx);
			free_bytes += n->size;
			(*free_count)++;
		} else {
			used_bytes += n->size;
			(*used_count)++;
		}
		prev_free = node_is_free(oa, idx);
		end += n->size;
	}
	CHECK(oa->nodes[NIL].addr_prev == prev, "the sentinel's addr_prev is %u, the last node %u",
		oa->nodes[NIL].addr_prev, prev);
	CHECK(end == oa->base + oa->capacity, "regions cover %" PRIu64 " of %" PRIu64 " bytes",
		end - oa->base, oa->capacity);
	CHECK(free_bytes + used_bytes == oa->capacity, "free bytes %" PRIu64 " + used %" PRIu64
		" are not the capacity %" PRIu64, free_bytes, used_bytes, oa->capacity);
	CHECK(*free_count == oa->free_regions, "%" PRIu64 " free regions, free_regions says %"
		PRIu64, *free_count, oa->free_regions);
	CHECK(used_bytes == oa->used_bytes, "used bytes %" PRIu64 ", used_bytes says %" PRIu64,
		used_bytes, oa->used_bytes);
	CHECK(*used_count == oa->live, "%" PRIu64 " used nodes, live says %" PRIu64,
		*used_count, oa->live);
	return 0;
}

static int
check_bins(const struct mk_offset *oa)
{
	uint64_t in_bins = 0;
	unsigned int b;

	for (b = 0; b < BIN_COUNT; b++) {
		unsigned int fl = b / SL_COUNT, sl = b % SL_COUNT;
		bool bit = (oa->sl_map[fl] >> sl) & 1;
		uint32_t idx, prev = NIL;
		uint64_t max = 0;

		CHECK(bit == (oa->bin_head[b] != NIL), "bin %u: bitmap bit %d, head %u", b, bit,
			oa->bin_head[b]);
		for (idx = oa->bin_head[b]; idx != NIL; prev = idx, idx = oa->nodes[idx].bin_next) {
			const struct node *n = &oa->nodes[idx];

			CHECK(idx < oa->pool_size, "bin %u links to node %u out of the pool", b, idx);
			CHECK(++in_bins <= oa->free_regions, "bins hold more nodes than free regions");
			CHECK(node_is_free(oa, idx), "node %u in bin %u is not free (mark %#x)", idx,
				b, n->bin_prev);
			CHECK(bin_of(n->size) == b && n->size >= bin_min(b),
				"node %u of size %" PRIu64 " is in bin %u, not %u", idx, n->size, b,
				bin_of(n->size));
			CHECK(n->bin_prev == prev, "node %u: bin_prev %u, expected %u", idx,
				n->bin_prev, prev);
			if (n->size > max)
				max = n->size;
		}
		if (bit == 0)
			continue;
		CHECK(oa->bin_max[b] >= max, "bin %u: bin_max %" PRIu64 " below its largest %" PRIu64,
			b, oa->bin_max[b], max);
		CHECK(oa->bin_stale[b] <= 1, "bin %u: stale flag %u", b, oa->bin_stale[b]);
		CHECK(oa->bin_stale[b] || oa->bin_max[b] == max,
			"bin %u: bin_max %" PRIu64 " marked exact, largest is %" PRIu64, b,
			oa->bin_max[b], max);
	}
	for (b = BIN_COUNT; b < BIN_SLOTS; b++)
		CHECK(oa->bin_head[b] == NIL, "slot %u past the last bin is not empty", b);
	for (b = 0; b < FL_COUNT; b++)
		CHECK(((oa->fl_map >> b) & 1) == (oa->sl_map[b] != 0),
			"first level %u: bit and second level disagree", b);
	CHECK((oa->fl_map >> FL_COUNT) == 0, "first-level bits beyond the last level");
	CHECK(in_bins == oa->free_regions, "bins hold %" PRIu64 " nodes, free_regions %" PRIu64,
		in_bins, oa->free_regions);
	return 0;
}

/* The record of requests that placement reads (see "sizes seen"). */
static int
check_requests(const struct mk_offset *oa)
{
	uint64_t total = 0;
	unsigned int b;

	CHECK(oa->req_recent <= oa->req_max, "recent maximum request %" PRIu64 " above the"
		" largest %" PRIu64, oa->req_recent, oa->req_max);
	CHECK(oa->hist_total < HIST_HALVE, "histogram weight %u not halved", oa->hist_total);
	CHECK(oa->hist_total == 0 || (oa->hist_lo <= oa->hist_hi && oa->hist_hi < HIST_BINS),
		"histogram bins [%u, %u]", oa->hist_lo, oa->hist_hi);
	for (b = 0; b < HIST_BINS; b++) {
		CHECK(oa->hist[b] == 0 || (oa->hist_total != 0 && b >= oa->hist_lo &&
			b <= oa->hist_hi), "histogram bin %u holds weight outside [%u, %u]", b,
			oa->hist_lo, oa->hist_hi);
		total += oa->hist[b];
	}
	CHECK(total == oa->hist_total, "histogram holds %" PRIu64 ", its total says %u", total,
		oa->hist_total);
	return 0;
}

int
mk_offset_check(const struct mk_offset *oa)
{
	uint64_t free_count, used_count, unused = 0;
	uint32_t idx;
	int rc;

	CHECK(oa != NULL, "NULL allocator");
	CHECK(oa->pool_size - 1 <= oa->max_nodes && oa->max_nodes <= MK_OFFSET_NODES_LIMIT,
		"pool of %u nodes, limit %u", oa->pool_size - 1, oa->max_nodes);
	rc = check_address_list(oa, &free_count, &used_count);
	if (rc != 0)
		return rc;
	rc = check_requests(oa);
	if (rc != 0)
		return rc;
	rc = check_bins(oa);
	if (rc != 0)
		return rc;
	for (idx = oa->unused; idx != NIL; idx = oa->nodes[idx].bin_next) {
		CHECK(idx < oa->pool_size, "unused stack links to node %u out of the pool", idx);
		CHECK(++unused <= oa->unused_count, "unused stack longer than its count");
		CHECK(oa->nodes[idx].bin_prev == MARK_UNUSED,
			"node %u on the unused stack is not marked unused (%#x)", idx,
			oa->nodes[idx].bin_prev);
	}
	CHECK(unused == oa->unused_count, "unused stack holds %" PRIu64 ", count says %u", unused,
		oa->unused_count);
	CHECK(free_count + used_count + unused == oa->pool_size - 1,
		"%" PRIu64 " free + %" PRIu64 " used + %" PRIu64 " unused != %u nodes", free_count,
		used_count, unused, oa->pool_size - 1);
	return 0;
}
