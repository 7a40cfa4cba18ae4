/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "offset": lib/offset. Scenarios of Mooncake's offset allocator tests (basic, whole
 * capacity, odd and huge capacities, merging in every order, bin edges, node exhaustion and
 * growth, many tiny allocations, alignment), the misuse cases, and a model check against a
 * sorted list of live ranges with the exact report compared and the checker run every batch.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_offset.h"
#include "mk_test.h"

#define GiB (UINT64_C(1) << 30)
#define TiB (UINT64_C(1) << 40)

static struct mk_offset *
create(uint64_t size, uint32_t init_nodes, uint32_t max_nodes)
{
	struct mk_offset_conf conf = { .size = size, .init_nodes = init_nodes,
		.max_nodes = max_nodes };

	return mk_offset_create(&conf);
}

/*
 * Requests in 16 sizes from 1000 up by about half powers of two, 8 times each: spread sizes,
 * once the range is tight (placement records requests only then). With @p room each is
 * allocated and freed; without, the range is full and each fails, seen all the same.
 */
static void
see_spread_sizes(struct mk_offset *oa, bool room)
{
	struct mk_offset_alloc a;
	unsigned int i, k;

	for (i = 0; i < 8; i++)
		for (k = 0; k < 16; k++) {
			uint64_t size = (UINT64_C(1000) << (k / 2)) * (k % 2 ? 3 : 2) / 2;

			if (!room) {
				CU_ASSERT_EQUAL(mk_offset_alloc(oa, size, 0, &a), -ENOMEM);
				continue;
			}
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, size, 0, &a), 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
		}
}

static void
assert_report(const struct mk_offset *oa, uint64_t total, uint64_t largest, uint64_t regions)
{
	struct mk_offset_report r;

	mk_offset_report(oa, &r);
	CU_ASSERT_EQUAL(r.total_free, total);
	CU_ASSERT_EQUAL(r.largest_free, largest);
	CU_ASSERT_EQUAL(r.free_regions, regions);
	CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
}

static void
test_basic(void)
{
	struct mk_offset *oa = create(1 << 20, 0, 0);
	struct mk_offset_alloc a, b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	assert_report(oa, 1 << 20, 1 << 20, 1);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1000, 0, &a), 0);
	CU_ASSERT_EQUAL(a.offset, 0);
	CU_ASSERT_EQUAL(a.size, 1000);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 24, 1, &b), 0);
	CU_ASSERT_EQUAL(b.offset, 1000);
	assert_report(oa, (1 << 20) - 1024, (1 << 20) - 1024, 1);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	assert_report(oa, (1 << 20) - 24, (1 << 20) - 1024, 2);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
	assert_report(oa, 1 << 20, 1 << 20, 1);
	mk_offset_destroy(oa);
	mk_offset_destroy(NULL);
}

static void
test_bad_conf(void)
{
	struct mk_offset_conf conf = { .size = 0 };

	errno = 0;
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	conf.size = MK_OFFSET_SIZE_MAX + 1;
	errno = 0;
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	conf = (struct mk_offset_conf){ .size = 4096, .init_nodes = 9, .max_nodes = 8 };
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	conf = (struct mk_offset_conf){ .size = 4096, .max_nodes = MK_OFFSET_NODES_LIMIT + 1 };
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	conf = (struct mk_offset_conf){ .size = 4096, .flags = MK_OFFSET_KEEP_EDGES << 1 };
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(mk_offset_create(NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

/* The seed's pool formulas: init size/4096 in [1 Ki, 64 Ki], limit size/1024 in [1 Mi, 64 Mi]. */
static void
test_pool_defaults(void)
{
	static const struct { uint64_t size; uint32_t init, max; } cases[] = {
		{ 1, 1024, 1u << 20 },
		{ 64u << 20, 16384, 1u << 20 },
		{ GiB, 65536, 1u << 20 },
		{ 16 * GiB, 65536, 16u << 20 },
		{ TiB, 65536, 64u << 20 },
	};
	struct mk_offset_stats s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct mk_offset *oa = create(cases[i].size, 0, 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		mk_offset_stats(oa, &s);
		CU_ASSERT_EQUAL(s.nodes, cases[i].init);
		CU_ASSERT_EQUAL(s.max_nodes, cases[i].max);
		CU_ASSERT(s.node_bytes <= 48);
		mk_offset_destroy(oa);
	}
}

static void
test_whole_capacity(void)
{
	static const uint64_t sizes[] = {
		1, 2, 7, 1023, 1024, 1025, (UINT64_C(15) << 28) - 1, UINT64_C(15) << 28,
		(UINT64_C(15) << 28) + 1, (UINT64_C(1) << 32) + 1, TiB,
		(UINT64_C(1) << 46) + 12345, MK_OFFSET_SIZE_MAX,
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t cap = sizes[i], half = cap / 2;
		struct mk_offset *oa = create(cap, 0, 0);
		struct mk_offset_alloc a, b, c;

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		assert_report(oa, cap, cap, 1);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, cap + (cap < MK_OFFSET_SIZE_MAX), 0, &a),
			cap < MK_OFFSET_SIZE_MAX ? -ENOMEM : 0);
		if (cap == MK_OFFSET_SIZE_MAX)
			CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
		CU_ASSERT_EQUAL_FATAL(mk_offset_alloc(oa, cap, 0, &a), 0);
		CU_ASSERT_EQUAL(a.offset, 0);
		assert_report(oa, 0, 0, 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &b), -ENOMEM);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
		assert_report(oa, cap, cap, 1);
		if (half > 0) {
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, half, 0, &b), 0);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, cap - half, 0, &c), 0);
			CU_ASSERT_EQUAL(c.offset, half);
			assert_report(oa, 0, 0, 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
			assert_report(oa, half, half, 1);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &c), 0);
		}
		assert_report(oa, cap, cap, 1);
		mk_offset_destroy(oa);
	}
}

