/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_OWNER_H
#define MK_OWNER_H

/*
 * Owner records of one shard (private to lib/mkalloc): the buffers that clients of other
 * processes own, by offset. The idea is in mk_owner.c.
 */

#include <stdbool.h>
#include <stdint.h>

/* Slot of the records of a secondary that went away while its buffers were kept. */
#define MK_OWNER_ORPHAN	UINT16_MAX

struct mk_owner_rec {
	uint64_t offset;
	uint64_t size;
	uint64_t footprint;
	uint64_t handle;
	uint32_t gen;		/* the slot's opening that allocated it */
	uint16_t slot;		/* client slot, or MK_OWNER_ORPHAN */
	bool in_use;
};

struct mk_owner_table;

/* A table for @p capacity records; NULL when out of memory. @p name is unique (rte_hash). */
struct mk_owner_table *mk_owner_create(const char *name, uint32_t capacity);
void mk_owner_destroy(struct mk_owner_table *t);
/* Records held now; 0 for a NULL table. */
uint32_t mk_owner_count(const struct mk_owner_table *t);
/* Record a buffer: 0, or -ENOSPC when the table is full. */
int mk_owner_add(struct mk_owner_table *t, const struct mk_owner_rec *r);
/* The record of the buffer at @p offset, or NULL (also for a NULL table). */
const struct mk_owner_rec *mk_owner_find(const struct mk_owner_table *t, uint64_t offset);
/* Forget a record that mk_owner_find() returned. */
void mk_owner_remove(struct mk_owner_table *t, const struct mk_owner_rec *r);
/* Call @p fn on every record of (@p slot, @p gen); a record for which it returns true is
 * removed. Returns the number of records visited. */
unsigned int mk_owner_each(struct mk_owner_table *t, uint16_t slot, uint32_t gen,
	bool (*fn)(struct mk_owner_rec *r, void *arg), void *arg);

#endif /* MK_OWNER_H */
