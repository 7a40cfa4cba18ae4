/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_BENCH_H
#define MK_BENCH_H

/**
 * @file
 * What the parts of mkalloc-bench share.
 *
 * The program is three layers: targets (bench_targets.c) put every allocator behind one table
 * of function pointers, so that each workload of ../shared/BENCH.md (bench_workloads.c for (a)
 * and (b), bench_mooncake.c for (c)) is written once and run on every target it applies to;
 * rows (bench_output.c) carry the figures of one workload on one target and print them as a
 * JSON line or a table row. mkalloc-bench.c parses the options and runs the table of
 * workloads; a new workload is one more entry there and one more file.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mk_prng.h"

/* --- BENCH.md's common rules ------------------------------------------------------------- */

/** The segment of (a) and (b): 1 GiB. */
#define BENCH_SEGMENT_BYTES	(UINT64_C(1) << 30)

/** BENCH.md's PRNG (config/mk_prng.h), one state per stream. */
struct bench_rng {
	uint64_t s;
};

static inline uint64_t
bench_next(struct bench_rng *r)
{
	return mk_prng_next(&r->s);
}

static inline uint64_t
bench_below(struct bench_rng *r, uint64_t n)
{
	return mk_prng_below(&r->s, n);
}

static inline uint64_t
bench_range(struct bench_rng *r, uint64_t lo, uint64_t hi)
{
	return mk_prng_range(&r->s, lo, hi);
}

/** Monotonic nanoseconds. */
uint64_t bench_now_ns(void);

/* --- targets ----------------------------------------------------------------------------- */

/** One allocation as a workload keeps it, whatever the target. */
struct bench_rec {
	uint64_t offset;	/**< offset in the segment, or the address for heap targets */
	uint64_t size;		/**< bytes asked for; 0 marks an empty slot */
	uint64_t reserved;	/**< bytes the allocation takes (a slab's chunk, else size) */
	uint64_t handle;	/**< the allocator's handle */
};

/** Figures an allocator can give about itself; a field it cannot give stays 0. */
struct bench_figures {
	uint64_t live;		/**< allocations handed out */
	uint64_t used_bytes;	/**< bytes asked for by the live allocations */
	uint64_t reserved_bytes; /**< bytes the live allocations take */
	uint64_t meta_bytes;	/**< bookkeeping, kept outside the segment */
	uint32_t node_bytes;	/**< bytes per metadata node (offset allocator) */
	uint64_t no_node;	/**< failures for want of a metadata node (-ENOSPC) */
};

/**
 * An allocator behind the interface that every workload uses. alloc() returns 0, -ENOMEM
 * when the allocator could not serve the request (the figure a workload counts), or another
 * negative errno for an error, which is a bug and ends the workload on that target.
 */
struct bench_target {
	const char *name;	/**< as --allocator spells it */
	const char *what;	/**< one line for --help */
	/** Hands out offsets of [0, capacity): the segment workloads (b) and (c) apply. */
	bool segment;
	/** Largest request it serves. */
	uint64_t max_size;
	/** NULL with errno set on failure; max_live sizes metadata pools, 0 for defaults. */
	void *(*create)(uint64_t capacity, uint64_t max_live);
	int (*alloc)(void *st, uint64_t size, struct bench_rec *out);
	int (*free)(void *st, const struct bench_rec *rec);
	void (*destroy)(void *st);
	/** Walk the allocator's structures: 0 or a negative errno. NULL when it has none. */
	int (*check)(void *st);
	/** NULL when it has no figures. */
	void (*figures)(void *st, struct bench_figures *f);
	/** True when figures() gives used_bytes and reserved_bytes. */
	bool has_usage;
	/**
	 * Not an allocator but a reference: it counts bytes only, as if all free space were one
	 * region. Its offsets mean nothing, so no live-set scan looks at them; timings of it mean
	 * nothing, so (a) skips it.
	 */
	bool reference;
};

/** Every target this build has, in the default order; NULL-terminated. */
extern const struct bench_target *const bench_targets[];

/** The target named @p name, or NULL. */
const struct bench_target *bench_target_find(const char *name);