/* Three neighbours with free space after them, freed in all six orders. */
static void
test_merge_orders(void)
{
	static const int orders[6][3] = {
		{ 0, 1, 2 }, { 0, 2, 1 }, { 1, 0, 2 }, { 1, 2, 0 }, { 2, 0, 1 }, { 2, 1, 0 },
	};
	const uint64_t cap = 1000;
	int o, k;

	for (o = 0; o < 6; o++) {
		struct mk_offset *oa = create(cap, 0, 0);
		struct mk_offset_alloc a[3];
		uint64_t freed = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		for (k = 0; k < 3; k++)
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100 + k, 0, &a[k]), 0);
		assert_report(oa, cap - 303, cap - 303, 1);
		for (k = 0; k < 3; k++) {
			struct mk_offset_report r;
			int i = orders[o][k];

			CU_ASSERT_EQUAL(mk_offset_free(oa, &a[i]), 0);
			freed += a[i].size;
			mk_offset_report(oa, &r);
			CU_ASSERT_EQUAL(r.total_free, cap - 303 + freed);
			CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
		}
		assert_report(oa, cap, cap, 1);
		mk_offset_destroy(oa);
	}
}

/*
 * Two holes of exactly x, kept apart by one-byte allocations: x + 1 must fail, x and x - 1
 * must fit, at bin edges and in between.
 */
static void
test_bin_edges(void)
{
	uint64_t x;
	unsigned int e, m;

	for (e = 0; e < 62; e += (e < 20 ? 1 : 7)) {
		for (m = 0; m < 4; m++) {
			static const int64_t delta[4] = { 0, -1, 1, 3 };
			struct mk_offset_alloc h1, s1, h2, s2, a, b;
			struct mk_offset *oa;

			x = (UINT64_C(1) << e) + (uint64_t)(delta[m] * (e > 2));
			if (x == 0)
				continue;
			oa = create(2 * x + 2, 0, 0);
			CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, x, 0, &h1), 0);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &s1), 0);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, x, 0, &h2), 0);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &s2), 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &h1), 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &h2), 0);
			assert_report(oa, 2 * x, x, 2);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, x + 1, 0, &a), -ENOMEM);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, x, 0, &a), 0);
			assert_report(oa, x, x, 1);
			if (x > 1) {
				CU_ASSERT_EQUAL(mk_offset_alloc(oa, x - 1, 0, &b), 0);
				assert_report(oa, 1, 1, 1);
				CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
			}
			CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &s1), 0);
			CU_ASSERT_EQUAL(mk_offset_free(oa, &s2), 0);
			assert_report(oa, 2 * x + 2, 2 * x + 2, 1);
			mk_offset_destroy(oa);
		}
	}
}

/*
 * The O(1) search can come up empty while a region fits: many too-small regions in the
 * request's own bin, the one that fits behind them, nothing in a larger bin.
 */
