/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_ALLOCATOR_PVT_H
#define MK_ALLOCATOR_PVT_H

/*
 * Private to lib/buffer: the allocator instance, the kinds' operations, the metrics and the
 * registry. The idea is in mk_allocator.h.
 */

#include <stdatomic.h>
#include <stdint.h>

#include "mk_allocator.h"

/* What lib/buffer's files share stays out of libmkalloc's exported symbols. */
#define MK_BUFFER_PRIVATE	__attribute__((visibility("hidden")))

/* The registry and the metrics rely on 64-bit atomics and pointers that never take a lock. */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
	"64-bit atomics are lock-free");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "atomic pointers are lock-free");

/* What a kind does; the common layer counts, checks arguments and dispatches. */
struct mk_allocator_ops {
	/* Set a->impl and a->capacity from conf; 0 or a negative errno. */
	int (*create)(struct mk_allocator *a, const struct mk_allocator_conf *conf);
	void (*destroy)(struct mk_allocator *a);
	/* size and align are checked against the capacity and the base already; b is filled
	 * (offset, size, footprint, handle) on success only. */
	int (*alloc)(struct mk_allocator *a, uint64_t size, uint64_t align, struct mk_buffer *b);
	int (*free)(struct mk_allocator *a, const struct mk_buffer *b);
	/* Move an end of the range (the kind updates a->range_base and a->capacity); NULL when
	 * the kind cannot. */
	int (*cede)(struct mk_allocator *a, enum mk_offset_side side, uint64_t max,
		uint64_t *ceded);
	int (*adopt)(struct mk_allocator *a, enum mk_offset_side side, uint64_t bytes);
	uint64_t (*edge_free)(const struct mk_allocator *a, enum mk_offset_side side);
	uint64_t (*largest_free)(const struct mk_allocator *a);
	/* The kind's checker, and its own live and byte counts for the metrics cross-check. */
	int (*check)(const struct mk_allocator *a, uint64_t *live, uint64_t *used,
		uint64_t *footprint);
};

extern const struct mk_allocator_ops mk_allocator_offset_ops MK_BUFFER_PRIVATE;
extern const struct mk_allocator_ops mk_allocator_slab_ops MK_BUFFER_PRIVATE;

/*
 * Written by the owner alone, read by anyone. An even seq means no update is in progress:
 * a reader that sees the same even seq before and after its reads has one moment's figures.
 * Kept apart from the read-mostly fields so that readers do not share their line.
 */
struct mk_alloc_metrics {
	_Atomic uint64_t seq;
	_Atomic uint64_t range_base;	/* the range, as readers see it */
	_Atomic uint64_t capacity;
	_Atomic uint64_t allocated_bytes;
	_Atomic uint64_t footprint_bytes;
	_Atomic uint64_t live_buffers;
	_Atomic uint64_t alloc_count;
	_Atomic uint64_t free_count;
	_Atomic uint64_t free_rejected;
	_Atomic uint64_t fail[MK_ALLOC_FAIL_REASONS];
	_Atomic uint64_t size_hist[MK_ALLOC_HIST_BUCKETS];
};

struct mk_allocator {
	const struct mk_allocator_ops *ops;
	void *impl;		/* struct mk_offset or struct mk_slab */
	uintptr_t base;
	uint64_t base_align;	/* largest power of two dividing base */
	uint64_t segment_size;
	uint64_t range_base;	/* offsets are in [range_base, range_base + capacity) */
	uint64_t capacity;
	uint64_t range_limit;	/* the range stays inside [0, range_limit) */
	uint64_t gen;		/* registry generation, what buffers carry */
	uint32_t id;		/* registry slot */
	uint32_t rkey;
	enum mk_alloc_kind kind;
	char name[MK_SEGMENT_NAME_MAX + 1];
	char endpoint[MK_ENDPOINT_MAX + 1];
	_Alignas(64) struct mk_alloc_metrics m;
};

/*
 * Registry (mk_registry.c). A slot's generation is odd while an allocator holds it and
 * even while it is free; it goes up by one at every create and every destroy.
 */

/* Give a a slot: sets a->id and a->gen. 0, or -ENFILE when every slot is taken. */
MK_BUFFER_PRIVATE int mk_registry_add(struct mk_allocator *a);
/* Free a's slot: its buffers become stale before this returns. */
MK_BUFFER_PRIVATE void mk_registry_remove(struct mk_allocator *a);
/*
 * The allocator a buffer names: lock-free. NULL with *err = -EINVAL when the handle names no
 * allocator ever (cleared, out of range, even generation), -ENODEV when it is gone.
 */
MK_BUFFER_PRIVATE struct mk_allocator *mk_registry_lookup(uint32_t id, uint64_t gen, int *err);

#endif /* MK_ALLOCATOR_PVT_H */
