/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The free slabs of the range and its moving ends: the pool lists and the order in which they
 * hand slabs out (mk_slab.h says why), and mk_slab_cede(), mk_slab_adopt() and
 * mk_slab_edge_free(). Slabs enter and leave the pool rarely, so nothing here is on the hot
 * paths of mk_slab.c, which calls in when a class takes or gives back a slab.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "mk_slab_pvt.h"

/* --- the pool lists ---------------------------------------------------------------------- */

/* Lowest class whose pool list is not empty; the caller knows one is. */
static inline unsigned
cached_any(const struct mk_slab *sa)
{
	if (sa->cached_mask[0] != 0)
		return (unsigned)__builtin_ctzll(sa->cached_mask[0]);
	return 64 + (unsigned)__builtin_ctzll(sa->cached_mask[1]);
}

/* The pool list a free slab of the range is in: that of the class of its block. */
static struct slab_list *
pool_list(struct mk_slab *sa, const struct slab_hdr *h)
{
	return h->block_class == CLASS_NONE ? &sa->clean : &sa->cls[h->block_class].cached;
}

/* In the outer share of the range at either end: handed out of the pool last. */
static bool
slab_outer(const struct mk_slab *sa, uint32_t s)
{
	return s - sa->first < sa->outer || sa->end - 1 - s < sa->outer;
}

/* Put free slab s in its pool list: at the tail when it is outer, else at the head. */
void
slab_pool_add(struct mk_slab *sa, uint32_t s)
{
	struct slab_hdr *h = &sa->hdrs[s];
	struct slab_list *l = pool_list(sa, h);

	if (l->head == SLAB_NONE) {
		h->next = h->prev = SLAB_NONE;
		l->head = l->tail = s;
		if (h->block_class != CLASS_NONE)
			mask_set(sa->cached_mask, h->block_class);
	} else if (slab_outer(sa, s)) {
		h->next = SLAB_NONE;
		h->prev = l->tail;
		sa->hdrs[l->tail].next = s;
		l->tail = s;
	} else {
		h->prev = SLAB_NONE;
		h->next = l->head;
		sa->hdrs[l->head].prev = s;
		l->head = s;
	}
}

/* Take free slab s, wherever it is, out of its pool list. */
void
slab_pool_remove(struct mk_slab *sa, uint32_t s)
{
	struct slab_hdr *h = &sa->hdrs[s];
	struct slab_list *l = pool_list(sa, h);

	if (h->prev != SLAB_NONE)
		sa->hdrs[h->prev].next = h->next;
	else
		l->head = h->next;
	if (h->next != SLAB_NONE)
		sa->hdrs[h->next].prev = h->prev;
	else
		l->tail = h->prev;
	if (l->head == SLAB_NONE && h->block_class != CLASS_NONE)
		mask_clear(sa->cached_mask, h->block_class);
}

/*
 * The free slab class cid takes: the head of its own list (a block of the class), of the
 * list without a block, or of another class's list (the block is replaced), in that order,
 * but an inner slab before an outer one. The caller knows that a slab is free.
 */
uint32_t
slab_pool_pick(const struct mk_slab *sa, unsigned cid)
{
	uint32_t cand[3];
	unsigned i;

	cand[0] = sa->cls[cid].cached.head;
	cand[1] = sa->clean.head;
	cand[2] = (sa->cached_mask[0] | sa->cached_mask[1]) != 0 ?
		sa->cls[cached_any(sa)].cached.head : SLAB_NONE;
	for (i = 0; i < 3; i++)
		if (cand[i] != SLAB_NONE && !slab_outer(sa, cand[i]))
			return cand[i];
	return cand[0] != SLAB_NONE ? cand[0] : cand[1] != SLAB_NONE ? cand[1] : cand[2];
}

/* Free a slab's block, if it has one: it leaves the range or is replaced. */
void
slab_block_drop(struct mk_slab *sa, struct slab_hdr *h)
{
	if (h->block == NULL)
		return;
	free(h->block);
	sa->block_bytes -= sa->cls[h->block_class].block_bytes;
	h->block = NULL;
	h->block_class = CLASS_NONE;
}

/* --- the range -------------------------------------------------------------------------- */

/* The range is now [first, end): its figures follow. */
static void
range_set(struct mk_slab *sa, uint32_t first, uint32_t end)
{
	sa->first = first;
	sa->end = end;
	sa->nslabs = end - first;
	sa->outer = sa->nslabs >> OUTER_SHIFT;
	sa->capacity = (uint64_t)sa->nslabs << sa->slab_log2;
}

