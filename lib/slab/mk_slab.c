/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slab allocator; the idea is in mk_slab.h, the instance layout and the hierarchical
 * bitmaps in mk_slab_pvt.h. The pieces, in the order they appear: class table, bitmap shapes,
 * the chunks of a slab, partial slabs and slabs changing hands, create/destroy, alloc/free,
 * figures. The pool of free slabs and the moves of the range's ends are mk_slab_pool.c, the
 * checker is mk_slab_check.c.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mk_config.h"
#include "mk_slab_pvt.h"

/* Slabs move between the pool and classes rarely: out of line, alloc and free stay small. */
#define MK_COLD		__attribute__((noinline, cold))

/* Instances get distinct tags: see instance_tag(). */
static atomic_uint_fast64_t instance_count;

static inline unsigned
bit_width(uint64_t v)
{
	return v == 0 ? 0 : 64 - (unsigned)__builtin_clzll(v);
}

/*
 * Tag of a new instance: the instance count times an odd constant, truncated to the tag's
 * bits. Multiplying by an odd number permutes the integers modulo 2^bits, so 2^bits
 * consecutive instances never share a tag; zero is skipped so that a zeroed record is never
 * a handle.
 */
static uint64_t
instance_tag(unsigned bits)
{
	uint64_t mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
	uint64_t tag;

	do {
		tag = (atomic_fetch_add(&instance_count, 1) + 1) * UINT64_C(0x9E3779B97F4A7C15);
		tag &= mask;
	} while (tag == 0);
	return tag;
}

/* --- classes ----------------------------------------------------------------------------- */

/*
 * CacheLib's generateAllocSizes (without reduceFragmentation): from min_class, each next class
 * is the previous times the factor, truncated to 32 bits and rounded up to 8 bytes, as long as
 * a slab holds more than one chunk of it; then the slab size. Returns the count or -EINVAL.
 */
static int
class_sizes(uint32_t slab_size, double factor, uint32_t min_class,
		uint32_t sizes[MK_SLAB_CLASS_MAX])
{
	uint32_t size = min_class;
	unsigned n = 0;

	while (size < slab_size && slab_size / size > 1) {
		double grown = (double)size * factor;
		uint32_t next;

		if (n == MK_SLAB_CLASS_MAX - 1)
			return -EINVAL;
		sizes[n++] = size;
		/* Compared as a double so that the cast below never overflows. */
		if (grown >= (double)slab_size)
			break;
		next = ((uint32_t)grown + MK_SLAB_ALIGN - 1) & ~(uint32_t)(MK_SLAB_ALIGN - 1);
		if (next <= size)
			return -EINVAL;	/* CacheLib's "invalid incFactor" */
		size = next;
	}
	sizes[n++] = slab_size;
	return (int)n;
}

/* Class of a padded size, 1 .. slab size. */
static inline unsigned
class_of(const struct mk_slab *sa, uint64_t padded)
{
	unsigned c = sa->bucket[bucket_of(padded - 1)];

	/* Without a branch for the one step that suffices when classes grow faster than 6.25 %. */
	c += sa->cls[c].size < padded;
	while (MK_UNLIKELY(sa->cls[c].size < padded))
		c++;
	return c;
}

/* --- hierarchical bitmaps ---------------------------------------------------------------- */
/* Their idea and the inline operations are in mk_slab_pvt.h; here their shapes. */

static void
hbm_shape_init(struct hbm_shape *sh, uint64_t items)
{
	uint64_t span = items;

	memset(sh, 0, sizeof(*sh));
	sh->levels = 1;
	while (span > (UINT64_C(1) << WORD_SHIFT)) {
		sh->off[sh->levels - 1] = sh->words;
		span = (span + WORD_MASK) >> WORD_SHIFT;
		sh->words += span;
		sh->levels++;
	}
}

static void
class_layout(struct slab_class *cls)
{
	cls->ngroups = (cls->nchunks + GROUP_CHUNKS - 1) / GROUP_CHUNKS;
	hbm_shape_init(&cls->groups, cls->ngroups);
	cls->block_bytes = cls->ngroups * sizeof(struct chunk_group) +
		cls->groups.words * sizeof(uint64_t);
	cls->block_bytes = (cls->block_bytes + sizeof(struct chunk_group) - 1) &
		~(uint64_t)(sizeof(struct chunk_group) - 1);
}

