/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * BENCH.md's (c): the three sections of Mooncake Store's allocator_bench (uniform, random,
 * DSA pair), made deterministic. Mooncake seeds two generators from std::random_device in
 * each section, one in the bench helper that picks eviction victims and one that draws the
 * sizes (or the per-round counts); here each is a splitmix64 seeded 42. Keeping them apart
 * means every target sees the same sequence of requests, whatever it evicts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Points of the utilisation series printed with --json (for mkalloc-plot). */
#define MC_SERIES_POINTS	400

#define MC_SEED			42
/* Calls between two looks at the progress line. */
#define MC_PROGRESS_MASK	((UINT64_C(1) << 18) - 1)

/* uniform: i = 32 * 4^k below 2^26, five sizes around each, 2 GiB pool (128 MiB below 1 KiB) */
#define MC_UNIFORM_FIRST	32
#define MC_UNIFORM_END		(UINT64_C(1) << 26)
#define MC_UNIFORM_STEP		4
#define MC_UNIFORM_OFF		17
#define MC_UNIFORM_SIZES	55
#define MC_UNIFORM_POOL		(UINT64_C(2) << 30)
#define MC_UNIFORM_SMALL_POOL	(UINT64_C(128) << 20)
#define MC_UNIFORM_SMALL	1024

/* random: sizes uniform in [1 KiB, 64 MiB] in a 2 GiB pool */
#define MC_RANDOM_POOL		(UINT64_C(2) << 30)
#define MC_RANDOM_MIN		UINT64_C(1024)
#define MC_RANDOM_MAX		(UINT64_C(64) << 20)

/* DSA: KV-cache and indexer objects of DeepSeek sparse attention, 1 TiB pool */
#define MC_DSA_POOL		(UINT64_C(1) << 40)
#define MC_DSA_KV		UINT64_C(3274752)
#define MC_DSA_INDEXER		UINT64_C(658432)
#define MC_DSA_MAX_PER_ROUND	128
#define MC_DSA_EVICT		0.05
#define MC_DSA_WARMUP_ROUNDS	5000

/* Under each section title. */
#define MC_LEGEND \
	"utilisation = requested bytes of live objects / pool; ratio: ns_per_alloc over the" \
	" first allocator's; no_node: failures for want of a node (-ENOSPC)"

/* One case of one section on one target: the objects it holds and the samples it took. */
struct mc_run {
	struct bench_ctx *ctx;
	const struct bench_workload *w;
	const struct bench_target *t;
	void *st;
	uint64_t pool;
	struct bench_rng victims;	/* the helper's generator: eviction victims */
	struct bench_rec *live;		/* live objects, in no order: victims swap with the last */
	size_t n, cap;
	uint64_t requested;		/* sum of the requested sizes of live objects */
	uint64_t gave_up;		/* allocate() calls that failed with nothing live */
	struct bench_samples samples;	/* requested bytes at each sample */
	bool series;			/* print the samples over time too (--json) */
};