static void
test_never_misses_a_fit(void)
{
	enum { HOLES = 40 };
	const uint64_t x = 1087;	/* holes of 1048 .. 1087 share the bin [1024, 1088) */
	struct mk_offset_alloc hole[HOLES], sep[HOLES], a, filler;
	struct mk_offset_stats s;
	struct mk_offset *oa;
	uint64_t layout = 0, cap;
	int i;

	for (i = 0; i < HOLES; i++)
		layout += x - (uint64_t)(HOLES - 1 - i) + 1;
	/*
	 * Holes and separators laid out while the range is less than half used (so in order,
	 * from its start), then the rest taken whole: the range is full but for the holes.
	 */
	cap = 2 * layout;
	oa = create(cap, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	/* the fitting hole is freed first, so it ends last in its bin's list */
	for (i = 0; i < HOLES; i++) {
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, x - (uint64_t)(HOLES - 1 - i), 0, &hole[i]), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &sep[i]), 0);
	}
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, cap - layout, 0, &filler), 0);
	CU_ASSERT_EQUAL(filler.offset, layout);
	assert_report(oa, 0, 0, 0);
	cap = layout;	/* the figures below are of the layout's part */
	for (i = HOLES - 1; i >= 0; i--)
		CU_ASSERT_EQUAL(mk_offset_free(oa, &hole[i]), 0);
	assert_report(oa, cap - HOLES, x, HOLES);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, x, 0, &a), 0);
	CU_ASSERT_EQUAL(a.offset, hole[HOLES - 1].offset);
	mk_offset_stats(oa, &s);
	CU_ASSERT(s.fallback_searches >= 1);
	assert_report(oa, cap - HOLES - x, x - 1, HOLES - 1);
	/* now only x - 1 fits; x must fail, after an exact walk, with nothing changed */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, x, 0, &a), -ENOMEM);
	assert_report(oa, cap - HOLES - x, x - 1, HOLES - 1);

	/* an aligned request from a region that holds it only once the start is aligned */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 900, 64, &a), 0);
	CU_ASSERT_EQUAL(a.offset % 64, 0);
	CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
	mk_offset_destroy(oa);
}

/*
 * Two holes in one bin, the looser one freed last so that it heads the bin's list: a request
 * that both hold takes the head while the range is less than half used, and the tighter hole
 * once it is more than half used (MK_OFFSET_TIGHT_SHIFT 1) and request sizes are spread; with
 * one size only, the head again.
 */
static void
test_tight_best_fit(void)
{
	const uint64_t tight = 1030, loose = 1080;	/* both in the bin [1024, 1088) */
	unsigned int c;

	/* cases: under half used; full, sizes spread; full, one size only */
	for (c = 0; c < 3; c++) {
		struct mk_offset_alloc a, b, sep[2], filler, got, *want = c == 1 ? &a : &b;
		uint64_t cap = 4 * (tight + loose + 2);
		struct mk_offset *oa = create(cap, 0, 0);

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, tight, 0, &a), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &sep[0]), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, loose, 0, &b), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &sep[1]), 0);
		/* the rest of the range: all of it, or a hole that keeps use under half */
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, c != 0 ? cap - tight - loose - 2 :
			cap / 2 - tight - loose - 2 - 1100, 0, &filler), 0);
		if (c == 1)
			see_spread_sizes(oa, false);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1025, 0, &got), 0);
		/* in the hole expected (where in it is test_place_by_neighbour's business) */
		CU_ASSERT(got.offset >= want->offset &&
			got.offset + got.size <= want->offset + want->size);
		CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
		mk_offset_destroy(oa);
	}
}

/*
 * A hole between a big and a small allocation: once the range is more than half used, a
 * smaller request takes the hole's end next to the small one (the rest of the hole stays next
 * to the big one, to merge with it when it goes); while it is less than half used, the start.
 */
static void
test_place_by_neighbour(void)
{
	unsigned int full;

	for (full = 0; full < 2; full++) {
		/* [big 600 | hole 100 | small 50 | rest], rest all used or mostly free */
		struct mk_offset *oa = create(2000, 0, 0);
		struct mk_offset_alloc big, hole, small, rest, got;

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 600, 0, &big), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100, 0, &hole), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 50, 0, &small), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, full ? 1250 : 100, 0, &rest), 0);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &hole), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 30, 0, &got), 0);
		CU_ASSERT_EQUAL(got.offset, full ? small.offset - 30 : hole.offset);
		/* aligned requests keep to the start of what is left */
		CU_ASSERT_EQUAL(mk_offset_free(oa, &got), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 30, 4, &got), 0);
		CU_ASSERT_EQUAL(got.offset, hole.offset);
		CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
		mk_offset_destroy(oa);
	}
}

/*
 * Once the range is more than half used, in the region at its end: a request of at least half
 * the largest since then takes the region's high end, a smaller one its low end. With
 * MK_OFFSET_KEEP_EDGES the region's free part stays at the range's end.
 */
