/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Live-set scans, the checks of --check, and utilisation statistics. The scans judge an
 * allocator from the outside (what it handed out), never from its own report.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

/* --- live sets --------------------------------------------------------------------------- */

struct range {
	uint64_t start, end;
};

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

int
bench_scan_live(const struct bench_rec *recs, size_t n, uint64_t capacity,
		struct bench_scan *out)
{
	struct range *ranges = malloc((n != 0 ? n : 1) * sizeof(*ranges));
	uint64_t covered_to = 0;
	size_t i, live = 0;

	memset(out, 0, sizeof(*out));
	if (ranges == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (recs[i].size == 0)
			continue;
		ranges[live].start = recs[i].offset;
		ranges[live].end = recs[i].offset + recs[i].reserved;
		out->used_bytes += recs[i].size;
		out->reserved_bytes += recs[i].reserved;
		live++;
	}
	qsort(ranges, live, sizeof(*ranges), range_cmp);
	/* Walk in address order with the highest end seen: a gap is space nothing covers. */
	for (i = 0; i < live; i++) {
		if (ranges[i].end > capacity || ranges[i].end < ranges[i].start)
			out->out_of_range++;
		if (ranges[i].start < covered_to)
			out->overlaps++;
		else if (ranges[i].start - covered_to > out->largest_gap)
			out->largest_gap = ranges[i].start - covered_to;
		if (ranges[i].end > covered_to)
			covered_to = ranges[i].end;
	}
	if (covered_to < capacity && capacity - covered_to > out->largest_gap)
		out->largest_gap = capacity - covered_to;
	out->live = live;
	free(ranges);
	return 0;
}

int
bench_verify(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, void *st, const struct bench_rec *recs, size_t n,
		uint64_t capacity, const char *phase)
{
	struct bench_figures f;
	struct bench_scan scan;
	int rc;

	if (t->check != NULL) {
		rc = t->check(st);
		if (rc != 0) {
			bench_fail(ctx, w, t, "%s: allocator checker failed: %s", phase,
				strerror(-rc));
			return -EFAULT;
		}
	}
	if (!t->segment || t->reference)
		return 0;
	if (bench_scan_live(recs, n, capacity, &scan) != 0) {
		bench_fail(ctx, w, t, "%s: no memory to scan the live set", phase);
		return -EFAULT;
	}
	if (scan.overlaps != 0 || scan.out_of_range != 0) {
		bench_fail(ctx, w, t, "%s: %" PRIu64 " overlapping and %" PRIu64
			" out-of-range allocations in the live set", phase, scan.overlaps,
			scan.out_of_range);
		return -EFAULT;
	}
	if (t->figures == NULL || !t->has_usage)
		return 0;
	t->figures(st, &f);
	if (f.live != scan.live || f.used_bytes != scan.used_bytes ||
	    f.reserved_bytes != scan.reserved_bytes) {
		bench_fail(ctx, w, t, "%s: allocator says %" PRIu64 " live, %" PRIu64
			" B used, %" PRIu64 " B reserved; live set has %" PRIu64 ", %" PRIu64
			" B, %" PRIu64 " B", phase, f.live, f.used_bytes, f.reserved_bytes,
			scan.live, scan.used_bytes, scan.reserved_bytes);
		return -EFAULT;
	}
	return 0;
}

/* --- samples ----------------------------------------------------------------------------- */

/* Samples are counts of bytes; a growth step this size keeps pushes amortised O(1). */
#define SAMPLES_MIN_CAP 4096

int
bench_samples_push(struct bench_samples *s, uint64_t v)
{
	uint64_t *grown;
	size_t cap;

	if (s->n == s->cap) {
		cap = s->cap != 0 ? 2 * s->cap : SAMPLES_MIN_CAP;
		grown = realloc(s->v, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		s->v = grown;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

/*
 * LSD radix sort, one byte per pass, skipping bytes that every key shares: a million
 * samples sort in a few milliseconds, and the many equal keys of the uniform cases (which
 * make a plain quickselect quadratic) cost nothing extra.
 */
#define RADIX_BITS	8
#define RADIX_BUCKETS	(1u << RADIX_BITS)
#define RADIX_PASSES	(64 / RADIX_BITS)

static int
radix_sort(uint64_t *v, size_t n)
{
	size_t count[RADIX_PASSES][RADIX_BUCKETS];
	uint64_t *tmp, *src = v, *dst;
	size_t i, sum, c;
	unsigned int p, b, shift;

	if (n < 2)
		return 0;
	tmp = malloc(n * sizeof(*tmp));
	if (tmp == NULL)
		return -ENOMEM;
	dst = tmp;
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++)
		for (p = 0; p < RADIX_PASSES; p++)
			count[p][(v[i] >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)]++;
	for (p = 0; p < RADIX_PASSES; p++) {
		if (count[p][(v[0] >> (p * RADIX_BITS)) & (RADIX_BUCKETS - 1)] == n)
			continue;
		for (b = 0, sum = 0; b < RADIX_BUCKETS; b++) {
			c = count[p][b];
			count[p][b] = sum;
			sum += c;
		}
		shift = p * RADIX_BITS;
		for (i = 0; i < n; i++)
			dst[count[p][(src[i] >> shift) & (RADIX_BUCKETS - 1)]++] = src[i];
		src = dst;
		dst = src == v ? tmp : v;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
	free(tmp);
	return 0;
}

int
bench_util_stats(uint64_t *samples, size_t n, uint64_t pool, struct bench_util_stats *out)
{
	long double sum = 0;
	double scale = 1.0 / (double)pool;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (n == 0)
		return 0;
	if (radix_sort(samples, n) != 0)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sum += samples[i];
	out->samples = n;
	out->min = (double)samples[0] * scale;
	out->p1 = (double)samples[n / 100] * scale;
	out->p10 = (double)samples[n / 10] * scale;
	out->p50 = (double)samples[n / 2] * scale;
	out->max = (double)samples[n - 1] * scale;
	out->mean = (double)(sum / n) * scale;
	return 0;
}
