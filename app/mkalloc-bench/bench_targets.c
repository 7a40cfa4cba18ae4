/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The targets: each allocator behind struct bench_target, so that every workload is written
 * once. The segment allocators (offset, slab) hand out offsets and never touch memory; the
 * heap allocators (malloc, rte_malloc) hand out pointers, kept in bench_rec.offset.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef MK_BENCH_HAVE_DPDK
#include <rte_malloc.h>
#endif

#include <mk_config.h>
#include <mk_offset.h>
#include <mk_slab.h>

#include "bench.h"

/* --- offset ------------------------------------------------------------------------------ */

struct offset_target {
	struct mk_offset *oa;
	uint64_t no_node;	/* -ENOSPC answers: counted apart, then taken as failures */
};

/*
 * A node per live allocation and per free region between them (at most one more than the
 * allocations), so 2 * max_live + 1 nodes never run out. The pool grows on demand, so a
 * generous limit costs nothing until it is used; it never goes below the library's own floor.
 */
static uint32_t
offset_nodes_for(uint64_t max_live)
{
	uint64_t nodes = 2 * max_live + 1;

	if (nodes < MK_OFFSET_MAX_NODES_MIN)
		nodes = MK_OFFSET_MAX_NODES_MIN;
	if (nodes > MK_OFFSET_NODES_LIMIT)
		nodes = MK_OFFSET_NODES_LIMIT;
	return (uint32_t)nodes;
}

static void *
offset_create(uint64_t capacity, uint64_t max_live)
{
	struct mk_offset_conf conf = { .size = capacity };
	struct offset_target *ot = calloc(1, sizeof(*ot));
	int err;

	if (ot == NULL)
		return NULL;
	if (max_live != 0)
		conf.max_nodes = offset_nodes_for(max_live);
	ot->oa = mk_offset_create(&conf);
	if (ot->oa == NULL) {
		err = errno;
		free(ot);
		errno = err;
		return NULL;
	}
	return ot;
}

static int
offset_alloc(void *st, uint64_t size, struct bench_rec *out)
{
	struct offset_target *ot = st;
	struct mk_offset_alloc a;
	int rc = mk_offset_alloc(ot->oa, size, 0, &a);

	if (rc == 0) {
		out->offset = a.offset;
		out->size = a.size;
		out->reserved = a.size;
		out->handle = a.handle;
		return 0;
	}
	if (rc == -ENOSPC) {
		ot->no_node++;
		return -ENOMEM;
	}
	return rc;
}

static int
offset_free(void *st, const struct bench_rec *rec)
{
	struct offset_target *ot = st;
	struct mk_offset_alloc a = {
		.offset = rec->offset,
		.size = rec->size,
		.handle = rec->handle,
	};

	return mk_offset_free(ot->oa, &a);
}

static void
offset_destroy(void *st)
{
	struct offset_target *ot = st;

	if (ot == NULL)
		return;
	mk_offset_destroy(ot->oa);
	free(ot);
}

static int
offset_check(void *st)
{
	struct offset_target *ot = st;

	return mk_offset_check(ot->oa);
}

static void
offset_figures(void *st, struct bench_figures *f)
{
	struct offset_target *ot = st;
	struct mk_offset_stats s;

	mk_offset_stats(ot->oa, &s);
	memset(f, 0, sizeof(*f));
	f->live = s.live;
	f->used_bytes = s.used_bytes;
	f->reserved_bytes = s.used_bytes;
	f->meta_bytes = s.meta_bytes;
	f->node_bytes = s.node_bytes;
	f->no_node = ot->no_node;
}

static const struct bench_target offset_target = {
	.name = "offset",
	.what = "lib/offset: exact-size ranges, bins only to find a region",
	.segment = true,
	.max_size = MK_OFFSET_SIZE_MAX,
	.create = offset_create,
	.alloc = offset_alloc,
	.free = offset_free,
	.destroy = offset_destroy,
	.check = offset_check,
	.figures = offset_figures,
	.has_usage = true,
};

/* --- slab -------------------------------------------------------------------------------- */

static void *
slab_create(uint64_t capacity, uint64_t max_live)
{
	/* The defaults of mk_config.h, spelled out so that max_size below is the slab size. */
	struct mk_slab_conf conf = {
		.size = capacity,
		.slab_size = MK_SLAB_SIZE,
		.factor = MK_SLAB_FACTOR,
		.min_class = MK_SLAB_MIN_CLASS,
		.min_slice = MK_SLAB_MIN_SLICE,
	};

	(void)max_live;	/* slab headers are sized from the capacity alone */
	return mk_slab_create(&conf);
}

static int
slab_alloc(void *st, uint64_t size, struct bench_rec *out)
{
	struct mk_slab_alloc a;
	int rc = mk_slab_alloc(st, size, &a);

	if (rc != 0)
		return rc;
	out->offset = a.offset;
	out->size = a.size;
	out->reserved = a.chunk_size;
	out->handle = a.handle;
	return 0;
}

static int
slab_free(void *st, const struct bench_rec *rec)
{
	struct mk_slab_alloc a = {
		.offset = rec->offset,
		.size = rec->size,
		.handle = rec->handle,
		.chunk_size = (uint32_t)rec->reserved,
	};

	return mk_slab_free(st, &a);
}