static void
test_place_by_size(void)
{
	struct mk_offset_conf conf = { .size = 1000, .flags = MK_OFFSET_KEEP_EDGES };
	struct mk_offset *oa = mk_offset_create(&conf);
	struct mk_offset_alloc first, large, small;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 600, 0, &first), 0);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 300, 0, &large), 0);
	CU_ASSERT_EQUAL(large.offset, 600);
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, MK_OFFSET_HIGH), 100);
	mk_offset_destroy(oa);

	oa = create(1000, 0, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 600, 0, &first), 0);
	CU_ASSERT_EQUAL(first.offset, 0);
	/* the largest request while space is tight: the high end */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 300, 0, &large), 0);
	CU_ASSERT_EQUAL(large.offset, 700);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &large), 0);
	/* under half of it: the low end; then the large one again at the top */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 50, 0, &small), 0);
	CU_ASSERT_EQUAL(small.offset, 600);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 300, 0, &large), 0);
	CU_ASSERT_EQUAL(large.offset, 700);
	assert_report(oa, 50, 50, 1);
	mk_offset_destroy(oa);
}

/*
 * Roomy placement. A range more than half used with 12 holes of H bytes and one of F, each
 * between allocations, and request sizes spread over many bins while it was. A request whose best fit (F) would leave a
 * middling remainder goes to an H hole, which keeps room for another recent-maximum request,
 * when at least 10 such holes exist; with 9 it takes the best fit.
 */
static void
test_roomy_placement(void)
{
	enum { HOLES = 12 };
	const uint64_t h = 1000000, f = 150000, want = 100000, fill = 250000;
	unsigned int freed;

	for (freed = HOLES - 3; freed <= HOLES; freed += 3) {
		struct mk_offset_alloc hole[HOLES], sep[HOLES + 1], fhole, a, rest;
		struct mk_offset *oa = create(40 * h, 0, 0);
		struct mk_offset_report r;
		struct mk_offset_stats st;
		unsigned int i, in_h = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
		/* the holes to be, in order from the range's start (it is less than half used) */
		for (i = 0; i < HOLES; i++) {
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, h, 0, &hole[i]), 0);
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1000, 0, &sep[i]), 0);
		}
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, f, 0, &fhole), 0);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1000, 0, &sep[HOLES]), 0);
		CU_ASSERT_EQUAL(fhole.offset, HOLES * (h + 1000));
		/* past half full, in pieces no larger than the holes */
		for (i = 0; i < 40; i++)
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, fill, 0, &a), 0);
		see_spread_sizes(oa, true);
		/* the rest, in the same pieces, then what is left whole */
		while (mk_offset_alloc(oa, fill, 0, &a) == 0)
			;
		mk_offset_report(oa, &r);
		if (r.total_free != 0)
			CU_ASSERT_EQUAL(mk_offset_alloc(oa, r.total_free, 0, &rest), 0);
		assert_report(oa, 0, 0, 0);

		for (i = 0; i < freed; i++)
			CU_ASSERT_EQUAL(mk_offset_free(oa, &hole[i]), 0);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &fhole), 0);
		assert_report(oa, freed * h + f, h, freed + 1);
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, want, 0, &a), 0);
		for (i = 0; i < freed; i++)
			in_h += a.offset >= hole[i].offset && a.offset + want <= hole[i].offset + h;
		mk_offset_stats(oa, &st);
		if (freed >= 10) {
			CU_ASSERT_EQUAL(in_h, 1);
			CU_ASSERT_EQUAL(st.roomy_placements, 1);
		} else {
			CU_ASSERT(a.offset >= fhole.offset && a.offset + want <= fhole.offset + f);
			CU_ASSERT_EQUAL(st.roomy_placements, 0);
		}
		CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
		mk_offset_destroy(oa);
	}
}

static void
test_node_growth_and_exhaustion(void)
{
	struct mk_offset_alloc a[8], rest, extra;
	struct mk_offset_stats s;
	struct mk_offset *oa = create(100, 4, 8);
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	mk_offset_stats(oa, &s);
	CU_ASSERT_EQUAL(s.nodes, 4);
	for (i = 0; i < 7; i++)
		CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &a[i]), 0);
	mk_offset_stats(oa, &s);
	CU_ASSERT_EQUAL(s.nodes, 8);
	/* 7 used + 1 free region: a split needs a ninth node */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &extra), -ENOSPC);
	assert_report(oa, 93, 93, 1);
	/* taking the whole region needs no node */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 93, 0, &rest), 0);
	assert_report(oa, 0, 0, 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a[3]), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a[4]), 0);
	assert_report(oa, 2, 2, 1);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &a[3]), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &rest), 0);
	for (i = 0; i < 7; i++)
		if (i != 4)
			CU_ASSERT_EQUAL(mk_offset_free(oa, &a[i]), 0);
	assert_report(oa, 100, 100, 1);
	mk_offset_destroy(oa);
}

