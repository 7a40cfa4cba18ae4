/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BENCH.md's workloads (a) churn and (b) fill/refill, written once against struct
 * bench_target and run on every target they apply to.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Steps (or calls) between two looks at the progress line: one mask test per step. */
#define PROGRESS_MASK	((UINT64_C(1) << 20) - 1)

/* --- (a) churn --------------------------------------------------------------------------- */

/* Free every live slot; 0 or the first error. */
static int
free_all(const struct bench_target *t, void *st, struct bench_rec *recs, size_t n)
{
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (recs[i].size == 0)
			continue;
		rc = t->free(st, &recs[i]);
		if (rc != 0)
			return rc;
		recs[i].size = 0;
	}
	return 0;
}

static int
churn_fill(const struct bench_target *t, void *st, struct bench_rec *slots,
		struct bench_rng *rng, struct bench_churn_result *res)
{
	size_t i;
	int rc;

	for (i = 0; i < BENCH_CHURN_SLOTS; i++) {
		rc = t->alloc(st, bench_range(rng, BENCH_CHURN_MIN, BENCH_CHURN_MAX), &slots[i]);
		if (rc == -ENOMEM)
			res->fill_fails++;
		else if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The timed part. A failed alloc leaves its slot empty (size 0: alloc() does not touch the
 * record on failure and the slot was emptied by the free before it).
 */
static int
churn_steps(const struct bench_ctx *ctx, const struct bench_target *t, void *st,
		struct bench_rec *slots, struct bench_rng *rng, struct bench_churn_result *res)
{
	uint64_t step, t0;
	struct bench_rec *slot;
	int rc;

	t0 = bench_now_ns();
	for (step = 0; step < ctx->steps; step++) {
		slot = &slots[bench_below(rng, BENCH_CHURN_SLOTS)];
		if (slot->size != 0) {
			rc = t->free(st, slot);
			if (rc != 0)
				return rc;
			slot->size = 0;
		}
		rc = t->alloc(st, bench_range(rng, BENCH_CHURN_MIN, BENCH_CHURN_MAX), slot);
		if (rc == -ENOMEM)
			res->fails++;
		else if (rc != 0)
			return rc;
		if ((step & PROGRESS_MASK) == PROGRESS_MASK)
			bench_progress(ctx, "(a) %s: step %" PRIu64 " of %" PRIu64, t->name,
				step + 1, ctx->steps);
	}
	res->ns = bench_now_ns() - t0;
	return 0;
}

int
bench_churn_one(struct bench_ctx *ctx, const struct bench_workload *w, const struct bench_target *t,
		struct bench_churn_result *res)
{
	struct bench_rng rng = { .s = BENCH_CHURN_SEED };
	struct bench_rec *slots = calloc(BENCH_CHURN_SLOTS, sizeof(*slots));
	void *st = NULL;
	int rc = -ENOMEM;

	memset(res, 0, sizeof(*res));
	if (slots == NULL)
		goto out;
	st = t->create(BENCH_SEGMENT_BYTES, 0);
	if (st == NULL) {
		rc = -errno;
		bench_fail(ctx, w, t, "create: %s", strerror(errno));
		goto out;
	}
	rc = churn_fill(t, st, slots, &rng, res);
	if (rc != 0)
		goto error;
	if (ctx->check) {
		rc = bench_verify(ctx, w, t, st, slots, BENCH_CHURN_SLOTS, BENCH_SEGMENT_BYTES,
			"after the fill");
		if (rc != 0)
			goto out;
	}
	rc = churn_steps(ctx, t, st, slots, &rng, res);
	if (rc != 0)
		goto error;
	if (t->figures != NULL)
		t->figures(st, &res->fig);
	if (ctx->check) {
		rc = bench_verify(ctx, w, t, st, slots, BENCH_CHURN_SLOTS, BENCH_SEGMENT_BYTES,
			"after the steps");
		if (rc != 0)
			goto out;
	}
	rc = free_all(t, st, slots, BENCH_CHURN_SLOTS);
	if (rc != 0)
		goto error;
	if (ctx->check)
		rc = bench_verify(ctx, w, t, st, slots, BENCH_CHURN_SLOTS, BENCH_SEGMENT_BYTES,
			"after freeing everything");
	goto out;
error:
	bench_fail(ctx, w, t, "allocator error: %s", strerror(-rc));
out:
	if (st != NULL)
		t->destroy(st);
	free(slots);
	return rc;
}

int
bench_churn_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	struct bench_churn_result res;
	struct bench_row row;
	double base_ns = 0, ns;
	unsigned int i;

	bench_section(ctx, "(a) %s: %d live slots, sizes %d..%d B, %" PRIu64
		" steps, seed %d, %" PRIu64 " MiB segment\nratio: ns_per_pair over the first"
		" allocator's; " BENCH_META_LEGEND, w->title, BENCH_CHURN_SLOTS, BENCH_CHURN_MIN, BENCH_CHURN_MAX,
		ctx->steps, BENCH_CHURN_SEED, BENCH_SEGMENT_BYTES >> 20);
	for (i = 0; i < ctx->ntargets; i++) {
		const struct bench_target *t = ctx->targets[i];

		if (t->reference) {
			bench_row_init(&row, w, t);
			bench_row_na(&row, "a reference: counts bytes, its time means nothing");
			bench_row_emit(ctx, &row);
			continue;
		}
		if (bench_churn_one(ctx, w, t, &res) != 0)
			continue;
		ns = (double)res.ns / (double)ctx->steps;
		/* Comparisons are made inside one run: against the first target measured. */
		if (base_ns == 0)
			base_ns = ns;
		bench_row_init(&row, w, t);
		bench_row_u64(&row, "steps", 8, ctx->steps);
		bench_row_f64(&row, "ns_per_pair", 8, 1, ns);
		bench_row_f64(&row, "ratio", 6, 2, ns / base_ns);
		bench_row_u64(&row, "fails", 5, res.fails);
		bench_row_u64(&row, "fill_fails", 5, res.fill_fails);
		bench_row_meta(&row, t, &res.fig, BENCH_SEGMENT_BYTES);
		bench_row_emit(ctx, &row);
	}
	return 0;
}

/* --- (b) fill / refill ------------------------------------------------------------------- */

#define FILL_MIN	4096
#define FILL_MAX	(UINT64_C(4) << 20)
/* Allocations of at least FILL_MIN bytes that fit the segment: one more is an overlap. */
#define FILL_MAX_LIVE	(BENCH_SEGMENT_BYTES / FILL_MIN)

struct fill_result {
	double u_sum[2], u_min[2], u_max[2];
	uint64_t failures;
	uint64_t missed_fits;
	uint64_t overlaps;
	/* Over every failure: bytes asked for and taken by the live set, the largest metadata. */
	struct bench_figures fig;
};

/*
 * Allocate until the first failure, then judge the failure from the live set alone: was a
 * hole at least the failed request's size left, and does any allocation overlap another?
 */
static int
fill_until_failure(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, void *st, struct bench_rec *live, size_t *n,
		struct bench_rng *rng, struct fill_result *res, unsigned int phase)
{
	struct bench_figures fig;
	struct bench_scan scan;
	uint64_t size;
	double u;
	int rc;

