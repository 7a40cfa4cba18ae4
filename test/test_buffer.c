/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "buffer": lib/buffer. The same test bodies run on both kinds behind the one interface;
 * the choice guide has a test per branch; buffers outlive their allocator (also when its
 * registry slot has a new allocator), are freed twice, forged or foreign; a model-checked
 * random run compares every metric exactly; a reader thread takes snapshots during a run. The
 * ranges and their moving ends (test_buffer_range.c) and the descriptor tests
 * (test_descriptor.c) join the same suite.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_allocator.h"
#include "mk_descriptor.h"
#include "mk_test.h"
#include "test_buffer.h"

/** Steps of the model-checked run per kind; mk_test_long() runs 100 times more. */
#define MODEL_STEPS	200000
/** Steps between two full checks of the model run. */
#define MODEL_BATCH	4096
/** Live buffers the model run keeps at most. */
#define MODEL_LIVE	4096
/**
 * The owner runs until the reader thread has taken this many snapshots during its run (and
 * for at least as many steps), so that the two overlap however the threads are scheduled.
 */
#define SNAPSHOTS	100000
/** ...but gives up after this many steps (a reader that never runs fails the test). */
#define SNAPSHOT_STEPS_MAX	(UINT64_C(50) << 20)


static struct mk_allocator *
create(enum mk_alloc_kind kind, void *base, uint64_t size, const char *name)
{
	struct mk_allocator_conf conf = {
		.name = name, .base = base, .size = size, .endpoint = "10.0.0.1:7000",
		.rkey = 0xbeef, .kind = kind, .offset = { .init_nodes = 256 },
	};

	return mk_allocator_create(&conf);
}

/* A small allocator, cheap to create by the thousand. */
static struct mk_allocator *
create_small(unsigned int n)
{
	struct mk_allocator_conf conf = {
		.name = "small", .base = fake_base(n % 64), .size = 1 << 16,
		.kind = MK_ALLOC_KIND_OFFSET, .offset = { .init_nodes = 4, .max_nodes = 16 },
	};

	return mk_allocator_create(&conf);
}

static uint64_t
hist_total(const struct mk_allocator_stats *s)
{
	uint64_t t = 0;
	unsigned int i;

	for (i = 0; i < MK_ALLOC_HIST_BUCKETS; i++)
		t += s->size_hist[i];
	return t;
}

/* One branch of the guide each: an explicit kind is kept. */
static void
test_choose_explicit(void)
{
	struct mk_allocator_conf conf = { .kind = MK_ALLOC_KIND_SLAB, .need_exact_free = true };

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_SLAB);
	conf.kind = MK_ALLOC_KIND_OFFSET;
	conf.need_exact_free = false;
	conf.max_alloc_size = 64;
	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
	CU_ASSERT_EQUAL(mk_allocator_choose(NULL), MK_ALLOC_KIND_AUTO);
}

/* Allocations above 4 MiB (above the slab size when it is set): offset. */
static void
test_choose_large(void)
{
	struct mk_allocator_conf conf = { .max_alloc_size = SLAB + 1 };

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
	conf.max_alloc_size = SLAB;
	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_SLAB);
	conf.slab.slab_size = 16 * MIB;
	conf.max_alloc_size = 8 * MIB;
	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_SLAB);
	conf.max_alloc_size = 16 * MIB + 1;
	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
}

/* Sizes not known: only offset serves them all. */
static void
test_choose_unknown_size(void)
{
	struct mk_allocator_conf conf = { .max_alloc_size = 0 };

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
}

/* Exact free-space figures: offset. */
static void
test_choose_exact_free(void)
{
	struct mk_allocator_conf conf = { .max_alloc_size = 4096, .need_exact_free = true };

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
}

/* An alignment above the slab chunks' 8 bytes: offset. */
static void
test_choose_align(void)
{
	struct mk_allocator_conf conf = { .max_alloc_size = 4096, .need_align = 16 };

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_OFFSET);
	conf.need_align = MK_ALLOC_SLAB_ALIGN_MAX;
	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_SLAB);
}

