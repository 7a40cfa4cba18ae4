/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "slab": lib/slab against CacheLib's class table, and its misuse cases. The model check
 * (test_slab_model.c) and the moves of the range's ends (test_slab_range.c) join the suite.
 * Nothing here depends on timing.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "mk_slab.h"
#include "mk_test.h"

#define MIB		(UINT64_C(1) << 20)
#define SLAB		(4 * MIB)
#define TIB		(UINT64_C(1) << 40)

/* CacheLib's generateAllocSizes() defaults, as the issue lists them. */
static const uint32_t cachelib_classes[] = {
	72, 96, 120, 152, 192, 240, 304, 384, 480, 600, 752, 944, 1184, 1480, 1856, 2320, 2904,
	3632, 4544, 5680, 7104, 8880, 11104, 13880, 17352, 21696, 27120, 33904, 42384, 52984,
	66232, 82792, 103496, 129376, 161720, 202152, 252696, 315872, 394840, 493552, 616944,
	771184, 963984, 1204984, 1506232, 1882792, 4194304,
};
#define CACHELIB_NCLASSES (sizeof(cachelib_classes) / sizeof(cachelib_classes[0]))

static struct mk_slab *
create(uint64_t size, uint32_t slab_size, double factor, uint32_t min_class, uint32_t min_slice)
{
	struct mk_slab_conf conf = {
		.size = size, .slab_size = slab_size, .factor = factor,
		.min_class = min_class, .min_slice = min_slice,
	};

	return mk_slab_create(&conf);
}

static void
test_class_table(void)
{
	struct mk_slab *sa = create(SLAB, 0, 0, 0, 0);
	unsigned c;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(mk_slab_class_count(sa), 47);
	CU_ASSERT_EQUAL(CACHELIB_NCLASSES, 47);
	CU_ASSERT_EQUAL(mk_slab_class_size(sa, 0), 72);
	CU_ASSERT_EQUAL(mk_slab_class_size(sa, 1), 96);
	CU_ASSERT_EQUAL(mk_slab_class_size(sa, 45), 1882792);
	CU_ASSERT_EQUAL(mk_slab_class_size(sa, 46), 4194304);
	CU_ASSERT_EQUAL(mk_slab_class_size(sa, 47), 0);
	for (c = 0; c < CACHELIB_NCLASSES; c++)
		CU_ASSERT_EQUAL(mk_slab_class_size(sa, c), cachelib_classes[c]);
	mk_slab_destroy(sa);
}

/*
 * Class tables of other configurations, worked out by hand from CacheLib's rule; a slab that
 * holds two chunks of 2048 but one of 2560 is followed by the slab size; a smallest class of
 * a whole slab is the only class.
 */
static void
test_class_table_conf(void)
{
	static const struct {
		struct mk_slab_conf conf;
		uint32_t sizes[16];	/* ends with the slab size */
	} confs[] = {
		{ { 1 * MIB, 65536, 2.0, 64, 0, 0, 0 }, { 64, 128, 256, 512, 1024, 2048, 4096, 8192,
			16384, 32768, 65536 } },
		{ { 64 * 1024, 4096, 1.5, 16, 8, 0, 0 }, { 16, 24, 40, 64, 96, 144, 216, 328, 496, 744,
			1120, 1680, 4096 } },
		{ { 4096, 4096, 1.25, 2048, 0, 0, 0 }, { 2048, 4096 } },
		{ { 8192, 4096, 0, 4096, 0, 0, 0 }, { 4096 } },
	};
	struct mk_slab *sa;
	unsigned i, c, n;

	for (i = 0; i < sizeof(confs) / sizeof(confs[0]); i++) {
		sa = mk_slab_create(&confs[i].conf);
		CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
		for (n = 1; confs[i].sizes[n - 1] != confs[i].conf.slab_size; n++)
			;
		CU_ASSERT_EQUAL(mk_slab_class_count(sa), n);
		for (c = 0; c <= n; c++)
			CU_ASSERT_EQUAL(mk_slab_class_size(sa, c), c < n ? confs[i].sizes[c] : 0);
		CU_ASSERT_EQUAL(mk_slab_check(sa), 0);
		mk_slab_destroy(sa);
	}
}

