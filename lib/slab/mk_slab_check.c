/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mk_slab_check(): walks every structure of an instance and names the first broken invariant.
 * Kept apart from the allocator, which it only reads.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "mk_slab_pvt.h"

#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "mk_slab_check: "); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
		rc = -EFAULT; \
		goto out; \
	} \
} while (0)

/* Per-class totals gathered from the slab headers. */
struct check_sum {
	uint64_t live[MK_SLAB_CLASS_MAX];
	uint32_t slabs[MK_SLAB_CLASS_MAX];
	uint32_t free_slabs;
	uint64_t block_bytes;
};

/* A hierarchical bitmap shape fits its item count: the fewest levels, runs of words. */
static bool
shape_ok(const struct hbm_shape *sh, uint64_t items)
{
	uint64_t span = items, words = 0;
	unsigned l;

	if (sh->levels < 1 || sh->levels > HBM_LEVELS_MAX)
		return false;
	for (l = 0; l + 1 < sh->levels; l++) {
		if (span <= 64 || sh->off[l] != words)
			return false;
		span = (span + WORD_MASK) >> WORD_SHIFT;
		words += span;
	}
	return span <= 64 && sh->words == words;
}

/* The range is a run of whole slabs inside the space, and its figures follow from it. */
static int
check_range(const struct mk_slab *sa)
{
	int rc = 0;

	CHECK(sa->first < sa->end && sa->end <= sa->space_slabs,
		"range [%u, %u) of a space of %u slabs", sa->first, sa->end, sa->space_slabs);
	CHECK(sa->nslabs == sa->end - sa->first, "%u slabs in the range [%u, %u)", sa->nslabs,
		sa->first, sa->end);
	CHECK(sa->capacity == (uint64_t)sa->nslabs << sa->slab_log2, "capacity %" PRIu64
		" of %u slabs", sa->capacity, sa->nslabs);
	CHECK(sa->outer == sa->nslabs >> OUTER_SHIFT, "%u outer slabs of %u", sa->outer,
		sa->nslabs);
	CHECK(sa->unusable < sa->slab_size, "unusable tail %" PRIu64, sa->unusable);
	CHECK(sa->space_slabs - 1 <= sa->slab_mask, "a handle cannot name every slab");
out:
	return rc;
}

static int
check_classes(const struct mk_slab *sa)
{
	const struct slab_class *cls;
	uint64_t low, bytes;
	unsigned c, b;
	int rc = 0;

	CHECK(sa->nclasses >= 1 && sa->nclasses <= MK_SLAB_CLASS_MAX, "%u classes", sa->nclasses);
	CHECK(sa->cls[sa->nclasses - 1].size == sa->slab_size, "last class is not the slab size");
	CHECK(shape_ok(&sa->slabs, sa->space_slabs), "partial-slab bitmap shape");
	for (c = 0; c < sa->nclasses; c++) {
		cls = &sa->cls[c];
		CHECK(cls->size % MK_SLAB_ALIGN == 0 && cls->size >= sa->min_slice,
			"class %u: size %u", c, cls->size);
		CHECK(c == 0 || cls->size > sa->cls[c - 1].size, "class %u: not increasing", c);
		CHECK(cls->nchunks == sa->slab_size / cls->size, "class %u: chunk count", c);
		CHECK(cls->ngroups == (cls->nchunks + GROUP_CHUNKS - 1) / GROUP_CHUNKS &&
			shape_ok(&cls->groups, cls->ngroups),
			"class %u: group bitmap shape for %u chunks", c, cls->nchunks);
		bytes = cls->ngroups * sizeof(struct chunk_group) +
			cls->groups.words * sizeof(uint64_t);
		CHECK(cls->block_bytes >= bytes && cls->block_bytes < bytes + 64 &&
			cls->block_bytes % 64 == 0, "class %u: block size", c);
	}
	for (b = 0; b < sa->nbuckets; b++) {
		c = sa->bucket[b];
		low = bucket_low(b);
		CHECK(c < sa->nclasses && sa->cls[c].size > low &&
			(c == 0 || sa->cls[c - 1].size <= low),
			"size bucket %u: class %u is not the smallest above %" PRIu64, b, c, low);
	}
out:
	return rc;
}

