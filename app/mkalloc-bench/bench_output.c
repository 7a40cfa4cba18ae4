/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rows of figures, printed as JSON lines (--json) or as a table for people. stdout carries
 * results only; notes go to stderr under --json, and progress goes to stderr only when it is
 * a terminal, so that `mkalloc-bench --json > out.jsonl` is clean whatever happens.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Width of the allocator column of the table. */
#define ALLOCATOR_WIDTH 10

/* The columns of the last table header, so a header is printed only when they change. */
static const char *header_keys[BENCH_ROW_FIELDS];
static unsigned int header_n;
static bool header_valid;

void
bench_row_init(struct bench_row *r, const struct bench_workload *w,
		const struct bench_target *t)
{
	memset(r, 0, sizeof(*r));
	r->workload = w->name;
	r->allocator = t->name;
}

static struct bench_field *
row_add(struct bench_row *r, const char *key, enum bench_kind kind, int width)
{
	struct bench_field *f;

	/* A row is built by code, never from input: running out of fields is a bench bug. */
	if (r->n == BENCH_ROW_FIELDS) {
		fprintf(stderr, "mkalloc-bench: too many figures in a row of %s\n", r->workload);
		abort();
	}
	f = &r->f[r->n++];
	f->key = key;
	f->kind = kind;
	f->width = width > (int)strlen(key) ? width : (int)strlen(key);
	return f;
}

void
bench_row_u64(struct bench_row *r, const char *key, int width, uint64_t v)
{
	row_add(r, key, BENCH_U64, width)->v.u = v;
}

void
bench_row_f64(struct bench_row *r, const char *key, int width, int prec, double v)
{
	struct bench_field *f = row_add(r, key, BENCH_F64, width);

	f->prec = prec;
	f->v.d = v;
}

void
bench_row_str(struct bench_row *r, const char *key, int width, const char *v)
{
	row_add(r, key, BENCH_STR, width)->v.s = v;
}

void
bench_row_none(struct bench_row *r, const char *key, int width)
{
	row_add(r, key, BENCH_NONE, width);
}

void
bench_row_na(struct bench_row *r, const char *reason)
{
	r->na_reason = reason;
}

void
bench_row_meta(struct bench_row *r, const struct bench_target *t,
		const struct bench_figures *f, uint64_t capacity)
{
	if (t->figures != NULL && f->meta_bytes != 0) {
		bench_row_u64(r, "meta_bytes", 10, f->meta_bytes);
		bench_row_f64(r, "meta_pct", 6, 3,
			100.0 * (double)f->meta_bytes / (double)capacity);
	} else {
		bench_row_none(r, "meta_bytes", 10);
		bench_row_none(r, "meta_pct", 6);
	}
	if (t->figures != NULL && f->node_bytes != 0)
		bench_row_u64(r, "node_bytes", 4, f->node_bytes);
	else
		bench_row_none(r, "node_bytes", 4);
	/* Internal fragmentation: what the allocations take over what was asked for. */
	if (t->has_usage && f->used_bytes != 0)
		bench_row_f64(r, "chunk_ratio", 6, 4,
			(double)f->reserved_bytes / (double)f->used_bytes);
	else
		bench_row_none(r, "chunk_ratio", 6);
}

/* --- JSON -------------------------------------------------------------------------------- */

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void
emit_json(const struct bench_row *r)
{
	const struct bench_field *f;
	unsigned int i;

	printf("{\"workload\": ");
	json_string(r->workload);
	printf(", \"allocator\": ");
	json_string(r->allocator);
	for (i = 0; i < r->n; i++) {
		f = &r->f[i];
		if (f->kind == BENCH_NONE)
			continue;
		printf(", ");
		json_string(f->key);
		printf(": ");
		switch (f->kind) {
		case BENCH_U64:
			printf("%" PRIu64, f->v.u);
			break;
		case BENCH_F64:
			if (isfinite(f->v.d))
				printf("%.*f", f->prec, f->v.d);
			else
				printf("null");
			break;
		case BENCH_STR:
			json_string(f->v.s);
			break;
		case BENCH_NONE:
			break;
		}
	}
	if (r->na_reason != NULL) {
		printf(", \"applicable\": false, \"reason\": ");
		json_string(r->na_reason);
	}
	printf("}\n");
}