/* Sizes 1 .. min_slice are padded, then every class edge: size - 1, size, size + 1. */
static void
test_class_edges(void)
{
	struct mk_slab *sa = create(2 * SLAB, 0, 0, 0, 0);
	struct mk_slab_report r;
	struct mk_slab_alloc a;
	uint64_t size, sizes[3];
	unsigned c, i, want, n;
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	n = mk_slab_class_count(sa);
	for (size = 1; size <= 64; size++) {
		REQUIRE(mk_slab_class_of(sa, size) == 0);
		REQUIRE(mk_slab_alloc(sa, size, &a) == 0);
		REQUIRE(a.chunk_size == 72 && a.size == size);
		mk_slab_report(sa, &r);
		REQUIRE(r.used_bytes == size && r.chunk_bytes == 72);
		REQUIRE(mk_slab_free(sa, &a) == 0);
	}
	for (c = 0; c < n; c++) {
		sizes[0] = mk_slab_class_size(sa, c) - 1;
		sizes[1] = mk_slab_class_size(sa, c);
		sizes[2] = mk_slab_class_size(sa, c) + UINT64_C(1);
		for (i = 0; i < 3; i++) {
			want = i < 2 ? c : c + 1;
			rc = mk_slab_alloc(sa, sizes[i], &a);
			if (want == n) {
				REQUIRE(rc == -E2BIG && mk_slab_class_of(sa, sizes[i]) == -E2BIG);
				continue;
			}
			REQUIRE(rc == 0 && mk_slab_class_of(sa, sizes[i]) == (int)want);
			REQUIRE(a.chunk_size == mk_slab_class_size(sa, want) && a.size == sizes[i]);
			mk_slab_report(sa, &r);
			REQUIRE(r.used_bytes == sizes[i] && r.chunk_bytes == a.chunk_size);
			REQUIRE(mk_slab_free(sa, &a) == 0);
		}
	}
	CU_ASSERT_EQUAL(mk_slab_class_of(sa, 0), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_check(sa), 0);
out:
	mk_slab_destroy(sa);

	/* A minimum slice equal to the smallest class: 1 .. 72 in class 0, 73 in class 1. */
	sa = create(SLAB, 0, 0, 72, 72);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(mk_slab_class_of(sa, 1), 0);
	CU_ASSERT_EQUAL(mk_slab_class_of(sa, 72), 0);
	CU_ASSERT_EQUAL(mk_slab_class_of(sa, 73), 1);
	mk_slab_destroy(sa);
}

/*
 * Fill a segment (with an unusable tail) with one class, free everything in a scattered order,
 * then fill it with whole-slab chunks: every slab must have come back. Metadata stays within
 * 2 % for 72-byte chunks and 0.2 % for 1 KiB ones.
 */