/*
 * A hierarchical bitmap over its first `started` items, whose level-0 words must be want[]:
 * each bit above says whether the word under it, if started, is non-zero. Words not started
 * yet hold garbage and are not looked at.
 */
static int
check_hbm(const struct hbm_shape *sh, const uint64_t *words, uint64_t top, uint64_t started,
		const uint64_t *want, const char *what, uint64_t id)
{
	uint64_t below = started, units, w, word, expect, child;
	unsigned l, b;
	int rc = 0;

	for (l = 0; l < sh->levels; l++) {
		units = (below + WORD_MASK) >> WORD_SHIFT;
		for (w = 0; w < (l + 1 == sh->levels ? 1 : units); w++) {
			word = hbm_word(sh, words, top, l, w);
			if (l == 0) {
				expect = w < units ? want[w] : 0;
			} else {
				for (expect = 0, b = 0; b < 64; b++) {
					child = w * 64 + b;
					if (child < below &&
						hbm_word(sh, words, top, l - 1, child) != 0)
						expect |= bit(b);
				}
			}
			CHECK(word == expect, "%s %" PRIu64 ": level %u word %" PRIu64
				" is %#" PRIx64 ", not %#" PRIx64, what, id, l, w, word, expect);
		}
		below = units;
	}
out:
	return rc;
}

/* The chunks of an assigned slab: freed bits, the group bitmap, freed count, generations. */
static int
check_chunks(const struct mk_slab *sa, uint32_t s)
{
	const struct slab_hdr *h = &sa->hdrs[s];
	const struct slab_class *cls = &sa->cls[h->class_id];
	uint64_t freed = 0, started, valid, g, word, *want;
	int rc = 0;

	started = ((uint64_t)h->bump + GROUP_CHUNKS - 1) / GROUP_CHUNKS;
	want = calloc((started >> WORD_SHIFT) + 1, sizeof(*want));
	if (want == NULL)
		return -ENOMEM;
	for (g = 0; g < started; g++) {
		word = h->block[g].freed;
		valid = h->bump - g * GROUP_CHUNKS;
		if (valid > GROUP_CHUNKS)
			valid = GROUP_CHUNKS;
		CHECK((word & ~((UINT64_C(1) << valid) - 1)) == 0,
			"slab %u: group %" PRIu64 " has freed bits above bump %u", s, g, h->bump);
		freed += (uint64_t)__builtin_popcountll(word);
		if (word != 0)
			want[g >> WORD_SHIFT] |= bit(g);
	}
	CHECK(freed == (uint64_t)h->bump - h->live,
		"slab %u: %" PRIu64 " freed chunks, bump %u, live %u", s, freed, h->bump, h->live);
	rc = check_hbm(&cls->groups, group_words(h, cls), h->top, started, want,
		"group bitmap of slab", s);
	if (rc != 0)
		goto out;
	/* Generations handed out by this block lie in its window. */
	for (g = 0; g < h->gen_valid; g++)
		CHECK((uint8_t)(h->block[g / GROUP_CHUNKS].gen[g % GROUP_CHUNKS] - h->epoch) <=
			h->gen_span, "slab %u: chunk %" PRIu64 " generation outside its window",
			s, g);
out:
	free(want);
	return rc;
}