/* --- the chunks of a slab ---------------------------------------------------------------- */
/*
 * A chunk's bit in its group is set while it is freed and not handed out again; the group
 * bitmap marks the groups with such a bit. Groups and bitmap words that the bump index has not
 * entered yet hold garbage: bump_take() clears each one as it enters it, so giving a slab to
 * a class only clears the top word.
 */

static inline void
chunk_put(struct slab_hdr *h, const struct slab_class *cls, uint32_t g, unsigned b)
{
	h->block[g].freed |= UINT64_C(1) << b;
	hbm_set(&cls->groups, group_words(h, cls), &h->top, g);
}

/* The lowest freed chunk, handed out again; *gen is set to its generation. */
static inline uint32_t
chunk_take(struct slab_hdr *h, const struct slab_class *cls, uint8_t **gen)
{
	uint64_t *words = group_words(h, cls), g, freed, left;
	struct chunk_group *grp;
	unsigned b;

	g = hbm_first(&cls->groups, words, h->top);
	grp = &h->block[g];
	freed = grp->freed;
	b = (unsigned)__builtin_ctzll(freed);
	left = freed & (freed - 1);
	grp->freed = left;
	*gen = &grp->gen[b];
	hbm_clear_if(&cls->groups, words, &h->top, g, left == 0);
	return (uint32_t)g * GROUP_CHUNKS + b;
}

/* The next never-used chunk; *gen is set to its generation. */
static inline uint32_t
bump_take(struct slab_hdr *h, const struct slab_class *cls, uint8_t **gen)
{
	uint32_t chunk = h->bump++;
	uint32_t g = chunk / GROUP_CHUNKS, b = chunk - g * GROUP_CHUNKS;

	if (b == 0) {
		h->block[g].freed = 0;
		hbm_enter(&cls->groups, group_words(h, cls), g);
	}
	*gen = &h->block[g].gen[b];
	if (chunk == h->gen_valid) {
		**gen = h->epoch;
		h->gen_valid++;
	}
	return chunk;
}

/* --- partial slabs and slabs changing hands --------------------------------------------- */
/*
 * Each class has a bitmap over the slabs with a bit set for each of its slabs that has a free
 * chunk. Alloc takes the lowest such slab, so low offsets fill first and high slabs drain
 * back to the pool. A slab that a class takes or gives back also enters or leaves the in-use
 * bitmap and the pool (mk_slab_pool.c).
 */

static inline void
partial_set(struct mk_slab *sa, unsigned cid, uint64_t s)
{
	hbm_set(&sa->slabs, partial_words(sa, cid), &sa->cls[cid].partial_top, s);
}

static inline void
partial_clear_if(struct mk_slab *sa, unsigned cid, uint64_t s, uint64_t cond)
{
	hbm_clear_if(&sa->slabs, partial_words(sa, cid), &sa->cls[cid].partial_top, s, cond);
}

/*
 * Give a free slab to class cid and mark it in use and partial. When the slab holds no block
 * of this class, its old block, if any, is replaced.
 */
static MK_COLD int
slab_take(struct mk_slab *sa, unsigned cid)
{
	struct slab_class *cls = &sa->cls[cid];
	struct chunk_group *block = NULL;
	struct slab_hdr *h;
	uint32_t s;

	if (sa->free_slabs == 0)
		return -ENOMEM;
	s = slab_pool_pick(sa, cid);
	h = &sa->hdrs[s];
	if (h->block_class != cid) {
		/* Allocated before anything changes, so a failure leaves all as it was. */
		block = aligned_alloc(sizeof(struct chunk_group), cls->block_bytes);
		if (block == NULL)
			return -ENOMEM;
	}
	slab_pool_remove(sa, s);
	if (block != NULL) {
		slab_block_drop(sa, h);
		/*
		 * The new block's generations start above every one the old block handed
		 * out, so a stale handle of the old block misses until the window comes round.
		 */
		h->block = block;
		h->block_class = (uint8_t)cid;
		h->gen_valid = 0;
		h->epoch = (uint8_t)(h->epoch + h->gen_span + 1);
		h->gen_span = 0;
		sa->block_bytes += cls->block_bytes;
		sa->block_allocs++;
	}
	h->class_id = (uint8_t)cid;
	h->top = 0;
	h->bump = 0;
	h->live = 0;
	partial_set(sa, cid, s);
	hbm_set(&sa->slabs, sa->used_words, &sa->used_top, s);
	cls->slabs++;
	sa->free_slabs--;
	sa->slab_grabs++;
	return 0;
}

