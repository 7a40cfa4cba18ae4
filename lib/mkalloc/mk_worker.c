/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker loop: take the control lcore's moves of capacity, if any; dequeue a burst, serve
 * each request against the shard it owns (or pass it to the owner), send the completions,
 * publish the shards' figures. Read top to bottom: this is the whole data path of the
 * service.
 */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "mk_owner.h"
#include "mk_service_pvt.h"

#define BURST_MAX 64

/* A token's low bit: the client is in another process (see mk_secondary.c). */
#define TOKEN_REMOTE	UINT64_C(1)

/* Hand a request to the worker that owns its shard. Rings hold every request that can be in
 * flight at once (see mk_service.h), so this cannot fail; if it ever did, the request is
 * answered here rather than lost. */
static bool
forward(struct mk_worker *w, const struct mk_shard *to, struct mk_req *rq)
{
	struct mk_worker *owner = &w->svc->workers[to->worker];
	unsigned int i;

	/* counted by this worker's own shard of the segment, if it has one */
	for (i = 0; i < w->nb_shards; i++) {
		if (w->shards[i]->seg == to->seg) {
			w->shards[i]->counters.forwarded++;
			w->shards[i]->dirty = true;
			break;
		}
	}
	return rte_ring_enqueue_elem(owner->ring, rq, sizeof(*rq)) == 0;
}

static void
complete(struct mk_cpl *c, const struct mk_req *rq, int status)
{
	*c = mk_cpl_of(rq, status);
}

/*
 * A buffer that a client of another process now owns: recorded, so that its frees are
 * checked and it is released when that process goes. -ENOSPC (the buffer is given back)
 * when the shard's records are full.
 */
static int
record_owner(struct mk_worker *w, struct mk_shard *sh, const struct mk_req *rq,
	const struct mk_buffer *buf)
{
	struct mk_client_slot *slot = &w->svc->clients[rq->client];
	struct mk_owner_rec r = {
		.offset = buf->offset, .size = buf->size, .footprint = buf->footprint,
		.handle = buf->handle, .slot = rq->client, .gen = slot->gen,
	};
	int rc;

	if (sh->owners == NULL) {
		char name[32];

		snprintf(name, sizeof(name), "mk_own_%u_%u", sh->seg->index, sh->index);
		sh->owners = mk_owner_create(name, w->svc->conf.secondary_buffers);
		if (sh->owners == NULL)
			return -ENOSPC;	/* not -ENOMEM: no other shard would do better */
	}
	rc = mk_owner_add(sh->owners, &r);
	if (rc != 0)
		return rc;
	atomic_fetch_add_explicit(&slot->remote_live, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&slot->remote_bytes, buf->size, memory_order_relaxed);
	return 0;
}

/*
 * An allocation no shard could serve waits with the control lcore, which may move capacity
 * between shards to make room (unless the caller asked not to wait, or no control lcore
 * rebalances). The control ring holds every request there can be: this cannot fail.
 */
static bool
park(struct mk_worker *w, struct mk_req *rq)
{
	struct mk_service *svc = w->svc;

	if ((rq->flags & MK_REQ_F_NOWAIT) || !atomic_load_explicit(&svc->parking,
			memory_order_relaxed))
		return false;
	if (rq->footprint == 0)
		rq->footprint = rte_get_timer_cycles();	/* the wait starts */
	return rte_ring_enqueue_elem(svc->ctl_ring, rq, sizeof(*rq)) == 0;
}

/*
 * An allocation tries the request's shard, then the best of the shards it has not tried
 * (mk_route_next()): a segment fails an allocation only when every shard said -ENOMEM, and
 * then only if no move of capacity can make room in time (park()).
 * Returns false when the request went to another worker or to the control lcore (no
 * completion from here).
 */
