/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The common allocator layer: checks the segment and the requests, dispatches to the kind,
 * keeps the per-segment metrics and the buffers' weak references. The idea is in
 * mk_allocator.h; the kinds are in mk_allocator_offset.c and mk_allocator_slab.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_config.h"
#include "mk_allocator_pvt.h"
#include "mk_descriptor.h"

enum mk_alloc_kind
mk_allocator_choose(const struct mk_allocator_conf *conf)
{
	uint64_t slab_max;

	if (conf == NULL)
		return MK_ALLOC_KIND_AUTO;
	if (conf->kind != MK_ALLOC_KIND_AUTO)
		return conf->kind;
	/* the slab allocator's largest class is one slab */
	slab_max = conf->slab.slab_size != 0 ? conf->slab.slab_size : MK_SLAB_SIZE;
	if (conf->max_alloc_size == 0 || conf->max_alloc_size > slab_max)
		return MK_ALLOC_KIND_OFFSET;
	if (conf->need_exact_free)
		return MK_ALLOC_KIND_OFFSET;
	if (conf->need_align > MK_ALLOC_SLAB_ALIGN_MAX)
		return MK_ALLOC_KIND_OFFSET;
	return MK_ALLOC_KIND_SLAB;
}

const char *
mk_alloc_kind_name(enum mk_alloc_kind kind)
{
	switch (kind) {
	case MK_ALLOC_KIND_AUTO: return "auto";
	case MK_ALLOC_KIND_OFFSET: return "offset";
	case MK_ALLOC_KIND_SLAB: return "slab";
	}
	return "unknown";
}

static const struct mk_allocator_ops *
kind_ops(enum mk_alloc_kind kind)
{
	switch (kind) {
	case MK_ALLOC_KIND_OFFSET: return &mk_allocator_offset_ops;
	case MK_ALLOC_KIND_SLAB: return &mk_allocator_slab_ops;
	case MK_ALLOC_KIND_AUTO: break;
	}
	return NULL;
}

static int
check_segment(const struct mk_allocator_conf *conf)
{
	const char *endpoint;

	if (conf == NULL || conf->base == NULL || conf->size == 0)
		return -EINVAL;
	if (conf->size - 1 > UINTPTR_MAX - (uintptr_t)conf->base ||
	    conf->range_base > MK_OFFSET_SIZE_MAX - conf->size ||
	    conf->range_base > UINTPTR_MAX - (uintptr_t)conf->base - (conf->size - 1))
		return -EINVAL;
	if (conf->range_limit != 0 && (conf->range_limit < conf->range_base + conf->size ||
	    conf->range_limit > MK_OFFSET_SIZE_MAX ||
	    conf->range_limit - 1 > UINTPTR_MAX - (uintptr_t)conf->base))
		return -EINVAL;
	if (mk_desc_check_name(conf->name, NULL, 0) != 0)
		return -EINVAL;
	endpoint = conf->endpoint != NULL ? conf->endpoint : "";
	if (mk_desc_check_endpoint(endpoint, NULL, 0) != 0)
		return -EINVAL;
	return 0;
}