static void
test_fill_refill(void)
{
	const uint64_t nslabs = 8, tail = MIB, per_slab = SLAB / 72;
	struct mk_slab *sa = create(nslabs * SLAB + tail, 0, 0, 0, 0);
	struct mk_slab_alloc *v = NULL, extra;
	struct mk_slab_report r;
	struct mk_slab_stats st;
	uint64_t i, n = 0;
	uint64_t *seen = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	v = calloc(nslabs * per_slab + 1, sizeof(*v));
	seen = calloc(nslabs * per_slab / 64 + 1, sizeof(*seen));
	REQUIRE(v != NULL && seen != NULL);
	mk_slab_stats(sa, &st);
	REQUIRE(st.capacity == nslabs * SLAB && st.unusable == tail && st.slabs == nslabs);

	while (mk_slab_alloc(sa, 70, &v[n]) == 0) {
		uint64_t slot = v[n].offset / SLAB * per_slab + v[n].offset % SLAB / 72;

		REQUIRE(n < nslabs * per_slab && v[n].chunk_size == 72);
		REQUIRE(v[n].offset % SLAB % 72 == 0 && v[n].offset % SLAB + 72 <= SLAB);
		REQUIRE(!(seen[slot / 64] & (UINT64_C(1) << (slot % 64))));
		seen[slot / 64] |= UINT64_C(1) << (slot % 64);
		n++;
	}
	REQUIRE(n == nslabs * per_slab);
	REQUIRE(mk_slab_alloc(sa, 70, &extra) == -ENOMEM);
	REQUIRE(mk_slab_alloc(sa, 5000, &extra) == -ENOMEM);
	mk_slab_report(sa, &r);
	REQUIRE(r.free_slabs == 0 && r.largest_free == 0);
	REQUIRE(r.used_bytes == n * 70 && r.chunk_bytes == n * 72);
	mk_slab_stats(sa, &st);
	REQUIRE(st.meta_bytes * 50 <= st.capacity);	/* 2 % */
	REQUIRE(mk_slab_check(sa) == 0);

	/* In a scattered order: 7919 is prime and does not divide n. */
	for (i = 0; i < n; i++) {
		REQUIRE(mk_slab_free(sa, &v[i * 7919 % n]) == 0);
		if (i == n / 2) {
			REQUIRE(mk_slab_check(sa) == 0);
			mk_slab_report(sa, &r);
			REQUIRE(r.largest_free == (r.free_slabs != 0 ? SLAB : 72));
		}
	}
	mk_slab_report(sa, &r);
	REQUIRE(r.free_slabs == nslabs && r.largest_free == SLAB && r.used_bytes == 0 &&
		r.chunk_bytes == 0);
	REQUIRE(mk_slab_check(sa) == 0);

	memset(seen, 0, sizeof(*seen));
	for (n = 0; mk_slab_alloc(sa, SLAB, &v[n]) == 0; n++) {
		REQUIRE(n < nslabs && v[n].offset % SLAB == 0 && v[n].offset < nslabs * SLAB);
		REQUIRE(!(seen[0] & (UINT64_C(1) << (v[n].offset / SLAB))));
		seen[0] |= UINT64_C(1) << (v[n].offset / SLAB);
	}
	REQUIRE(n == nslabs);
	mk_slab_report(sa, &r);
	REQUIRE(r.free_slabs == 0 && r.largest_free == 0 && r.chunk_bytes == nslabs * SLAB);
	REQUIRE(mk_slab_check(sa) == 0);
	for (i = 0; i < n; i++)
		REQUIRE(mk_slab_free(sa, &v[i]) == 0);

	/* 1 KiB chunks: the 72-byte blocks are gone, the metadata is within 0.2 %. */
	for (n = 0; mk_slab_alloc(sa, 1024, &v[n]) == 0; n++)
		REQUIRE(n < nslabs * SLAB / 1184);
	REQUIRE(n == nslabs * (SLAB / 1184));
	mk_slab_stats(sa, &st);
	REQUIRE(st.meta_bytes * 500 <= st.capacity);	/* 0.2 % */
	REQUIRE(mk_slab_check(sa) == 0);
out:
	free(seen);
	free(v);
	mk_slab_destroy(sa);
}

/*
 * 2^19 chunks per slab, 9363 groups under a three-level group bitmap: free two chunks in
 * three, take them back (lowest first, before never-used chunks), with no new slab.
 */