/* Otherwise slab; and an AUTO allocator is made of the kind the guide picks. */
static void
test_choose_slab(void)
{
	struct mk_allocator_conf conf = {
		.name = "auto", .base = fake_base(1), .size = 64 * MIB, .max_alloc_size = 1024,
		.need_align = 1,
	};
	struct mk_allocator *a;

	CU_ASSERT_EQUAL(mk_allocator_choose(&conf), MK_ALLOC_KIND_SLAB);
	a = mk_allocator_create(&conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(mk_allocator_kind(a), MK_ALLOC_KIND_SLAB);
	mk_allocator_destroy(a);
	conf.max_alloc_size = 0;
	a = mk_allocator_create(&conf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(mk_allocator_kind(a), MK_ALLOC_KIND_OFFSET);
	mk_allocator_destroy(a);
	CU_ASSERT_STRING_EQUAL(mk_alloc_kind_name(MK_ALLOC_KIND_SLAB), "slab");
	CU_ASSERT_STRING_EQUAL(mk_alloc_kind_name((enum mk_alloc_kind)42), "unknown");
}

static void
test_bad_conf(void)
{
	static const char *const bad_endpoints[] = { "host", "host:0", "[::1:80", "a b:1" };
	static const char *const good_endpoints[] = { "", "[::1]:65535", "node-1.example:80" };
	struct mk_allocator_conf conf = {
		.name = "seg", .base = fake_base(0), .size = 64 * MIB, .kind = MK_ALLOC_KIND_OFFSET,
	};
	struct mk_allocator_conf c;
	struct mk_allocator *a;
	char long_name[MK_SEGMENT_NAME_MAX + 2];
	size_t i;

#define REFUSED(expr) do { errno = 0; CU_ASSERT_PTR_NULL(mk_allocator_create(expr)); \
	CU_ASSERT_EQUAL(errno, EINVAL); } while (0)
	REFUSED(NULL);
	c = conf; c.base = NULL; REFUSED(&c);
	c = conf; c.size = 0; REFUSED(&c);
	c = conf; c.base = (void *)(UINTPTR_MAX - 4095); c.size = 4097; REFUSED(&c);
	c = conf; c.name = NULL; REFUSED(&c);
	c = conf; c.name = ""; REFUSED(&c);
	c = conf; c.name = "tab\tname"; REFUSED(&c);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	c = conf; c.name = long_name; REFUSED(&c);
	c = conf; c.kind = (enum mk_alloc_kind)42; REFUSED(&c);
	c = conf; c.kind = MK_ALLOC_KIND_SLAB; c.size = SLAB - 1; REFUSED(&c);
	c = conf; c.offset.max_nodes = MK_OFFSET_NODES_LIMIT + 1; REFUSED(&c);
	for (i = 0; i < sizeof(bad_endpoints) / sizeof(bad_endpoints[0]); i++) {
		c = conf;
		c.endpoint = bad_endpoints[i];
		REFUSED(&c);
	}
#undef REFUSED
	/* a segment that ends at the last byte of the address space is fine */
	c = conf;
	c.base = (void *)(UINTPTR_MAX - 4095);
	c.size = 4096;
	a = mk_allocator_create(&c);
	CU_ASSERT_PTR_NOT_NULL(a);
	mk_allocator_destroy(a);
	long_name[MK_SEGMENT_NAME_MAX] = '\0';
	for (i = 0; i < sizeof(good_endpoints) / sizeof(good_endpoints[0]); i++) {
		c = conf;
		c.name = long_name;
		c.endpoint = good_endpoints[i];
		a = mk_allocator_create(&c);
		CU_ASSERT_PTR_NOT_NULL_FATAL(a);
		CU_ASSERT_STRING_EQUAL(mk_allocator_endpoint(a), good_endpoints[i]);
		CU_ASSERT_STRING_EQUAL(mk_allocator_name(a), long_name);
		mk_allocator_destroy(a);
	}
	c = conf;
	c.endpoint = NULL;
	a = mk_allocator_create(&c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_STRING_EQUAL(mk_allocator_endpoint(a), "");
	mk_allocator_destroy(a);
	mk_allocator_destroy(NULL);
}

/*
 * The interface on one kind, over real memory that the test writes: accessors, data pointers,
 * alignment, refusals, fill to failure, exact largest free region, metrics, check.
 */
static void
interface_body(enum mk_alloc_kind kind)
{
	const uint64_t seg = 33 * MIB;	/* not a whole number of slabs */
	const uint64_t cap = kind == MK_ALLOC_KIND_SLAB ? 32 * MIB : seg;
	static struct mk_buffer bufs[4096];
	struct mk_allocator_stats s;
	struct mk_buffer b, big;
	struct mk_allocator *a;
	uint64_t lf, n = 0, i, base_align;
	uint8_t *mem;
	int rc;

	CU_ASSERT_EQUAL_FATAL(posix_memalign((void **)&mem, 2 * MIB, seg), 0);
	/* an address alignment above the base's cannot be had by aligning offsets */
	base_align = (uintptr_t)mem & -(uintptr_t)mem;
	a = create(kind, mem, seg, "seg-interface");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(mk_allocator_kind(a), kind);
	CU_ASSERT_STRING_EQUAL(mk_allocator_name(a), "seg-interface");
	CU_ASSERT_STRING_EQUAL(mk_allocator_endpoint(a), "10.0.0.1:7000");
	CU_ASSERT_EQUAL(mk_allocator_rkey(a), 0xbeef);
	CU_ASSERT(mk_allocator_id(a) < MK_ALLOCATOR_REGISTRY_SLOTS);
	CU_ASSERT_EQUAL(mk_allocator_capacity(a), cap);
	CU_ASSERT_EQUAL(mk_allocator_size(a), 0);
	CU_ASSERT_EQUAL(mk_allocator_largest_free(a), kind == MK_ALLOC_KIND_SLAB ? SLAB : cap);

	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 1000, 8, &b), 0);
	CU_ASSERT_EQUAL(b.size, 1000);
	CU_ASSERT(b.footprint >= 1000 && (kind == MK_ALLOC_KIND_SLAB || b.footprint == 1000));
	CU_ASSERT_PTR_EQUAL(b.data, mem + b.offset);
	CU_ASSERT_EQUAL((uintptr_t)b.data % 8, 0);
	CU_ASSERT(mk_buffer_valid(&b));
	memset(b.data, 0xab, b.size);
	CU_ASSERT_EQUAL(mk_allocator_size(a), 1000);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);

	/* refusals common to both kinds, each counted */
	memset(&big, 0x77, sizeof(big));
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 0, 0, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 64, 3, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 64, base_align * 2, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, cap + 1, 0, &big), -E2BIG);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 64, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(mk_allocator_alloc(NULL, 64, 0, &big), -EINVAL);
	CU_ASSERT_EQUAL(big.size, UINT64_C(0x7777777777777777));	/* untouched */
	/* what only offset serves: more than a slab, more than 8-byte alignment */
	rc = mk_allocator_alloc(a, SLAB + 1, 0, &big);
	CU_ASSERT_EQUAL(rc, kind == MK_ALLOC_KIND_SLAB ? -E2BIG : 0);
	if (rc == 0)
		CU_ASSERT_EQUAL(mk_buffer_free(&big), 0);
	rc = mk_allocator_alloc(a, 100, 64, &big);
	CU_ASSERT_EQUAL(rc, kind == MK_ALLOC_KIND_SLAB ? -EINVAL : 0);
	if (rc == 0) {
		CU_ASSERT_EQUAL((uintptr_t)big.data % 64, 0);
		CU_ASSERT_EQUAL(mk_buffer_free(&big), 0);
	}
	mk_allocator_stats(a, &s);
	CU_ASSERT_EQUAL(s.fail[MK_ALLOC_FAIL_INVAL], kind == MK_ALLOC_KIND_SLAB ? 5 : 4);
	CU_ASSERT_EQUAL(s.fail[MK_ALLOC_FAIL_2BIG], kind == MK_ALLOC_KIND_SLAB ? 2 : 1);

	/* fill with 1 MiB buffers until it fails for want of space, writing each */
	while (n < sizeof(bufs) / sizeof(bufs[0])) {
		rc = mk_allocator_alloc(a, MIB - 8 * n, 8, &bufs[n]);
		if (rc != 0)
			break;
		CU_ASSERT((uint8_t *)bufs[n].data >= mem &&
			(uint8_t *)bufs[n].data + bufs[n].size <= mem + cap);
		memset(bufs[n].data, (int)n, bufs[n].size);
		n++;
	}
	CU_ASSERT_EQUAL(rc, -ENOMEM);
	CU_ASSERT(n >= 16);	/* slab: 3 chunks of 1204984 bytes in each of 7 slabs */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(((uint8_t *)bufs[i].data)[bufs[i].size - 1], (uint8_t)i);
	/* exact largest free region: it fits, one byte more does not */
	for (i = 0; i < n; i += 3)
		CU_ASSERT_EQUAL(mk_buffer_free(&bufs[i]), 0);
	lf = mk_allocator_largest_free(a);
	CU_ASSERT(lf > 0);
	rc = mk_allocator_alloc(a, lf + 1, 0, &big);
	CU_ASSERT(rc == -ENOMEM || rc == -E2BIG);
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, lf, 0, &big), 0);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&big), 0);
	for (i = 0; i < n; i++)
		if (i % 3 != 0)
			CU_ASSERT_EQUAL(mk_buffer_free(&bufs[i]), 0);
	CU_ASSERT_EQUAL(((uint8_t *)b.data)[999], 0xab);
	CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
	CU_ASSERT_PTR_NULL(b.data);	/* the handle is cleared */

	mk_allocator_stats(a, &s);
	CU_ASSERT_EQUAL(s.kind, kind);
	CU_ASSERT_EQUAL(s.segment_size, seg);
	CU_ASSERT_EQUAL(s.capacity, cap);
	CU_ASSERT_EQUAL(s.allocated_bytes, 0);
	CU_ASSERT_EQUAL(s.footprint_bytes, 0);
	CU_ASSERT_EQUAL(s.live_buffers, 0);
	CU_ASSERT_EQUAL(s.alloc_count, s.free_count);
	CU_ASSERT_EQUAL(s.alloc_count, n + 2 + (kind == MK_ALLOC_KIND_OFFSET ? 2 : 0));
	CU_ASSERT_EQUAL(hist_total(&s), s.alloc_count);
	CU_ASSERT_EQUAL(s.size_hist[9], 1);	/* the 1000 bytes: [512, 1024) */
	CU_ASSERT_EQUAL(s.fail[MK_ALLOC_FAIL_NOMEM], 1 + (rc == -ENOMEM));
	CU_ASSERT_EQUAL(mk_allocator_largest_free(a), kind == MK_ALLOC_KIND_SLAB ? SLAB : cap);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	mk_allocator_destroy(a);
	free(mem);
}