struct mk_allocator *
mk_allocator_create(const struct mk_allocator_conf *conf)
{
	const struct mk_allocator_ops *ops;
	struct mk_allocator *a;
	enum mk_alloc_kind kind;
	int rc;

	rc = check_segment(conf);
	if (rc != 0) {
		errno = -rc;
		return NULL;
	}
	kind = mk_allocator_choose(conf);
	ops = kind_ops(kind);
	if (ops == NULL) {
		errno = EINVAL;
		return NULL;
	}
	/* the size is a multiple of the metrics' alignment, as aligned_alloc() wants */
	a = aligned_alloc(_Alignof(struct mk_allocator), sizeof(*a));
	if (a == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memset(a, 0, sizeof(*a));
	a->ops = ops;
	a->kind = kind;
	a->base = (uintptr_t)conf->base;
	a->base_align = a->base & (~a->base + 1);
	a->segment_size = conf->size;
	a->range_base = conf->range_base;
	a->range_limit = conf->range_limit != 0 ? conf->range_limit :
		conf->range_base + conf->size;
	a->rkey = conf->rkey;
	snprintf(a->name, sizeof(a->name), "%s", conf->name);
	snprintf(a->endpoint, sizeof(a->endpoint), "%s",
		conf->endpoint != NULL ? conf->endpoint : "");
	rc = ops->create(a, conf);
	if (rc == 0) {
		atomic_store_explicit(&a->m.range_base, a->range_base, memory_order_relaxed);
		atomic_store_explicit(&a->m.capacity, a->capacity, memory_order_relaxed);
		rc = mk_registry_add(a);
		if (rc != 0)
			ops->destroy(a);
	}
	if (rc != 0) {
		free(a);
		errno = -rc;
		return NULL;
	}
	return a;
}

void
mk_allocator_destroy(struct mk_allocator *a)
{
	if (a == NULL)
		return;
	/* buffers go stale first, so that no free can reach the kind once it is gone */
	mk_registry_remove(a);
	a->ops->destroy(a);
	free(a);
}

/*
 * Metric updates, by the owner only: a plain load and store of each counter is enough (no
 * read-modify-write) since nobody else writes them. The sequence counter is odd during an
 * update: the release fence keeps the counters' stores after the odd value, the release
 * store of the even value keeps them before it.
 */
static inline void
metrics_begin(struct mk_alloc_metrics *m)
{
	uint64_t seq = atomic_load_explicit(&m->seq, memory_order_relaxed);

	atomic_store_explicit(&m->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static inline void
metrics_end(struct mk_alloc_metrics *m)
{
	uint64_t seq = atomic_load_explicit(&m->seq, memory_order_relaxed);

	atomic_store_explicit(&m->seq, seq + 1, memory_order_release);
}

static inline void
counter_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
		memory_order_relaxed);
}

static inline void
counter_sub(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) - v,
		memory_order_relaxed);
}

static enum mk_alloc_fail
fail_reason(int rc)
{
	switch (rc) {
	case -ENOMEM: return MK_ALLOC_FAIL_NOMEM;
	case -ENOSPC: return MK_ALLOC_FAIL_NOSPC;
	case -E2BIG: return MK_ALLOC_FAIL_2BIG;
	default: return MK_ALLOC_FAIL_INVAL;
	}
}

int
mk_allocator_alloc(struct mk_allocator *a, uint64_t size, uint64_t align, struct mk_buffer *out)
{
	int rc;

	if (a == NULL)
		return -EINVAL;
	/*
	 * The kinds fill @p out only on success, field by field; it is completed here, not
	 * built on the stack and copied: a struct copy read back right after the field stores
	 * stalls on store forwarding (a third of this function's time in the service's loop).
	 */
	if (out == NULL || size == 0 || (align & (align - 1)) != 0 || align > a->base_align)
		rc = -EINVAL;
	else if (size > a->capacity)
		rc = -E2BIG;
	else
		rc = a->ops->alloc(a, size, align, out);

	metrics_begin(&a->m);
	if (rc == 0) {
		counter_add(&a->m.allocated_bytes, out->size);
		counter_add(&a->m.footprint_bytes, out->footprint);
		counter_add(&a->m.live_buffers, 1);
		counter_add(&a->m.alloc_count, 1);
		counter_add(&a->m.size_hist[63 - __builtin_clzll(size)], 1);
	} else {
		counter_add(&a->m.fail[fail_reason(rc)], 1);
	}
	metrics_end(&a->m);
	if (rc != 0)
		return rc;
	out->data = (void *)(a->base + out->offset);
	out->alloc_id = a->id;
	out->alloc_gen = a->gen;
	return 0;
}

