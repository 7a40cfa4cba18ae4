/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "slab", the range and its moving ends: ranges placed in a larger space, mk_slab_cede()
 * and mk_slab_adopt() at both ends with their limits, handles of slabs that left the range,
 * two neighbouring ranges passing slabs back and forth, the order in which the pool hands
 * out slabs, and the exact figures after every move.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "mk_slab.h"
#include "mk_test.h"

#define MIB		(UINT64_C(1) << 20)
#define SLAB		(4 * MIB)

static struct mk_slab *
create_range(uint64_t base, uint64_t size, uint64_t limit)
{
	struct mk_slab_conf conf = { .size = size, .base = base, .limit = limit };

	return mk_slab_create(&conf);
}

/* The report is exactly this, and the structures hold. */
static bool
report_is(const struct mk_slab *sa, uint64_t base, uint64_t capacity, uint64_t free_slabs,
		uint64_t largest_free)
{
	struct mk_slab_report r;

	mk_slab_report(sa, &r);
	return r.base == base && r.capacity == capacity && r.free_slabs == free_slabs &&
		r.largest_free == largest_free && mk_slab_check(sa) == 0;
}

/* A cede that gives up exactly want bytes. */
static bool
cedes(struct mk_slab *sa, enum mk_slab_side side, uint64_t max, uint64_t want)
{
	uint64_t got = UINT64_MAX;

	return mk_slab_cede(sa, side, max, &got) == 0 && got == want;
}

/* An adopt refused with -EINVAL that changes nothing. */
static bool
adopt_refused(struct mk_slab *sa, enum mk_slab_side side, uint64_t bytes)
{
	struct mk_slab_report before, after;
	int rc;

	mk_slab_report(sa, &before);
	rc = mk_slab_adopt(sa, side, bytes);
	mk_slab_report(sa, &after);
	return rc == -EINVAL && memcmp(&before, &after, sizeof(before)) == 0;
}

static bool
rejected(uint64_t base, uint64_t size, uint64_t limit)
{
	struct mk_slab *sa;

	errno = 0;
	sa = create_range(base, size, limit);
	mk_slab_destroy(sa);
	return sa == NULL && errno == EINVAL;
}

/*
 * A range of two slabs at slab 3 of a space of eight and a tail: space offsets, tables for the
 * whole space, the tail unusable. Bases off the slab grid, ranges past their limit or past
 * 2^64, and spaces a handle cannot name are refused.
 */
static void
test_range_conf(void)
{
	struct mk_slab *sa = create_range(3 * SLAB, 2 * SLAB + 100, 8 * SLAB + 5000);
	struct mk_slab_alloc a, b, c;
	struct mk_slab_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	mk_slab_stats(sa, &st);
	REQUIRE(st.base == 3 * SLAB && st.capacity == 2 * SLAB && st.slabs == 2);
	REQUIRE(st.unusable == 5000 && st.header_bytes == 8 * 40 && st.free_slabs == 2);
	REQUIRE(report_is(sa, 3 * SLAB, 2 * SLAB, 2, SLAB));
	REQUIRE(mk_slab_alloc(sa, SLAB, &a) == 0 && a.offset == 3 * SLAB);
	REQUIRE(mk_slab_alloc(sa, SLAB, &b) == 0 && b.offset == 4 * SLAB);
	REQUIRE(mk_slab_alloc(sa, 1, &c) == -ENOMEM);
	REQUIRE(mk_slab_free(sa, &a) == 0 && mk_slab_free(sa, &b) == 0);
	REQUIRE(report_is(sa, 3 * SLAB, 2 * SLAB, 2, SLAB));
	mk_slab_destroy(sa);

	/* Without a limit the space ends with the range: it grows only at its low end. */
	sa = create_range(2 * SLAB, 3 * SLAB, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(adopt_refused(sa, MK_SLAB_HIGH, SLAB));
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_LOW, 2 * SLAB) == 0);
	REQUIRE(report_is(sa, 0, 5 * SLAB, 5, SLAB));