PER_KIND(interface_body)

/*
 * Buffers outlive their allocator: -ENODEV and nothing touched, also once the registry slot
 * holds a new allocator that has a live buffer at the very same offset.
 */
static void
stale_body(enum mk_alloc_kind kind)
{
	struct mk_allocator *a, *fresh, *b2;
	struct mk_buffer b, copy, same;
	struct mk_allocator_stats s;
	struct mk_desc d;
	uint32_t id;
	unsigned int tries;

	a = create(kind, fake_base(2), 64 * MIB, "seg-stale");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	id = mk_allocator_id(a);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 4096, 0, &b), 0);
	CU_ASSERT_EQUAL(mk_desc_from_buffer(&b, &d), 0);
	mk_allocator_destroy(a);
	copy = b;
	CU_ASSERT_FALSE(mk_buffer_valid(&b));
	CU_ASSERT_EQUAL(mk_buffer_free(&b), -ENODEV);
	CU_ASSERT_EQUAL(memcmp(&b, &copy, sizeof(b)), 0);
	CU_ASSERT_EQUAL(mk_desc_from_buffer(&b, &d), -ENODEV);

	/* the registry hands slots out round robin: the old one comes back within a lap */
	fresh = NULL;
	for (tries = 0; tries <= MK_ALLOCATOR_REGISTRY_SLOTS; tries++) {
		fresh = create(kind, fake_base(2), 64 * MIB, "seg-fresh");
		CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
		if (mk_allocator_id(fresh) == id)
			break;
		mk_allocator_destroy(fresh);
		fresh = NULL;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(fresh);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(fresh, 4096, 0, &same), 0);
	CU_ASSERT_EQUAL(same.offset, b.offset);
	CU_ASSERT_EQUAL(same.alloc_id, b.alloc_id);
	CU_ASSERT_NOT_EQUAL(same.alloc_gen, b.alloc_gen);
	CU_ASSERT_FALSE(mk_buffer_valid(&b));
	CU_ASSERT_EQUAL(mk_buffer_free(&b), -ENODEV);
	CU_ASSERT_EQUAL(mk_desc_from_buffer(&b, &d), -ENODEV);
	CU_ASSERT(mk_buffer_valid(&same));
	mk_allocator_stats(fresh, &s);
	CU_ASSERT_EQUAL(s.live_buffers, 1);
	CU_ASSERT_EQUAL(s.free_count, 0);
	CU_ASSERT_EQUAL(s.free_rejected, 0);
	CU_ASSERT_EQUAL(mk_allocator_check(fresh), 0);
	/* a second allocator elsewhere in the table changes nothing either */
	b2 = create(kind, fake_base(3), 64 * MIB, "seg-other");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
	CU_ASSERT_EQUAL(mk_buffer_free(&b), -ENODEV);
	mk_allocator_destroy(b2);
	CU_ASSERT_EQUAL(mk_buffer_free(&same), 0);
	mk_allocator_destroy(fresh);
	CU_ASSERT_EQUAL(mk_buffer_free(&b), -ENODEV);
}