int
mk_buffer_free(struct mk_buffer *b)
{
	struct mk_allocator *a;
	int rc;

	if (b == NULL)
		return -EINVAL;
	a = mk_registry_lookup(b->alloc_id, b->alloc_gen, &rc);
	if (a == NULL)
		return rc;
	return mk_allocator_free(a, b);
}

int
mk_allocator_free(struct mk_allocator *a, struct mk_buffer *b)
{
	int rc;

	if (a == NULL || b == NULL)
		return -EINVAL;
	/* the kinds check offset and handle; the pointer derived from them is checked here */
	if (b->offset < a->range_base || b->offset - a->range_base >= a->capacity ||
	    (uintptr_t)b->data != a->base + b->offset)
		rc = -EINVAL;
	else
		rc = a->ops->free(a, b);

	metrics_begin(&a->m);
	if (rc == 0) {
		counter_sub(&a->m.allocated_bytes, b->size);
		counter_sub(&a->m.footprint_bytes, b->footprint);
		counter_sub(&a->m.live_buffers, 1);
		counter_add(&a->m.free_count, 1);
	} else {
		counter_add(&a->m.free_rejected, 1);
	}
	metrics_end(&a->m);
	if (rc == 0)
		memset(b, 0, sizeof(*b));
	return rc;
}

bool
mk_buffer_valid(const struct mk_buffer *b)
{
	int rc;

	return b != NULL && mk_registry_lookup(b->alloc_id, b->alloc_gen, &rc) != NULL;
}

enum mk_alloc_kind
mk_allocator_kind(const struct mk_allocator *a)
{
	return a->kind;
}

uint64_t
mk_allocator_capacity(const struct mk_allocator *a)
{
	return a->capacity;
}

uint64_t
mk_allocator_range_base(const struct mk_allocator *a)
{
	return a->range_base;
}

uint64_t
mk_allocator_size(const struct mk_allocator *a)
{
	return atomic_load_explicit(&a->m.allocated_bytes, memory_order_relaxed);
}

const char *
mk_allocator_name(const struct mk_allocator *a)
{
	return a->name;
}

const char *
mk_allocator_endpoint(const struct mk_allocator *a)
{
	return a->endpoint;
}

uint32_t
mk_allocator_rkey(const struct mk_allocator *a)
{
	return a->rkey;
}

uint32_t
mk_allocator_id(const struct mk_allocator *a)
{
	return a->id;
}

uint64_t
mk_allocator_largest_free(const struct mk_allocator *a)
{
	return a->ops->largest_free(a);
}

void
mk_allocator_stats(const struct mk_allocator *a, struct mk_allocator_stats *s)
{
	const struct mk_alloc_metrics *m = &a->m;
	uint64_t seq;
	unsigned int i;

	s->kind = a->kind;
	s->segment_size = a->segment_size;
	for (;;) {
		seq = atomic_load_explicit(&m->seq, memory_order_acquire);
		if (seq & 1)
			continue;	/* the owner is in the middle of an update: a few stores */
		s->range_base = atomic_load_explicit(&m->range_base, memory_order_relaxed);
		s->capacity = atomic_load_explicit(&m->capacity, memory_order_relaxed);
		s->allocated_bytes = atomic_load_explicit(&m->allocated_bytes,
			memory_order_relaxed);
		s->footprint_bytes = atomic_load_explicit(&m->footprint_bytes,
			memory_order_relaxed);
		s->live_buffers = atomic_load_explicit(&m->live_buffers, memory_order_relaxed);
		s->alloc_count = atomic_load_explicit(&m->alloc_count, memory_order_relaxed);
		s->free_count = atomic_load_explicit(&m->free_count, memory_order_relaxed);
		s->free_rejected = atomic_load_explicit(&m->free_rejected, memory_order_relaxed);
		for (i = 0; i < MK_ALLOC_FAIL_REASONS; i++)
			s->fail[i] = atomic_load_explicit(&m->fail[i], memory_order_relaxed);
		for (i = 0; i < MK_ALLOC_HIST_BUCKETS; i++)
			s->size_hist[i] = atomic_load_explicit(&m->size_hist[i],
				memory_order_relaxed);
		/* the loads above stay before the second look at seq */
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&m->seq, memory_order_relaxed) == seq)
			return;
	}
}