out:
	mk_slab_destroy(sa);

	CU_ASSERT(rejected(SLAB / 2, SLAB, 0));			/* off the slab grid */
	CU_ASSERT(rejected(4096, SLAB, 0));
	CU_ASSERT(rejected(0, 2 * SLAB, 2 * SLAB - 1));		/* limit below the range */
	CU_ASSERT(rejected(4 * SLAB, 2 * SLAB, 5 * SLAB));
	CU_ASSERT(rejected(UINT64_MAX - SLAB + 1, 2 * SLAB, 0));	/* past 2^64 */
	CU_ASSERT(rejected(0, SLAB, UINT64_C(1) << 47));	/* 2^25 slabs of 4 MiB */
	CU_ASSERT(!rejected(0, 2 * SLAB, 2 * SLAB));
}

/*
 * Both ends of a range in the middle of its space: what cede gives is the free run at that
 * end, in whole slabs, rounded down from max; adopt grows the range back to the space's ends
 * and no further, in whole slabs only.
 */
static void
test_cede_adopt(void)
{
	struct mk_slab *sa = create_range(4 * SLAB, 8 * SLAB, 16 * SLAB);
	struct mk_slab_alloc a, v[16];
	uint64_t got, seen = 0;
	unsigned n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 7 * SLAB);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == 7 * SLAB);
	/* The first slab handed out is the middle one: slab 7 of [4, 12). */
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.offset == 7 * SLAB);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 3 * SLAB);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == 4 * SLAB);

	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 3 * SLAB));
	REQUIRE(report_is(sa, 7 * SLAB, 5 * SLAB, 4, SLAB));
	REQUIRE(cedes(sa, MK_SLAB_HIGH, 2 * SLAB + SLAB / 2, 2 * SLAB));
	REQUIRE(report_is(sa, 7 * SLAB, 3 * SLAB, 2, SLAB));
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 0 && cedes(sa, MK_SLAB_LOW, SLAB, 0));
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == 2 * SLAB);
	REQUIRE(cedes(sa, MK_SLAB_HIGH, 0, 0) && cedes(sa, MK_SLAB_HIGH, SLAB - 1, 0));
	REQUIRE(report_is(sa, 7 * SLAB, 3 * SLAB, 2, SLAB));

	REQUIRE(mk_slab_adopt(sa, MK_SLAB_LOW, 3 * SLAB) == 0);
	REQUIRE(report_is(sa, 4 * SLAB, 6 * SLAB, 5, SLAB));
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_HIGH, 6 * SLAB) == 0);
	REQUIRE(report_is(sa, 4 * SLAB, 12 * SLAB, 11, SLAB));
	/* The space ends at slab 16 and starts at 0; only whole slabs move. */
	REQUIRE(adopt_refused(sa, MK_SLAB_HIGH, SLAB));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, 5 * SLAB));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, SLAB + 1));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, SLAB / 2));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, 0));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, UINT64_MAX - SLAB + 1));
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_LOW, 4 * SLAB) == 0);
	REQUIRE(report_is(sa, 0, 16 * SLAB, 15, SLAB));
	REQUIRE(adopt_refused(sa, MK_SLAB_LOW, SLAB));

	/* Bad arguments. */
	REQUIRE(mk_slab_cede(NULL, MK_SLAB_LOW, SLAB, &got) == -EINVAL);
	REQUIRE(mk_slab_cede(sa, MK_SLAB_LOW, SLAB, NULL) == -EINVAL);
	REQUIRE(mk_slab_cede(sa, (enum mk_slab_side)2, SLAB, &got) == -EINVAL);
	REQUIRE(mk_slab_edge_free(NULL, MK_SLAB_LOW) == 0);
	REQUIRE(mk_slab_edge_free(sa, (enum mk_slab_side)2) == 0);
	REQUIRE(mk_slab_adopt(NULL, MK_SLAB_LOW, SLAB) == -EINVAL);
	REQUIRE(adopt_refused(sa, (enum mk_slab_side)2, SLAB));

	/* Every slab of the grown range can be had, each once. */
	for (n = 0; mk_slab_alloc(sa, SLAB, &v[n]) == 0; n++) {
		REQUIRE(n < 15 && v[n].offset % SLAB == 0 && v[n].offset < 16 * SLAB);
		REQUIRE(v[n].offset != 7 * SLAB && !(seen & UINT64_C(1) << v[n].offset / SLAB));
		seen |= UINT64_C(1) << v[n].offset / SLAB;
	}
	REQUIRE(n == 15 && report_is(sa, 0, 16 * SLAB, 0, 120));	/* a's class */
	while (n > 0)
		REQUIRE(mk_slab_free(sa, &v[--n]) == 0);
	REQUIRE(mk_slab_free(sa, &a) == 0 && report_is(sa, 0, 16 * SLAB, 16, SLAB));