PER_KIND(stale_body)

/* Freed twice through the same handle (cleared) or through a copy (the kind refuses). */
static void
double_free_body(enum mk_alloc_kind kind)
{
	struct mk_allocator *a = create(kind, fake_base(4), 64 * MIB, "seg-double");
	struct mk_allocator_stats s;
	struct mk_buffer b, copy, other;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 300, 0, &b), 0);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 300, 0, &other), 0);
	copy = b;
	CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
	CU_ASSERT_FALSE(mk_buffer_valid(&b));
	CU_ASSERT_EQUAL(mk_buffer_free(&b), -EINVAL);
	CU_ASSERT_EQUAL(mk_buffer_free(&copy), -EINVAL);
	CU_ASSERT(mk_buffer_valid(&copy));	/* the allocator lives; the buffer does not */
	mk_allocator_stats(a, &s);
	CU_ASSERT_EQUAL(s.free_count, 1);
	CU_ASSERT_EQUAL(s.free_rejected, 1);
	CU_ASSERT_EQUAL(s.live_buffers, 1);
	CU_ASSERT_EQUAL(s.allocated_bytes, 300);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	/* the chunk handed out again: the old copy still cannot free it */
	CU_ASSERT_EQUAL(mk_allocator_alloc(a, 300, 0, &b), 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&copy), -EINVAL);
	CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&other), 0);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	mk_allocator_destroy(a);
}

