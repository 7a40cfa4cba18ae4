/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rebalancing: the control lcore moves free capacity between neighbouring shards of a
 * segment, so that a segment split into shards fails an allocation only when no move could
 * make room for it.
 *
 * A move shifts the boundary between two neighbours across free space, in two steps over
 * the workers' control rings (no worker touches another's allocator):
 *   1. CEDE to the donor's worker: its allocator gives up free bytes at the end facing the
 *      receiver (mk_allocator_cede()); the answer says how many.
 *   2. ADOPT to the receiver's worker: its allocator takes them in at its facing end
 *      (mk_allocator_adopt()) and the worker moves the shared boundary. Should it refuse
 *      (its node pool full), the bytes go back to the donor (ADOPT with MK_REQ_F_RETURN).
 * The ledger (each shard's capacity as the answers left it, plus the bytes between the two
 * steps) always sums to the segment's size, and every published view says so.
 *
 * Why a move happens:
 *  - need: an allocation that no shard could serve parks here (the workers send it). If
 *    some window of neighbouring shards, walking from a receiver through shards with
 *    nothing allocated to the first one with something, has enough free space at its
 *    facing ends, the move that brings that space one shard closer to the receiver starts;
 *    once a shard's published largest free region holds the request it goes back to that
 *    shard. It fails -ENOMEM when no window can hold it or at the end of its wait.
 *  - drift: when two neighbours' free bytes are apart by more than rebalance_drift_pct of a
 *    mean shard, half the difference moves (as much as the donor's facing end has free).
 *    Hysteresis: moving half the difference leaves them level, so the next drift move needs
 *    the full threshold again; and a boundary is not shifted back the other way by drift
 *    within rebalance_cooldown_ms.
 * One move per segment at a time; moves of different segments run side by side.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_log.h>

#include "mk_control_pvt.h"
#include "mk_secondary.h"

/* Free bytes shard k could cede at its end facing direction dir (+1: up the segment). */
static uint64_t
facing_free(const struct mk_seg_control *sc, unsigned int k, int dir)
{
	return dir > 0 ? sc->st[k].edge_free_high : sc->st[k].edge_free_low;
}

/* Bytes a region must have to hold @p size at @p align, wherever it starts. */
static uint64_t
need_of(const struct mk_req *rq)
{
	return rq->size + (rq->arg > 1 ? rq->arg - 1 : 0);
}

/*
 * The first move towards room for @p need bytes: for each receiver and direction, walk the
 * neighbours that way, adding their free bytes facing the receiver, through shards with
 * nothing allocated and up to the first one with something. The window with the fewest
 * shards that reaches @p need wins; its move is from the nearest shard with free bytes
 * facing the receiver into the neighbour on the receiver's side.
 */
static bool
plan_need(const struct mk_seg_control *sc, const struct mk_segment *seg, uint64_t need,
	struct mk_move_plan *plan)
{
	unsigned int n = seg->nb_shards, best_hops = UINT32_MAX, r;
	int dir;

	for (r = 0; r < n; r++) {
		for (dir = -1; dir <= 1; dir += 2) {
			uint64_t avail = facing_free(sc, r, dir), before = 0;
			unsigned int hops = 0;
			int j, hop = -1;

			for (j = (int)r + dir; j >= 0 && j < (int)n && avail < need; j += dir) {
				uint64_t e = facing_free(sc, (unsigned int)j, -dir);

				hops++;
				if (e != 0 && hop < 0) {
					hop = j;
					before = avail;
				}
				avail += e;
				if (sc->st[j].live_buffers != 0)
					break;	/* its far side is not free */
			}
			if (avail < need || hop < 0 || hops >= best_hops)
				continue;
			best_hops = hops;
			plan->donor = (unsigned int)hop;
			plan->receiver = (unsigned int)(hop - dir);
			plan->bytes = RTE_MIN(facing_free(sc, plan->donor, -dir),
				RTE_ALIGN_CEIL(need - before, seg->granule));
			plan->reason = MK_MOVE_NEED;
		}
	}
	return best_hops != UINT32_MAX;
}

/*
 * A drift move: the boundary whose two shards' free bytes are furthest apart, past the
 * threshold, and not shifted the other way by drift within the cooldown.
 */
static bool
plan_drift(const struct mk_control *ctl, const struct mk_seg_control *sc,
	const struct mk_segment *seg, uint64_t now, struct mk_move_plan *plan)
{
	uint64_t threshold = seg->conf.size / seg->nb_shards / 100 *
		ctl->svc->conf.rebalance_drift_pct, widest = 0;
	unsigned int b;

	if (threshold == 0)
		return false;
	for (b = 1; b < seg->nb_shards; b++) {
		uint64_t lo = sc->st[b - 1].free_bytes, hi = sc->st[b].free_bytes;
		int dir = lo > hi ? 1 : -1;		/* where the capacity would go */
		unsigned int donor = dir > 0 ? b - 1 : b;
		uint64_t diff = dir > 0 ? lo - hi : hi - lo, bytes;

		if (diff <= threshold || diff <= widest)
			continue;
		if (sc->drift_dir[b] == -dir && now - sc->drift_at[b] < ctl->cooldown_cycles)
			continue;
		bytes = RTE_MIN(facing_free(sc, donor, dir), diff / 2);
		bytes = RTE_ALIGN_FLOOR(bytes, seg->granule);
		if (bytes == 0)
			continue;
		widest = diff;
		*plan = (struct mk_move_plan){
			.donor = donor, .receiver = dir > 0 ? b : b - 1, .bytes = bytes,
			.reason = MK_MOVE_DRIFT,
		};
	}
	return widest != 0;
}

/* A message to the worker that owns shard @p k: its control ring has room for every
 * segment's move, so this cannot fail. */
static void
send_move(struct mk_control *ctl, const struct mk_segment *seg, unsigned int k, uint8_t op,
	uint8_t flags, enum mk_offset_side side, uint64_t bytes)
{
	struct mk_req rq = {
		.op = op, .flags = flags, .segment = (uint8_t)seg->index, .shard = (uint16_t)k,
		.tag = ctl->seg[seg->index].move_id,
		.size = bytes, .arg = side,
	};

	rte_ring_enqueue_elem(ctl->svc->workers[seg->shards[k].worker].ctl, &rq, sizeof(rq));
}

/* The donor's end that faces the receiver. */
static enum mk_offset_side
donor_side(const struct mk_move_plan *p)
{
	return p->receiver > p->donor ? MK_OFFSET_HIGH : MK_OFFSET_LOW;
}

static enum mk_offset_side
receiver_side(const struct mk_move_plan *p)
{
	return p->receiver > p->donor ? MK_OFFSET_LOW : MK_OFFSET_HIGH;
}

/*
 * Start a move. The busy count goes up before the state is read (both sequentially
 * consistent): mk_service_stop(), which sets the state and then waits for the count, either
 * waits for this move or sees it not started. Drift moves start only while running.
 */
static bool
move_start(struct mk_control *ctl, struct mk_segment *seg, const struct mk_move_plan *plan)
{
	struct mk_seg_control *sc = &ctl->seg[seg->index];

	atomic_fetch_add(&ctl->svc->ctl_busy, 1);
	if (plan->reason == MK_MOVE_DRIFT && atomic_load(&ctl->svc->state) != MK_SVC_RUNNING) {
		atomic_fetch_sub(&ctl->svc->ctl_busy, 1);
		return false;
	}
	sc->plan = *plan;
	sc->move_id++;
	sc->stage = MOVE_CEDING;
	sc->move_started = rte_get_timer_cycles();
	sc->moved = 0;
	sc->move_status = 0;
	send_move(ctl, seg, plan->donor, MK_REQ_CEDE, 0, donor_side(plan), plan->bytes);
	return true;
}

/* The move is over: record it, newest first, and log it. */
static void
move_end(struct mk_control *ctl, struct mk_segment *seg, uint64_t bytes)
{
	struct mk_seg_control *sc = &ctl->seg[seg->index];
	struct mk_rebalance_info *in = &sc->info;
	uint64_t now = rte_get_timer_cycles();
	struct mk_move_record rec = {
		.time_us = (now - ctl->svc->start_cycles) * 1000000 / ctl->hz,
		.duration_us = (uint32_t)RTE_MIN((now - sc->move_started) * 1000000 / ctl->hz,
			(uint64_t)UINT32_MAX),
		.bytes = bytes, .from = sc->plan.donor, .to = sc->plan.receiver,
		.reason = (uint8_t)sc->plan.reason, .status = sc->move_status,
	};
	unsigned int b = RTE_MAX(sc->plan.donor, sc->plan.receiver);

	if (bytes != 0) {
		in->moves++;
		in->moved_bytes += bytes;
		in->need_moves += sc->plan.reason == MK_MOVE_NEED;
		in->drift_moves += sc->plan.reason == MK_MOVE_DRIFT;
		if (sc->plan.reason == MK_MOVE_DRIFT) {
			sc->drift_at[b] = now;
			sc->drift_dir[b] = sc->plan.receiver > sc->plan.donor ? 1 : -1;
		}
		RTE_LOG(INFO, USER1, "mkalloc: segment '%s': moved %" PRIu64 " bytes from shard %u"
			" to shard %u (%s) in %u us\n", seg->conf.name, bytes, rec.from, rec.to,
			sc->plan.reason == MK_MOVE_NEED ? "an allocation waits" : "drift",
			rec.duration_us);
	} else {
		in->failed_moves++;
		RTE_LOG(INFO, USER1, "mkalloc: segment '%s': no move from shard %u to shard %u:"
			" %s\n", seg->conf.name, rec.from, rec.to, sc->move_status != 0 ?
			"the receiver refused, the bytes went back" : "nothing free at that end");
	}
	rec.id = sc->move_id;
	memmove(&in->last[1], &in->last[0], sizeof(in->last[0]) * (MK_MOVES_KEPT - 1));
	in->last[0] = rec;
	in->nb_last = RTE_MIN(in->nb_last + 1, (unsigned int)MK_MOVES_KEPT);
	sc->stage = MOVE_NONE;
	atomic_fetch_sub(&ctl->svc->ctl_busy, 1);
}

/* A worker's answer to the move under way: the next step, and the ledger. */
static void
on_moved(struct mk_control *ctl, const struct mk_req *ans)
{
	struct mk_segment *seg = &ctl->svc->segments[ans->segment];
	struct mk_seg_control *sc = &ctl->seg[ans->segment];
	const struct mk_move_plan *p = &sc->plan;
	int status = (int)(int64_t)ans->arg;

	if (ans->tag != sc->move_id || sc->stage == MOVE_NONE) {
		RTE_LOG(ERR, USER1, "mkalloc: segment '%s': an answer to no move under way"
			" (move %" PRIu64 "), ignored\n", seg->conf.name, ans->tag);
		return;
	}
	switch (sc->stage) {
	case MOVE_CEDING:
		if (status != 0 || ans->size == 0) {
			move_end(ctl, seg, 0);
			return;
		}
		sc->moved = ans->size;
		sc->cap[p->donor] -= ans->size;
		sc->in_transit = ans->size;
		sc->stage = MOVE_ADOPTING;
		send_move(ctl, seg, p->receiver, MK_REQ_ADOPT, 0, receiver_side(p), ans->size);
		return;
	case MOVE_ADOPTING:
		if (status == 0) {
			sc->cap[p->receiver] += sc->in_transit;
			sc->in_transit = 0;
			move_end(ctl, seg, sc->moved);
			return;
		}
		RTE_LOG(WARNING, USER1, "mkalloc: segment '%s': shard %u did not adopt %" PRIu64
			" bytes (%s); they go back to shard %u\n", seg->conf.name, p->receiver,
			sc->in_transit, strerror(-status), p->donor);
		sc->move_status = (int8_t)status;
		sc->stage = MOVE_RETURNING;
		send_move(ctl, seg, p->donor, MK_REQ_ADOPT, MK_REQ_F_RETURN, donor_side(p),
			sc->in_transit);
		return;
	default:	/* MOVE_RETURNING */
		if (status != 0) {
			/* the donor's end took an allocation meanwhile and its pool is full: try
			 * again next round; the ledger keeps the bytes in transit */
			send_move(ctl, seg, p->donor, MK_REQ_ADOPT, MK_REQ_F_RETURN, donor_side(p),
				sc->in_transit);
			return;
		}
		sc->cap[p->donor] += sc->in_transit;
		sc->in_transit = 0;
		move_end(ctl, seg, 0);
	}
}

void
mk_rebalance_drain(struct mk_control *ctl)
{
	struct mk_service *svc = ctl->svc;
	struct mk_req rq[32];
	unsigned int i, n;

	do {
		n = rte_ring_dequeue_burst_elem(svc->ctl_ring, rq, sizeof(rq[0]), RTE_DIM(rq),
			NULL);
		for (i = 0; i < n; i++) {
			if (rq[i].op == MK_REQ_MOVED) {
				on_moved(ctl, &rq[i]);
				continue;
			}
			if (rq[i].op == MK_REQ_RELEASED) {
				mk_secondary_released(ctl, &rq[i]);
				continue;
			}
			/* an allocation: the ring and the list hold every request there can be */
			if (!(rq[i].flags & MK_REQ_F_WAITED)) {
				rq[i].flags |= MK_REQ_F_WAITED;
				ctl->seg[rq[i].segment].info.waited++;
			}
			ctl->parked[ctl->nb_parked++] = rq[i];
		}
	} while (n == RTE_DIM(rq));
}

/* Answer a parked allocation here: it gets no buffer. */
static void
fail_parked(struct mk_control *ctl, const struct mk_req *rq, int status)
{
	struct mk_cpl cpl = mk_cpl_of(rq, status);

	/* room: a client's ring holds its whole depth */
	rte_ring_enqueue_elem(ctl->svc->clients[rq->client].ring, &cpl, sizeof(cpl));
	atomic_fetch_add_explicit(&ctl->svc->clients[rq->client].answered, 1,
		memory_order_release);
}

/* The shard whose published largest free region holds @p need most tightly, or -1. */
static int
fitting_shard(const struct mk_seg_control *sc, unsigned int n, uint64_t need)
{
	unsigned int k;
	int best = -1;

	for (k = 0; k < n; k++)
		if (sc->st[k].largest_free >= need && (best < 0 ||
		    sc->st[k].largest_free < sc->st[best].largest_free))
			best = (int)k;
	return best;
}

/*
 * A parked allocation: back to a shard that now has room, or the move that makes room, or
 * wait for the move under way; else it fails. Returns true when it stays parked.
 */
static bool
serve_parked(struct mk_control *ctl, struct mk_req *rq, uint64_t now)
{
	struct mk_segment *seg = &ctl->svc->segments[rq->segment];
	struct mk_seg_control *sc = &ctl->seg[rq->segment];
	struct mk_move_plan plan;
	int k = fitting_shard(sc, seg->nb_shards, need_of(rq));

	/* its client went away while it waited: nobody to answer */
	if (rq->token != atomic_load(&ctl->svc->token[rq->client])) {
		atomic_fetch_add_explicit(&ctl->svc->dropped, 1, memory_order_relaxed);
		return false;
	}
	if (k >= 0) {
		rq->shard = (uint16_t)k;
		rq->handle = 0;			/* no shard tried yet */
		sc->info.resent++;
		rte_ring_enqueue_elem(ctl->svc->workers[seg->shards[k].worker].ring, rq,
			sizeof(*rq));
		return false;
	}
	if (now - rq->footprint > ctl->wait_cycles) {
		sc->info.wait_timeouts++;
		fail_parked(ctl, rq, -ENOMEM);
		return false;
	}
	if (sc->stage != MOVE_NONE)
		return true;
	if (!plan_need(sc, seg, need_of(rq), &plan)) {
		sc->info.no_plan++;
		fail_parked(ctl, rq, -ENOMEM);
		return false;
	}
	move_start(ctl, seg, &plan);
	return true;
}

/* With no move under way, the shards' capacities are the ledger's: else a bug is counted. */
static void
check_ledger(struct mk_seg_control *sc, const struct mk_segment *seg)
{
	unsigned int k;

	for (k = 0; sc->stage == MOVE_NONE && k < seg->nb_shards; k++) {
		if (sc->st[k].capacity == sc->cap[k])
			continue;
		sc->info.ledger_mismatch++;
		if (!sc->ledger_warned)
			RTE_LOG(ERR, USER1, "mkalloc: segment '%s': shard %u has %" PRIu64
				" bytes, the ledger says %" PRIu64 "\n", seg->conf.name, k,
				sc->st[k].capacity, sc->cap[k]);
		sc->ledger_warned = true;
		return;
	}
}

bool
mk_rebalance_round(struct mk_control *ctl)
{
	struct mk_service *svc = ctl->svc;
	uint64_t now = rte_get_timer_cycles();
	bool busy = false, waiting[MK_SEGMENTS_MAX] = { false };
	unsigned int i, kept = 0;

	for (i = 0; i < svc->nb_segments; i++)
		check_ledger(&ctl->seg[i], &svc->segments[i]);
	/* oldest first: the first waiting allocation of a segment plans its move */
	for (i = 0; i < ctl->nb_parked; i++) {
		struct mk_req rq = ctl->parked[i];

		if (serve_parked(ctl, &rq, now)) {
			ctl->parked[kept++] = rq;
			waiting[rq.segment] = true;
		}
	}
	ctl->nb_parked = kept;
	for (i = 0; i < svc->nb_segments; i++) {
		struct mk_segment *seg = &svc->segments[i];
		struct mk_seg_control *sc = &ctl->seg[i];
		struct mk_move_plan plan;

		if (sc->stage == MOVE_NONE && !waiting[i] && svc->conf.rebalance &&
		    plan_drift(ctl, sc, seg, now, &plan))
			move_start(ctl, seg, &plan);
		sc->info.in_flight = sc->stage != MOVE_NONE;
		busy |= sc->stage != MOVE_NONE || waiting[i];
	}
	for (i = 0; i < svc->nb_segments; i++)
		ctl->seg[i].info.waiting = 0;
	for (i = 0; i < ctl->nb_parked; i++)
		ctl->seg[ctl->parked[i].segment].info.waiting++;
	return busy;
}