out:
	mk_slab_destroy(sa);
}

/* A slab in use at an end blocks cede there; the last slab of a range never goes. */
static void
test_cede_blocked(void)
{
	struct mk_slab *sa = create_range(0, 4 * SLAB, 0);
	struct mk_slab_alloc v[4], a;
	unsigned i, low = 4, high = 4;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	for (i = 0; i < 4; i++) {
		REQUIRE(mk_slab_alloc(sa, SLAB, &v[i]) == 0);
		if (v[i].offset == 0)
			low = i;
		if (v[i].offset == 3 * SLAB)
			high = i;
	}
	REQUIRE(low < 4 && high < 4);
	for (i = 0; i < 4; i++)
		REQUIRE(i == low || i == high || mk_slab_free(sa, &v[i]) == 0);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 0);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == 0);
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 0) && cedes(sa, MK_SLAB_HIGH, UINT64_MAX, 0));
	REQUIRE(report_is(sa, 0, 4 * SLAB, 2, SLAB));
	/* The low end frees: the run up to the slab in use at the other end goes. */
	REQUIRE(mk_slab_free(sa, &v[low]) == 0);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 3 * SLAB);
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 3 * SLAB));
	REQUIRE(report_is(sa, 3 * SLAB, SLAB, 0, 0));
	/* One slab, empty: it stays. */
	REQUIRE(mk_slab_free(sa, &v[high]) == 0);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 0);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == 0);
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 0) && cedes(sa, MK_SLAB_HIGH, UINT64_MAX, 0));
	REQUIRE(report_is(sa, 3 * SLAB, SLAB, 1, SLAB));
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.offset == 3 * SLAB);
	REQUIRE(mk_slab_free(sa, &a) == 0);
	mk_slab_destroy(sa);

	/* Three free slabs: a cede of everything leaves one. */
	sa = create_range(0, 3 * SLAB, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(cedes(sa, MK_SLAB_HIGH, UINT64_MAX, 2 * SLAB));
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 0));
	REQUIRE(report_is(sa, 0, SLAB, 1, SLAB));
	REQUIRE(mk_slab_alloc(sa, SLAB, &a) == 0 && a.offset == 0);
	REQUIRE(mk_slab_alloc(sa, 1, &v[0]) == -ENOMEM);
out:
	mk_slab_destroy(sa);
}

/* Each record refused, and each with any one bit of its handle flipped. */
static bool
all_refused(struct mk_slab *sa, const struct mk_slab_alloc *v, unsigned n)
{
	struct mk_slab_alloc f;
	unsigned i, b;

	for (i = 0; i < n; i++) {
		if (!test_slab_refused(sa, &v[i]))
			return false;
		for (b = 0; b < 64; b++) {
			f = v[i];
			f.handle ^= UINT64_C(1) << b;
			if (!test_slab_refused(sa, &f))
				return false;
		}
	}
	return true;
}

/*
 * Records of chunks in a slab that left the range are refused, and still are when the slab
 * comes back and hands out the same chunks again.
 */