static void
test_deep_bitmap(void)
{
	const uint64_t n = 300000;
	struct mk_slab *sa = create(SLAB, 0, 2.0, 8, 8);
	struct mk_slab_alloc *v = NULL, a;
	struct mk_slab_report r;
	uint64_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	v = calloc(n, sizeof(*v));
	REQUIRE(v != NULL && mk_slab_class_size(sa, 0) == 8);
	for (i = 0; i < n; i++)
		REQUIRE(mk_slab_alloc(sa, 8, &v[i]) == 0 && v[i].offset == i * 8);
	for (i = 0; i < n; i++)
		REQUIRE(i % 3 == 0 || mk_slab_free(sa, &v[i]) == 0);
	REQUIRE(mk_slab_check(sa) == 0);
	for (i = 0; i < n; i++)
		REQUIRE(i % 3 == 0 || (mk_slab_alloc(sa, 5, &a) == 0 && a.offset == i * 8));
	REQUIRE(mk_slab_alloc(sa, 8, &a) == 0 && a.offset == n * 8);
	mk_slab_report(sa, &r);
	REQUIRE(r.free_slabs == 0 && r.largest_free == 8 &&
		r.used_bytes == n / 3 * 8 + (n - n / 3) * 5 + 8);
	REQUIRE(mk_slab_check(sa) == 0);
out:
	free(v);
	mk_slab_destroy(sa);
}

/* --- misuse ------------------------------------------------------------------------------ */

static void
test_misuse_args(void)
{
	struct mk_slab *sa = create(SLAB, 0, 0, 0, 0);
	struct mk_slab_alloc a, untouched;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	memset(&a, 0xa5, sizeof(a));
	untouched = a;
	CU_ASSERT_EQUAL(mk_slab_alloc(NULL, 64, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, 64, NULL), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, 0, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, SLAB + 1, &a), -E2BIG);
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, UINT64_MAX, &a), -E2BIG);
	CU_ASSERT_EQUAL(memcmp(&a, &untouched, sizeof(a)), 0);
	CU_ASSERT_EQUAL(mk_slab_free(NULL, &a), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_free(sa, NULL), -EINVAL);
	CU_ASSERT_EQUAL(mk_slab_check(NULL), -EINVAL);
	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(mk_slab_free(sa, &a), -EINVAL);
	a.size = 1;
	a.chunk_size = 72;
	CU_ASSERT_EQUAL(mk_slab_free(sa, &a), -EINVAL);
	mk_slab_destroy(NULL);

	/* A full segment fails with -ENOMEM and leaves out untouched. */
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, SLAB, &a), 0);
	untouched = a;
	CU_ASSERT_EQUAL(mk_slab_alloc(sa, 1, &a), -ENOMEM);
	CU_ASSERT_EQUAL(memcmp(&a, &untouched, sizeof(a)), 0);
	CU_ASSERT_EQUAL(mk_slab_free(sa, &a), 0);
	CU_ASSERT_EQUAL(mk_slab_check(sa), 0);
	mk_slab_destroy(sa);
}

/* Every refused free leaves the report and the structures as they were. */
bool
test_slab_refused(struct mk_slab *sa, const struct mk_slab_alloc *a)
{
	struct mk_slab_report before, after;
	int rc;

	mk_slab_report(sa, &before);
	rc = mk_slab_free(sa, a);
	mk_slab_report(sa, &after);
	return rc == -EINVAL && memcmp(&before, &after, sizeof(before)) == 0 &&
		mk_slab_check(sa) == 0;
}