/* Return an empty slab to the pool; it keeps its block. */
static MK_COLD void
slab_release(struct mk_slab *sa, unsigned cid, uint32_t s)
{
	struct slab_hdr *h = &sa->hdrs[s];

	partial_clear_if(sa, cid, s, 1);
	hbm_clear_if(&sa->slabs, sa->used_words, &sa->used_top, s, 1);
	h->class_id = CLASS_NONE;
	slab_pool_add(sa, s);
	sa->cls[cid].slabs--;
	sa->free_slabs++;
	sa->slab_releases++;
}

/* --- create and destroy ------------------------------------------------------------------ */

struct mk_slab *
mk_slab_create(const struct mk_slab_conf *conf)
{
	uint32_t sizes[MK_SLAB_CLASS_MAX];
	uint32_t slab_size, min_class, min_slice;
	unsigned chunk_bits, slab_bits, c, b;
	uint64_t space, limit, first, s;
	struct mk_slab *sa;
	double factor;
	int n;

	if (conf == NULL)
		goto inval;
	slab_size = conf->slab_size != 0 ? conf->slab_size : MK_SLAB_SIZE;
	factor = conf->factor != 0.0 ? conf->factor : MK_SLAB_FACTOR;
	min_class = conf->min_class != 0 ? conf->min_class : MK_SLAB_MIN_CLASS;
	min_slice = conf->min_slice != 0 ? conf->min_slice : MK_SLAB_MIN_SLICE;
	if (slab_size < MK_SLAB_SIZE_MIN || slab_size > MK_SLAB_SIZE_MAX ||
			(slab_size & (slab_size - 1)) != 0)
		goto inval;
	/* Written so that a NaN fails too. */
	if (!(factor > 1.0 && factor <= MK_SLAB_FACTOR_MAX))
		goto inval;
	if (min_class % MK_SLAB_ALIGN != 0 || min_class > slab_size || min_slice > min_class)
		goto inval;
	if (conf->size < slab_size || conf->base % slab_size != 0 ||
			conf->base > UINT64_MAX - conf->size)
		goto inval;
	limit = conf->limit != 0 ? conf->limit : conf->base + conf->size;
	if (limit < conf->base + conf->size)
		goto inval;
	n = class_sizes(slab_size, factor, min_class, sizes);
	if (n < 0)
		goto inval;

	/* Handles and tables name every slab of the space, which the range may grow into. */
	space = limit / slab_size;
	chunk_bits = bit_width(slab_size / sizes[0] - 1);
	slab_bits = bit_width(space - 1);
	if (space >= SLAB_NONE ||
			chunk_bits + slab_bits + GEN_BITS + MK_SLAB_TAG_BITS_MIN > 64)
		goto inval;

	sa = calloc(1, sizeof(*sa) + (size_t)n * sizeof(sa->cls[0]));
	if (sa == NULL)
		goto nomem;
	sa->slab_size = slab_size;
	sa->slab_log2 = (unsigned)__builtin_ctz(slab_size);
	sa->min_slice = min_slice;
	sa->space_slabs = (uint32_t)space;
	first = conf->base / slab_size;
	sa->unusable = limit - (space << sa->slab_log2);
	sa->nclasses = (unsigned)n;
	sa->chunk_bits = chunk_bits;
	sa->chunk_mask = (UINT64_C(1) << chunk_bits) - 1;
	sa->slab_mask = (UINT64_C(1) << slab_bits) - 1;
	sa->gen_shift = chunk_bits + slab_bits;
	sa->tag_shift = sa->gen_shift + GEN_BITS;
	sa->tag = instance_tag(64 - sa->tag_shift);
	sa->tag_bits = sa->tag << sa->tag_shift;

	for (c = 0; c < sa->nclasses; c++) {
		sa->cls[c].size = sizes[c];
		sa->cls[c].nchunks = slab_size / sizes[c];
		sa->cls[c].lo = c == 0 ? 1 : sizes[c - 1] + 1;
		sa->cls[c].cached.head = sa->cls[c].cached.tail = SLAB_NONE;
		class_layout(&sa->cls[c]);
	}

	hbm_shape_init(&sa->slabs, space);
	sa->nbuckets = bucket_of(slab_size - 1) + 1;
	sa->bucket = malloc(sa->nbuckets);
	sa->hdrs = malloc((size_t)space * sizeof(sa->hdrs[0]));
	sa->partial_words = calloc(sa->slabs.words * sa->nclasses + 1, sizeof(uint64_t));
	sa->used_words = calloc(sa->slabs.words + 1, sizeof(uint64_t));
	if (sa->bucket == NULL || sa->hdrs == NULL || sa->partial_words == NULL ||
			sa->used_words == NULL)
		goto nomem_free;
	for (b = 0, c = 0; b < sa->nbuckets; b++) {
		while (sa->cls[c].size <= bucket_low(b))
			c++;
		sa->bucket[b] = (uint8_t)c;
	}
	for (s = 0; s < space; s++) {
		struct slab_hdr *h = &sa->hdrs[s];

		memset(h, 0, sizeof(*h));
		h->next = h->prev = SLAB_NONE;
		h->class_id = CLASS_NONE;
		h->block_class = CLASS_NONE;
	}
	slab_range_init(sa, (uint32_t)first, (uint32_t)(first + conf->size / slab_size));
	return sa;

nomem_free:
	free(sa->used_words);
	free(sa->partial_words);
	free(sa->bucket);
	free(sa->hdrs);
	free(sa);
nomem:
	errno = ENOMEM;
	return NULL;
inval:
	errno = EINVAL;
	return NULL;
}