static void
test_ceded_handles(void)
{
	struct mk_slab *sa = create_range(0, 4 * SLAB, 0);
	struct mk_slab_alloc v[4], old[3], a, b;
	unsigned i, low = 4;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	for (i = 0; i < 4; i++) {
		REQUIRE(mk_slab_alloc(sa, SLAB, &v[i]) == 0);
		if (v[i].offset == 0)
			low = i;
	}
	REQUIRE(low < 4);
	/* Slab 0 holds a whole-slab chunk, then two of 120 bytes; all of them go. */
	old[0] = v[low];
	REQUIRE(mk_slab_free(sa, &v[low]) == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &old[1]) == 0 && old[1].offset == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &old[2]) == 0 && old[2].offset == 120);
	REQUIRE(mk_slab_free(sa, &old[1]) == 0 && mk_slab_free(sa, &old[2]) == 0);
	REQUIRE(cedes(sa, MK_SLAB_LOW, SLAB, SLAB));
	REQUIRE(report_is(sa, SLAB, 3 * SLAB, 0, 0));
	REQUIRE(all_refused(sa, old, 3));

	/* Back in the range: a new block, whose generations none of the old records has. */
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_LOW, SLAB) == 0);
	REQUIRE(all_refused(sa, old, 3));
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.offset == 0 && a.handle != old[1].handle);
	REQUIRE(mk_slab_alloc(sa, 100, &b) == 0 && b.offset == 120 && b.handle != old[2].handle);
	REQUIRE(all_refused(sa, old, 3));
	REQUIRE(mk_slab_free(sa, &a) == 0 && mk_slab_free(sa, &b) == 0);
	for (i = 0; i < 4; i++)
		REQUIRE(i == low || mk_slab_free(sa, &v[i]) == 0);
	REQUIRE(report_is(sa, 0, 4 * SLAB, 4, SLAB));
out:
	mk_slab_destroy(sa);
}

/*
 * Two neighbouring ranges of one space, as a service's shards: slabs pass from one to the
 * other and back; each refuses the other's records, the moved slabs' old ones included.
 */
static void
test_neighbours(void)
{
	struct mk_slab *lo = create_range(0, 4 * SLAB, 8 * SLAB);
	struct mk_slab *hi = create_range(4 * SLAB, 4 * SLAB, 8 * SLAB);
	struct mk_slab_alloc v[8], w[4], moved[2];
	unsigned n, k, i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(lo);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hi);
	REQUIRE(cedes(lo, MK_SLAB_HIGH, 2 * SLAB, 2 * SLAB));
	REQUIRE(mk_slab_adopt(hi, MK_SLAB_LOW, 2 * SLAB) == 0);
	REQUIRE(report_is(lo, 0, 2 * SLAB, 2, SLAB) && report_is(hi, 2 * SLAB, 6 * SLAB, 6, SLAB));
	for (n = 0; mk_slab_alloc(hi, SLAB, &v[n]) == 0; n++)
		REQUIRE(n < 6 && v[n].offset >= 2 * SLAB && v[n].offset < 8 * SLAB);
	REQUIRE(n == 6);
	for (k = 0; mk_slab_alloc(lo, SLAB, &w[k]) == 0; k++)
		REQUIRE(k < 2 && w[k].offset < 2 * SLAB);
	REQUIRE(k == 2);
	REQUIRE(all_refused(lo, v, n) && all_refused(hi, w, k));

	/* hi gives the two slabs back once they are free; their records stay refused. */
	for (i = 0, k = 0; i < n;) {
		if (v[i].offset >= 4 * SLAB) {
			i++;
			continue;
		}
		REQUIRE(k < 2 && mk_slab_free(hi, &v[i]) == 0);
		moved[k++] = v[i];
		v[i] = v[--n];
	}
	REQUIRE(k == 2 && mk_slab_edge_free(hi, MK_SLAB_LOW) == 2 * SLAB);
	REQUIRE(cedes(hi, MK_SLAB_LOW, UINT64_MAX, 2 * SLAB));
	REQUIRE(mk_slab_adopt(lo, MK_SLAB_HIGH, 2 * SLAB) == 0);
	REQUIRE(report_is(lo, 0, 4 * SLAB, 2, SLAB) && report_is(hi, 4 * SLAB, 4 * SLAB, 0, 0));
	REQUIRE(all_refused(lo, moved, 2) && all_refused(hi, moved, 2));
	REQUIRE(mk_slab_alloc(lo, SLAB, &w[2]) == 0 && mk_slab_alloc(lo, SLAB, &w[3]) == 0);
	REQUIRE(w[2].offset / SLAB + w[3].offset / SLAB == 2 + 3);
	/* Same slabs, chunks and generations in lo now: only the tag tells them apart. */
	REQUIRE(test_slab_refused(lo, &moved[0]) && test_slab_refused(lo, &moved[1]));
	for (i = 0; i < 4; i++)
		REQUIRE(mk_slab_free(lo, &w[i]) == 0);
	while (n > 0)
		REQUIRE(mk_slab_free(hi, &v[--n]) == 0);
	REQUIRE(report_is(lo, 0, 4 * SLAB, 4, SLAB) && report_is(hi, 4 * SLAB, 4 * SLAB, 4, SLAB));