static bool
serve_alloc(struct mk_worker *w, struct mk_segment *seg, struct mk_req *rq, struct mk_cpl *c)
{
	int next;

	for (;;) {
		struct mk_shard *sh = &seg->shards[rq->shard];
		struct mk_buffer buf;
		int rc;

		if (sh->worker != w->index)
			return forward(w, sh, rq) ? false : (complete(c, rq, -EAGAIN), true);

		rc = mk_allocator_alloc(sh->alloc, rq->size, rq->arg, &buf);
		sh->dirty = true;
		/* a secondary's buffer is recorded as its own, or not handed out */
		if (rc == 0 && (rq->token & TOKEN_REMOTE)) {
			rc = record_owner(w, sh, rq, &buf);
			if (rc != 0)
				mk_allocator_free(sh->alloc, &buf);
		}
		if (rc == 0) {
			complete(c, rq, 0);
			c->offset = buf.offset;
			c->size = buf.size;
			c->handle = buf.handle;
			c->footprint = buf.footprint;
			c->alloc_id = buf.alloc_id;
			c->alloc_gen = buf.alloc_gen;
			sh->counters.allocs++;
			sh->counters.live_buffers++;
			sh->counters.allocated_bytes += buf.size;
			sh->footprint_bytes += buf.footprint;
			return true;
		}
		/* too large for this shard (-E2BIG) is not too large for the segment: move on */
		if (rc != -ENOMEM && rc != -E2BIG) {
			sh->counters.fail_other++;
			complete(c, rq, rc);
			return true;
		}
		sh->counters.fail_nomem++;
		rq->handle |= UINT64_C(1) << rq->shard;
		next = mk_route_next(w->svc, seg, rq->size, rq->handle, rq->shard + 1u);
		if (next < 0)
			return park(w, rq) ? false : (complete(c, rq, -ENOMEM), true);
		rq->shard = (uint16_t)next;
	}
}

/* The buffer a free names, as its allocator takes it back. */
static struct mk_buffer
buffer_at(const struct mk_segment *seg, uint64_t offset, uint64_t size, uint64_t footprint,
	uint64_t handle)
{
	return (struct mk_buffer){
		.data = (char *)seg->mem.addr + offset, .offset = offset, .size = size,
		.footprint = footprint, .handle = handle,
	};
}

/* A buffer went back to the shard's allocator. */
static void
count_free(struct mk_shard *sh, uint64_t size, uint64_t footprint)
{
	sh->counters.frees++;
	sh->counters.live_buffers--;
	sh->counters.allocated_bytes -= size;
	sh->footprint_bytes -= footprint;
	sh->dirty = true;
}

/* An owner record goes: its slot (or the orphans) holds one buffer less. */
static void
count_owner_gone(struct mk_service *svc, const struct mk_owner_rec *r)
{
	bool orphan = r->slot == MK_OWNER_ORPHAN;

	atomic_fetch_sub_explicit(orphan ? &svc->orphan_live : &svc->clients[r->slot].remote_live,
		1, memory_order_relaxed);
	atomic_fetch_sub_explicit(orphan ? &svc->orphan_bytes :
		&svc->clients[r->slot].remote_bytes, r->size, memory_order_relaxed);
}

/*
 * A free is applied by the owner of the shard that holds its offset, never elsewhere. A
 * client of another process frees only the buffers it owns (-EPERM otherwise); the primary's
 * clients may free any.
 */
static bool
serve_free(struct mk_worker *w, struct mk_segment *seg, struct mk_req *rq, struct mk_cpl *c)
{
	struct mk_shard *sh = mk_segment_shard_of(seg, rq->arg);
	const struct mk_owner_rec *owner;
	struct mk_buffer buf;
	int rc;

	if (sh == NULL || rq->size == 0) {
		complete(c, rq, -EINVAL);
		return true;
	}
	rq->shard = (uint16_t)sh->index;
	if (sh->worker != w->index)
		return forward(w, sh, rq) ? false : (complete(c, rq, -EAGAIN), true);

	owner = mk_owner_find(sh->owners, rq->arg);
	if ((rq->token & TOKEN_REMOTE) && (owner == NULL || owner->slot != rq->client ||
	    owner->gen != w->svc->clients[rq->client].gen)) {
		sh->counters.free_rejected++;
		complete(c, rq, -EPERM);
		return true;
	}
	buf = buffer_at(seg, rq->arg, rq->size, rq->footprint, rq->handle);
	rc = mk_allocator_free(sh->alloc, &buf);
	sh->dirty = true;
	complete(c, rq, rc);
	if (rc != 0) {
		sh->counters.free_rejected++;
		return true;
	}
	if (owner != NULL) {
		count_owner_gone(w->svc, owner);
		mk_owner_remove(sh->owners, owner);
	}
	c->offset = rq->arg;
	c->size = rq->size;
	count_free(sh, rq->size, rq->footprint);
	return true;
}

