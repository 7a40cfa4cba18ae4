/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "slab", the model check: random allocs, frees, refused frees and moves of the range's
 * ends against an independent model of the space's slabs and chunks (which slab is in the
 * range, free or in which class, which chunks are live), with the exact report after every
 * step and mk_slab_check() after every batch. A failing run prints its seed and step.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <CUnit/CUnit.h>

#include "mk_slab.h"
#include "mk_test.h"

#define MIB		(UINT64_C(1) << 20)
#define SLAB		(4 * MIB)
/** Model steps of the default run; mk_test_long() runs 100 times more. */
#define MODEL_STEPS	1000000
/** Model steps between two mk_slab_check() calls. */
#define MODEL_BATCH	4096
/** Model steps of one phase, each with its own alloc/free balance. */
#define MODEL_PHASE	8192
/** Recently freed records kept for stale frees: far fewer frees than a generation lap. */
#define STALE_RING	64
/** Slabs of the space and live allocations the model tracks at most (allocs beyond are
 * skipped). */
#define MODEL_SLABS	64
#define MODEL_LIVE	(1 << 16)
/** A move of an end once in this many steps, when the run moves ends at all. */
#define MOVE_EVERY	64
/** Slab states in the model besides a class id. */
#define SLAB_FREE	(-1)
#define SLAB_OUTSIDE	(-2)

struct model {
	struct mk_slab *sa;
	uint64_t slab_size;
	uint64_t space;				/* whole slabs of the space */
	uint64_t first, end;			/* the range, in slabs */
	uint32_t min_slice;
	unsigned nclasses;
	uint32_t size[MK_SLAB_CLASS_MAX];
	uint32_t chunks[MK_SLAB_CLASS_MAX];
	uint64_t class_free[MK_SLAB_CLASS_MAX];	/* free chunks in the slabs of a class */
	int slab_class[MODEL_SLABS];		/* a class, SLAB_FREE or SLAB_OUTSIDE */
	uint32_t slab_live[MODEL_SLABS];
	uint64_t busy[MODEL_SLABS][(SLAB / 72 + 63) / 64]; /* live chunks of each slab */
	uint64_t free_slabs, used, chunk_bytes;
	uint64_t ceded, adopted;		/* slabs moved out and in */
	struct mk_slab_alloc live[MODEL_LIVE];
	size_t nlive;
	struct mk_slab_alloc stale[STALE_RING];
	unsigned nstale;
};

static bool
model_init(struct model *m, const struct mk_slab_conf *conf)
{
	struct mk_slab_stats st;
	uint64_t s;
	unsigned c;

	memset(m, 0, sizeof(*m));
	m->sa = mk_slab_create(conf);
	if (m->sa == NULL)
		return false;
	mk_slab_stats(m->sa, &st);
	m->slab_size = st.slab_size;
	m->first = conf->base / m->slab_size;
	m->end = m->first + conf->size / m->slab_size;
	m->space = (conf->limit != 0 ? conf->limit : conf->base + conf->size) / m->slab_size;
	m->free_slabs = m->end - m->first;
	m->min_slice = conf->min_slice != 0 ? conf->min_slice : 64;
	m->nclasses = mk_slab_class_count(m->sa);
	for (c = 0; c < m->nclasses; c++) {
		m->size[c] = mk_slab_class_size(m->sa, c);
		m->chunks[c] = (uint32_t)(m->slab_size / m->size[c]);
	}
	for (s = 0; s < MODEL_SLABS; s++)
		m->slab_class[s] = s >= m->first && s < m->end ? SLAB_FREE : SLAB_OUTSIDE;
	return st.slabs == m->end - m->first && st.base == m->first * m->slab_size &&
		m->space <= MODEL_SLABS && m->chunks[0] <= 64 * sizeof(m->busy[0]) / 8;
}

static bool
model_report_ok(const struct model *m)
{
	struct mk_slab_report r;
	uint64_t largest = 0;
	unsigned c;

	if (m->free_slabs != 0)
		largest = m->slab_size;
	else
		for (c = 0; c < m->nclasses; c++)
			if (m->class_free[c] != 0)
				largest = m->size[c];
	mk_slab_report(m->sa, &r);
	return r.base == m->first * m->slab_size &&
		r.capacity == (m->end - m->first) * m->slab_size && r.used_bytes == m->used &&
		r.chunk_bytes == m->chunk_bytes && r.free_slabs == m->free_slabs &&
		r.largest_free == largest;
}