out:
	mk_slab_destroy(hi);
	mk_slab_destroy(lo);
}

/*
 * The pool hands out slabs from the middle of the range outwards, and slabs in the outer
 * quarters last: also a freed outer slab holding the class's own block, after an inner one
 * holding another class's block; and slabs adopted at an end after all others.
 */
static void
test_pool_order(void)
{
	static const unsigned order[16] = { 7, 8, 6, 9, 5, 10, 4, 11, 3, 12, 2, 13, 1, 14, 0, 15 };
	struct mk_slab *sa = create_range(0, 16 * SLAB, 0);
	struct mk_slab_alloc v[16], a, b;
	struct mk_slab_stats st;
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	for (i = 0; i < 16; i++) {
		REQUIRE(mk_slab_alloc(sa, SLAB, &v[i]) == 0 && v[i].offset == order[i] * SLAB);
		if (i == 7)	/* the inner half is taken: the outer quarters are free */
			REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 4 * SLAB &&
				mk_slab_edge_free(sa, MK_SLAB_HIGH) == 4 * SLAB);
	}
	/* Slab 0 (outer) and 7 (inner) come back: a small class takes the inner one. */
	REQUIRE(mk_slab_free(sa, &v[14]) == 0 && mk_slab_free(sa, &v[0]) == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.offset == 7 * SLAB);
	REQUIRE(mk_slab_free(sa, &a) == 0);
	/* Slab 7 holds the small class's block, 0 and 15 that of the slab class: 7 first. */
	REQUIRE(mk_slab_free(sa, &v[15]) == 0);
	REQUIRE(mk_slab_alloc(sa, SLAB, &b) == 0 && b.offset == 7 * SLAB);
	REQUIRE(mk_slab_alloc(sa, SLAB, &v[14]) == 0 && v[14].offset == 0);
	REQUIRE(mk_slab_alloc(sa, SLAB, &v[15]) == 0 && v[15].offset == 15 * SLAB);
	v[0] = b;
	mk_slab_stats(sa, &st);
	REQUIRE(st.free_slabs == 0 && mk_slab_check(sa) == 0);
	for (i = 0; i < 16; i++)
		REQUIRE(mk_slab_free(sa, &v[i]) == 0);
	mk_slab_destroy(sa);

	/*
	 * [0, 8) grows to [0, 16): the adopted inner slabs [8, 12) go first, from slab 8 on, the
	 * adopted outer quarter [12, 16) last, slab 15 the very last.
	 */
	sa = create_range(0, 8 * SLAB, 16 * SLAB);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_HIGH, 8 * SLAB) == 0);
	for (i = 0; i < 16; i++)
		REQUIRE(mk_slab_alloc(sa, SLAB, &v[i]) == 0 &&
			(i < 12) == (v[i].offset < 12 * SLAB) && (i >= 4 || v[i].offset == (8 + i) * SLAB));
	REQUIRE(v[15].offset == 15 * SLAB && mk_slab_check(sa) == 0);