PER_KIND(double_free_body)

/* A buffer made to name another allocator, or with a field changed: refused, nothing lost. */
static void
foreign_body(enum mk_alloc_kind kind)
{
	struct mk_allocator *a = create(kind, fake_base(5), 64 * MIB, "seg-a");
	struct mk_allocator *o = create(kind, fake_base(5), 64 * MIB, "seg-o");
	struct mk_buffer b, mine, forged, empty;
	struct mk_allocator_stats s;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 512, 0, &b), 0);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(o, 512, 0, &mine), 0);
	CU_ASSERT_EQUAL(b.offset, mine.offset);	/* same place in two segments */

	forged = b;
	forged.alloc_id = mine.alloc_id;
	forged.alloc_gen = mine.alloc_gen;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.handle ^= 1;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.data = (uint8_t *)forged.data + 8;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.offset += 512;
	forged.data = (uint8_t *)forged.data + 512;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.footprint += 8;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.offset = UINT64_MAX;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	forged = b;
	forged.alloc_id = MK_ALLOCATOR_REGISTRY_SLOTS;
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	CU_ASSERT_FALSE(mk_buffer_valid(&forged));
	forged = b;
	forged.alloc_gen++;	/* even: never an allocator's */
	CU_ASSERT_EQUAL(mk_buffer_free(&forged), -EINVAL);
	memset(&empty, 0, sizeof(empty));
	CU_ASSERT_EQUAL(mk_buffer_free(&empty), -EINVAL);
	CU_ASSERT_FALSE(mk_buffer_valid(&empty));
	CU_ASSERT_EQUAL(mk_buffer_free(NULL), -EINVAL);
	CU_ASSERT_FALSE(mk_buffer_valid(NULL));

	mk_allocator_stats(o, &s);
	CU_ASSERT_EQUAL(s.free_rejected, 1);
	CU_ASSERT_EQUAL(s.live_buffers, 1);
	mk_allocator_stats(a, &s);
	CU_ASSERT_EQUAL(s.free_rejected, 5);
	CU_ASSERT_EQUAL(s.live_buffers, 1);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	CU_ASSERT_EQUAL(mk_allocator_check(o), 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&b), 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&mine), 0);
	mk_allocator_destroy(a);
	mk_allocator_destroy(o);
}