/* One alloc, its result predicted by the model; false on a mismatch. */
static bool
model_alloc(struct model *m, uint64_t size)
{
	uint64_t padded = size < m->min_slice ? m->min_slice : size;
	uint64_t slab, in, chunk, *word, mask;
	struct mk_slab_alloc a;
	int want = 0, rc;
	unsigned c = 0;

	if (size == 0) {
		want = -EINVAL;
	} else if (size > m->slab_size) {
		want = -E2BIG;
	} else {
		while (m->size[c] < padded)
			c++;
		if (m->class_free[c] == 0 && m->free_slabs == 0)
			want = -ENOMEM;
	}
	if (want == 0 && m->nlive == MODEL_LIVE)
		return true;
	rc = mk_slab_alloc(m->sa, size, &a);
	if (rc != want)
		return false;
	if (rc != 0)
		return true;
	if (a.size != size || a.chunk_size != m->size[c])
		return false;
	slab = a.offset / m->slab_size;
	in = a.offset % m->slab_size;
	chunk = in / a.chunk_size;
	if (slab < m->first || slab >= m->end || in % a.chunk_size != 0 ||
			chunk >= m->chunks[c])
		return false;
	if (m->slab_class[slab] == SLAB_FREE) {
		/* A class takes a new slab only when its own are full. */
		if (m->class_free[c] != 0)
			return false;
		m->slab_class[slab] = (int)c;
		m->class_free[c] += m->chunks[c];
		m->free_slabs--;
	} else if (m->slab_class[slab] != (int)c) {
		return false;
	}
	word = &m->busy[slab][chunk / 64];
	mask = UINT64_C(1) << (chunk % 64);
	if (*word & mask)
		return false;	/* overlaps a live allocation */
	*word |= mask;
	m->slab_live[slab]++;
	m->class_free[c]--;
	m->used += size;
	m->chunk_bytes += a.chunk_size;
	m->live[m->nlive++] = a;
	return true;
}

static bool
model_free(struct model *m, size_t i)
{
	struct mk_slab_alloc a = m->live[i];
	uint64_t slab = a.offset / m->slab_size;
	uint64_t chunk = a.offset % m->slab_size / a.chunk_size;
	unsigned c;

	if (mk_slab_free(m->sa, &a) != 0)
		return false;
	c = (unsigned)m->slab_class[slab];
	m->busy[slab][chunk / 64] &= ~(UINT64_C(1) << (chunk % 64));
	m->class_free[c]++;
	m->used -= a.size;
	m->chunk_bytes -= a.chunk_size;
	if (--m->slab_live[slab] == 0) {
		m->class_free[c] -= m->chunks[c];
		m->slab_class[slab] = SLAB_FREE;
		m->free_slabs++;
	}
	m->live[i] = m->live[--m->nlive];
	m->stale[m->nstale++ % STALE_RING] = a;
	return true;
}

/* A free that must be refused and change nothing. */
static bool
model_refused(struct model *m, const struct mk_slab_alloc *a)
{
	return mk_slab_free(m->sa, a) == -EINVAL && model_report_ok(m);
}

/* Slabs mk_slab_cede() may give up at one end: the free run there, not the last slab. */
static uint64_t
model_edge(const struct model *m, enum mk_slab_side side)
{
	uint64_t n;

	for (n = 0; n < m->end - m->first; n++)
		if (m->slab_class[side == MK_SLAB_LOW ? m->first + n : m->end - 1 - n] !=
				SLAB_FREE)
			break;
	return n == m->end - m->first ? n - 1 : n;
}

/*
 * Cede up to max bytes at one end: the free run there, in whole slabs, never the last one;
 * then the records of a slab given up are refused.
 */
