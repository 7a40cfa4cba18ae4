/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offset kind: lib/offset behind the allocator interface. A buffer takes exactly the
 * bytes asked for, at any alignment the common layer lets through; its footprint is its size.
 */
#include <errno.h>
#include <stddef.h>

#include "mk_allocator_pvt.h"

static int
offset_create(struct mk_allocator *a, const struct mk_allocator_conf *conf)
{
	struct mk_offset_conf oc = conf->offset;

	/* offsets are the segment's: the range starts at range_base */
	oc.size = conf->size;
	oc.base = conf->range_base;
	errno = 0;
	a->impl = mk_offset_create(&oc);
	if (a->impl == NULL)
		return errno != 0 ? -errno : -ENOMEM;
	a->capacity = conf->size;
	return 0;
}

static void
offset_destroy(struct mk_allocator *a)
{
	mk_offset_destroy(a->impl);
}

static int
offset_alloc(struct mk_allocator *a, uint64_t size, uint64_t align, struct mk_buffer *b)
{
	struct mk_offset_alloc r;
	int rc;

	rc = mk_offset_alloc(a->impl, size, align, &r);
	if (rc != 0)
		return rc;
	b->offset = r.offset;
	b->size = r.size;
	b->footprint = r.size;
	b->handle = r.handle;
	return 0;
}

static int
offset_free(struct mk_allocator *a, const struct mk_buffer *b)
{
	struct mk_offset_alloc r = { .offset = b->offset, .size = b->size, .handle = b->handle };

	/* the footprint is not the offset allocator's to check: it must be the size */
	if (b->footprint != b->size)
		return -EINVAL;
	return mk_offset_free(a->impl, &r);
}

static uint64_t
offset_largest_free(const struct mk_allocator *a)
{
	struct mk_offset_report r;

	mk_offset_report(a->impl, &r);
	return r.largest_free;
}

static int
offset_check(const struct mk_allocator *a, uint64_t *live, uint64_t *used, uint64_t *footprint)
{
	struct mk_offset_stats s;
	int rc;

	rc = mk_offset_check(a->impl);
	if (rc != 0)
		return rc;
	mk_offset_stats(a->impl, &s);
	*live = s.live;
	*used = s.used_bytes;
	*footprint = s.used_bytes;
	return 0;
}

static int
offset_cede(struct mk_allocator *a, enum mk_offset_side side, uint64_t max, uint64_t *ceded)
{
	int rc = mk_offset_cede(a->impl, side, max, ceded);

	if (rc == 0) {
		a->range_base += side == MK_OFFSET_LOW ? *ceded : 0;
		a->capacity -= *ceded;
	}
	return rc;
}

static int
offset_adopt(struct mk_allocator *a, enum mk_offset_side side, uint64_t bytes)
{
	int rc = mk_offset_adopt(a->impl, side, bytes);

	if (rc == 0) {
		a->range_base -= side == MK_OFFSET_LOW ? bytes : 0;
		a->capacity += bytes;
	}
	return rc;
}

static uint64_t
offset_edge_free(const struct mk_allocator *a, enum mk_offset_side side)
{
	return mk_offset_edge_free(a->impl, side);
}

const struct mk_allocator_ops mk_allocator_offset_ops = {
	.create = offset_create,
	.destroy = offset_destroy,
	.alloc = offset_alloc,
	.free = offset_free,
	.cede = offset_cede,
	.adopt = offset_adopt,
	.edge_free = offset_edge_free,
	.largest_free = offset_largest_free,
	.check = offset_check,
};