static void
test_misuse_handles(void)
{
	struct mk_slab *sa = create(2 * SLAB, 0, 0, 0, 0), *other = create(2 * SLAB, 0, 0, 0, 0);
	struct mk_slab_alloc a, b, f, keep;
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	REQUIRE(mk_slab_alloc(sa, 100, &keep) == 0);	/* keeps slab 0 in class 120 */
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.chunk_size == 120 && a.offset == 120);

	/* Forged: any bit of the handle, offset or chunk size; a size of another class. */
	for (i = 0; i < 64; i++) {
		f = a;
		f.handle ^= UINT64_C(1) << i;
		REQUIRE(test_slab_refused(sa, &f));
		f = a;
		f.offset ^= UINT64_C(1) << i;
		REQUIRE(test_slab_refused(sa, &f));
		if (i < 32) {
			f = a;
			f.chunk_size ^= UINT32_C(1) << i;
			REQUIRE(test_slab_refused(sa, &f));
		}
	}
	f = a;
	f.offset += 120;
	REQUIRE(test_slab_refused(sa, &f));
	f = a;
	f.size = 96;
	REQUIRE(test_slab_refused(sa, &f));
	f.size = 121;
	REQUIRE(test_slab_refused(sa, &f));
	f.size = 0;
	REQUIRE(test_slab_refused(sa, &f));

	/* Foreign: the same allocation made by another instance. */
	REQUIRE(mk_slab_alloc(other, 100, &b) == 0 && mk_slab_alloc(other, 100, &b) == 0);
	REQUIRE(b.offset == a.offset && b.handle != a.handle);
	REQUIRE(test_slab_refused(sa, &b));
	REQUIRE(mk_slab_free(other, &a) == -EINVAL);
	REQUIRE(mk_slab_free(other, &b) == 0);

	/*
	 * Double free, then stale: the chunk handed out again 255 times. After the 256th free
	 * the generation of a has come round, but its chunk is free: still refused.
	 */
	REQUIRE(mk_slab_free(sa, &a) == 0);
	REQUIRE(test_slab_refused(sa, &a));
	for (i = 0; i < 255; i++) {
		REQUIRE(mk_slab_alloc(sa, 100, &b) == 0 && b.offset == a.offset);
		REQUIRE(test_slab_refused(sa, &a));
		REQUIRE(mk_slab_free(sa, &b) == 0);
		REQUIRE(test_slab_refused(sa, &b));
	}
	REQUIRE(test_slab_refused(sa, &a));
	REQUIRE(mk_slab_free(sa, &keep) == 0 && test_slab_refused(sa, &keep));
out:
	mk_slab_destroy(other);
	mk_slab_destroy(sa);
}

/*
 * Stale handles of a slab that went back to the pool: to another class and back (new blocks),
 * and to the same class with its block, where chunks above the bump index keep a generation
 * one step on, in a group already entered: no bit flip of such a handle may free anything.
 */
static void
test_misuse_reassigned(void)
{
	struct mk_slab *sa = create(SLAB, 0, 0, 0, 0);
	struct mk_slab_alloc v[3], x, y, z, f;
	unsigned i, k;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(mk_slab_alloc(sa, 100, &x) == 0 && mk_slab_free(sa, &x) == 0);
	REQUIRE(mk_slab_alloc(sa, 5000, &y) == 0 && y.offset == x.offset);
	REQUIRE(test_slab_refused(sa, &x));
	REQUIRE(mk_slab_free(sa, &y) == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &z) == 0 && z.offset == x.offset);
	REQUIRE(test_slab_refused(sa, &x) && test_slab_refused(sa, &y));
	for (i = 1; i < 3; i++)
		REQUIRE(mk_slab_alloc(sa, 100, &v[i]) == 0 && v[i].offset == i * 120);
	f = v[2];
	REQUIRE(mk_slab_free(sa, &v[2]) == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &v[2]) == 0 && v[2].offset == 240);
	v[0] = z;
	for (i = 0; i < 3; i++)
		REQUIRE(mk_slab_free(sa, &v[i]) == 0);
	REQUIRE(mk_slab_alloc(sa, 100, &z) == 0 && z.offset == 0);
	for (k = 0; k < 2; k++, f = v[2]) {
		REQUIRE(test_slab_refused(sa, &f));
		for (i = 0; i < 64; i++) {
			f.handle ^= UINT64_C(1) << i;
			REQUIRE(test_slab_refused(sa, &f));
			f.handle ^= UINT64_C(1) << i;
		}
	}
	REQUIRE(mk_slab_free(sa, &z) == 0 && test_slab_refused(sa, &z));