static bool
model_cede(struct model *m, enum mk_slab_side side, uint64_t max)
{
	uint64_t want = model_edge(m, side), got, i, s;
	unsigned k;

	if (mk_slab_edge_free(m->sa, side) != want * m->slab_size)
		return false;
	if (want > max / m->slab_size)
		want = max / m->slab_size;
	if (mk_slab_cede(m->sa, side, max, &got) != 0 || got != want * m->slab_size)
		return false;
	for (i = 0; i < want; i++) {
		s = side == MK_SLAB_LOW ? m->first + i : m->end - 1 - i;
		m->slab_class[s] = SLAB_OUTSIDE;
	}
	if (side == MK_SLAB_LOW)
		m->first += want;
	else
		m->end -= want;
	m->free_slabs -= want;
	m->ceded += want;
	for (k = 0; k < STALE_RING && k < m->nstale; k++) {
		s = m->stale[k].offset / m->slab_size;
		if (m->slab_class[s] == SLAB_OUTSIDE && !model_refused(m, &m->stale[k]))
			return false;
	}
	return model_report_ok(m);
}

/* Adopt bytes at one end: whole slabs inside the space are taken in, anything else refused. */
static bool
model_adopt(struct model *m, enum mk_slab_side side, uint64_t bytes)
{
	uint64_t n = bytes / m->slab_size, room, i;
	int want;

	room = side == MK_SLAB_LOW ? m->first : m->space - m->end;
	want = bytes == 0 || bytes % m->slab_size != 0 || n > room ? -EINVAL : 0;
	if (mk_slab_adopt(m->sa, side, bytes) != want)
		return false;
	if (want != 0)
		return model_report_ok(m);
	for (i = 0; i < n; i++)
		m->slab_class[side == MK_SLAB_LOW ? m->first - 1 - i : m->end + i] = SLAB_FREE;
	if (side == MK_SLAB_LOW)
		m->first -= n;
	else
		m->end += n;
	m->free_slabs += n;
	m->adopted += n;
	return model_report_ok(m);
}

/*
 * A move of a random end: a cede of up to a little more than the range (often not whole
 * slabs), or an adopt of whole slabs up to a little more than there is room for, now and then
 * of a part of a slab or of nothing.
 */
static bool
model_move(struct model *m, uint64_t *seed)
{
	enum mk_slab_side side = mk_test_below(seed, 2) == 0 ? MK_SLAB_LOW : MK_SLAB_HIGH;
	uint64_t slabs = m->end - m->first, pick = mk_test_below(seed, 16), room;

	if (pick < 8)
		return model_cede(m, side, mk_test_below(seed, (slabs + 1) * m->slab_size));
	room = side == MK_SLAB_LOW ? m->first : m->space - m->end;
	if (pick == 8)
		return model_adopt(m, side, mk_test_below(seed, m->slab_size));
	if (pick == 9)
		return model_adopt(m, side, (mk_test_below(seed, room + 1) + 1) * m->slab_size -
			1 - mk_test_below(seed, m->slab_size - 1));
	return model_adopt(m, side, mk_test_below(seed, room + 2) * m->slab_size);
}

/* A size of a random class, often one of its edges; now and then 0 or too big. */
static uint64_t
model_size(const struct model *m, uint64_t *seed)
{
	uint64_t lo, hi, pick = mk_test_below(seed, 256);
	unsigned c;

	if (pick == 0)
		return 0;
	if (pick == 1)
		return m->slab_size + 1 + mk_test_below(seed, 1000);
	c = (unsigned)mk_test_below(seed, m->nclasses);
	lo = c == 0 ? 1 : m->size[c - 1] + UINT64_C(1);
	hi = m->size[c];
	if (pick < 64)
		return pick % 2 ? lo : hi;
	return lo + mk_test_below(seed, hi - lo + 1);
}

/*
 * Random churn against the model; phases swing the live set between empty and full. With
 * moves, an end of the range moves now and then: the range shrinks where its ends are free
 * and grows back into the space.
 */