static void
slab_destroy(void *st)
{
	mk_slab_destroy(st);
}

static int
slab_check(void *st)
{
	return mk_slab_check(st);
}

static void
slab_figures(void *st, struct bench_figures *f)
{
	struct mk_slab_stats s;

	mk_slab_stats(st, &s);
	memset(f, 0, sizeof(*f));
	f->live = s.live;
	f->used_bytes = s.used_bytes;
	f->reserved_bytes = s.chunk_bytes;
	f->meta_bytes = s.meta_bytes;
}

static const struct bench_target slab_target = {
	.name = "slab",
	.what = "lib/slab: CacheLib-style 4 MiB slabs and size classes",
	.segment = true,
	.max_size = MK_SLAB_SIZE,
	.create = slab_create,
	.alloc = slab_alloc,
	.free = slab_free,
	.destroy = slab_destroy,
	.check = slab_check,
	.figures = slab_figures,
	.has_usage = true,
};

/* --- ideal: the packing ceiling ----------------------------------------------------------- */

/*
 * What an allocator that could move live allocations (compaction) would reach: a request
 * fails only when the free bytes in all fall short of it. No allocator that keeps its offsets
 * does better on the same requests, so (b) and (c) figures can be set beside it.
 */
struct ideal_target {
	uint64_t capacity;
	uint64_t used;
	uint64_t handles;
};

static void *
ideal_create(uint64_t capacity, uint64_t max_live)
{
	struct ideal_target *it = calloc(1, sizeof(*it));

	(void)max_live;
	if (it != NULL)
		it->capacity = capacity;
	return it;
}

static int
ideal_alloc(void *st, uint64_t size, struct bench_rec *out)
{
	struct ideal_target *it = st;

	if (size > it->capacity - it->used)
		return -ENOMEM;
	it->used += size;
	out->offset = 0;
	out->size = size;
	out->reserved = size;
	out->handle = ++it->handles;
	return 0;
}

static int
ideal_free(void *st, const struct bench_rec *rec)
{
	struct ideal_target *it = st;

	if (rec->size > it->used)
		return -EINVAL;
	it->used -= rec->size;
	return 0;
}

static const struct bench_target ideal_target = {
	.name = "ideal",
	.what = "a reference, not an allocator: fails only when free bytes in all fall short"
		" (compaction's ceiling; (b) and (c))",
	.segment = true,
	.max_size = UINT64_MAX,
	.create = ideal_create,
	.alloc = ideal_alloc,
	.free = ideal_free,
	.destroy = free,
	.reference = true,
};

/* --- heap allocators: no segment, no state ----------------------------------------------- */

/* create() must return non-NULL on success; the heap targets have no state to return. */
static char heap_state;

static void *
heap_create(uint64_t capacity, uint64_t max_live)
{
	(void)capacity;
	(void)max_live;
	return &heap_state;
}

static void
heap_destroy(void *st)
{
	(void)st;
}

static int
malloc_alloc(void *st, uint64_t size, struct bench_rec *out)
{
	void *p = malloc(size);

	(void)st;
	if (p == NULL)
		return -ENOMEM;
	out->offset = (uintptr_t)p;
	out->size = size;
	out->reserved = size;
	out->handle = 0;
	return 0;
}

static int
malloc_free(void *st, const struct bench_rec *rec)
{
	(void)st;
	free((void *)(uintptr_t)rec->offset);
	return 0;
}

static const struct bench_target malloc_target = {
	.name = "malloc",
	.what = "glibc malloc/free (pointers, no segment: (a) only)",
	.segment = false,
	.max_size = SIZE_MAX,
	.create = heap_create,
	.alloc = malloc_alloc,
	.free = malloc_free,
	.destroy = heap_destroy,
};

#ifdef MK_BENCH_HAVE_DPDK
static int
rte_malloc_alloc(void *st, uint64_t size, struct bench_rec *out)
{
	/* Alignment 0: a cache line, what a DPDK user calling rte_malloc() gets. */
	void *p = rte_malloc(NULL, size, 0);

	(void)st;
	if (p == NULL)
		return -ENOMEM;
	out->offset = (uintptr_t)p;
	out->size = size;
	out->reserved = size;
	out->handle = 0;
	return 0;
}

static int
rte_malloc_free(void *st, const struct bench_rec *rec)
{
	(void)st;
	rte_free((void *)(uintptr_t)rec->offset);
	return 0;
}

static const struct bench_target rte_malloc_target = {
	.name = "rte_malloc",
	.what = "DPDK rte_malloc/rte_free (pointers, no segment: (a) only; needs the EAL)",
	.segment = false,
	.max_size = SIZE_MAX,
	.create = heap_create,
	.alloc = rte_malloc_alloc,
	.free = rte_malloc_free,
	.destroy = heap_destroy,
};
#endif

const struct bench_target *const bench_targets[] = {
	&offset_target,
	&slab_target,
	&ideal_target,
	&malloc_target,
#ifdef MK_BENCH_HAVE_DPDK
	&rte_malloc_target,
#endif
	NULL,
};

const struct bench_target *
bench_target_find(const char *name)
{
	unsigned int i;

	for (i = 0; bench_targets[i] != NULL; i++)
		if (strcmp(bench_targets[i]->name, name) == 0)
			return bench_targets[i];
	return NULL;
}