	for (;;) {
		if (*n > FILL_MAX_LIVE) {
			bench_fail(ctx, w, t, "more than %" PRIu64 " allocations of >= %d B fit"
				" a %" PRIu64 " B segment", FILL_MAX_LIVE, FILL_MIN,
				BENCH_SEGMENT_BYTES);
			return -EFAULT;
		}
		size = bench_range(rng, FILL_MIN, FILL_MAX);
		rc = t->alloc(st, size, &live[*n]);
		if (rc == -ENOMEM)
			break;
		if (rc != 0) {
			bench_fail(ctx, w, t, "allocator error: %s", strerror(-rc));
			return rc;
		}
		(*n)++;
	}
	if (bench_scan_live(live, *n, BENCH_SEGMENT_BYTES, &scan) != 0)
		return -ENOMEM;
	res->failures++;
	/* a reference's offsets mean nothing: of its scan, only the sums count */
	if (t->reference)
		scan.largest_gap = scan.overlaps = scan.out_of_range = 0;
	if (scan.largest_gap >= size)
		res->missed_fits++;
	res->overlaps += scan.overlaps + scan.out_of_range;
	if (scan.overlaps + scan.out_of_range != 0)
		bench_fail(ctx, w, t, "U%u: %" PRIu64 " overlapping and %" PRIu64
			" out-of-range allocations", phase + 1, scan.overlaps, scan.out_of_range);
	u = (double)scan.used_bytes / (double)BENCH_SEGMENT_BYTES;
	res->u_sum[phase] += u;
	if (u < res->u_min[phase])
		res->u_min[phase] = u;
	if (u > res->u_max[phase])
		res->u_max[phase] = u;
	res->fig.used_bytes += scan.used_bytes;
	res->fig.reserved_bytes += scan.reserved_bytes;
	if (t->figures != NULL) {
		t->figures(st, &fig);
		if (fig.meta_bytes > res->fig.meta_bytes)
			res->fig.meta_bytes = fig.meta_bytes;
		res->fig.node_bytes = fig.node_bytes;
	}
	return 0;
}

/* Free a random half: Fisher-Yates with the seed's PRNG, exactly as BENCH.md draws it. */
static int
fill_free_half(const struct bench_target *t, void *st, struct bench_rec *live, size_t *n,
		struct bench_rng *rng)
{
	size_t i, j, half = *n / 2;
	struct bench_rec tmp;
	int rc;