static int
check_headers(const struct mk_slab *sa, struct check_sum *sum)
{
	const struct slab_hdr *h;
	const struct slab_class *cls;
	uint32_t s;
	int rc = 0;

	for (s = 0; s < sa->space_slabs; s++) {
		h = &sa->hdrs[s];
		if (s < sa->first || s >= sa->end) {
			CHECK(h->class_id == CLASS_NONE && h->block == NULL &&
				h->block_class == CLASS_NONE,
				"slab %u outside the range [%u, %u): class %u, block class %u%s",
				s, sa->first, sa->end, h->class_id, h->block_class,
				h->block != NULL ? ", a block" : "");
			continue;
		}
		CHECK(h->class_id == CLASS_NONE || h->class_id < sa->nclasses,
			"slab %u: class %u", s, h->class_id);
		CHECK(h->block_class == CLASS_NONE || h->block_class < sa->nclasses,
			"slab %u: block class %u", s, h->block_class);
		CHECK((h->block == NULL) == (h->block_class == CLASS_NONE),
			"slab %u: block and block class disagree", s);
		if (h->block != NULL)
			sum->block_bytes += sa->cls[h->block_class].block_bytes;
		if (h->class_id == CLASS_NONE) {
			sum->free_slabs++;
			continue;
		}
		cls = &sa->cls[h->class_id];
		CHECK(h->block_class == h->class_id, "slab %u: block of class %u in class %u",
			s, h->block_class, h->class_id);
		CHECK(h->bump <= cls->nchunks && h->live <= h->bump && h->live > 0,
			"slab %u: bump %u, live %u of %u chunks", s, h->bump, h->live,
			cls->nchunks);
		CHECK(h->gen_valid >= h->bump && h->gen_valid <= cls->nchunks,
			"slab %u: generations set up to %u, bump %u", s, h->gen_valid, h->bump);
		rc = check_chunks(sa, s);
		if (rc != 0)
			goto out;
		sum->live[h->class_id] += h->live;
		sum->slabs[h->class_id]++;
	}
out:
	return rc;
}

/*
 * Walk one pool list from its head, marking its slabs: links both ways agree, the tail is the
 * last slab, every slab is free, inside the range and in at most one list.
 */
static int
check_list(const struct mk_slab *sa, uint64_t *seen, const struct slab_list *l, unsigned cid,
		uint32_t *count)
{
	const struct slab_hdr *h;
	uint32_t s, prev = SLAB_NONE, n = 0;
	int rc = 0;

	for (s = l->head; s != SLAB_NONE; prev = s, s = h->next) {
		CHECK(s >= sa->first && s < sa->end,
			"pool list of class %u: slab %u outside the range [%u, %u)", cid, s,
			sa->first, sa->end);
		CHECK(!(seen[s >> WORD_SHIFT] & bit(s)), "slab %u is in the pool twice", s);
		seen[s >> WORD_SHIFT] |= bit(s);
		h = &sa->hdrs[s];
		CHECK(h->prev == prev, "pool list of class %u: slab %u links back to %u, not %u",
			cid, s, h->prev, prev);
		CHECK(h->class_id == CLASS_NONE && h->block_class == cid,
			"slab %u in the pool list of class %u: class %u, block %u",
			s, cid, h->class_id, h->block_class);
		n++;
	}
	CHECK(l->tail == prev, "pool list of class %u: tail %u, last slab %u", cid, l->tail,
		prev);
	*count = n;
out:
	return rc;
}

static int
check_pool(const struct mk_slab *sa, const struct check_sum *sum)
{
	uint32_t n, pool = 0;
	uint64_t *seen;
	unsigned c;
	int rc = 0;

	seen = calloc(((size_t)sa->space_slabs + WORD_MASK) >> WORD_SHIFT, sizeof(*seen));
	if (seen == NULL)
		return -ENOMEM;
	rc = check_list(sa, seen, &sa->clean, CLASS_NONE, &n);
	if (rc != 0)
		goto out;
	pool += n;
	for (c = 0; c < sa->nclasses; c++) {
		rc = check_list(sa, seen, &sa->cls[c].cached, c, &n);
		if (rc != 0)
			goto out;
		CHECK(mask_test(sa->cached_mask, c) == (n != 0), "class %u: pool mask", c);
		pool += n;
	}
	CHECK(pool == sum->free_slabs && pool == sa->free_slabs,
		"free slabs: %u in the pool, %u by header, %u counted",
		pool, sum->free_slabs, sa->free_slabs);
	for (c = sa->nclasses; c < MK_SLAB_CLASS_MAX; c++)
		CHECK(!mask_test(sa->cached_mask, c), "pool mask bit of class %u, past the last",
			c);
out:
	free(seen);
	return rc;
}