void
mk_slab_destroy(struct mk_slab *sa)
{
	uint32_t s;

	if (sa == NULL)
		return;
	/* Slabs outside the range hold no block. */
	for (s = sa->first; s < sa->end; s++)
		free(sa->hdrs[s].block);
	free(sa->hdrs);
	free(sa->bucket);
	free(sa->partial_words);
	free(sa->used_words);
	free(sa);
}

/* --- alloc and free ---------------------------------------------------------------------- */

int
mk_slab_alloc(struct mk_slab *sa, uint64_t size, struct mk_slab_alloc *out)
{
	struct slab_class *cls;
	struct slab_hdr *h;
	uint32_t s, chunk, csize;
	unsigned cid;
	uint8_t *gen;
	int rc;

	if (MK_UNLIKELY(sa == NULL || out == NULL || size - 1 >= sa->slab_size))
		return sa == NULL || out == NULL || size == 0 ? -EINVAL : -E2BIG;
	cid = class_of(sa, size < sa->min_slice ? sa->min_slice : size);
	cls = &sa->cls[cid];
	if (MK_UNLIKELY(cls->partial_top == 0)) {
		rc = slab_take(sa, cid);
		if (rc != 0)
			return rc;
	}
	s = (uint32_t)hbm_first(&sa->slabs, partial_words(sa, cid), cls->partial_top);
	h = &sa->hdrs[s];
	csize = cls->size;
	/* Freed chunks first: they keep the slab dense so that it empties sooner. */
	chunk = h->top != 0 ? chunk_take(h, cls, &gen) : bump_take(h, cls, &gen);
	out->offset = ((uint64_t)s << sa->slab_log2) + (uint64_t)chunk * csize;
	out->size = size;
	out->chunk_size = csize;
	out->handle = sa->tag_bits | ((uint64_t)*gen << sa->gen_shift) |
		((uint64_t)s << sa->chunk_bits) | chunk;
	h->live++;
	partial_clear_if(sa, cid, s, h->live == cls->nchunks);
	cls->live++;
	cls->used_bytes += size;
	return 0;
}