PER_KIND(foreign_body)

/* Every slot taken: -ENFILE as errno ENFILE; one freed, one more fits. */
static void
test_registry_full(void)
{
	static struct mk_allocator *all[MK_ALLOCATOR_REGISTRY_SLOTS + 1];
	unsigned int n = 0, i;

	while (n <= MK_ALLOCATOR_REGISTRY_SLOTS) {
		errno = 0;
		all[n] = create_small(n);
		if (all[n] == NULL)
			break;
		n++;
	}
	CU_ASSERT_EQUAL(n, MK_ALLOCATOR_REGISTRY_SLOTS);
	CU_ASSERT_EQUAL(errno, ENFILE);
	if (n > 0) {
		mk_allocator_destroy(all[n / 2]);
		all[n / 2] = create_small(n);
		CU_ASSERT_PTR_NOT_NULL(all[n / 2]);
	}
	for (i = 0; i < n; i++)
		mk_allocator_destroy(all[i]);
}

/* What the model expects of a request, before the allocator answers. */
static int
predict(enum mk_alloc_kind kind, uint64_t cap, uint64_t size, uint64_t align)
{
	if (size == 0 || (align & (align - 1)) != 0)
		return -EINVAL;
	if (size > cap)
		return -E2BIG;
	if (kind == MK_ALLOC_KIND_SLAB && align > MK_ALLOC_SLAB_ALIGN_MAX)
		return -EINVAL;
	if (kind == MK_ALLOC_KIND_SLAB && size > SLAB)
		return -E2BIG;
	return 0;	/* 0, -ENOMEM or -ENOSPC: up to the space left */
}

static uint64_t
random_request(uint64_t *seed, uint64_t *align)
{
	uint64_t r = mk_test_below(seed, 1000), size;

	if (r < 5)
		size = 0;
	else if (r < 600)
		size = 1 + mk_test_below(seed, 4096);
	else if (r < 950)
		size = 1 + mk_test_below(seed, 256 << 10);
	else if (r < 990)
		size = 1 + mk_test_below(seed, 8 * MIB);
	else
		size = 64 * MIB + mk_test_below(seed, 100);
	r = mk_test_below(seed, 20);
	*align = r < 14 ? 0 : r < 19 ? UINT64_C(1) << mk_test_below(seed, 12) : 3 + 2 * r;
	return size;
}

/* The model's figures, the way the metrics count them. */
struct model {
	struct mk_allocator_stats want;
	struct mk_buffer live[MODEL_LIVE];
	uint64_t n;
};

static int
compare_stats(const struct mk_allocator_stats *got, const struct mk_allocator_stats *want)
{
	return memcmp(&got->allocated_bytes, &want->allocated_bytes,
		sizeof(*got) - offsetof(struct mk_allocator_stats, allocated_bytes));
}