/* --- run context and workloads ----------------------------------------------------------- */

/** Most targets one run compares. */
#define BENCH_TARGETS_MAX	8

/** Everything a workload needs from the command line, and the run's verdict. */
struct bench_ctx {
	const struct bench_target *targets[BENCH_TARGETS_MAX];
	unsigned int ntargets;
	uint64_t steps;		/**< (a): steps after the fill */
	uint64_t seeds;		/**< (b): how many seeds */
	uint64_t first_seed;	/**< (b): the first of them (BENCH.md: 1) */
	uint64_t calls;		/**< (c) uniform and random: measured calls */
	uint64_t rounds;	/**< (c) DSA: measured rounds */
	bool quick;		/**< counts reduced for a smoke run */
	bool check;		/**< run the checkers after each phase */
	bool json;		/**< JSON lines instead of the table */
	bool progress;		/**< stderr is a terminal */
	/** Set once a checker, an overlap check or an allocator error has failed. */
	bool failed;
};

/** One workload of BENCH.md. */
struct bench_workload {
	const char *name;	/**< as --workload and the JSON "workload" spell it */
	const char *group;	/**< --workload GROUP selects every workload of the group */
	const char *title;	/**< one line for --help and the table */
	/** Runs on segment targets only: heap targets (and so the EAL) are not needed. */
	bool segment_only;
	/** Needs the EAL whatever the targets (the service). */
	bool eal;
	/** Run on every target of @p ctx it applies to; a negative errno when it could not. */
	int (*run)(struct bench_ctx *ctx, const struct bench_workload *w);
};

/* (a)'s shape, which (d) repeats through the service */
#define BENCH_CHURN_SLOTS	10000
#define BENCH_CHURN_SEED	12345
#define BENCH_CHURN_MIN		64
#define BENCH_CHURN_MAX		65536

/** What one churn of (a) on one target measured. */
struct bench_churn_result {
	uint64_t ns;		/**< over the steps */
	uint64_t fails;
	uint64_t fill_fails;
	struct bench_figures fig;
};

/** (a) on one target with ctx->steps steps: 0, or a negative errno after bench_fail(). */
int bench_churn_one(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, struct bench_churn_result *res);

int bench_churn_run(struct bench_ctx *ctx, const struct bench_workload *w);
int bench_service_run(struct bench_ctx *ctx, const struct bench_workload *w);
int bench_fill_run(struct bench_ctx *ctx, const struct bench_workload *w);
int bench_mc_uniform_run(struct bench_ctx *ctx, const struct bench_workload *w);
int bench_mc_random_run(struct bench_ctx *ctx, const struct bench_workload *w);
int bench_mc_dsa_run(struct bench_ctx *ctx, const struct bench_workload *w);

/* --- live sets and statistics (bench_stats.c) -------------------------------------------- */

/** What a scan of a live set finds. */
struct bench_scan {
	uint64_t live;		/**< allocations (non-empty records) */
	uint64_t used_bytes;	/**< sum of their requested sizes */
	uint64_t reserved_bytes; /**< sum of their reserved sizes */
	uint64_t largest_gap;	/**< largest range no allocation covers, ends included */
	uint64_t overlaps;	/**< allocations that overlap one before them in address order */
	uint64_t out_of_range;	/**< allocations that end past the capacity */
};

/**
 * Scan @p n records (empty ones skipped) of a segment of @p capacity bytes: sort the
 * reserved ranges by offset, find the largest gap and every overlap. 0 or -ENOMEM.
 */
int bench_scan_live(const struct bench_rec *recs, size_t n, uint64_t capacity,
		struct bench_scan *out);

/**
 * The checks of --check after a phase: the allocator's checker, then for a segment target
 * a scan of the live set (no overlap, nothing out of range) and, when the target gives its
 * usage, agreement between its figures and the live set. Prints what failed and sets
 * ctx->failed; returns 0 or -EFAULT.
 */
int bench_verify(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, void *st, const struct bench_rec *recs, size_t n,
		uint64_t capacity, const char *phase);

/** Order statistics of utilisation samples. */
struct bench_util_stats {
	uint64_t samples;
	double min, p1, p10, p50, max, mean;
};