/*
 * Every slab of a new range is in the pool without a block, listed from the middle outwards
 * (m, m + 1, m - 1, m + 2, ...), so that the ends are handed out last.
 */
void
slab_range_init(struct mk_slab *sa, uint32_t first, uint32_t end)
{
	uint32_t mid, prev = SLAB_NONE, s, i;

	range_set(sa, first, end);
	sa->free_slabs = sa->nslabs;
	mid = first + (sa->nslabs - 1) / 2;
	sa->clean.head = mid;
	for (i = 0; i < sa->nslabs; i++, prev = s) {
		s = i % 2 != 0 ? mid + (i + 1) / 2 : mid - i / 2;
		sa->hdrs[s].prev = prev;
		if (prev != SLAB_NONE)
			sa->hdrs[prev].next = s;
	}
	sa->hdrs[prev].next = SLAB_NONE;
	sa->clean.tail = prev;
}

/* --- moving the ends of the range -------------------------------------------------------- */

static inline bool
side_ok(enum mk_slab_side side)
{
	return side == MK_SLAB_LOW || side == MK_SLAB_HIGH;
}

/*
 * Slabs mk_slab_cede() may give up at one end: the run of free slabs up to the first one in
 * use, found in the in-use bitmap; never the last slab of the range.
 */
static uint32_t
edge_slabs(const struct mk_slab *sa, enum mk_slab_side side)
{
	if (sa->used_top == 0)
		return sa->nslabs - 1;
	if (side == MK_SLAB_LOW)
		return (uint32_t)hbm_first(&sa->slabs, sa->used_words, sa->used_top) - sa->first;
	return sa->end - 1 - (uint32_t)hbm_last(&sa->slabs, sa->used_words, sa->used_top);
}

uint64_t
mk_slab_edge_free(const struct mk_slab *sa, enum mk_slab_side side)
{
	if (sa == NULL || !side_ok(side))
		return 0;
	return (uint64_t)edge_slabs(sa, side) << sa->slab_log2;
}

int
mk_slab_cede(struct mk_slab *sa, enum mk_slab_side side, uint64_t max, uint64_t *ceded)
{
	uint32_t n, i, s;

	if (sa == NULL || ceded == NULL || !side_ok(side))
		return -EINVAL;
	n = edge_slabs(sa, side);
	if (n > max >> sa->slab_log2)
		n = (uint32_t)(max >> sa->slab_log2);
	for (i = 0; i < n; i++) {
		s = side == MK_SLAB_LOW ? sa->first + i : sa->end - 1 - i;
		slab_pool_remove(sa, s);
		slab_block_drop(sa, &sa->hdrs[s]);
	}
	if (side == MK_SLAB_LOW)
		range_set(sa, sa->first + n, sa->end);
	else
		range_set(sa, sa->first, sa->end - n);
	sa->free_slabs -= n;
	*ceded = (uint64_t)n << sa->slab_log2;
	return 0;
}

/* The i-th slab adopted at one end of the range [first, end), from the innermost out. */
static inline uint32_t
adopted_slab(enum mk_slab_side side, uint32_t first, uint32_t end, uint32_t i)
{
	return side == MK_SLAB_LOW ? first - 1 - i : end + i;
}

int
mk_slab_adopt(struct mk_slab *sa, enum mk_slab_side side, uint64_t bytes)
{
	uint32_t first, end, i;
	uint64_t n;

	if (sa == NULL || !side_ok(side) || bytes == 0 || (bytes & (sa->slab_size - 1)) != 0)
		return -EINVAL;
	n = bytes >> sa->slab_log2;
	first = sa->first;
	end = sa->end;
	if (n > (side == MK_SLAB_LOW ? first : sa->space_slabs - end))
		return -EINVAL;
	/* The new range first, so that the pool places the slabs by their place in it. */
	if (side == MK_SLAB_LOW)
		range_set(sa, first - (uint32_t)n, end);
	else
		range_set(sa, first, end + (uint32_t)n);
	/*
	 * Inner slabs join their list at the head, outer ones at the tail: the first from the
	 * outermost in, the second from the innermost out, so that the innermost goes first.
	 */
	for (i = (uint32_t)n; i-- > 0;)
		if (!slab_outer(sa, adopted_slab(side, first, end, i)))
			slab_pool_add(sa, adopted_slab(side, first, end, i));
	for (i = 0; i < n; i++)
		if (slab_outer(sa, adopted_slab(side, first, end, i)))
			slab_pool_add(sa, adopted_slab(side, first, end, i));
	sa->free_slabs += (uint32_t)n;
	return 0;
}