out:
	mk_slab_destroy(sa);
}

/* Report and stats after each move: capacity, free slabs, largest free, blocks, base. */
static void
test_move_figures(void)
{
	struct mk_slab *sa = create_range(0, 4 * SLAB, 0);
	struct mk_slab_stats st0, st1, st;
	struct mk_slab_alloc x, y, z;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	/* Slabs go out in the order 1, 2, 0, 3. */
	REQUIRE(mk_slab_alloc(sa, 100, &x) == 0 && x.offset == SLAB);
	mk_slab_stats(sa, &st0);
	REQUIRE(mk_slab_alloc(sa, SLAB, &y) == 0 && y.offset == 2 * SLAB);
	REQUIRE(mk_slab_free(sa, &x) == 0);
	mk_slab_stats(sa, &st1);
	REQUIRE(st1.block_bytes > st0.block_bytes && st1.free_slabs == 3 && st1.live == 1);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_LOW) == 2 * SLAB);
	REQUIRE(mk_slab_edge_free(sa, MK_SLAB_HIGH) == SLAB);

	/* Slab 1 leaves with the 120-byte class's block. */
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 2 * SLAB));
	mk_slab_stats(sa, &st);
	REQUIRE(st.base == 2 * SLAB && st.capacity == 2 * SLAB && st.slabs == 2);
	REQUIRE(st.free_slabs == 1 && st.live == 1 && st.used_bytes == SLAB);
	REQUIRE(st.block_bytes == st1.block_bytes - st0.block_bytes);
	REQUIRE(st.meta_bytes == st1.meta_bytes - st0.block_bytes);
	REQUIRE(st.header_bytes == 4 * 40 && st.slab_grabs == st1.slab_grabs &&
		st.slab_releases == st1.slab_releases && st.block_allocs == st1.block_allocs);
	REQUIRE(report_is(sa, 2 * SLAB, 2 * SLAB, 1, SLAB));
	REQUIRE(cedes(sa, MK_SLAB_HIGH, UINT64_MAX, SLAB));
	REQUIRE(report_is(sa, 2 * SLAB, SLAB, 0, 0));
	REQUIRE(mk_slab_alloc(sa, 1, &z) == -ENOMEM);

	REQUIRE(mk_slab_free(sa, &y) == 0 && report_is(sa, 2 * SLAB, SLAB, 1, SLAB));
	REQUIRE(cedes(sa, MK_SLAB_LOW, UINT64_MAX, 0) && cedes(sa, MK_SLAB_HIGH, UINT64_MAX, 0));
	REQUIRE(mk_slab_adopt(sa, MK_SLAB_LOW, 2 * SLAB) == 0);
	REQUIRE(report_is(sa, 0, 3 * SLAB, 3, SLAB));
	mk_slab_stats(sa, &st);
	REQUIRE(st.slabs == 3 && st.block_bytes == st1.block_bytes - st0.block_bytes);
	/* Slab 1 comes back clean: the 120-byte class allocates a block for it again. */
	REQUIRE(mk_slab_alloc(sa, 100, &x) == 0 && x.offset == SLAB);
	mk_slab_stats(sa, &st);
	REQUIRE(st.block_allocs == st1.block_allocs + 1);
	REQUIRE(mk_slab_free(sa, &x) == 0 && report_is(sa, 0, 3 * SLAB, 3, SLAB));
out:
	mk_slab_destroy(sa);
}

int
test_slab_range_add(CU_pSuite s)
{
	static const struct mk_test_case tests[] = {
		{ "range in a space", test_range_conf },
		{ "cede and adopt at both ends", test_cede_adopt },
		{ "cede blocked by an end in use, never the last slab", test_cede_blocked },
		{ "handles of ceded slabs", test_ceded_handles },
		{ "neighbouring ranges", test_neighbours },
		{ "pool order", test_pool_order },
		{ "figures after moves", test_move_figures },
	};
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