static void
model_body(enum mk_alloc_kind kind)
{
	static struct model m;
	const uint64_t seg = 48 * MIB + 12345;
	uint64_t steps = MODEL_STEPS * (mk_test_long() ? 100 : 1), step, cap, seed = 100 + kind;
	struct mk_allocator_stats got;
	struct mk_allocator *a;
	struct mk_buffer b;
	int rc, want;

	memset(&m, 0, sizeof(m));
	a = create(kind, fake_base(6), seg, "seg-model");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	cap = mk_allocator_capacity(a);
	for (step = 1; step <= steps; step++) {
		uint64_t r = mk_test_below(&seed, 100), align, size, i;

		if (m.n == 0 || (r < 55 && m.n < MODEL_LIVE)) {
			size = random_request(&seed, &align);
			want = predict(kind, cap, size, align);
			rc = mk_allocator_alloc(a, size, align, &b);
			if (want != 0) {
				REQUIRE(rc == want);
			} else if (rc != 0) {
				REQUIRE(rc == -ENOMEM || rc == -ENOSPC);
			}
			if (rc != 0) {
				m.want.fail[rc == -ENOMEM ? MK_ALLOC_FAIL_NOMEM :
					rc == -ENOSPC ? MK_ALLOC_FAIL_NOSPC :
					rc == -E2BIG ? MK_ALLOC_FAIL_2BIG : MK_ALLOC_FAIL_INVAL]++;
				continue;
			}
			REQUIRE(b.size == size && b.footprint >= size && b.offset < cap);
			REQUIRE(kind == MK_ALLOC_KIND_SLAB || b.footprint == size);
			REQUIRE(b.offset + b.footprint <= cap);
			REQUIRE(align <= 1 || (uintptr_t)b.data % align == 0);
			m.want.allocated_bytes += b.size;
			m.want.footprint_bytes += b.footprint;
			m.want.live_buffers++;
			m.want.alloc_count++;
			m.want.size_hist[63 - __builtin_clzll(size)]++;
			m.live[m.n++] = b;
		} else if (r < 97) {
			i = mk_test_below(&seed, m.n);
			b = m.live[i];
			REQUIRE(mk_buffer_free(&m.live[i]) == 0);
			m.want.allocated_bytes -= b.size;
			m.want.footprint_bytes -= b.footprint;
			m.want.live_buffers--;
			m.want.free_count++;
			m.live[i] = m.live[--m.n];
			/* a copy of what was just freed: refused and counted */
			if (r == 96) {
				REQUIRE(mk_buffer_free(&b) == -EINVAL);
				m.want.free_rejected++;
			}
		} else {
			REQUIRE(mk_allocator_largest_free(a) <= cap);
		}
		if (step % MODEL_BATCH == 0) {
			mk_allocator_stats(a, &got);
			REQUIRE(compare_stats(&got, &m.want) == 0);
			REQUIRE(mk_allocator_size(a) == m.want.allocated_bytes);
			REQUIRE(mk_allocator_check(a) == 0);
		}
	}
	mk_allocator_stats(a, &got);
	REQUIRE(compare_stats(&got, &m.want) == 0);
	/* the run met every kind of failure it can meet */
	REQUIRE(got.fail[MK_ALLOC_FAIL_NOMEM] > 0 && got.fail[MK_ALLOC_FAIL_INVAL] > 0 &&
		got.fail[MK_ALLOC_FAIL_2BIG] > 0);
	while (m.n > 0)
		REQUIRE(mk_buffer_free(&m.live[--m.n]) == 0);
	mk_allocator_stats(a, &got);
	REQUIRE(got.allocated_bytes == 0 && got.footprint_bytes == 0 && got.live_buffers == 0);
	REQUIRE(mk_allocator_check(a) == 0);
out:
	if (step <= steps)
		fprintf(stderr, "buffer model (%s) failed at step %" PRIu64 "\n",
			mk_alloc_kind_name(kind), step);
	mk_allocator_destroy(a);
}

PER_KIND(model_body)