static int
mc_open(struct mc_run *m, struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, uint64_t pool, uint64_t min_size, size_t samples)
{
	memset(m, 0, sizeof(*m));
	m->ctx = ctx;
	m->w = w;
	m->t = t;
	m->pool = pool;
	m->victims.s = MC_SEED;
	/* Every live object holds at least min_size of the pool: one more is an overlap. */
	m->cap = pool / min_size + 1;
	m->live = malloc(m->cap * sizeof(*m->live));
	if (samples != 0) {
		m->samples.v = malloc(samples * sizeof(*m->samples.v));
		m->samples.cap = samples;
	}
	if (m->live == NULL || (samples != 0 && m->samples.v == NULL)) {
		bench_fail(ctx, w, t, "no memory for %zu live objects", m->cap);
		goto fail;
	}
	m->st = t->create(pool, pool / min_size);
	if (m->st == NULL) {
		bench_fail(ctx, w, t, "create(%" PRIu64 " B): %s", pool, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	free(m->live);
	free(m->samples.v);
	return -ENOMEM;
}

/*
 * BENCH.md's driver: try to allocate; on failure give up when nothing is live, else take a
 * sample when asked to, evict max(1, floor(live * evict_ratio)) random objects and retry.
 */
static int
mc_allocate(struct mc_run *m, uint64_t size, double evict_ratio, bool sample_failures)
{
	uint64_t count, k;
	size_t victim;
	struct bench_rec tmp;
	int rc;

	for (;;) {
		if (m->n == m->cap) {
			bench_fail(m->ctx, m->w, m->t, "more objects live than fit the pool");
			return -EFAULT;
		}
		rc = m->t->alloc(m->st, size, &m->live[m->n]);
		if (rc == 0) {
			m->n++;
			m->requested += size;
			return 0;
		}
		if (rc != -ENOMEM) {
			bench_fail(m->ctx, m->w, m->t, "alloc(%" PRIu64 "): %s", size,
				strerror(-rc));
			return rc;
		}
		if (m->n == 0) {
			m->gave_up++;
			return 0;
		}
		if (sample_failures && bench_samples_push(&m->samples, m->requested) != 0) {
			bench_fail(m->ctx, m->w, m->t, "no memory for %zu samples", m->samples.n);
			return -ENOMEM;
		}
		count = (uint64_t)((double)m->n * evict_ratio);
		if (count < 1)
			count = 1;
		for (k = 0; k < count && m->n != 0; k++) {
			victim = bench_below(&m->victims, m->n);
			tmp = m->live[victim];
			m->live[victim] = m->live[m->n - 1];
			m->n--;
			m->requested -= tmp.size;
			rc = m->t->free(m->st, &tmp);
			if (rc != 0) {
				bench_fail(m->ctx, m->w, m->t, "free: %s", strerror(-rc));
				return rc;
			}
		}
	}
}

static int
mc_verify(struct mc_run *m, const char *phase)
{
	if (!m->ctx->check)
		return 0;
	return bench_verify(m->ctx, m->w, m->t, m->st, m->live, m->n, m->pool, phase);
}

/* Give everything back (untimed), check the empty allocator, and tear the case down. */
static int
mc_close(struct mc_run *m, int rc)
{
	int err;

	while (rc == 0 && m->n != 0) {
		m->n--;
		err = m->t->free(m->st, &m->live[m->n]);
		if (err != 0) {
			bench_fail(m->ctx, m->w, m->t, "free: %s", strerror(-err));
			rc = err;
		}
	}
	if (rc == 0)
		rc = mc_verify(m, "after freeing everything");
	if (m->gave_up != 0)
		bench_note(m->ctx, "%s on %s: %" PRIu64 " calls failed with nothing live",
			m->w->name, m->t->name, m->gave_up);
	m->t->destroy(m->st);
	free(m->live);
	free(m->samples.v);
	return rc;
}

/* The figures every section reports: utilisation statistics, time, ratio, node shortage. */
static int
mc_row_figures(struct mc_run *m, struct bench_row *row, uint64_t ns, uint64_t calls,
		double *base_ns)
{
	static const char *const keys[] = { "min", "p1", "p10", "p50", "max", "mean" };
	struct bench_util_stats us;
	struct bench_figures fig = { 0 };
	double per_call = (double)ns / (double)calls;
	double v[6];
	unsigned int i;

	/* the samples in time order, before they are sorted for the statistics */
	if (m->series)
		bench_series_emit(m->ctx, m->w, m->t, "utilisation", m->samples.v, m->samples.n,
			m->pool, MC_SERIES_POINTS);
	if (bench_util_stats(m->samples.v, m->samples.n, m->pool, &us) != 0) {
		bench_fail(m->ctx, m->w, m->t, "no memory to sort %zu samples", m->samples.n);
		return -ENOMEM;
	}
	v[0] = us.min;
	v[1] = us.p1;
	v[2] = us.p10;
	v[3] = us.p50;
	v[4] = us.max;
	v[5] = us.mean;
	for (i = 0; i < 6; i++) {
		if (us.samples != 0)
			bench_row_f64(row, keys[i], 6, 4, v[i]);
		else
			bench_row_none(row, keys[i], 6);
	}
	bench_row_f64(row, "ns_per_alloc", 7, 1, per_call);
	if (*base_ns == 0)
		*base_ns = per_call;
	bench_row_f64(row, "ratio", 5, 2, per_call / *base_ns);
	bench_row_u64(row, "samples", 7, us.samples);
	if (m->t->figures != NULL)
		m->t->figures(m->st, &fig);
	if (fig.node_bytes != 0)
		bench_row_u64(row, "no_node", 3, fig.no_node);
	else
		bench_row_none(row, "no_node", 3);
	return 0;
}

static void
mc_na(struct bench_ctx *ctx, const struct bench_target *t, struct bench_row *row,
		uint64_t largest)
{
	char reason[96];

	if (!t->segment)
		snprintf(reason, sizeof(reason), "no segment: hands out pointers");
	else
		snprintf(reason, sizeof(reason), "%" PRIu64 " B is above the largest allocation"
			" it serves (%" PRIu64 " B)", largest, t->max_size);
	bench_row_na(row, reason);
	bench_row_emit(ctx, row);
}

/* --- uniform ----------------------------------------------------------------------------- */

/* The 55 sizes, in BENCH.md's order: for each i, i, i-17, i+17, 0.9i, 1.1i. */
static unsigned int
mc_uniform_sizes(uint64_t sizes[MC_UNIFORM_SIZES])
{
	unsigned int n = 0;
	uint32_t i;

	for (i = MC_UNIFORM_FIRST; i < MC_UNIFORM_END; i *= MC_UNIFORM_STEP) {
		sizes[n++] = i;
		sizes[n++] = i - MC_UNIFORM_OFF;
		sizes[n++] = i + MC_UNIFORM_OFF;
		sizes[n++] = (uint32_t)(0.9 * i);
		sizes[n++] = (uint32_t)(1.1 * i);
	}
	return n;
}

static int
mc_uniform_case(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, uint64_t size, uint64_t pool, struct bench_row *row,
		double *base_ns)
{
	uint64_t warmup = pool / size, i, t0, ns;
	struct mc_run m;
	int rc;

	if (mc_open(&m, ctx, w, t, pool, size, ctx->calls) != 0)
		return -ENOMEM;
	for (i = 0, rc = 0; i < warmup && rc == 0; i++) {
		rc = mc_allocate(&m, size, 0, false);
		if ((i & MC_PROGRESS_MASK) == MC_PROGRESS_MASK)
			bench_progress(ctx, "(c) uniform %" PRIu64 " B on %s: warm-up %" PRIu64
				" of %" PRIu64, size, t->name, i + 1, warmup);
	}
	if (rc == 0)
		rc = mc_verify(&m, "after the warm-up");
	if (rc != 0)
		return mc_close(&m, rc);
	t0 = bench_now_ns();
	for (i = 0; i < ctx->calls && rc == 0; i++) {
		rc = mc_allocate(&m, size, 0, false);
		m.samples.v[m.samples.n++] = m.requested;
		if ((i & MC_PROGRESS_MASK) == MC_PROGRESS_MASK)
			bench_progress(ctx, "(c) uniform %" PRIu64 " B on %s: call %" PRIu64
				" of %" PRIu64, size, t->name, i + 1, ctx->calls);
	}
	ns = bench_now_ns() - t0;
	if (rc == 0)
		rc = mc_verify(&m, "after the measured calls");
	if (rc == 0)
		rc = mc_row_figures(&m, row, ns, ctx->calls, base_ns);
	return mc_close(&m, rc);
}

int
bench_mc_uniform_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	uint64_t sizes[MC_UNIFORM_SIZES], pool;
	struct bench_row row;
	unsigned int n = mc_uniform_sizes(sizes), s, i;
	double base_ns;

	bench_section(ctx, "(c) %s: %u sizes, pool %" PRIu64 " MiB (%" PRIu64 " MiB under %d B),"
		" warm-up pool/size calls, %" PRIu64 " measured calls, evict 1 at a failure,"
		" seed %d\n" MC_LEGEND "; bound = floor(pool/size)*size/pool", w->title, n,
		MC_UNIFORM_POOL >> 20, MC_UNIFORM_SMALL_POOL >> 20, MC_UNIFORM_SMALL,
		ctx->calls, MC_SEED);
	for (i = 0; i < ctx->ntargets; i++) {
		if (!ctx->targets[i]->segment) {
			bench_row_init(&row, w, ctx->targets[i]);
			mc_na(ctx, ctx->targets[i], &row, 0);
		}
	}
	for (s = 0; s < n; s++) {
		pool = sizes[s] < MC_UNIFORM_SMALL ? MC_UNIFORM_SMALL_POOL : MC_UNIFORM_POOL;
		base_ns = 0;
		for (i = 0; i < ctx->ntargets; i++) {
			const struct bench_target *t = ctx->targets[i];

			if (!t->segment)
				continue;
			bench_row_init(&row, w, t);
			bench_row_u64(&row, "size", 8, sizes[s]);
			if (t->max_size < sizes[s]) {
				mc_na(ctx, t, &row, sizes[s]);
				continue;
			}
			bench_row_u64(&row, "pool_mib", 4, pool >> 20);
			bench_row_f64(&row, "bound", 6, 4,
				(double)(pool / sizes[s] * sizes[s]) / (double)pool);
			if (mc_uniform_case(ctx, w, t, sizes[s], pool, &row, &base_ns) == 0)
				bench_row_emit(ctx, &row);
		}
	}
	return 0;
}

/* --- random ------------------------------------------------------------------------------ */

static int
mc_random_case(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, struct bench_row *row, double *base_ns)
{
	struct bench_rng sizes = { .s = MC_SEED };
	uint64_t drawn, size, i, t0, ns;
	struct mc_run m;
	int rc = 0;

	if (mc_open(&m, ctx, w, t, MC_RANDOM_POOL, MC_RANDOM_MIN, ctx->calls) != 0)
		return -ENOMEM;
	m.series = true;
	for (drawn = 0; drawn < MC_RANDOM_POOL && rc == 0; drawn += size) {
		size = bench_range(&sizes, MC_RANDOM_MIN, MC_RANDOM_MAX);
		rc = mc_allocate(&m, size, 0, false);
	}
	if (rc == 0)
		rc = mc_verify(&m, "after the warm-up");
	if (rc != 0)
		return mc_close(&m, rc);
	t0 = bench_now_ns();
	for (i = 0; i < ctx->calls && rc == 0; i++) {
		rc = mc_allocate(&m, bench_range(&sizes, MC_RANDOM_MIN, MC_RANDOM_MAX), 0, false);
		m.samples.v[m.samples.n++] = m.requested;
		if ((i & MC_PROGRESS_MASK) == MC_PROGRESS_MASK)
			bench_progress(ctx, "(c) random on %s: call %" PRIu64 " of %" PRIu64,
				t->name, i + 1, ctx->calls);
	}
	ns = bench_now_ns() - t0;
	if (rc == 0)
		rc = mc_verify(&m, "after the measured calls");
	if (rc == 0)
		rc = mc_row_figures(&m, row, ns, ctx->calls, base_ns);
	return mc_close(&m, rc);
}

int
bench_mc_random_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	struct bench_row row;
	double base_ns = 0;
	unsigned int i;

	bench_section(ctx, "(c) %s: sizes %" PRIu64 "..%" PRIu64 " B, pool %" PRIu64 " MiB,"
		" warm-up until the drawn bytes reach the pool, %" PRIu64 " measured calls,"
		" seed %d\n" MC_LEGEND, w->title, MC_RANDOM_MIN, MC_RANDOM_MAX,
		MC_RANDOM_POOL >> 20, ctx->calls, MC_SEED);
	for (i = 0; i < ctx->ntargets; i++) {
		const struct bench_target *t = ctx->targets[i];

		bench_row_init(&row, w, t);
		if (!t->segment || t->max_size < MC_RANDOM_MAX) {
			mc_na(ctx, t, &row, MC_RANDOM_MAX);
			continue;
		}
		bench_row_u64(&row, "pool_mib", 4, MC_RANDOM_POOL >> 20);
		if (mc_random_case(ctx, w, t, &row, &base_ns) == 0)
			bench_row_emit(ctx, &row);
	}
	return 0;
}