/* A 1 MiB range cut into 2^20 one-byte allocations, freed in random order. */
static void
test_many_tiny(void)
{
	const uint32_t n = 1u << 20;
	struct mk_offset_alloc *a = malloc(n * sizeof(*a)), extra;
	struct mk_offset *oa = create(n, 0, 0);
	uint8_t *taken = calloc(n, 1);
	uint64_t seed = 7;
	uint32_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(taken);
	/* every byte handed out once (where each goes is the placement's business) */
	for (i = 0; i < n; i++)
		if (mk_offset_alloc(oa, 1, 0, &a[i]) != 0 || a[i].offset >= n ||
		    taken[a[i].offset]++ != 0)
			break;
	CU_ASSERT_EQUAL(i, n);
	free(taken);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, &extra), -ENOMEM);
	assert_report(oa, 0, 0, 0);
	for (i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)mk_test_below(&seed, i + 1);
		struct mk_offset_alloc t = a[i];

		a[i] = a[j];
		a[j] = t;
	}
	for (i = 0; i < n; i++)
		if (mk_offset_free(oa, &a[i]) != 0)
			break;
	CU_ASSERT_EQUAL(i, n);
	assert_report(oa, n, n, 1);
	mk_offset_destroy(oa);
	free(a);
}

static void
test_alignment(void)
{
	struct mk_offset *oa = create(MK_OFFSET_SIZE_MAX, 0, 0);
	struct mk_offset_alloc odd, a, b;
	uint64_t align;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 3, 0, &odd), 0);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 10, 3, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 10, 48, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 10, MK_OFFSET_ALIGN_MAX << 1, &a), -EINVAL);
	for (align = 2; align <= MK_OFFSET_ALIGN_MAX; align <<= 1) {
		CU_ASSERT_EQUAL_FATAL(mk_offset_alloc(oa, 5, align, &a), 0);
		CU_ASSERT_EQUAL(a.offset % align, 0);
		CU_ASSERT_EQUAL(a.size, 5);
		CU_ASSERT_EQUAL(mk_offset_check(oa), 0);
		CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	}
	/* 2^62 alignment in 2^63 bytes: offsets 0 (taken by odd) and 2^62 only */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, MK_OFFSET_ALIGN_MAX, MK_OFFSET_ALIGN_MAX, &a), 0);
	CU_ASSERT_EQUAL(a.offset, MK_OFFSET_ALIGN_MAX);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, MK_OFFSET_ALIGN_MAX, &b), -ENOMEM);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &odd), 0);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, MK_OFFSET_ALIGN_MAX, &b), 0);
	CU_ASSERT_EQUAL(b.offset, 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
	assert_report(oa, MK_OFFSET_SIZE_MAX, MK_OFFSET_SIZE_MAX, 1);
	mk_offset_destroy(oa);
}

static int
count_cb(const struct mk_offset_alloc *a, void *arg)
{
	uint64_t *sum = arg;

	*sum += a->size;
	return 0;
}

static void
test_misuse(void)
{
	struct mk_offset *oa = create(1 << 20, 0, 0), *other = create(1 << 20, 0, 0);
	struct mk_offset_alloc a, b, c, forged, theirs;
	uint64_t sum = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 0, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_alloc(NULL, 1, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 1, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_free(oa, NULL), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_free(NULL, &a), -EINVAL);

	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100, 0, &a), 0);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 200, 0, &b), 0);
	/* double free */
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), -EINVAL);
	/* stale: the same range handed out again, the old handle must not free it */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100, 0, &c), 0);
	CU_ASSERT_EQUAL(c.offset, a.offset);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), -EINVAL);
	/* foreign: a live allocation of another instance, same offset and size */
	CU_ASSERT_EQUAL(mk_offset_alloc(other, 100, 0, &theirs), 0);
	CU_ASSERT_EQUAL(theirs.offset, c.offset);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &theirs), -EINVAL);
	/* forged: every field changed in turn */
	forged = b;
	forged.offset++;
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);
	forged = b;
	forged.size--;
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);
	forged = b;
	forged.handle ^= UINT64_C(1) << 30;
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);
	forged = b;
	forged.handle ^= 1;
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);
	forged.handle = UINT64_MAX;
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);
	forged.handle = b.handle | ((UINT64_C(1) << 28) - 1);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &forged), -EINVAL);

	/* none of it changed anything */
	assert_report(oa, (1 << 20) - 300, (1 << 20) - 300, 1);
	CU_ASSERT_EQUAL(mk_offset_walk(oa, count_cb, &sum), 2);
	CU_ASSERT_EQUAL(sum, 300);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &c), 0);
	CU_ASSERT_EQUAL(mk_offset_free(other, &theirs), 0);
	assert_report(oa, 1 << 20, 1 << 20, 1);
	mk_offset_destroy(oa);
	mk_offset_destroy(other);
}