	for (i = 0; i < half; i++) {
		j = i + bench_below(rng, *n - i);
		tmp = live[i];
		live[i] = live[j];
		live[j] = tmp;
		rc = t->free(st, &live[i]);
		if (rc != 0)
			return rc;
	}
	memmove(live, live + half, (*n - half) * sizeof(*live));
	*n -= half;
	return 0;
}

static int
fill_seed(struct bench_ctx *ctx, const struct bench_workload *w, const struct bench_target *t,
		struct bench_rec *live, uint64_t seed, struct fill_result *res)
{
	struct bench_rng rng = { .s = seed };
	void *st = t->create(BENCH_SEGMENT_BYTES, 0);
	size_t n = 0;
	int rc;

	if (st == NULL) {
		rc = -errno;
		bench_fail(ctx, w, t, "create: %s", strerror(errno));
		return rc;
	}
	rc = fill_until_failure(ctx, w, t, st, live, &n, &rng, res, 0);
	if (rc != 0)
		goto out;
	if (ctx->check) {
		rc = bench_verify(ctx, w, t, st, live, n, BENCH_SEGMENT_BYTES, "U1 fill");
		if (rc != 0)
			goto out;
	}
	rc = fill_free_half(t, st, live, &n, &rng);
	if (rc != 0) {
		bench_fail(ctx, w, t, "free: %s", strerror(-rc));
		goto out;
	}
	if (ctx->check) {
		rc = bench_verify(ctx, w, t, st, live, n, BENCH_SEGMENT_BYTES,
			"free of a random half");
		if (rc != 0)
			goto out;
	}
	rc = fill_until_failure(ctx, w, t, st, live, &n, &rng, res, 1);
	if (rc != 0)
		goto out;
	if (ctx->check) {
		rc = bench_verify(ctx, w, t, st, live, n, BENCH_SEGMENT_BYTES, "U2 refill");
		if (rc != 0)
			goto out;
	}
	rc = free_all(t, st, live, n);
	if (rc != 0) {
		bench_fail(ctx, w, t, "free: %s", strerror(-rc));
		goto out;
	}
	if (ctx->check)
		rc = bench_verify(ctx, w, t, st, live, n, BENCH_SEGMENT_BYTES,
			"freeing everything");
out:
	t->destroy(st);
	return rc;
}

static void
fill_row(struct bench_ctx *ctx, const struct bench_workload *w, const struct bench_target *t,
		const struct fill_result *res)
{
	static const char *const keys[2][3] = {
		{ "u1_mean", "u1_min", "u1_max" },
		{ "u2_mean", "u2_min", "u2_max" },
	};
	struct bench_row row;
	unsigned int p;

	bench_row_init(&row, w, t);
	bench_row_u64(&row, "seeds", 5, ctx->seeds);
	if (ctx->first_seed != 1)
		bench_row_u64(&row, "first_seed", 5, ctx->first_seed);
	for (p = 0; p < 2; p++) {
		bench_row_f64(&row, keys[p][0], 6, 4, res->u_sum[p] / (double)ctx->seeds);
		bench_row_f64(&row, keys[p][1], 6, 4, res->u_min[p]);
		bench_row_f64(&row, keys[p][2], 6, 4, res->u_max[p]);
	}
	bench_row_u64(&row, "failures", 4, res->failures);
	bench_row_u64(&row, "missed_fits", 4, res->missed_fits);
	bench_row_u64(&row, "overlaps", 4, res->overlaps);
	bench_row_meta(&row, t, &res->fig, BENCH_SEGMENT_BYTES);
	bench_row_emit(ctx, &row);
}

int
bench_fill_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	struct bench_rec *live = calloc(FILL_MAX_LIVE + 1, sizeof(*live));
	struct fill_result res;
	struct bench_row row;
	unsigned int i;
	uint64_t seed;

	if (live == NULL)
		return -ENOMEM;
	bench_section(ctx, "(b) %s: sizes %d..%" PRIu64 " B until the first failure (U1), free"
		" a random half, again (U2); seeds %" PRIu64 "..%" PRIu64 ", %" PRIu64
		" MiB segment\nmissed_fits: failures while a free hole >= the request existed; "
		BENCH_META_LEGEND, w->title, FILL_MIN, FILL_MAX, ctx->first_seed,
		ctx->first_seed + ctx->seeds - 1, BENCH_SEGMENT_BYTES >> 20);
	for (i = 0; i < ctx->ntargets; i++) {
		const struct bench_target *t = ctx->targets[i];

		if (!t->segment || t->max_size < FILL_MAX) {
			bench_row_init(&row, w, t);
			bench_row_na(&row, !t->segment ? "no segment: hands out pointers" :
				"sizes above the largest allocation it serves");
			bench_row_emit(ctx, &row);
			continue;
		}
		memset(&res, 0, sizeof(res));
		res.u_min[0] = res.u_min[1] = DBL_MAX;
		for (seed = 0; seed < ctx->seeds; seed++) {
			bench_progress(ctx, "(b) %s: seed %" PRIu64 " of %" PRIu64, t->name,
				seed + 1, ctx->seeds);
			if (fill_seed(ctx, w, t, live, ctx->first_seed + seed, &res) != 0)
				break;
		}
		if (seed == ctx->seeds)
			fill_row(ctx, w, t, &res);
	}
	free(live);
	return 0;
}