void
bench_series_emit(const struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, const char *what, const uint64_t *samples, size_t n,
		uint64_t pool, unsigned int points)
{
	size_t every, i;

	if (!ctx->json || n == 0 || points == 0 || pool == 0)
		return;
	bench_progress_done(ctx);
	every = (n + points - 1) / points;
	printf("{\"workload\": ");
	json_string(w->name);
	printf(", \"allocator\": ");
	json_string(t->name);
	printf(", \"series\": ");
	json_string(what);
	printf(", \"every\": %zu, \"points\": [", every);
	for (i = 0; i < n; i += every)
		printf("%s%.5f", i ? ", " : "", (double)samples[i] / (double)pool);
	printf("]}\n");
	fflush(stdout);
}

/* --- table ------------------------------------------------------------------------------- */

static bool
header_matches(const struct bench_row *r)
{
	unsigned int i;

	if (!header_valid || header_n != r->n)
		return false;
	for (i = 0; i < r->n; i++)
		if (strcmp(header_keys[i], r->f[i].key) != 0)
			return false;
	return true;
}

static void
emit_header(const struct bench_row *r)
{
	unsigned int i;

	printf("%-*s", ALLOCATOR_WIDTH, "allocator");
	for (i = 0; i < r->n; i++) {
		printf(" %*s", r->f[i].width, r->f[i].key);
		header_keys[i] = r->f[i].key;
	}
	printf("\n");
	header_n = r->n;
	header_valid = true;
}

static void
emit_field(const struct bench_field *f)
{
	switch (f->kind) {
	case BENCH_U64:
		printf(" %*" PRIu64, f->width, f->v.u);
		break;
	case BENCH_F64:
		printf(" %*.*f", f->width, f->prec, f->v.d);
		break;
	case BENCH_STR:
		printf(" %*s", f->width, f->v.s);
		break;
	case BENCH_NONE:
		printf(" %*s", f->width, "-");
		break;
	}
}

static void
emit_table(const struct bench_row *r)
{
	unsigned int i;

	/* An n/a row shows the fields that name its case, then why it does not apply. */
	if (r->na_reason == NULL && !header_matches(r))
		emit_header(r);
	printf("%-*s", ALLOCATOR_WIDTH, r->allocator);
	for (i = 0; i < r->n; i++)
		emit_field(&r->f[i]);
	if (r->na_reason != NULL)
		printf("  n/a: %s", r->na_reason);
	printf("\n");
}

void
bench_row_emit(const struct bench_ctx *ctx, const struct bench_row *r)
{
	bench_progress_done(ctx);
	if (ctx->json)
		emit_json(r);
	else
		emit_table(r);
	fflush(stdout);
}

/* --- notes, progress, failures ----------------------------------------------------------- */

void
bench_section(const struct bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	header_valid = false;
	if (ctx->json)
		return;
	bench_progress_done(ctx);
	printf("\n");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
bench_note(const struct bench_ctx *ctx, const char *fmt, ...)
{
	FILE *out = ctx->json ? stderr : stdout;
	va_list ap;

	bench_progress_done(ctx);
	fprintf(out, "note: ");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fprintf(out, "\n");
	fflush(out);
}

/* Whether the progress line holds text that the next output must clear first. */
static bool progress_shown;

void
bench_progress(const struct bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->progress)
		return;
	fprintf(stderr, "\r");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\033[K");
	fflush(stderr);
	progress_shown = true;
}

void
bench_progress_done(const struct bench_ctx *ctx)
{
	if (!ctx->progress || !progress_shown)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	progress_shown = false;
}

void
bench_fail(struct bench_ctx *ctx, const struct bench_workload *w,
		const struct bench_target *t, const char *fmt, ...)
{
	va_list ap;

	bench_progress_done(ctx);
	fflush(stdout);
	fprintf(stderr, "mkalloc-bench: FAILED: %s on %s: ", w->name, t->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	ctx->failed = true;
}