/* --- DSA pair ---------------------------------------------------------------------------- */

/* One round: k KV-cache objects, then k indexer objects. Adds the calls made to *calls. */
static int
mc_dsa_round(struct mc_run *m, struct bench_rng *counts, bool sample, uint64_t *calls)
{
	uint64_t k = bench_range(counts, 1, MC_DSA_MAX_PER_ROUND), i;
	int rc = 0;

	for (i = 0; i < k && rc == 0; i++)
		rc = mc_allocate(m, MC_DSA_KV, MC_DSA_EVICT, sample);
	for (i = 0; i < k && rc == 0; i++)
		rc = mc_allocate(m, MC_DSA_INDEXER, MC_DSA_EVICT, sample);
	*calls += 2 * k;
	return rc;
}

static int
mc_dsa_case(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, struct bench_row *row, double *base_ns)
{
	struct bench_rng counts = { .s = MC_SEED };
	uint64_t round, calls = 0, t0, ns;
	struct mc_run m;
	int rc = 0;

	if (mc_open(&m, ctx, w, t, MC_DSA_POOL, MC_DSA_INDEXER, 0) != 0)
		return -ENOMEM;
	m.series = true;
	for (round = 0; round < MC_DSA_WARMUP_ROUNDS && rc == 0; round++)
		rc = mc_dsa_round(&m, &counts, false, &calls);
	if (rc == 0)
		rc = mc_verify(&m, "after the warm-up");
	if (rc != 0)
		return mc_close(&m, rc);
	calls = 0;
	t0 = bench_now_ns();
	for (round = 0; round < ctx->rounds && rc == 0; round++) {
		rc = mc_dsa_round(&m, &counts, true, &calls);
		if ((round & 1023) == 1023)
			bench_progress(ctx, "(c) DSA on %s: round %" PRIu64 " of %" PRIu64,
				t->name, round + 1, ctx->rounds);
	}
	ns = bench_now_ns() - t0;
	if (rc == 0)
		rc = mc_verify(&m, "after the measured rounds");
	if (rc == 0) {
		bench_row_u64(row, "calls", 8, calls);
		rc = mc_row_figures(&m, row, ns, calls, base_ns);
	}
	return mc_close(&m, rc);
}

int
bench_mc_dsa_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	struct bench_row row;
	double base_ns = 0;
	unsigned int i;

	bench_section(ctx, "(c) %s: KV %" PRIu64 " B + indexer %" PRIu64 " B, k in 1..%d per"
		" round, evict %.2f, pool %" PRIu64 " GiB (offsets only), %d warm-up and %" PRIu64
		" measured rounds, samples at failures, seed %d\n" MC_LEGEND, w->title, MC_DSA_KV,
		MC_DSA_INDEXER, MC_DSA_MAX_PER_ROUND, MC_DSA_EVICT, MC_DSA_POOL >> 30,
		MC_DSA_WARMUP_ROUNDS, ctx->rounds, MC_SEED);
	for (i = 0; i < ctx->ntargets; i++) {
		const struct bench_target *t = ctx->targets[i];

		bench_row_init(&row, w, t);
		if (!t->segment || t->max_size < MC_DSA_KV) {
			mc_na(ctx, t, &row, MC_DSA_KV);
			continue;
		}
		if (mc_dsa_case(ctx, w, t, &row, &base_ns) == 0)
			bench_row_emit(ctx, &row);
	}
	return 0;
}