out:
	mk_slab_destroy(sa);
}

/*
 * A free slab keeps its block: the class that held it takes it back before a slab whose
 * block must be replaced, and only a class change allocates a block.
 */
static void
test_pool_blocks(void)
{
	struct mk_slab *sa = create(2 * SLAB, 0, 0, 0, 0);
	struct mk_slab_alloc a, b;
	struct mk_slab_stats st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && mk_slab_alloc(sa, 5000, &b) == 0);
	REQUIRE(a.offset == 0 && b.offset == SLAB);
	REQUIRE(mk_slab_free(sa, &a) == 0 && mk_slab_free(sa, &b) == 0);
	REQUIRE(mk_slab_alloc(sa, 5000, &b) == 0 && b.offset == SLAB);
	REQUIRE(mk_slab_alloc(sa, 100, &a) == 0 && a.offset == 0);
	mk_slab_stats(sa, &st);
	REQUIRE(st.block_allocs == 2 && st.slab_grabs == 4 && st.slab_releases == 2);
	REQUIRE(mk_slab_free(sa, &a) == 0 && mk_slab_free(sa, &b) == 0);
	REQUIRE(mk_slab_alloc(sa, SLAB, &a) == 0 && mk_slab_alloc(sa, SLAB, &b) == 0);
	mk_slab_stats(sa, &st);
	REQUIRE(st.block_allocs == 4 && st.free_slabs == 0 && mk_slab_check(sa) == 0);
out:
	mk_slab_destroy(sa);
}

/* A 1 TiB segment: every slab as one chunk, then small chunks at offsets beyond 2^32. */
static void
test_tebibyte(void)
{
	const uint64_t nslabs = TIB / SLAB;
	struct mk_slab *sa = create(TIB + 4095, 0, 0, 0, 0);
	struct mk_slab_alloc *v = NULL, a;
	struct mk_slab_report r;
	struct mk_slab_stats st;
	uint8_t *seen = NULL;
	uint64_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	v = malloc(nslabs * sizeof(*v));
	seen = calloc(nslabs, 1);
	REQUIRE(v != NULL && seen != NULL);
	mk_slab_stats(sa, &st);
	REQUIRE(st.capacity == TIB && st.unusable == 4095 && st.slabs == nslabs);
	REQUIRE(st.meta_bytes < TIB / 10000);
	for (i = 0; i < nslabs; i++) {
		REQUIRE(mk_slab_alloc(sa, SLAB, &v[i]) == 0);
		REQUIRE(v[i].offset % SLAB == 0 && v[i].offset < TIB && !seen[v[i].offset / SLAB]);
		seen[v[i].offset / SLAB] = 1;
	}
	REQUIRE(mk_slab_alloc(sa, SLAB, &a) == -ENOMEM);
	mk_slab_report(sa, &r);
	REQUIRE(r.capacity == TIB && r.chunk_bytes == TIB && r.used_bytes == TIB &&
		r.free_slabs == 0 && r.largest_free == 0);
	REQUIRE(mk_slab_check(sa) == 0);

	REQUIRE(mk_slab_free(sa, &v[nslabs - 1]) == 0);
	REQUIRE(mk_slab_alloc(sa, 72, &a) == 0 && a.offset == TIB - SLAB);
	REQUIRE(mk_slab_alloc(sa, 72, &a) == 0 && a.offset == TIB - SLAB + 72);
	REQUIRE(mk_slab_free(sa, &a) == 0);
	mk_slab_report(sa, &r);
	REQUIRE(r.largest_free == 72 && r.used_bytes == TIB - SLAB + 72);
	REQUIRE(mk_slab_check(sa) == 0);
out:
	free(seen);
	free(v);
	mk_slab_destroy(sa);
}