/*
 * Each class's partial-slab bitmap holds exactly its slabs with a free chunk, and the in-use
 * bitmap exactly the slabs given to a class (row nclasses of want).
 */
static int
check_partial(const struct mk_slab *sa)
{
	uint64_t words0 = ((uint64_t)sa->space_slabs >> WORD_SHIFT) + 1, *want, *used;
	const struct slab_hdr *h;
	unsigned c;
	uint32_t s;
	int rc = 0;

	want = calloc(words0 * (sa->nclasses + 1), sizeof(*want));
	if (want == NULL)
		return -ENOMEM;
	used = want + sa->nclasses * words0;
	for (s = 0; s < sa->space_slabs; s++) {
		h = &sa->hdrs[s];
		if (h->class_id == CLASS_NONE)
			continue;
		used[s >> WORD_SHIFT] |= bit(s);
		if (h->live < sa->cls[h->class_id].nchunks)
			want[h->class_id * words0 + (s >> WORD_SHIFT)] |= bit(s);
	}
	for (c = 0; c < sa->nclasses && rc == 0; c++)
		rc = check_hbm(&sa->slabs, partial_words(sa, c), sa->cls[c].partial_top,
			sa->space_slabs, want + c * words0, "partial-slab bitmap of class", c);
	if (rc == 0)
		rc = check_hbm(&sa->slabs, sa->used_words, sa->used_top, sa->space_slabs, used,
			"in-use bitmap", 0);
	free(want);
	return rc;
}

static int
check_counters(const struct mk_slab *sa, const struct check_sum *sum)
{
	const struct slab_class *cls;
	uint32_t slabs = 0;
	uint64_t low;
	unsigned c;
	int rc = 0;

	for (c = 0; c < sa->nclasses; c++) {
		cls = &sa->cls[c];
		CHECK(cls->live == sum->live[c] && cls->slabs == sum->slabs[c],
			"class %u: %" PRIu64 " live in %u slabs counted, %" PRIu64 " in %u found",
			c, cls->live, cls->slabs, sum->live[c], sum->slabs[c]);
		/* A size of class c is above the previous class (see mk_slab_free()). */
		low = c == 0 ? 1 : sa->cls[c - 1].size + UINT64_C(1);
		CHECK(cls->lo == low, "class %u: smallest size %u", c, cls->lo);
		CHECK(cls->used_bytes >= cls->live * low &&
			cls->used_bytes <= cls->live * cls->size,
			"class %u: %" PRIu64 " bytes used by %" PRIu64 " chunks",
			c, cls->used_bytes, cls->live);
		slabs += cls->slabs;
	}
	CHECK(slabs + sa->free_slabs == sa->nslabs, "%u slabs in classes, %u free, %u in all",
		slabs, sa->free_slabs, sa->nslabs);
	CHECK(sum->block_bytes == sa->block_bytes, "block bytes %" PRIu64 ", %" PRIu64 " found",
		sa->block_bytes, sum->block_bytes);
out:
	return rc;
}

int
mk_slab_check(const struct mk_slab *sa)
{
	struct check_sum *sum;
	int rc;

	if (sa == NULL)
		return -EINVAL;
	sum = calloc(1, sizeof(*sum));
	if (sum == NULL)
		return -ENOMEM;
	rc = check_range(sa);
	if (rc == 0)
		rc = check_classes(sa);
	if (rc == 0)
		rc = check_headers(sa, sum);
	if (rc == 0)
		rc = check_pool(sa, sum);
	if (rc == 0)
		rc = check_partial(sa);
	if (rc == 0)
		rc = check_counters(sa, sum);
	free(sum);
	return rc;
}