static int
check_fail(const struct mk_allocator *a, const char *what, uint64_t got, uint64_t want)
{
	fprintf(stderr, "mk_allocator_check: segment %s (%s): %s is %" PRIu64 ", expected %"
		PRIu64 "\n", a->name, mk_alloc_kind_name(a->kind), what, got, want);
	return -EFAULT;
}

int
mk_allocator_check(const struct mk_allocator *a)
{
	struct mk_allocator_stats s;
	uint64_t live, used, footprint, hist = 0;
	unsigned int i;
	int rc;

	if (a == NULL)
		return -EINVAL;
	rc = a->ops->check(a, &live, &used, &footprint);
	if (rc != 0)
		return rc;
	mk_allocator_stats(a, &s);
	for (i = 0; i < MK_ALLOC_HIST_BUCKETS; i++)
		hist += s.size_hist[i];
	if (s.live_buffers != live)
		return check_fail(a, "live_buffers", s.live_buffers, live);
	if (s.allocated_bytes != used)
		return check_fail(a, "allocated_bytes", s.allocated_bytes, used);
	if (s.footprint_bytes != footprint)
		return check_fail(a, "footprint_bytes", s.footprint_bytes, footprint);
	if (s.alloc_count - s.free_count != s.live_buffers)
		return check_fail(a, "alloc_count - free_count", s.alloc_count - s.free_count,
			s.live_buffers);
	if (hist != s.alloc_count)
		return check_fail(a, "size histogram total", hist, s.alloc_count);
	if (s.footprint_bytes < s.allocated_bytes || s.footprint_bytes > s.capacity)
		return check_fail(a, "footprint_bytes", s.footprint_bytes, s.allocated_bytes);
	if (mk_registry_lookup(a->id, a->gen, &rc) != a)
		return check_fail(a, "registry slot", a->id, a->id);
	return 0;
}

/* Publish the range after the kind moved an end. */
static void
range_publish(struct mk_allocator *a)
{
	metrics_begin(&a->m);
	atomic_store_explicit(&a->m.range_base, a->range_base, memory_order_relaxed);
	atomic_store_explicit(&a->m.capacity, a->capacity, memory_order_relaxed);
	metrics_end(&a->m);
}

int
mk_allocator_cede(struct mk_allocator *a, enum mk_offset_side side, uint64_t max,
	uint64_t *ceded)
{
	int rc;

	if (a == NULL || ceded == NULL)
		return -EINVAL;
	if (a->ops->cede == NULL)
		return -ENOTSUP;
	rc = a->ops->cede(a, side, max, ceded);
	if (rc == 0 && *ceded != 0)
		range_publish(a);
	return rc;
}

int
mk_allocator_adopt(struct mk_allocator *a, enum mk_offset_side side, uint64_t bytes)
{
	int rc;

	if (a == NULL || bytes == 0 || (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH))
		return -EINVAL;
	if (a->ops->adopt == NULL)
		return -ENOTSUP;
	if (side == MK_OFFSET_LOW ? bytes > a->range_base :
	    bytes > a->range_limit - a->range_base - a->capacity)
		return -EINVAL;
	rc = a->ops->adopt(a, side, bytes);
	if (rc == 0)
		range_publish(a);
	return rc;
}

uint64_t
mk_allocator_edge_free(const struct mk_allocator *a, enum mk_offset_side side)
{
	if (a == NULL || a->ops->edge_free == NULL ||
	    (side != MK_OFFSET_LOW && side != MK_OFFSET_HIGH))
		return 0;
	return a->ops->edge_free(a, side);
}
