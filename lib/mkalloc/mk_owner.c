/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Owner records of a shard: which client slot (and which opening of it) owns each buffer that
 * a client of another process allocated, so that a free from a secondary is checked against
 * its owner and a secondary that exits has its buffers released (or kept) by its worker.
 * Private to the shard's worker: no lock. Buffers of the primary's own clients have no record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "mk_owner.h"

struct mk_owner_table {
	struct rte_hash *by_offset;	/* offset -> record index */
	struct mk_owner_rec *rec;
	uint32_t *free_list;		/* indices of unused records */
	uint32_t nb_free;
	uint32_t capacity;
};

struct mk_owner_table *
mk_owner_create(const char *name, uint32_t capacity)
{
	struct rte_hash_parameters hp = {
		.name = name, .entries = capacity, .key_len = sizeof(uint64_t),
		.hash_func = rte_hash_crc, .socket_id = SOCKET_ID_ANY,
	};
	struct mk_owner_table *t = calloc(1, sizeof(*t));
	uint32_t i;

	if (t == NULL)
		return NULL;
	t->capacity = capacity;
	t->rec = calloc(capacity, sizeof(*t->rec));
	t->free_list = calloc(capacity, sizeof(*t->free_list));
	t->by_offset = rte_hash_create(&hp);
	if (t->rec == NULL || t->free_list == NULL || t->by_offset == NULL) {
		mk_owner_destroy(t);
		return NULL;
	}
	for (i = 0; i < capacity; i++)
		t->free_list[i] = capacity - 1 - i;
	t->nb_free = capacity;
	return t;
}

void
mk_owner_destroy(struct mk_owner_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->by_offset);
	free(t->rec);
	free(t->free_list);
	free(t);
}

uint32_t
mk_owner_count(const struct mk_owner_table *t)
{
	return t == NULL ? 0 : t->capacity - t->nb_free;
}

int
mk_owner_add(struct mk_owner_table *t, const struct mk_owner_rec *r)
{
	uint32_t i;
	int rc;

	if (t->nb_free == 0)
		return -ENOSPC;
	i = t->free_list[--t->nb_free];
	rc = rte_hash_add_key_data(t->by_offset, &r->offset, (void *)(uintptr_t)i);
	if (rc != 0) {
		t->nb_free++;
		return rc;
	}
	t->rec[i] = *r;
	t->rec[i].in_use = true;
	return 0;
}

const struct mk_owner_rec *
mk_owner_find(const struct mk_owner_table *t, uint64_t offset)
{
	void *data;

	if (t == NULL || t->nb_free == t->capacity ||
	    rte_hash_lookup_data(t->by_offset, &offset, &data) < 0)
		return NULL;
	return &t->rec[(uintptr_t)data];
}

void
mk_owner_remove(struct mk_owner_table *t, const struct mk_owner_rec *r)
{
	uint32_t i = (uint32_t)(r - t->rec);

	rte_hash_del_key(t->by_offset, &r->offset);
	t->rec[i].in_use = false;
	t->free_list[t->nb_free++] = i;
}

unsigned int
mk_owner_each(struct mk_owner_table *t, uint16_t slot, uint32_t gen,
	bool (*fn)(struct mk_owner_rec *r, void *arg), void *arg)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; t != NULL && i < t->capacity && t->nb_free < t->capacity; i++) {
		struct mk_owner_rec *r = &t->rec[i];

		if (!r->in_use || r->slot != slot || r->gen != gen)
			continue;
		n++;
		if (fn(r, arg))
			mk_owner_remove(t, r);
	}
	return n;
}