static void
model_run(const struct mk_slab_conf *conf, uint64_t steps, uint64_t seed0, bool moves)
{
	static const unsigned alloc_pct[] = { 90, 55, 50, 15 };
	uint64_t seed = seed0, step = 0, pick;
	static struct model m;
	struct mk_slab_alloc forged;
	bool ok;

	ok = model_init(&m, conf);
	CU_ASSERT_FATAL(ok);
	for (step = 0; step < steps && ok; step++) {
		unsigned pct = alloc_pct[step / MODEL_PHASE % 4];

		pick = mk_test_below(&seed, 100);
		if (moves && mk_test_below(&seed, MOVE_EVERY) == 0) {
			ok = model_move(&m, &seed);
		} else if (pick < pct || m.nlive == 0) {
			ok = model_alloc(&m, model_size(&m, &seed));
		} else {
			size_t i = (size_t)mk_test_below(&seed, m.nlive);

			forged = m.live[i];
			ok = model_free(&m, i);
			if (ok && pick % 16 == 0)
				ok = model_refused(&m, &forged);	/* double free */
			if (ok && pick % 16 == 1 && m.nstale > 0)
				ok = model_refused(&m, &m.stale[mk_test_below(&seed,
					m.nstale < STALE_RING ? m.nstale : STALE_RING)]);
		}
		if (ok && m.nlive > 0 && mk_test_below(&seed, 64) == 0) {
			forged = m.live[mk_test_below(&seed, m.nlive)];
			forged.handle ^= UINT64_C(1) << mk_test_below(&seed, 64);
			ok = model_refused(&m, &forged);
		}
		ok = ok && model_report_ok(&m);
		if (ok && step % MODEL_BATCH == 0)
			ok = mk_slab_check(m.sa) == 0;
	}
	while (ok && m.nlive > 0)
		ok = model_free(&m, m.nlive - 1) && model_report_ok(&m);
	ok = ok && mk_slab_check(m.sa) == 0 && m.free_slabs == m.end - m.first && m.used == 0;
	/* Empty, the range can shrink to one slab at either end and grow back to the space. */
	ok = ok && model_cede(&m, MK_SLAB_LOW, UINT64_MAX) && m.end - m.first == 1;
	ok = ok && model_adopt(&m, MK_SLAB_LOW, m.first * m.slab_size) &&
		model_adopt(&m, MK_SLAB_HIGH, (m.space - m.end) * m.slab_size);
	ok = ok && model_cede(&m, MK_SLAB_HIGH, UINT64_MAX) && m.end == 1;
	ok = ok && mk_slab_check(m.sa) == 0;
	if (!ok)
		fprintf(stderr, "slab model: mismatch, seed %" PRIu64 " step %" PRIu64 "\n",
			seed0, step);
	CU_ASSERT(ok);
	/* A run with moves gave up and took in many slabs before the final ones. */
	CU_ASSERT(!moves || (m.ceded > steps / MOVE_EVERY / 8 &&
		m.adopted > steps / MOVE_EVERY / 8));
	mk_slab_destroy(m.sa);
}

/*
 * The defaults over 24 slabs and a tail: every class, slabs moving between classes. Then small
 * slabs, many of which change class, so blocks are replaced and reused.
 */
static void
test_model(void)
{
	const uint64_t steps = mk_test_long() ? 100 * MODEL_STEPS : MODEL_STEPS;
	struct mk_slab_conf defaults = { .size = 24 * SLAB + 12345 };
	struct mk_slab_conf small = {
		.size = 40 * 4096 + 100, .slab_size = 4096, .factor = 1.5, .min_class = 16,
		.min_slice = 8,
	};

	model_run(&defaults, steps, 1, false);
	model_run(&small, steps / 4, 2, false);
}

/*
 * The same with moving ends: a range in the middle of its space that cedes and adopts at both
 * ends, slabs leaving with their blocks and coming back; with the defaults, and with small
 * slabs whose space ends in a tail.
 */
static void
test_model_moves(void)
{
	const uint64_t steps = mk_test_long() ? 100 * MODEL_STEPS : MODEL_STEPS;
	struct mk_slab_conf defaults = {
		.size = 16 * SLAB + 12345, .base = 8 * SLAB, .limit = 40 * SLAB,
	};
	struct mk_slab_conf small = {
		.size = 30 * 4096 + 100, .slab_size = 4096, .factor = 1.5, .min_class = 16,
		.min_slice = 8, .base = 10 * 4096, .limit = 64 * 4096 + 4000,
	};

	model_run(&defaults, steps, 3, true);
	model_run(&small, steps / 4, 4, true);
}

int
test_slab_model_add(CU_pSuite s)
{
	static const struct mk_test_case tests[] = {
		{ "model check", test_model },
		{ "model check with moving ends", test_model_moves },
	};
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return -1;
	return 0;
}
