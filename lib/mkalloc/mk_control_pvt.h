/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_CONTROL_PVT_H
#define MK_CONTROL_PVT_H

/*
 * The control lcore's own state, shared by its loop (mk_control.c) and its rebalancing
 * (mk_rebalance.c). Only the control lcore touches it.
 */

#include "mk_service_pvt.h"

/* Where a move is. */
enum mk_move_stage {
	MOVE_NONE = 0,
	MOVE_CEDING,		/* CEDE sent to the donor */
	MOVE_ADOPTING,		/* the donor ceded; ADOPT sent to the receiver */
	MOVE_RETURNING,		/* the receiver refused; the bytes go back to the donor */
};

/* What a move is to do: the donor gives up to @p bytes at its end facing the receiver. */
struct mk_move_plan {
	unsigned int donor;
	unsigned int receiver;
	uint64_t bytes;
	enum mk_move_reason reason;
};

/* A segment as the control lcore keeps it. */
struct mk_seg_control {
	struct mk_shard_stats st[MK_WORKERS_MAX];	/* the shards, read this round */
	/* the ledger: each shard's capacity as the moves answered so far left it, and the
	 * bytes ceded but not yet adopted; they sum to the segment's size */
	uint64_t cap[MK_WORKERS_MAX];
	uint64_t in_transit;
	/* the move under way (one per segment at a time) */
	enum mk_move_stage stage;
	struct mk_move_plan plan;
	uint64_t move_id;		/* moves started; their messages carry it as tag */
	uint64_t move_started;		/* timer cycles */
	uint64_t moved;			/* bytes the donor ceded */
	int8_t move_status;
	/* hysteresis of drift moves, per boundary: when one last shifted it, and which way
	 * (+1: capacity went up the segment, to the higher shard) */
	uint64_t drift_at[MK_WORKERS_MAX + 1];
	int8_t drift_dir[MK_WORKERS_MAX + 1];
	bool ledger_warned;
	struct mk_rebalance_info info;
};

struct mk_control {
	struct mk_service *svc;
	uint64_t hz;			/* timer cycles per second */
	uint64_t wait_cycles;		/* how long an allocation may wait for a move */
	uint64_t cooldown_cycles;	/* drift hysteresis */
	/* allocations no shard could serve, waiting for a move, oldest first */
	struct mk_req *parked;
	unsigned int nb_parked;
	unsigned int max_parked;
	struct mk_seg_control seg[MK_SEGMENTS_MAX];
	/* the client slot being reaped (mk_secondary.c), one at a time */
	struct {
		int slot;		/* -1: none */
		unsigned int pending;	/* workers yet to answer */
		uint64_t buffers, bytes;
		uint64_t last_look;	/* timer cycles */
	} reap;
};

/* Take the workers' answers and parked allocations off the control ring. */
void mk_rebalance_drain(struct mk_control *ctl);

/*
 * One round of rebalancing over every segment (after the shards' figures were read): serve
 * or fail parked allocations, start the moves they need, or a drift move. Returns true
 * while something is under way (a move, or an allocation waiting), so that the loop looks
 * again soon.
 */
bool mk_rebalance_round(struct mk_control *ctl);

#endif /* MK_CONTROL_PVT_H */