static bool
serve(struct mk_worker *w, struct mk_req *rq, struct mk_cpl *c)
{
	struct mk_service *svc = w->svc;
	struct mk_segment *seg;

	if (rq->segment >= svc->nb_segments) {
		complete(c, rq, -EINVAL);
		return true;
	}
	seg = &svc->segments[rq->segment];
	switch (rq->op) {
	case MK_REQ_ALLOC:
		if (rq->shard >= seg->nb_shards)
			rq->shard = 0;
		return serve_alloc(w, seg, rq, c);
	case MK_REQ_FREE:
		return serve_free(w, seg, rq, c);
	default:
		complete(c, rq, -EINVAL);
		return true;
	}
}

/* Send completions in runs of one client (a client's requests mostly come in runs). */
static void
send_completions(struct mk_service *svc, const uint16_t *client, const struct mk_cpl *cpl,
	unsigned int n)
{
	unsigned int i = 0;

	while (i < n) {
		unsigned int run = 1;

		while (i + run < n && client[i + run] == client[i])
			run++;
		/* a client's ring holds its whole depth: this cannot come up short */
		rte_ring_enqueue_bulk_elem(svc->clients[client[i]].ring, &cpl[i], sizeof(*cpl),
			run, NULL);
		atomic_fetch_add_explicit(&svc->clients[client[i]].answered, run,
			memory_order_release);
		i += run;
	}
}

void
mk_shard_publish(struct mk_shard *sh)
{
	struct mk_shard_stats *s = &sh->counters;

	s->base = mk_allocator_range_base(sh->alloc);
	s->capacity = mk_allocator_capacity(sh->alloc);
	s->largest_free = mk_allocator_largest_free(sh->alloc);
	s->edge_free_low = mk_allocator_edge_free(sh->alloc, MK_OFFSET_LOW);
	s->edge_free_high = mk_allocator_edge_free(sh->alloc, MK_OFFSET_HIGH);
	s->free_bytes = s->capacity - sh->footprint_bytes;
	rte_seqlock_write_lock(&sh->pub.lock);
	sh->pub.stats = *s;
	rte_seqlock_write_unlock(&sh->pub.lock);
	sh->dirty = false;
}

static void
publish_dirty(struct mk_worker *w)
{
	unsigned int i;

	for (i = 0; i < w->nb_shards; i++) {
		if (w->shards[i]->dirty) {
			w->shards[i]->counters.bursts++;
			mk_shard_publish(w->shards[i]);
		}
	}
}

/*
 * A move of capacity, from the control lcore: cede free bytes at an end of the shard, or
 * adopt what the neighbour ceded. The adopting worker moves the boundary the two shards
 * share (unless the bytes go back to their donor): the range in between was free on both
 * sides all along, so no live buffer changes shard. Returns the answer's status.
 */
static int
serve_move(struct mk_worker *w, const struct mk_req *rq, uint64_t *bytes)
{
	enum mk_offset_side side = (enum mk_offset_side)rq->arg;
	struct mk_segment *seg;
	struct mk_shard *sh;
	int rc;

	*bytes = 0;
	if (rq->segment >= w->svc->nb_segments ||
	    rq->shard >= w->svc->segments[rq->segment].nb_shards)
		return -EINVAL;
	seg = &w->svc->segments[rq->segment];
	sh = &seg->shards[rq->shard];
	if (sh->worker != w->index)
		return -EINVAL;
	sh->dirty = true;
	if (rq->op == MK_REQ_CEDE) {
		rc = mk_allocator_cede(sh->alloc, side, rq->size, bytes);
		sh->counters.ceded_bytes += *bytes;
		return rc;
	}
	if (rq->op != MK_REQ_ADOPT)
		return -EINVAL;
	rc = mk_allocator_adopt(sh->alloc, side, rq->size);
	if (rc != 0)
		return rc;
	*bytes = rq->size;
	sh->counters.adopted_bytes += rq->size;
	if (!(rq->flags & MK_REQ_F_RETURN)) {
		if (side == MK_OFFSET_HIGH)
			atomic_fetch_add_explicit(&seg->bound[sh->index + 1], rq->size,
				memory_order_release);
		else
			atomic_fetch_sub_explicit(&seg->bound[sh->index], rq->size,
				memory_order_release);
	}
	return 0;
}

struct release {
	struct mk_worker *w;
	struct mk_shard *sh;
	bool keep;
	uint64_t buffers, bytes;
};