/* A range that starts at base hands out offsets of the range, aligned as offsets. */
static void
test_range_base(void)
{
	struct mk_offset_conf conf = { .size = 1000, .base = (UINT64_C(1) << 40) + 3 };
	struct mk_offset *oa = mk_offset_create(&conf);
	struct mk_offset_alloc a, b;
	struct mk_offset_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100, 0, &a), 0);
	CU_ASSERT_EQUAL(a.offset, conf.base);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 10, 64, &b), 0);
	CU_ASSERT_EQUAL(b.offset % 64, 0);
	CU_ASSERT(b.offset >= conf.base + 100 && b.offset + 10 <= conf.base + 1000);
	mk_offset_stats(oa, &st);
	CU_ASSERT_EQUAL(st.base, conf.base);
	CU_ASSERT_EQUAL(st.capacity, 1000);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
	assert_report(oa, 1000, 1000, 1);
	mk_offset_destroy(oa);
	conf.base = MK_OFFSET_SIZE_MAX - 999;	/* base + size past 2^63 */
	CU_ASSERT_PTR_NULL(mk_offset_create(&conf));
	CU_ASSERT_EQUAL(errno, EINVAL);
}

/* Ends of the range given up and taken in: what capacity moves between neighbouring shards. */
static void
test_cede_adopt(void)
{
	struct mk_offset_conf conf = { .size = 1000, .base = 5000, .init_nodes = 2,
		.max_nodes = 3 };
	struct mk_offset *oa = mk_offset_create(&conf);
	struct mk_offset_alloc a, b, c;
	struct mk_offset_stats st;
	uint64_t got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	CU_ASSERT_EQUAL(mk_offset_cede(oa, (enum mk_offset_side)2, 1, &got), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_HIGH, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_LOW, 5001), -EINVAL);	/* below 0 */
	/* a whole free range gives up all but its last byte */
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, MK_OFFSET_HIGH), 999);
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, MK_OFFSET_LOW), 999);
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, (enum mk_offset_side)2), 0);
	CU_ASSERT_EQUAL(mk_offset_cede(oa, MK_OFFSET_HIGH, 5000, &got), 0);
	CU_ASSERT_EQUAL(got, 999);
	assert_report(oa, 1, 1, 1);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_HIGH, 999), 0);
	assert_report(oa, 1000, 1000, 1);

	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 300, 0, &a), 0);	/* [5000, 5300) */
	CU_ASSERT_EQUAL(mk_offset_cede(oa, MK_OFFSET_LOW, 10, &got), 0);
	CU_ASSERT_EQUAL(got, 0);				/* the low end is allocated */
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, MK_OFFSET_LOW), 0);
	CU_ASSERT_EQUAL(mk_offset_edge_free(oa, MK_OFFSET_HIGH), 700);
	CU_ASSERT_EQUAL(mk_offset_cede(oa, MK_OFFSET_HIGH, 200, &got), 0);
	CU_ASSERT_EQUAL(got, 200);
	assert_report(oa, 500, 500, 1);
	mk_offset_stats(oa, &st);
	CU_ASSERT_EQUAL(st.base, 5000);
	CU_ASSERT_EQUAL(st.capacity, 800);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 501, 0, &b), -ENOMEM);	/* the ceded part is gone */
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 500, 0, &b), 0);	/* [5300, 5800): range full */
	CU_ASSERT_EQUAL(b.offset + b.size, 5800);
	/* an allocated end: the adopted bytes become a region of their own (pool: 3 nodes) */
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_LOW, 100), 0);
	assert_report(oa, 100, 100, 1);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_HIGH, 50), -ENOSPC);
	assert_report(oa, 100, 100, 1);
	CU_ASSERT_EQUAL(mk_offset_alloc(oa, 100, 0, &c), 0);
	CU_ASSERT_EQUAL(c.offset, 4900);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_HIGH, 50), -ENOSPC);	/* 3 nodes used */
	/* a free end grows without a node */
	CU_ASSERT_EQUAL(mk_offset_free(oa, &b), 0);
	CU_ASSERT_EQUAL(mk_offset_adopt(oa, MK_OFFSET_HIGH, 50), 0);
	assert_report(oa, 550, 550, 1);
	/* freeing merges across what was adopted */
	CU_ASSERT_EQUAL(mk_offset_free(oa, &a), 0);
	CU_ASSERT_EQUAL(mk_offset_free(oa, &c), 0);
	assert_report(oa, 950, 950, 1);
	mk_offset_stats(oa, &st);
	CU_ASSERT_EQUAL(st.base, 4900);
	CU_ASSERT_EQUAL(st.capacity, 950);
	mk_offset_destroy(oa);
}