static bool
rejected(uint64_t size, uint32_t slab_size, double factor, uint32_t min_class,
		uint32_t min_slice)
{
	struct mk_slab *sa;

	errno = 0;
	sa = create(size, slab_size, factor, min_class, min_slice);
	mk_slab_destroy(sa);
	return sa == NULL && errno == EINVAL;
}

static void
test_bad_conf(void)
{
	errno = 0;
	CU_ASSERT_PTR_NULL(mk_slab_create(NULL));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT(rejected(0, 0, 0, 0, 0));
	CU_ASSERT(rejected(SLAB - 1, 0, 0, 0, 0));
	CU_ASSERT(rejected(8192, 4096 + 8, 0, 0, 0));		/* not a power of two */
	CU_ASSERT(rejected(8192, 2048, 0, 0, 0));		/* below 4 KiB */
	CU_ASSERT(rejected(UINT64_MAX, UINT32_C(1) << 31, 0, 0, 0));	/* above 1 GiB */
	CU_ASSERT(rejected(SLAB, 0, 1.0, 0, 0));
	CU_ASSERT(rejected(SLAB, 0, 0.5, 0, 0));
	CU_ASSERT(rejected(SLAB, 0, -2.0, 0, 0));
	CU_ASSERT(rejected(SLAB, 0, NAN, 0, 0));
	CU_ASSERT(rejected(SLAB, 0, INFINITY, 0, 0));
	CU_ASSERT(rejected(SLAB, 0, 1.01, 0, 0));	/* 72 * 1.01 rounds back to 72 */
	CU_ASSERT(rejected(SLAB, 0, 1.05, 1024, 0));	/* 156 classes, over 128 */
	CU_ASSERT(rejected(SLAB, 0, 0, 56, 0));		/* min_class below min_slice */
	CU_ASSERT(rejected(SLAB, 0, 0, 76, 0));		/* not a multiple of 8 */
	CU_ASSERT(rejected(SLAB, 0, 0, 72, 73));
	CU_ASSERT(rejected(SLAB, 0, 0, 2 * SLAB, 0));	/* above the slab size */
	/*
	 * More slabs than a handle names beside a 16-bit tag: 1 GiB slabs of 8-byte chunks take
	 * 27 bits, the generation 8, so 2^13 slabs fit and 2^14 do not.
	 */
	CU_ASSERT(rejected(UINT64_C(1) << 44, UINT32_C(1) << 30, 2.0, 8, 8));
	CU_ASSERT(rejected(UINT64_C(1) << 47, 0, 0, 0, 0));	/* 2^25 slabs of 4 MiB */
	/* The edges that are fine. */
	CU_ASSERT(!rejected(UINT64_C(1) << 43, UINT32_C(1) << 30, 2.0, 8, 8));
	CU_ASSERT(!rejected(SLAB, 0, 0, 72, 72));
	CU_ASSERT(!rejected(4096, 4096, 65536.0, 8, 1));
}

int
test_slab_register(void)
{
	static const struct mk_test_case tests[] = {
		{ "class table", test_class_table },
		{ "class table of other confs", test_class_table_conf },
		{ "class edges and padding", test_class_edges },
		{ "fill, free, refill with slabs", test_fill_refill },
		{ "deep group bitmap", test_deep_bitmap },
		{ "misuse: arguments", test_misuse_args },
		{ "misuse: handles", test_misuse_handles },
		{ "misuse: slab back from the pool", test_misuse_reassigned },
		{ "free slabs keep their blocks", test_pool_blocks },
		{ "1 TiB segment", test_tebibyte },
		{ "bad confs", test_bad_conf },
	};
	CU_pSuite s = mk_test_add_suite("slab", NULL, NULL, tests,
		sizeof(tests) / sizeof(tests[0]));

	if (s == NULL || test_slab_model_add(s) != 0)
		return -1;
	return test_slab_range_add(s);
}