/* One buffer of a client that went away: freed, or kept as an orphan. */
static bool
release_one(struct mk_owner_rec *r, void *arg)
{
	struct release *rl = arg;
	struct mk_shard *sh = rl->sh;
	struct mk_buffer buf = buffer_at(sh->seg, r->offset, r->size, r->footprint, r->handle);

	rl->buffers++;
	rl->bytes += r->size;
	count_owner_gone(rl->w->svc, r);	/* the control lcore counts the orphans */
	if (rl->keep) {
		r->slot = MK_OWNER_ORPHAN;
		return false;
	}
	if (mk_allocator_free(sh->alloc, &buf) == 0)	/* it is: the record came with it */
		count_free(sh, r->size, r->footprint);
	return true;
}

/* Release (or keep) every buffer that slot @p rq->client, opened for the arg-th time, owns in
 * this worker's shards. */
static void
serve_release(struct mk_worker *w, const struct mk_req *rq, uint64_t *buffers, uint64_t *bytes)
{
	struct release rl = { .w = w, .keep = rq->flags & MK_REQ_F_KEEP };
	unsigned int i;

	for (i = 0; rq->client < MK_CLIENTS_MAX && i < w->nb_shards; i++) {
		rl.sh = w->shards[i];
		mk_owner_each(rl.sh->owners, rq->client, (uint32_t)rq->arg, release_one, &rl);
	}
	*buffers = rl.buffers;
	*bytes = rl.bytes;
}

/* Serve the control ring (moves, releases); answers go out after the shards are published. */
static unsigned int
serve_moves(struct mk_worker *w)
{
	struct mk_req mv[MK_WORKER_CTL_RING];
	unsigned int i, n;

	n = rte_ring_dequeue_burst_elem(w->ctl, mv, sizeof(mv[0]), RTE_DIM(mv), NULL);
	for (i = 0; i < n; i++) {
		uint64_t bytes, buffers;
		int rc;

		if (mv[i].op == MK_REQ_RELEASE) {
			serve_release(w, &mv[i], &buffers, &bytes);
			mv[i].op = MK_REQ_RELEASED;
			mv[i].handle = buffers;
			mv[i].size = bytes;
			continue;
		}
		rc = serve_move(w, &mv[i], &bytes);
		mv[i].handle = mv[i].op;
		mv[i].op = MK_REQ_MOVED;
		mv[i].size = bytes;
		mv[i].arg = (uint64_t)(int64_t)rc;
	}
	if (n != 0) {
		publish_dirty(w);
		/* room: the ring holds an answer for every message a worker can have */
		rte_ring_enqueue_bulk_elem(w->svc->ctl_ring, mv, sizeof(mv[0]), n, NULL);
	}
	return n;
}

int
mk_worker_main(void *arg)
{
	struct mk_worker *w = arg;
	struct mk_service *svc = w->svc;
	unsigned int burst = svc->conf.burst < BURST_MAX ? svc->conf.burst : BURST_MAX;
	struct mk_req req[BURST_MAX];
	struct mk_cpl cpl[BURST_MAX];
	uint16_t client[BURST_MAX];
	unsigned int i, n, nc, moves;
	uint64_t dropped = 0;

	while (atomic_load_explicit(&svc->state, memory_order_acquire) != MK_SVC_STOPPED) {
		moves = w->ctl != NULL ? serve_moves(w) : 0;
		n = rte_ring_dequeue_burst_elem(w->ring, req, sizeof(req[0]), burst, NULL);
		if (n == 0) {
			if (moves == 0)
				mk_service_idle(svc);
			continue;
		}
		for (i = 0, nc = 0; i < n; i++) {
			uint16_t cl = req[i].client;

			/* a request that names no open client by its token cannot be answered;
			 * acquire: the slot's fields were set before its token */
			if (cl >= svc->conf.max_clients || req[i].token == 0 || req[i].token !=
			    atomic_load_explicit(&svc->token[cl], memory_order_acquire)) {
				dropped++;
				continue;
			}
			client[nc] = cl;
			if (serve(w, &req[i], &cpl[nc]))
				nc++;
		}
		if (dropped != 0) {
			atomic_fetch_add_explicit(&svc->dropped, dropped, memory_order_relaxed);
			dropped = 0;
		}
		/* published before answering: a client that has its answer sees the figures */
		publish_dirty(w);
		send_completions(svc, client, cpl, nc);
	}
	return 0;
}