/* --- the model check ----------------------------------------------------------------- */

struct model {
	struct mk_offset_alloc *live;	/* sorted by offset */
	size_t n, cap;
	uint64_t base;			/* the range is [base, base + capacity) */
	uint64_t capacity;
};

static size_t
model_find(const struct model *m, uint64_t offset)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (m->live[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* True when [a.offset, a.offset + a.size) was free in the model; then it is recorded. */
static bool
model_add(struct model *m, const struct mk_offset_alloc *a)
{
	size_t i = model_find(m, a->offset);

	if (a->offset < m->base || a->offset + a->size > m->base + m->capacity ||
	    a->offset + a->size < a->offset)
		return false;
	if (i < m->n && m->live[i].offset < a->offset + a->size)
		return false;
	if (i > 0 && m->live[i - 1].offset + m->live[i - 1].size > a->offset)
		return false;
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->live = realloc(m->live, m->cap * sizeof(*m->live));
	}
	memmove(&m->live[i + 1], &m->live[i], (m->n - i) * sizeof(*m->live));
	m->live[i] = *a;
	m->n++;
	return true;
}

static void
model_remove(struct model *m, size_t i)
{
	memmove(&m->live[i], &m->live[i + 1], (m->n - i - 1) * sizeof(*m->live));
	m->n--;
}

/* The exact figures from the live set; and whether some gap holds size at align. */
static bool
model_report(const struct model *m, uint64_t size, uint64_t align, struct mk_offset_report *r)
{
	uint64_t end = m->base, mask = align > 1 ? align - 1 : 0;
	bool fits = false;
	size_t i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i <= m->n; i++) {
		uint64_t next = i < m->n ? m->live[i].offset : m->base + m->capacity;
		uint64_t gap = next - end;

		if (gap > 0) {
			uint64_t pad = ((end + mask) & ~mask) - end;

			r->total_free += gap;
			r->free_regions++;
			if (gap > r->largest_free)
				r->largest_free = gap;
			if (gap >= size && gap - size >= pad)
				fits = true;
		}
		if (i < m->n)
			end = m->live[i].offset + m->live[i].size;
	}
	return fits;
}

static uint64_t
random_size(uint64_t *seed, uint64_t capacity)
{
	uint64_t kind = mk_test_below(seed, 100), max;

	if (kind < 30)
		max = 64;
	else if (kind < 80)
		max = 4096;
	else if (kind < 97)
		max = capacity / 64;
	else
		max = capacity / 4;
	if (max > UINT32_MAX)
		return 1 + (mk_test_next(seed) % max);
	return 1 + mk_test_below(seed, max);
}

/* The free bytes at one end of the model's range. */
static uint64_t
model_edge_gap(const struct model *m, enum mk_offset_side side)
{
	if (m->n == 0)
		return m->capacity;
	if (side == MK_OFFSET_LOW)
		return m->live[0].offset - m->base;
	return m->base + m->capacity - (m->live[m->n - 1].offset + m->live[m->n - 1].size);
}

/* Give up or take in bytes at a random end, as a shard does when capacity moves. */
static uint64_t
model_move_end(struct mk_offset *oa, struct model *m, uint64_t *seed, uint64_t limit)
{
	enum mk_offset_side side = mk_test_below(seed, 2) ? MK_OFFSET_HIGH : MK_OFFSET_LOW;
	uint64_t amount = 1 + mk_prng_next(seed) % (limit / 8), gap, want, got;

	if (mk_test_below(seed, 2) == 0) {
		gap = model_edge_gap(m, side);
		want = gap < amount ? gap : amount;
		want -= want == m->capacity;	/* the last byte stays */
		if (mk_offset_cede(oa, side, amount, &got) != 0 || got != want)
			return 1;
		m->base += side == MK_OFFSET_LOW ? got : 0;
		m->capacity -= got;
		return 0;
	}
	/* the range moves within [0, limit) */
	if (side == MK_OFFSET_LOW ? amount > m->base : m->base + m->capacity + amount > limit)
		return 0;
	if (mk_offset_adopt(oa, side, amount) != 0)
		return 1;
	m->base -= side == MK_OFFSET_LOW ? amount : 0;
	m->capacity += amount;
	return 0;
}

