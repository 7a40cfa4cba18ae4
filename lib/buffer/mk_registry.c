/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process-wide registry that buffers name their allocator by: a slot index and the slot's
 * generation. Adding and removing (allocator create and destroy, rare) take a mutex; a lookup
 * is one acquire load of the generation, so freeing and mk_buffer_valid() never block.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "mk_allocator_pvt.h"

struct registry_slot {
	_Atomic uint64_t gen;
	struct mk_allocator *_Atomic alloc;
};

static struct registry_slot slots[MK_ALLOCATOR_REGISTRY_SLOTS];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * Slots are handed out round robin from here, so a freed slot is reused as late as possible
 * and a stale buffer meets a new allocator in its slot only after all others have been used.
 */
static uint32_t next_slot;

int
mk_registry_add(struct mk_allocator *a)
{
	uint32_t i, id;
	int rc = -ENFILE;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < MK_ALLOCATOR_REGISTRY_SLOTS; i++) {
		uint64_t gen;

		id = (next_slot + i) % MK_ALLOCATOR_REGISTRY_SLOTS;
		gen = atomic_load_explicit(&slots[id].gen, memory_order_relaxed);
		if (gen & 1)
			continue;
		a->id = id;
		a->gen = gen + 1;
		/* the pointer first: a reader that sees the new generation sees it too */
		atomic_store_explicit(&slots[id].alloc, a, memory_order_release);
		atomic_store_explicit(&slots[id].gen, a->gen, memory_order_release);
		next_slot = (id + 1) % MK_ALLOCATOR_REGISTRY_SLOTS;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

void
mk_registry_remove(struct mk_allocator *a)
{
	pthread_mutex_lock(&registry_lock);
	atomic_store_explicit(&slots[a->id].gen, a->gen + 1, memory_order_release);
	atomic_store_explicit(&slots[a->id].alloc, NULL, memory_order_release);
	pthread_mutex_unlock(&registry_lock);
}

struct mk_allocator *
mk_registry_lookup(uint32_t id, uint64_t gen, int *err)
{
	struct mk_allocator *a;

	if (id >= MK_ALLOCATOR_REGISTRY_SLOTS || (gen & 1) == 0) {
		*err = -EINVAL;
		return NULL;
	}
	if (atomic_load_explicit(&slots[id].gen, memory_order_acquire) != gen) {
		*err = -ENODEV;
		return NULL;
	}
	/*
	 * Only a destroy (and a create) on another thread can change the slot between the two
	 * loads of the generation; the pointer read between them is the buffer's allocator when
	 * both loads agree, because every store of the pointer is bracketed by generation bumps.
	 */
	a = atomic_load_explicit(&slots[id].alloc, memory_order_acquire);
	if (a == NULL || atomic_load_explicit(&slots[id].gen, memory_order_relaxed) != gen) {
		*err = -ENODEV;
		return NULL;
	}
	*err = 0;
	return a;
}