struct reader {
	const struct mk_allocator *a;
	const struct mk_buffer *watched;
	atomic_bool stop;
	_Atomic uint64_t snapshots;
	uint64_t bad;
};

/* Another thread: every snapshot is one moment, and no counter ever goes back. */
static void *
reader_main(void *arg)
{
	struct reader *r = arg;
	struct mk_allocator_stats s, prev;
	unsigned int i;

	memset(&prev, 0, sizeof(prev));
	while (!atomic_load(&r->stop)) {
		mk_allocator_stats(r->a, &s);
		r->bad += s.alloc_count - s.free_count != s.live_buffers;
		r->bad += hist_total(&s) != s.alloc_count;
		r->bad += s.footprint_bytes < s.allocated_bytes;
		r->bad += s.live_buffers > 0 && s.allocated_bytes == 0;
		r->bad += s.alloc_count < prev.alloc_count || s.free_count < prev.free_count;
		for (i = 0; i < MK_ALLOC_FAIL_REASONS; i++)
			r->bad += s.fail[i] < prev.fail[i];
		r->bad += !mk_buffer_valid(r->watched);
		prev = s;
		atomic_fetch_add(&r->snapshots, 1);
	}
	return NULL;
}

static void
snapshot_body(enum mk_alloc_kind kind)
{
	static struct mk_buffer live[1024];
	struct mk_allocator *a = create(kind, fake_base(7), 16 * MIB, "seg-snap");
	struct reader r = { .a = a };
	uint64_t seed = 9, step, n = 0, align, size;
	struct mk_buffer pinned;
	pthread_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL_FATAL(mk_allocator_alloc(a, 64, 0, &pinned), 0);
	r.watched = &pinned;
	atomic_init(&r.stop, false);
	atomic_init(&r.snapshots, 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, reader_main, &r), 0);
	for (step = 0; step < SNAPSHOT_STEPS_MAX; step++) {
		if (step >= SNAPSHOTS && atomic_load_explicit(&r.snapshots,
			memory_order_relaxed) >= SNAPSHOTS)
			break;
		if (n < 1024 && (n == 0 || mk_test_below(&seed, 2) == 0)) {
			size = random_request(&seed, &align);
			if (mk_allocator_alloc(a, size, align, &live[n]) == 0)
				n++;
		} else {
			uint64_t i = mk_test_below(&seed, n);

			CU_ASSERT(mk_buffer_free(&live[i]) == 0);
			live[i] = live[--n];
		}
	}
	atomic_store(&r.stop, true);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT(atomic_load(&r.snapshots) >= SNAPSHOTS);
	while (n > 0)
		CU_ASSERT(mk_buffer_free(&live[--n]) == 0);
	CU_ASSERT_EQUAL(mk_buffer_free(&pinned), 0);
	CU_ASSERT_EQUAL(mk_allocator_check(a), 0);
	mk_allocator_destroy(a);
}

PER_KIND(snapshot_body)


int
test_buffer_register(void)
{
	static const struct mk_test_case tests[] = {
		{ "choose_explicit", test_choose_explicit },
		{ "choose_large", test_choose_large },
		{ "choose_unknown_size", test_choose_unknown_size },
		{ "choose_exact_free", test_choose_exact_free },
		{ "choose_align", test_choose_align },
		{ "choose_slab", test_choose_slab },
		{ "bad_conf", test_bad_conf },
		PER_KIND_TESTS("interface", interface_body),
		PER_KIND_TESTS("stale_after_destroy", stale_body),
		PER_KIND_TESTS("double_free", double_free_body),
		PER_KIND_TESTS("foreign_buffer", foreign_body),
		{ "registry_full", test_registry_full },
		PER_KIND_TESTS("model_metrics", model_body),
		PER_KIND_TESTS("concurrent_snapshot", snapshot_body),
	};
	CU_pSuite s = mk_test_add_suite("buffer", NULL, NULL, tests,
		sizeof(tests) / sizeof(tests[0]));

	if (s == NULL || test_buffer_range_add(s) != 0)
		return -1;
	return test_descriptor_add(s);
}