/*
 * Random alloc, aligned alloc and free steps against the model; with @p move_ends, the range
 * starts in the middle of [0, 3 x capacity) and its ends move now and then.
 */
static void
model_run(uint64_t capacity, uint64_t steps, uint64_t seed, bool move_ends)
{
	struct mk_offset_conf conf = { .size = capacity, .base = move_ends ? capacity : 0 };
	struct model m = { .base = conf.base, .capacity = capacity };
	struct mk_offset *oa = mk_offset_create(&conf);
	uint64_t step, failures = 0, bad = 0, batch = 10000;
	struct mk_offset_report want, got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(oa);
	for (step = 1; step <= steps && bad == 0; step++) {
		/* phases of growth and shrinkage, so the range fills up and empties again */
		uint64_t alloc_pct = (step / 50000) % 2 ? 40 : 62;

		if (move_ends && mk_test_below(&seed, 100) < 2) {
			bad += model_move_end(oa, &m, &seed, 3 * capacity);
		} else if (m.n == 0 || mk_test_below(&seed, 100) < alloc_pct) {
			uint64_t size = random_size(&seed, capacity), align = 0;
			struct mk_offset_alloc a;
			int rc;

			if (mk_test_below(&seed, 4) == 0)
				align = UINT64_C(1) << mk_test_below(&seed, 13);
			rc = mk_offset_alloc(oa, size, align, &a);
			if (rc == 0) {
				bad += a.size != size || (align > 1 && a.offset % align != 0) ||
					!model_add(&m, &a);
			} else {
				failures++;
				/* -ENOMEM only when no free region can hold it */
				bad += rc != -ENOMEM || model_report(&m, size, align, &want);
			}
		} else {
			size_t i = mk_test_below(&seed, m.n);

			bad += mk_offset_free(oa, &m.live[i]) != 0;
			model_remove(&m, i);
		}
		if (step % batch == 0 || bad != 0) {
			model_report(&m, 0, 0, &want);
			mk_offset_report(oa, &got);
			bad += memcmp(&want, &got, sizeof(want)) != 0;
			bad += mk_offset_check(oa) != 0;
		}
	}
	if (bad != 0)
		fprintf(stderr, "model check of %" PRIu64 " bytes failed at step %" PRIu64 "\n",
			capacity, step - 1);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(failures > 0);	/* the run did reach a full range */
	while (m.n > 0) {
		CU_ASSERT_EQUAL(mk_offset_free(oa, &m.live[m.n - 1]), 0);
		m.n--;
	}
	assert_report(oa, m.capacity, m.capacity, 1);
	mk_offset_destroy(oa);
	free(m.live);
}

static void
test_model_small(void)
{
	model_run(1 << 20, mk_test_long() ? 100000000 : 1000000, 1, false);
}

static void
test_model_moving_ends(void)
{
	model_run(1 << 20, mk_test_long() ? 10000000 : 300000, 3, true);
}

static void
test_model_huge(void)
{
	model_run((UINT64_C(1) << 46) + 12345, mk_test_long() ? 10000000 : 200000, 2, false);
}

int
test_offset_register(void)
{
	static const struct mk_test_case tests[] = {
		{ "basic", test_basic },
		{ "bad_conf", test_bad_conf },
		{ "pool_defaults", test_pool_defaults },
		{ "whole_capacity", test_whole_capacity },
		{ "merge_orders", test_merge_orders },
		{ "bin_edges", test_bin_edges },
		{ "never_misses_a_fit", test_never_misses_a_fit },
		{ "tight_best_fit", test_tight_best_fit },
		{ "place_by_neighbour", test_place_by_neighbour },
		{ "place_by_size", test_place_by_size },
		{ "roomy_placement", test_roomy_placement },
		{ "node_growth_and_exhaustion", test_node_growth_and_exhaustion },
		{ "many_tiny", test_many_tiny },
		{ "alignment", test_alignment },
		{ "misuse", test_misuse },
		{ "range_base", test_range_base },
		{ "cede_adopt", test_cede_adopt },
		{ "model_small", test_model_small },
		{ "model_huge", test_model_huge },
		{ "model_moving_ends", test_model_moving_ends },
	};
	return mk_test_add_suite("offset", NULL, NULL, tests,
		sizeof(tests) / sizeof(tests[0])) != NULL ? 0 : -1;
}