int
mk_slab_free(struct mk_slab *sa, const struct mk_slab_alloc *a)
{
	struct chunk_group *grp;
	struct slab_class *cls;
	struct slab_hdr *h;
	uint64_t handle, s, size;
	uint32_t chunk, g, b, csize;
	unsigned cid;
	uint8_t span;

	if (MK_UNLIKELY(sa == NULL || a == NULL))
		return -EINVAL;
	handle = a->handle;
	size = a->size;
	s = (handle >> sa->chunk_bits) & sa->slab_mask;
	chunk = (uint32_t)(handle & sa->chunk_mask);
	if (MK_UNLIKELY(((handle >> sa->tag_shift) != sa->tag) | (s >= sa->space_slabs)))
		return -EINVAL;
	h = &sa->hdrs[s];
	cid = h->class_id;
	/* A slab in the pool or outside the range is in no class. */
	if (MK_UNLIKELY((cid == CLASS_NONE) | (chunk >= h->bump)))
		return -EINVAL;
	cls = &sa->cls[cid];
	csize = cls->size;
	/* The record must be the one handed out: same chunk, same class, a size of the class. */
	if (MK_UNLIKELY((a->chunk_size != csize) | (size - cls->lo > csize - cls->lo) |
			(a->offset != (s << sa->slab_log2) + (uint64_t)chunk * csize)))
		return -EINVAL;
	g = chunk / GROUP_CHUNKS;
	b = chunk - g * GROUP_CHUNKS;
	grp = &h->block[g];
	if (MK_UNLIKELY((grp->gen[b] != ((handle >> sa->gen_shift) & GEN_MASK)) |
			((grp->freed >> b) & 1)))
		return -EINVAL;

	grp->gen[b] = (uint8_t)(grp->gen[b] + 1);
	span = (uint8_t)(grp->gen[b] - h->epoch);
	if (span > h->gen_span)
		h->gen_span = span;
	h->live--;
	cls->live--;
	cls->used_bytes -= size;
	if (MK_UNLIKELY(h->live == 0)) {
		slab_release(sa, cid, (uint32_t)s);
		return 0;
	}
	chunk_put(h, cls, g, b);
	partial_set(sa, cid, s);
	return 0;
}

/* --- figures ----------------------------------------------------------------------------- */

/* A whole slab if one is free, else the largest class with a free chunk: O(classes). */
static uint64_t
largest_free(const struct mk_slab *sa)
{
	unsigned c;

	if (sa->free_slabs != 0)
		return sa->slab_size;
	for (c = sa->nclasses; c-- > 0;)
		if (sa->cls[c].partial_top != 0)
			return sa->cls[c].size;
	return 0;
}

/* Totals over the classes, which alone keep counters so that alloc and free update fewer. */
static void
totals(const struct mk_slab *sa, uint64_t *live, uint64_t *used, uint64_t *chunk)
{
	unsigned c;

	*live = *used = *chunk = 0;
	for (c = 0; c < sa->nclasses; c++) {
		*live += sa->cls[c].live;
		*used += sa->cls[c].used_bytes;
		*chunk += sa->cls[c].live * sa->cls[c].size;
	}
}

void
mk_slab_report(const struct mk_slab *sa, struct mk_slab_report *r)
{
	uint64_t live;

	r->base = (uint64_t)sa->first << sa->slab_log2;
	r->capacity = sa->capacity;
	totals(sa, &live, &r->used_bytes, &r->chunk_bytes);
	r->free_slabs = sa->free_slabs;
	r->largest_free = largest_free(sa);
}

static uint64_t
fixed_meta_bytes(const struct mk_slab *sa)
{
	return sizeof(*sa) + (uint64_t)sa->nclasses * sizeof(sa->cls[0]) + sa->nbuckets +
		sa->slabs.words * (sa->nclasses + 1) * sizeof(uint64_t);
}

void
mk_slab_stats(const struct mk_slab *sa, struct mk_slab_stats *s)
{
	s->base = (uint64_t)sa->first << sa->slab_log2;
	s->capacity = sa->capacity;
	s->unusable = sa->unusable;
	totals(sa, &s->live, &s->used_bytes, &s->chunk_bytes);
	s->slab_size = sa->slab_size;
	s->slabs = sa->nslabs;
	s->free_slabs = sa->free_slabs;
	s->classes = sa->nclasses;
	s->header_bytes = (uint64_t)sa->space_slabs * sizeof(sa->hdrs[0]);
	s->block_bytes = sa->block_bytes;
	s->meta_bytes = fixed_meta_bytes(sa) + s->header_bytes + s->block_bytes;
	s->slab_grabs = sa->slab_grabs;
	s->slab_releases = sa->slab_releases;
	s->block_allocs = sa->block_allocs;
}

unsigned
mk_slab_class_count(const struct mk_slab *sa)
{
	return sa->nclasses;
}

uint32_t
mk_slab_class_size(const struct mk_slab *sa, unsigned class_id)
{
	return class_id < sa->nclasses ? sa->cls[class_id].size : 0;
}

int
mk_slab_class_of(const struct mk_slab *sa, uint64_t size)
{
	if (size == 0)
		return -EINVAL;
	if (size > sa->slab_size)
		return -E2BIG;
	return (int)class_of(sa, size < sa->min_slice ? sa->min_slice : size);
}
