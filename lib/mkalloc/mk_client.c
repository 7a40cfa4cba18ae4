/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Clients: requests out through the owner worker's ring, completions back through the
 * client's own ring. A client has at most its depth in flight, so its completion ring never
 * overflows and the request rings (sized for every client's depth) never do either.
 *
 * Asynchronous requests are batched per worker and put on its ring a burst at a time (when a
 * batch is full, and at every poll and blocking call): one ring operation, and one pass of
 * its cache lines between cores, per burst rather than per request.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_pause.h>

#include "mk_client.h"
#include "mk_config.h"
#include "mk_secondary.h"
#include "mk_service_pvt.h"

struct mk_client {
	struct mk_service *svc;
	struct mk_segment *seg;
	struct mk_client_slot *slot;
	uint64_t token;			/* the slot's, in every request */
	bool remote;			/* the slot came from the primary (a secondary) */
	uint16_t id;
	unsigned int depth;
	unsigned int burst;
	unsigned int inflight;		/* on rings or with workers: completion not dequeued */
	unsigned int batched;		/* accepted, waiting in a batch */
	unsigned int next_shard;	/* where the next allocation starts */
	unsigned int shard_allocs;	/* allocations sent to next_shard so far */
	uint64_t submitted;		/* the count published in the slot */
	unsigned int *batch_len;	/* per worker */
	struct mk_req *batch;		/* per worker, burst entries each */
	/* completions of asynchronous requests that a blocking call dequeued: poll's first */
	unsigned int stash_head, stash_len;
	struct mk_completion stash[];
};

static bool
align_ok(uint64_t align)
{
	return (align & (align - 1)) == 0;
}

static void
client_free(struct mk_client *c)
{
	if (c == NULL)
		return;
	free(c->batch_len);
	free(c->batch);
	free(c);
}

/* A slot of this process's service: taken by CAS, its token published last. */
static int
slot_take_local(struct mk_service *svc, unsigned int seg, uint16_t *id, uint64_t *token)
{
	int i = mk_slot_take(svc, MK_SLOT_LOCAL);

	if (i < 0)
		return i;
	/* readers (telemetry) see UINT_MAX until the slot names its segment */
	__atomic_store_n(&svc->clients[i].segment, seg, __ATOMIC_RELEASE);
	*id = (uint16_t)i;
	*token = mk_token_new(false);
	atomic_store(&svc->token[i], *token);
	return 0;
}

struct mk_client *
mk_client_open(const char *segment)
{
	struct mk_service *svc = mk_service_get();
	bool remote = rte_eal_process_type() != RTE_PROC_PRIMARY;
	struct mk_client *c;
	uint64_t token;
	uint16_t id;
	int seg, rc;

	if (svc == NULL || (seg = mk_service_segment_find(svc, segment)) < 0) {
		rte_errno = ENOENT;
		return NULL;
	}
	if (atomic_load(&svc->state) > MK_SVC_RUNNING) {
		rte_errno = ESHUTDOWN;
		return NULL;
	}
	c = calloc(1, sizeof(*c) + svc->conf.client_depth * sizeof(c->stash[0]));
	if (c != NULL) {
		c->batch_len = calloc(svc->nb_workers, sizeof(*c->batch_len));
		c->batch = calloc((size_t)svc->nb_workers * svc->conf.burst, sizeof(*c->batch));
	}
	if (c == NULL || c->batch_len == NULL || c->batch == NULL) {
		client_free(c);
		rte_errno = ENOMEM;
		return NULL;
	}
	/* a secondary's slot comes from the primary, which watches its process */
	rc = remote ? mk_secondary_attach(segment, &id, &token) :
		slot_take_local(svc, (unsigned int)seg, &id, &token);
	if (rc != 0) {
		client_free(c);
		rte_errno = -rc;
		return NULL;
	}
	c->svc = svc;
	c->seg = &svc->segments[seg];
	c->slot = &svc->clients[id];
	c->token = token;
	c->remote = remote;
	c->id = id;
	c->depth = svc->conf.client_depth;
	c->burst = svc->conf.burst;
	c->next_shard = id % c->seg->nb_shards;
	c->submitted = atomic_load(&c->slot->submitted);
	return c;
}

/*
 * Put a worker's batch on its ring. The submitted count is published before the state is
 * read (both sequentially consistent), so that mk_service_stop(), which sets the state and
 * then sums the counts, either waits for these requests or sees them refused here. Refused
 * requests are answered -ESHUTDOWN through the client's own completion ring, so that every
 * request still gets exactly one completion.
 */
static void
flush_worker(struct mk_client *c, unsigned int w)
{
	struct mk_req *reqs = &c->batch[(size_t)w * c->burst];
	unsigned int i, n = c->batch_len[w];

	if (n == 0)
		return;
	atomic_store(&c->slot->submitted, c->submitted + n);
	if (atomic_load(&c->svc->state) != MK_SVC_RUNNING) {
		atomic_store(&c->slot->submitted, c->submitted);
		for (i = 0; i < n; i++) {
			struct mk_cpl cpl = mk_cpl_of(&reqs[i], -ESHUTDOWN);

			/* room: the ring holds the client's whole depth */
			rte_ring_enqueue_elem(c->slot->ring, &cpl, sizeof(cpl));
		}
	} else if (rte_ring_enqueue_bulk_elem(c->svc->workers[w].ring, reqs, sizeof(*reqs), n,
			NULL) != n) {
		/* cannot happen (rings hold every client's depth); keep the batch for later */
		atomic_store(&c->slot->submitted, c->submitted);
		return;
	} else {
		c->submitted += n;
	}
	c->inflight += n;
	c->batched -= n;
	c->batch_len[w] = 0;
}

static void
flush(struct mk_client *c)
{
	unsigned int w;

	for (w = 0; c->batched > 0 && w < c->svc->nb_workers; w++)
		flush_worker(c, w);
}

/* Accept a request into its worker's batch: -EAGAIN when the client's depth is taken. */
static int
submit(struct mk_client *c, const struct mk_req *rq)
{
	unsigned int w = c->seg->shards[rq->shard].worker;

	/* answers waiting in the stash hold their credit until polled */
	if (c->inflight + c->batched + c->stash_len >= c->depth)
		return -EAGAIN;
	if (atomic_load_explicit(&c->svc->state, memory_order_relaxed) != MK_SVC_RUNNING)
		return -ESHUTDOWN;
	c->batch[(size_t)w * c->burst + c->batch_len[w]++] = *rq;
	c->batched++;
	if (c->batch_len[w] == c->burst)
		flush_worker(c, w);
	return 0;
}

static void
req_alloc(struct mk_client *c, struct mk_req *rq, uint64_t size, uint64_t align, uint64_t tag,
	uint8_t flags)
{
	memset(rq, 0, sizeof(*rq));
	rq->op = MK_REQ_ALLOC;
	rq->flags = flags;
	rq->segment = (uint8_t)c->seg->index;
	rq->client = c->id;
	rq->token = c->token;
	rq->tag = tag;
	rq->size = size;
	rq->arg = align;
	rq->handle = 0;		/* no shard tried yet */
	if (c->svc->conf.routing) {
		/* the best fit of the control lcore's view, or the turn's shard without one */
		rq->shard = (uint16_t)mk_route_next(c->svc, c->seg, size, 0, c->next_shard);
		return;
	}
	rq->shard = (uint16_t)c->next_shard;
	/* shards take turns a burst at a time, so that batches fill */
	if (++c->shard_allocs == c->burst) {
		c->shard_allocs = 0;
		c->next_shard = (c->next_shard + 1) % c->seg->nb_shards;
	}
}

/* A free goes to the shard whose range holds the offset; -EINVAL when none does. */
static int
req_free(struct mk_client *c, struct mk_req *rq, const struct mk_buffer *b, uint64_t tag,
	uint8_t flags)
{
	struct mk_shard *sh = mk_segment_shard_of(c->seg, b->offset);

	if (sh == NULL || b->size == 0)
		return -EINVAL;
	memset(rq, 0, sizeof(*rq));
	rq->op = MK_REQ_FREE;
	rq->flags = flags;
	rq->segment = (uint8_t)c->seg->index;
	rq->client = c->id;
	rq->token = c->token;
	rq->shard = (uint16_t)sh->index;
	rq->tag = tag;
	rq->size = b->size;
	rq->arg = b->offset;
	rq->handle = b->handle;
	rq->footprint = b->footprint;
	return 0;
}

static void
to_completion(const struct mk_client *c, const struct mk_cpl *cpl, struct mk_completion *out)
{
	memset(out, 0, sizeof(*out));
	out->tag = cpl->tag;
	out->status = cpl->status;
	out->op = cpl->op == MK_REQ_ALLOC ? MK_CLIENT_ALLOC : MK_CLIENT_FREE;
	if (cpl->status != 0)
		return;
	out->buf.data = (char *)c->seg->mem.addr + cpl->offset;
	out->buf.size = cpl->size;
	out->buf.offset = cpl->offset;
	out->buf.footprint = cpl->footprint;
	out->buf.handle = cpl->handle;
	out->buf.alloc_id = cpl->alloc_id;
	out->buf.alloc_gen = cpl->alloc_gen;
}

/*
 * Dequeue completions: synchronous ones to @p sync (the blocking call waiting for them),
 * asynchronous ones to @p out while it has room (a poll), the rest to the stash. Returns
 * the number written to @p sync, or with @p sync NULL the number written to @p out.
 */
static unsigned int
drain(struct mk_client *c, struct mk_completion *sync, unsigned int sync_max,
	struct mk_completion *out, unsigned int out_max)
{
	struct mk_cpl cpl[32];
	unsigned int i, n, got = 0, put = 0;

	n = rte_ring_dequeue_burst_elem(c->slot->ring, cpl, sizeof(cpl[0]), RTE_DIM(cpl), NULL);
	c->inflight -= n;
	for (i = 0; i < n; i++) {
		if (cpl[i].flags & MK_REQ_F_SYNC) {
			if (got < sync_max)
				to_completion(c, &cpl[i], &sync[got++]);
		} else if (put < out_max) {
			to_completion(c, &cpl[i], &out[put++]);
		} else {
			to_completion(c, &cpl[i],
				&c->stash[(c->stash_head + c->stash_len) % c->depth]);
			c->stash_len++;
		}
	}
	return sync != NULL ? got : put;
}

/*
 * Send @p n synchronous requests (tags 0..n-1) and wait for their completions, written to
 * @p done by tag. A submission that finds no room drains completions and retries, for up to
 * MK_CLIENT_RETRY_MS; past that the remaining requests are answered -EAGAIN.
 */
static void
run_sync(struct mk_client *c, struct mk_req *reqs, struct mk_completion *done, unsigned int n)
{
	uint64_t deadline = rte_get_timer_cycles() + rte_get_timer_hz() * MK_CLIENT_RETRY_MS / 1000;
	struct mk_completion got[32];
	unsigned int sent = 0, answered = 0, i, k;

	while (answered < n) {
		while (sent < n) {
			int rc = submit(c, &reqs[sent]);

			if (rc == -EAGAIN && rte_get_timer_cycles() < deadline)
				break;
			if (rc != 0) {
				memset(&done[sent], 0, sizeof(done[sent]));
				done[sent].status = rc;
				answered++;
			}
			sent++;
		}
		flush(c);
		k = drain(c, got, RTE_DIM(got), NULL, 0);
		for (i = 0; i < k; i++)
			done[got[i].tag] = got[i];
		answered += k;
		if (k == 0)
			mk_service_idle(c->svc);
	}
}

/* What can be refused without asking a worker: bad arguments, and sizes the segment's kind
 * never serves (Mooncake #3222's fail-fast bound, here exact). */
static int
alloc_precheck(const struct mk_client *c, uint64_t size, uint64_t align)
{
	if (c == NULL || size == 0 || !align_ok(align))
		return -EINVAL;
	return size > c->seg->max_alloc ? -E2BIG : 0;
}

static uint8_t
req_flags(unsigned int flags)
{
	return (flags & MK_CLIENT_NOWAIT) ? MK_REQ_F_NOWAIT : 0;
}

int
mk_client_alloc_flags(struct mk_client *c, uint64_t size, uint64_t align, unsigned int flags,
	struct mk_buffer *out)
{
	struct mk_completion done;
	struct mk_req rq;
	int rc = alloc_precheck(c, size, align);

	if (rc != 0 || out == NULL || (flags & ~MK_CLIENT_NOWAIT) != 0)
		return rc != 0 ? rc : -EINVAL;
	req_alloc(c, &rq, size, align, 0, MK_REQ_F_SYNC | req_flags(flags));
	run_sync(c, &rq, &done, 1);
	if (done.status == 0)
		*out = done.buf;
	return done.status;
}

int
mk_client_alloc(struct mk_client *c, uint64_t size, uint64_t align, struct mk_buffer *out)
{
	return mk_client_alloc_flags(c, size, align, 0, out);
}

int
mk_client_free(struct mk_client *c, struct mk_buffer *b)
{
	struct mk_completion done;
	struct mk_req rq;

	if (c == NULL || b == NULL || req_free(c, &rq, b, 0, MK_REQ_F_SYNC) != 0)
		return -EINVAL;
	run_sync(c, &rq, &done, 1);
	if (done.status == 0)
		memset(b, 0, sizeof(*b));
	return done.status;
}

unsigned int
mk_client_alloc_burst(struct mk_client *c, const uint64_t *sizes, uint64_t align,
	struct mk_buffer *out, int *status, unsigned int n)
{
	struct mk_completion done[64];
	struct mk_req reqs[64];
	unsigned int base, i, ok = 0;

	for (base = 0; c != NULL && base < n; base += RTE_DIM(reqs)) {
		unsigned int m = RTE_MIN(n - base, (unsigned int)RTE_DIM(reqs));
		unsigned int index[64], sent = 0;

		/* refused sizes are answered here; the rest go out */
		for (i = 0; i < m; i++) {
			status[base + i] = alloc_precheck(c, sizes[base + i], align);
			if (status[base + i] != 0)
				continue;
			req_alloc(c, &reqs[sent], sizes[base + i], align, sent, MK_REQ_F_SYNC);
			index[sent++] = i;
		}
		run_sync(c, reqs, done, sent);
		for (i = 0; i < sent; i++) {
			status[base + index[i]] = done[i].status;
			if (done[i].status == 0) {
				out[base + index[i]] = done[i].buf;
				ok++;
			}
		}
	}
	return ok;
}

unsigned int
mk_client_free_burst(struct mk_client *c, struct mk_buffer *bufs, int *status, unsigned int n)
{
	struct mk_completion done[64];
	struct mk_req reqs[64];
	unsigned int base, i, ok = 0;

	for (base = 0; c != NULL && base < n; base += RTE_DIM(reqs)) {
		unsigned int m = RTE_MIN(n - base, (unsigned int)RTE_DIM(reqs)), sent = 0;
		unsigned int index[64];

		/* buffers outside the segment are answered here; the rest go out */
		for (i = 0; i < m; i++) {
			if (req_free(c, &reqs[sent], &bufs[base + i], sent, MK_REQ_F_SYNC) == 0)
				index[sent++] = i;
			else if (status != NULL)
				status[base + i] = -EINVAL;
		}
		run_sync(c, reqs, done, sent);
		for (i = 0; i < sent; i++) {
			if (status != NULL)
				status[base + index[i]] = done[i].status;
			if (done[i].status == 0) {
				memset(&bufs[base + index[i]], 0, sizeof(bufs[0]));
				ok++;
			}
		}
	}
	return ok;
}

int
mk_client_submit_alloc_flags(struct mk_client *c, uint64_t size, uint64_t align, uint64_t tag,
	unsigned int flags)
{
	struct mk_req rq;
	int rc = alloc_precheck(c, size, align);

	if (rc != 0)
		return rc;
	if ((flags & ~MK_CLIENT_NOWAIT) != 0)
		return -EINVAL;
	req_alloc(c, &rq, size, align, tag, req_flags(flags));
	return submit(c, &rq);
}

int
mk_client_submit_alloc(struct mk_client *c, uint64_t size, uint64_t align, uint64_t tag)
{
	return mk_client_submit_alloc_flags(c, size, align, tag, 0);
}

int
mk_client_submit_free(struct mk_client *c, const struct mk_buffer *b, uint64_t tag)
{
	struct mk_req rq;

	if (c == NULL || b == NULL || req_free(c, &rq, b, tag, 0) != 0)
		return -EINVAL;
	return submit(c, &rq);
}

void
mk_client_flush(struct mk_client *c)
{
	if (c != NULL)
		flush(c);
}

unsigned int
mk_client_poll(struct mk_client *c, struct mk_completion *out, unsigned int max)
{
	unsigned int n = 0;

	if (c == NULL)
		return 0;
	flush(c);
	/* answers kept by blocking calls first, in the order they came */
	while (n < max && c->stash_len > 0) {
		out[n++] = c->stash[c->stash_head];
		c->stash_head = (c->stash_head + 1) % c->depth;
		c->stash_len--;
	}
	if (n < max)
		n += drain(c, NULL, 0, out + n, max - n);
	return n;
}

unsigned int
mk_client_inflight(const struct mk_client *c)
{
	return c->inflight + c->batched + c->stash_len;
}

void
mk_client_close(struct mk_client *c)
{
	if (c == NULL)
		return;
	/* wait for every answer, so the ring is empty for the next client of this slot */
	flush(c);
	while (c->inflight > 0) {
		c->stash_len = 0;
		if (drain(c, NULL, 0, NULL, 0) == 0 && c->inflight > 0)
			mk_service_idle(c->svc);
	}
	if (c->remote) {
		/* the primary reaps the slot; what the client still owns goes by its policy */
		mk_secondary_detach(c->id, c->token);
	} else {
		atomic_store(&c->svc->token[c->id], 0);
		__atomic_store_n(&c->slot->segment, UINT_MAX, __ATOMIC_RELAXED);
		atomic_store(&c->slot->state, MK_SLOT_FREE);
	}
	client_free(c);
}

/* From the segment's own record, not the allocator's (which lives in the primary alone):
 * the same fields, in any process. */
int
mk_client_descriptor(const struct mk_client *c, const struct mk_buffer *b, struct mk_desc *out)
{
	if (c == NULL || b == NULL || out == NULL || b->size == 0 ||
	    b->offset >= c->seg->conf.size || b->size > c->seg->conf.size - b->offset)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->size = b->size;
	out->buffer_address = (uint64_t)(uintptr_t)((char *)c->seg->mem.addr + b->offset);
	out->offset = b->offset;
	out->rkey = c->seg->transport.rkey;
	snprintf(out->segment_name, sizeof(out->segment_name), "%s", c->seg->conf.name);
	snprintf(out->transport_endpoint, sizeof(out->transport_endpoint), "%s",
		c->seg->transport.endpoint);
	return 0;
}
