/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The slab kind: lib/slab behind the allocator interface. A buffer takes a chunk of the
 * smallest class that holds it, so its footprint is the chunk size. Chunks start at multiples
 * of 8 bytes from a slab's start (class sizes are multiples of 8), which is all the alignment
 * the kind promises: a larger one is refused with -EINVAL rather than served by luck. The
 * segment is lib/slab's space and the range its range, so slab offsets are segment offsets
 * and the range's ends move in whole slabs.
 */
#include <errno.h>
#include <stddef.h>

#include "mk_allocator_pvt.h"

static int
slab_create(struct mk_allocator *a, const struct mk_allocator_conf *conf)
{
	struct mk_slab_conf sc = conf->slab;
	struct mk_slab_stats s;

	/* offsets are the segment's: the range starts at range_base, on the slab grid */
	sc.size = conf->size;
	sc.base = conf->range_base;
	sc.limit = a->range_limit;
	errno = 0;
	a->impl = mk_slab_create(&sc);
	if (a->impl == NULL)
		return errno != 0 ? -errno : -ENOMEM;
	mk_slab_stats(a->impl, &s);
	a->capacity = s.capacity;
	return 0;
}

static void
slab_destroy(struct mk_allocator *a)
{
	mk_slab_destroy(a->impl);
}

static int
slab_alloc(struct mk_allocator *a, uint64_t size, uint64_t align, struct mk_buffer *b)
{
	struct mk_slab_alloc r;
	int rc;

	if (align > MK_ALLOC_SLAB_ALIGN_MAX)
		return -EINVAL;
	rc = mk_slab_alloc(a->impl, size, &r);
	if (rc != 0)
		return rc;
	b->offset = r.offset;
	b->size = r.size;
	b->footprint = r.chunk_size;
	b->handle = r.handle;
	return 0;
}

static int
slab_free(struct mk_allocator *a, const struct mk_buffer *b)
{
	struct mk_slab_alloc r = {
		.offset = b->offset, .size = b->size, .handle = b->handle,
		.chunk_size = (uint32_t)b->footprint,
	};

	if (b->footprint > UINT32_MAX)
		return -EINVAL;
	return mk_slab_free(a->impl, &r);
}

static uint64_t
slab_largest_free(const struct mk_allocator *a)
{
	struct mk_slab_report r;

	mk_slab_report(a->impl, &r);
	return r.largest_free;
}

static int
slab_check(const struct mk_allocator *a, uint64_t *live, uint64_t *used, uint64_t *footprint)
{
	struct mk_slab_stats s;
	int rc;

	rc = mk_slab_check(a->impl);
	if (rc != 0)
		return rc;
	mk_slab_stats(a->impl, &s);
	*live = s.live;
	*used = s.used_bytes;
	*footprint = s.chunk_bytes;
	return 0;
}

static enum mk_slab_side
slab_side(enum mk_offset_side side)
{
	return side == MK_OFFSET_LOW ? MK_SLAB_LOW : MK_SLAB_HIGH;
}

static int
slab_cede(struct mk_allocator *a, enum mk_offset_side side, uint64_t max, uint64_t *ceded)
{
	int rc;

	/* the common layer checks the side for adopt and edge_free only */
	if (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH)
		return -EINVAL;
	rc = mk_slab_cede(a->impl, slab_side(side), max, ceded);
	if (rc == 0) {
		a->range_base += side == MK_OFFSET_LOW ? *ceded : 0;
		a->capacity -= *ceded;
	}
	return rc;
}

static int
slab_adopt(struct mk_allocator *a, enum mk_offset_side side, uint64_t bytes)
{
	int rc = mk_slab_adopt(a->impl, slab_side(side), bytes);

	if (rc == 0) {
		a->range_base -= side == MK_OFFSET_LOW ? bytes : 0;
		a->capacity += bytes;
	}
	return rc;
}

static uint64_t
slab_edge_free(const struct mk_allocator *a, enum mk_offset_side side)
{
	return mk_slab_edge_free(a->impl, slab_side(side));
}

const struct mk_allocator_ops mk_allocator_slab_ops = {
	.create = slab_create,
	.destroy = slab_destroy,
	.alloc = slab_alloc,
	.free = slab_free,
	.cede = slab_cede,
	.adopt = slab_adopt,
	.edge_free = slab_edge_free,
	.largest_free = slab_largest_free,
	.check = slab_check,
};
