/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "buffer", ranges of one segment: buffers carry segment offsets, and both kinds move
 * their range's ends (mk_allocator_cede(), mk_allocator_adopt(), mk_allocator_edge_free()),
 * published in the metrics, within [0, range_limit).
 */
#include <errno.h>
#include <stdint.h>
#include <CUnit/CUnit.h>

#include "mk_allocator.h"
#include "mk_test.h"
#include "test_buffer.h"

/*
 * The slab kind's range of 4 slabs at 64 MiB, b in its middle slab (the pool hands out
 * slabs from the middle out: 17, 18, 16, 19): whole free slabs move at both ends, published
 * in the metrics; records of a slab that left are refused; the range may grow back to its
 * range_limit and to 0, in whole slabs only.
 */
static void
range_slab_moves(struct mk_allocator *a, struct mk_buffer *b, uint64_t rb)
{
	struct mk_allocator_stats st;
	struct mk_buffer e, gone, v[8];
	uint64_t got;
	unsigned n;

	REQUIRE(b->offset == rb + SLAB);
	REQUIRE(mk_allocator_alloc(a, SLAB, 8, &e) == 0 && e.offset == rb + 2 * SLAB);
	REQUIRE(mk_allocator_alloc(a, SLAB, 8, &gone) == 0 && gone.offset == rb);
	v[0] = gone;
	REQUIRE(mk_buffer_free(&v[0]) == 0);
	REQUIRE(mk_allocator_edge_free(a, MK_OFFSET_LOW) == SLAB);
	REQUIRE(mk_allocator_edge_free(a, MK_OFFSET_HIGH) == SLAB);
	REQUIRE(mk_allocator_edge_free(a, (enum mk_offset_side)2) == 0);
	REQUIRE(mk_allocator_cede(a, (enum mk_offset_side)2, SLAB, &got) == -EINVAL);
	/* less than a slab gives nothing; more gives whole slabs */
	REQUIRE(mk_allocator_cede(a, MK_OFFSET_HIGH, SLAB - 1, &got) == 0 && got == 0);
	REQUIRE(mk_allocator_cede(a, MK_OFFSET_HIGH, SLAB + 4096, &got) == 0 && got == SLAB);
	REQUIRE(mk_allocator_cede(a, MK_OFFSET_LOW, UINT64_MAX, &got) == 0 && got == SLAB);
	REQUIRE(mk_allocator_cede(a, MK_OFFSET_LOW, UINT64_MAX, &got) == 0 && got == 0);
	mk_allocator_stats(a, &st);
	REQUIRE(st.range_base == rb + SLAB && st.capacity == 2 * SLAB);
	REQUIRE(mk_allocator_capacity(a) == 2 * SLAB && mk_allocator_largest_free(a) != SLAB);
	REQUIRE(mk_allocator_free(a, &gone) == -EINVAL && mk_allocator_check(a) == 0);

	/* room: one slab up to range_limit (the first end), the whole way down to 0 */
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_HIGH, 2 * SLAB) == -EINVAL);
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_HIGH, 4096) == -EINVAL);
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_LOW, SLAB / 2) == -EINVAL);
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_LOW, rb + 2 * SLAB) == -EINVAL);
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_HIGH, SLAB) == 0);
	REQUIRE(mk_allocator_adopt(a, MK_OFFSET_LOW, rb + SLAB) == 0);
	mk_allocator_stats(a, &st);
	REQUIRE(st.range_base == 0 && st.capacity == rb + 4 * SLAB);
	REQUIRE(mk_allocator_capacity(a) == st.capacity && mk_allocator_check(a) == 0);

	/* every slab but b's and e's can be had, at segment offsets */
	for (n = 0; n < 8 && mk_allocator_alloc(a, SLAB, 8, &v[n]) == 0; n++)
		REQUIRE(v[n].offset % SLAB == 0 && v[n].offset < rb + 4 * SLAB &&
			v[n].data == (char *)fake_base(40) + v[n].offset);
	REQUIRE(n == 8 && mk_allocator_check(a) == 0);
	while (n > 0)
		REQUIRE(mk_buffer_free(&v[--n]) == 0);
	REQUIRE(mk_buffer_free(&e) == 0);
out:
	return;
}

/*
 * Ranges of one segment: buffers carry segment offsets in [range_base, range_base + size) on
 * both kinds, and both move their ends (what the service's shards will do).
 */