/**
 * Sort @p n samples of requested bytes in place and give them as utilisation of @p pool:
 * p1/p10/p50 are the samples at index floor(n * q) of the sorted array, as Mooncake's
 * allocator_bench takes them. All zero when n is 0. 0 or -ENOMEM.
 */
int bench_util_stats(uint64_t *samples, size_t n, uint64_t pool, struct bench_util_stats *out);

/** A growable array of samples. */
struct bench_samples {
	uint64_t *v;
	size_t n, cap;
};

/** Append; 0 or -ENOMEM. */
int bench_samples_push(struct bench_samples *s, uint64_t v);

/* --- output (bench_output.c) ------------------------------------------------------------- */

/** Most figures in one row. */
#define BENCH_ROW_FIELDS	24

enum bench_kind {
	BENCH_NONE,	/**< does not apply: "-" in the table, left out of the JSON */
	BENCH_U64,
	BENCH_F64,
	BENCH_STR,
};

struct bench_field {
	const char *key;
	enum bench_kind kind;
	int width;	/**< table column width */
	int prec;	/**< digits after the point for BENCH_F64 */
	union {
		uint64_t u;
		double d;
		const char *s;
	} v;
};

/** The figures of one workload (or one case of it) on one target. */
struct bench_row {
	const char *workload;
	const char *allocator;
	/** Set when the workload does not apply to the target: the row says why. */
	const char *na_reason;
	unsigned int n;
	struct bench_field f[BENCH_ROW_FIELDS];
};

void bench_row_init(struct bench_row *r, const struct bench_workload *w,
		const struct bench_target *t);
void bench_row_u64(struct bench_row *r, const char *key, int width, uint64_t v);
void bench_row_f64(struct bench_row *r, const char *key, int width, int prec, double v);
void bench_row_str(struct bench_row *r, const char *key, int width, const char *v);
void bench_row_none(struct bench_row *r, const char *key, int width);
/** Mark the row "n/a" for @p reason: its figures are not printed. */
void bench_row_na(struct bench_row *r, const char *reason);
/** Print the row: a JSON line, or a table row (after a header when the columns change). */
void bench_row_emit(const struct bench_ctx *ctx, const struct bench_row *r);

/** The allocator figures of (a) and (b): metadata, node size, chunk overhead. */
void bench_row_meta(struct bench_row *r, const struct bench_target *t,
		const struct bench_figures *f, uint64_t capacity);

/** What the figures of allocator metadata mean, under the titles of the sections with them. */
#define BENCH_META_LEGEND	"meta_pct: metadata (kept outside the segment) as %% of the" \
	" segment; chunk_ratio: bytes taken over bytes asked for"

/**
 * With --json, one more line for a sampled figure over a run (utilisation over the calls of
 * (c)): {"workload", "allocator", "series": @p what, "every": k, "points": [...]}, at most
 * @p points values, each the sample at index i * k, as a fraction of @p pool. Nothing in
 * table mode. The samples must be in time order (call it before sorting them).
 */
void bench_series_emit(const struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, const char *what, const uint64_t *samples, size_t n,
		uint64_t pool, unsigned int points);

/** Start a table section: a title line (table only; JSON lines carry their own names). */
void bench_section(const struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** A note for people: on stdout in table mode, on stderr with --json. */
void bench_note(const struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Progress on stderr when it is a terminal: overwrites one line. */
void bench_progress(const struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Clear the progress line. */
void bench_progress_done(const struct bench_ctx *ctx);

/** Report a failed check or an allocator error and mark the run failed. */
void bench_fail(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* --- EAL (bench_eal.c) ------------------------------------------------------------------- */

/**
 * Bring the EAL up: with @p argc/@p argv when the user gave EAL arguments (argc > 0), else
 * with arguments of our own. 0 with a line for people in @p mode, or a negative errno after
 * printing why.
 */
int bench_eal_up(int argc, char **argv, char *mode, size_t mode_len);

/** Take the EAL down and remove the runtime directory it leaves; safe to call twice. */
void bench_eal_down(void);

#endif /* MK_BENCH_H */