static void
range_body(enum mk_alloc_kind kind)
{
	const uint64_t rb = UINT64_C(64) << 20, size = UINT64_C(16) << 20;
	struct mk_allocator_conf conf = {
		.name = "range", .base = fake_base(40), .size = size, .range_base = rb,
		.kind = kind, .offset = { .init_nodes = 64 },
	};
	struct mk_allocator *a = mk_allocator_create(&conf);
	struct mk_allocator_stats st;
	struct mk_buffer b, c;
	uint64_t got;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 1000, 8, &b), 0);
	CU_ASSERT(b.offset >= rb && b.offset + b.size <= rb + size);
	CU_ASSERT_PTR_EQUAL(b.data, (char *)conf.base + b.offset);
	mk_allocator_stats(a, &st);
	CU_ASSERT_EQUAL(st.range_base, rb);
	c = b;
	c.offset -= rb;		/* a range-relative offset is not this range's */
	c.data = (char *)conf.base + c.offset;
	CU_ASSERT_EQUAL(mk_buffer_free(&c), -EINVAL);
	if (kind == MK_ALLOC_KIND_SLAB) {
		range_slab_moves(a, &b, rb);
	} else {
		/* b sits at the low end: nothing to give there, all but b's bytes at the top */
		CU_ASSERT_EQUAL(mk_allocator_edge_free(a, MK_OFFSET_LOW), 0);
		CU_ASSERT_EQUAL(mk_allocator_edge_free(a, MK_OFFSET_HIGH), size - b.size);
		CU_ASSERT_EQUAL(mk_allocator_cede(a, MK_OFFSET_HIGH, 1 << 20, &got), 0);
		CU_ASSERT_EQUAL(got, 1 << 20);
		CU_ASSERT_EQUAL(mk_allocator_edge_free(a, MK_OFFSET_HIGH),
			size - b.size - (1 << 20));
		/* the range may not grow past range_limit (here its first end) nor below 0 */
		CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_HIGH, (1 << 20) + 1), -EINVAL);
		CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_LOW, rb + 1), -EINVAL);
		CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_LOW, 0), -EINVAL);
		CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_LOW, 4096), 0);
		mk_allocator_stats(a, &st);
		CU_ASSERT_EQUAL(st.range_base, rb - 4096);
		CU_ASSERT_EQUAL(st.capacity, size - (1 << 20) + 4096);
		CU_ASSERT_EQUAL(mk_allocator_capacity(a), st.capacity);
		/* all of what is left, and nothing more, can be had */
		CU_ASSERT_EQUAL(mk_allocator_alloc(a, st.capacity - 1000, 0, &c), -ENOMEM);
		CU_ASSERT_EQUAL(mk_allocator_free(a, &b), 0);
		CU_ASSERT_EQUAL(mk_allocator_alloc(a, st.capacity, 0, &c), 0);
		CU_ASSERT_EQUAL(c.offset, rb - 4096);
		CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
		CU_ASSERT_EQUAL(mk_buffer_free(&c), 0);
	}
	if (kind == MK_ALLOC_KIND_SLAB)
		CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	mk_allocator_destroy(a);
	conf.range_base = MK_OFFSET_SIZE_MAX;	/* past 2^63 */
	CU_ASSERT_PTR_NULL(mk_allocator_create(&conf));
	/* off the slab grid: only the offset kind takes it */
	conf.range_base = rb + 4096;
	a = mk_allocator_create(&conf);
	CU_ASSERT((a == NULL) == (kind == MK_ALLOC_KIND_SLAB));
	mk_allocator_destroy(a);
	/* a range_limit above the range: the slab kind grows at its high end too */
	conf.range_base = rb;
	conf.range_limit = rb + size + 2 * SLAB + 100;
	a = mk_allocator_create(&conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_HIGH, 2 * SLAB), 0);
	CU_ASSERT_EQUAL(mk_allocator_adopt(a, MK_OFFSET_HIGH, SLAB), -EINVAL);
	CU_ASSERT_EQUAL(mk_allocator_capacity(a), size + 2 * SLAB);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	mk_allocator_destroy(a);
}
PER_KIND(range_body)

int
test_buffer_range_add(CU_pSuite s)
{
	static const struct mk_test_case tests[] = {
		PER_KIND_TESTS("range", range_body),
	};
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
