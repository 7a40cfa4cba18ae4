/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for lib/slab. The first bytes of an input make a small configuration (slab
 * size, smallest class, factor, minimum slice, slab count, tail, where the range starts in its
 * space and how far the space reaches past it), whose class table is checked against
 * CacheLib's rule computed here; the rest is a sequence of operations: allocs of sizes at and
 * around class edges or raw, frees of live allocations, frees that must be refused (double,
 * stale, forged, foreign), and moves of the range's ends (cedes of up to more than the range,
 * adopts of whole slabs, of part slabs and past the space). A model of the space's slabs and
 * chunks predicts every result, the free run at each end and the exact report;
 * mk_slab_check() runs every few operations. Any mismatch aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_slab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/** Live allocations the model keeps at most; allocs beyond are skipped. */
#define LIVE_MAX	4096
/** Recently freed records kept for stale frees: far fewer frees than a generation lap. */
#define STALE_RING	32
/** Operations between two mk_slab_check() calls. */
#define CHECK_EVERY	64
/** Largest space the model tracks chunk by chunk. */
#define SEGMENT_MAX	(UINT64_C(1) << 24)
/** Most slabs of a space. */
#define SPACE_SLABS_MAX	160
/** Slab states in the model besides a class id. */
#define SLAB_FREE	(-1)
#define SLAB_OUTSIDE	(-2)

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_slab: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

struct input {
	const uint8_t *p;
	size_t n;
};

struct model {
	struct mk_slab *sa;
	struct mk_slab *other;		/* a second instance, for foreign frees */
	struct mk_slab_conf conf;
	uint64_t slab_size, min_slice;
	uint64_t first, end, space;		/* the range and the space, in slabs */
	unsigned nclasses;
	uint32_t size[MK_SLAB_CLASS_MAX];
	uint64_t class_free[MK_SLAB_CLASS_MAX];	/* free chunks in the slabs of a class */
	int slab_class[SEGMENT_MAX / 4096];	/* a class, SLAB_FREE or SLAB_OUTSIDE */
	uint32_t slab_live[SEGMENT_MAX / 4096];
	uint64_t chunks_max;			/* chunks per slab of class 0 */
	uint64_t free_slabs, used, chunk_bytes;
	struct mk_slab_alloc live[LIVE_MAX];
	size_t nlive;
	struct mk_slab_alloc stale[STALE_RING];
	unsigned nstale;
	uint64_t busy[SEGMENT_MAX / 8 / 64];	/* live chunks, by (slab, chunk) */
};

static struct model m;

static unsigned
next8(struct input *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned
next16(struct input *in)
{
	return next8(in) | next8(in) << 8;
}

/*
 * CacheLib's generateAllocSizes, step by step as CacheLib writes it (sizes here stay far from
 * 32-bit overflow); 0 where CacheLib throws or the classes are too many.
 */
static unsigned
cachelib_classes(uint32_t slab, double factor, uint32_t min_class, uint32_t *out)
{
	uint32_t size = min_class, prev;
	unsigned n = 0;

	while (size < slab) {
		if (slab / size <= 1)
			break;
		if (n == MK_SLAB_CLASS_MAX - 1)
			return 0;
		out[n++] = size;
		prev = size;
		size = ((uint32_t)(size * factor) + 7) / 8 * 8;
		if (size == prev)
			return 0;
	}
	out[n++] = slab;
	return n;
}

static uint64_t
model_largest(void)
{
	unsigned c;

	if (m.free_slabs != 0)
		return m.slab_size;
	for (c = m.nclasses; c-- > 0;)
		if (m.class_free[c] != 0)
			return m.size[c];
	return 0;
}

static void
model_compare(void)
{
	struct mk_slab_report r;

	mk_slab_report(m.sa, &r);
	REQUIRE(r.base == m.first * m.slab_size && r.capacity == (m.end - m.first) * m.slab_size);
	REQUIRE(r.used_bytes == m.used && r.chunk_bytes == m.chunk_bytes);
	REQUIRE(r.free_slabs == m.free_slabs && r.largest_free == model_largest());
}

static unsigned
class_of(uint64_t size)
{
	uint64_t padded = size < m.min_slice ? m.min_slice : size;
	unsigned c = 0;

	while (m.size[c] < padded)
		c++;
	return c;
}

static void
do_alloc(uint64_t size)
{
	uint64_t slab, in, chunk, bitno;
	struct mk_slab_alloc a;
	int want = 0, rc;
	unsigned c = 0;

	if (size == 0) {
		want = -EINVAL;
	} else if (size > m.slab_size) {
		want = -E2BIG;
	} else {
		c = class_of(size);
		REQUIRE(mk_slab_class_of(m.sa, size) == (int)c);
		if (m.class_free[c] == 0 && m.free_slabs == 0)
			want = -ENOMEM;
	}
	if (want == 0 && m.nlive == LIVE_MAX)
		return;
	rc = mk_slab_alloc(m.sa, size, &a);
	REQUIRE(rc == want);
	if (rc != 0)
		return;
	REQUIRE(a.size == size && a.chunk_size == m.size[c]);
	slab = a.offset / m.slab_size;
	in = a.offset % m.slab_size;
	chunk = in / a.chunk_size;
	REQUIRE(slab >= m.first && slab < m.end && in % a.chunk_size == 0 &&
		in + a.chunk_size <= m.slab_size);
	if (m.slab_class[slab] == SLAB_FREE) {
		REQUIRE(m.class_free[c] == 0);	/* a new slab only when the class is full */
		m.slab_class[slab] = (int)c;
		m.class_free[c] += m.slab_size / m.size[c];
		m.free_slabs--;
	} else {
		REQUIRE(m.slab_class[slab] == (int)c);
	}
	bitno = slab * m.chunks_max + chunk;
	REQUIRE(!(m.busy[bitno / 64] & (UINT64_C(1) << (bitno % 64))));	/* no overlap */
	m.busy[bitno / 64] |= UINT64_C(1) << (bitno % 64);
	m.slab_live[slab]++;
	m.class_free[c]--;
	m.used += size;
	m.chunk_bytes += a.chunk_size;
	m.live[m.nlive++] = a;
}

static void
do_free(size_t i)
{
	struct mk_slab_alloc a = m.live[i];
	uint64_t slab = a.offset / m.slab_size;
	uint64_t bitno = slab * m.chunks_max + a.offset % m.slab_size / a.chunk_size;
	unsigned c = (unsigned)m.slab_class[slab];

	REQUIRE(mk_slab_free(m.sa, &a) == 0);
	m.busy[bitno / 64] &= ~(UINT64_C(1) << (bitno % 64));
	m.class_free[c]++;
	m.used -= a.size;
	m.chunk_bytes -= a.chunk_size;
	if (--m.slab_live[slab] == 0) {
		m.class_free[c] -= m.slab_size / m.size[c];
		m.slab_class[slab] = SLAB_FREE;
		m.free_slabs++;
	}
	m.live[i] = m.live[--m.nlive];
	m.stale[m.nstale++ % STALE_RING] = a;
}

static void
refused(struct mk_slab *sa, const struct mk_slab_alloc *a)
{
	REQUIRE(mk_slab_free(sa, a) == -EINVAL);
	model_compare();
}

/* A live record with one field changed so that it names no live allocation. */
static void
do_forged(struct input *in)
{
	const struct mk_slab_alloc *a = &m.live[next16(in) % m.nlive];
	struct mk_slab_alloc f = *a;
	unsigned how = next8(in), c = class_of(f.size);

	switch (how % 6) {
	case 0:
		f.handle ^= UINT64_C(1) << (how >> 2) % 64;
		break;
	case 1:
		f.offset ^= UINT64_C(1) << (how >> 2) % 64;
		break;
	case 2:
		f.chunk_size ^= UINT32_C(1) << (how >> 2) % 32;
		break;
	case 3:
		f.size = c == 0 ? 0 : m.size[c - 1];	/* below the class */
		break;
	case 4:
		f.size = m.size[c] + UINT64_C(1) + (how >> 3);		/* above it */
		break;
	default:
		f.handle = (uint64_t)next16(in) << 48 | (uint64_t)next16(in) << 32 |
			(uint64_t)next16(in) << 16 | next16(in);
		if (f.handle == a->handle)
			return;	/* not forged: the live record itself */
		break;
	}
	refused(m.sa, &f);
}

/* A recently freed record, maybe with a bit of its handle flipped, unless now live. */
static void
do_stale(struct input *in)
{
	struct mk_slab_alloc f = m.stale[next8(in) % (m.nstale < STALE_RING ? m.nstale :
		STALE_RING)];
	unsigned how = next8(in);
	size_t i;

	if (how & 1)
		f.handle ^= UINT64_C(1) << (how >> 1) % 64;
	for (i = 0; i < m.nlive; i++)
		if (m.live[i].handle == f.handle && m.live[i].offset == f.offset)
			return;
	refused(m.sa, &f);
}

/* The same allocation from another instance is refused both ways. */
static void
do_foreign(uint64_t size)
{
	struct mk_slab_alloc b;

	if (size == 0 || size > m.slab_size)
		return;
	if (m.other == NULL) {
		m.other = mk_slab_create(&m.conf);
		REQUIRE(m.other != NULL);
	}
	if (mk_slab_alloc(m.other, size, &b) != 0)
		return;
	refused(m.sa, &b);
	if (m.nlive > 0)
		REQUIRE(mk_slab_free(m.other, &m.live[0]) == -EINVAL);
	REQUIRE(mk_slab_free(m.other, &b) == 0);
}

/* Slabs mk_slab_cede() may give up at one end: the free run there, not the last slab. */
static uint64_t
model_edge(enum mk_slab_side side)
{
	uint64_t n;

	for (n = 0; n < m.end - m.first; n++)
		if (m.slab_class[side == MK_SLAB_LOW ? m.first + n : m.end - 1 - n] != SLAB_FREE)
			break;
	return n == m.end - m.first ? n - 1 : n;
}

/* A cede of up to a little more than the range, in whole slabs or not. */
static void
do_cede(struct input *in)
{
	enum mk_slab_side side = next8(in) & 1 ? MK_SLAB_HIGH : MK_SLAB_LOW;
	uint64_t max = next8(in) % (m.end - m.first + 2) * m.slab_size, want, got, i, s;
	unsigned k;

	if (next8(in) & 1)
		max += next16(in) % m.slab_size;
	want = model_edge(side);
	REQUIRE(mk_slab_edge_free(m.sa, side) == want * m.slab_size);
	if (want > max / m.slab_size)
		want = max / m.slab_size;
	REQUIRE(mk_slab_cede(m.sa, side, max, &got) == 0 && got == want * m.slab_size);
	for (i = 0; i < want; i++) {
		s = side == MK_SLAB_LOW ? m.first + i : m.end - 1 - i;
		m.slab_class[s] = SLAB_OUTSIDE;
	}
	if (side == MK_SLAB_LOW)
		m.first += want;
	else
		m.end -= want;
	m.free_slabs -= want;
	/* Records of chunks in slabs that left are refused. */
	for (k = 0; k < STALE_RING && k < m.nstale; k++)
		if (m.slab_class[m.stale[k].offset / m.slab_size] == SLAB_OUTSIDE)
			refused(m.sa, &m.stale[k]);
}

/* An adopt of up to one slab more than there is room for, sometimes not whole slabs. */
static void
do_adopt(struct input *in)
{
	enum mk_slab_side side = next8(in) & 1 ? MK_SLAB_HIGH : MK_SLAB_LOW;
	uint64_t room = side == MK_SLAB_LOW ? m.first : m.space - m.end;
	uint64_t n = next8(in) % (room + 2), bytes = n * m.slab_size, i;

	if (next8(in) % 8 == 0)
		bytes += 1 + next16(in) % (m.slab_size - 1);
	if (bytes == 0 || bytes % m.slab_size != 0 || n > room) {
		REQUIRE(mk_slab_adopt(m.sa, side, bytes) == -EINVAL);
		return;
	}
	REQUIRE(mk_slab_adopt(m.sa, side, bytes) == 0);
	for (i = 0; i < n; i++)
		m.slab_class[side == MK_SLAB_LOW ? m.first - 1 - i : m.end + i] = SLAB_FREE;
	if (side == MK_SLAB_LOW)
		m.first -= n;
	else
		m.end += n;
	m.free_slabs += n;
}

static uint64_t
pick_size(struct input *in)
{
	unsigned how = next8(in), c = next8(in) % m.nclasses;
	uint64_t lo = c == 0 ? 1 : m.size[c - 1] + UINT64_C(1), hi = m.size[c];

	switch (how % 8) {
	case 0:
		return lo;
	case 1:
		return hi;
	case 2:
		return hi + 1;
	case 3:
		return lo - 1;
	case 4:
		return next16(in);
	default:
		return lo + next16(in) % (hi - lo + 1);
	}
}

static const double factors[] = { 0, 1.25, 1.1, 1.5, 2.0, 3.0, 1.01, 64.0 };

/* Returns false when the configuration is refused (as the oracle says it must be). */
static bool
model_init(struct input *in)
{
	uint32_t sizes[MK_SLAB_CLASS_MAX];
	unsigned b0 = next8(in), b1 = next8(in), b2 = next8(in), b3 = next8(in), n, c;
	unsigned b4 = next8(in), b5 = next8(in);
	uint32_t slab = UINT32_C(1) << (12 + b0 % 9), min_class = 8 * (1 + b1 % 32);
	uint64_t s, space_max = SEGMENT_MAX / slab < SPACE_SLABS_MAX ? SEGMENT_MAX / slab :
		SPACE_SLABS_MAX, nslabs, above;

	/* Only the part of the chunk map that this run may use is cleared: it is large. */
	memset(&m, 0, offsetof(struct model, busy));
	m.conf.slab_size = slab;
	m.conf.factor = factors[b0 >> 5];
	m.conf.min_class = min_class;
	m.conf.min_slice = 1 + b2 % min_class;
	/* The range, where it starts in the space, and whole slabs of the space above it. */
	nslabs = 1 + b3 % space_max;
	m.first = b4 % (space_max - nslabs + 1);
	above = b5 % (space_max - nslabs - m.first + 1);
	m.end = m.first + nslabs;
	m.space = m.end + above;
	m.conf.size = nslabs * slab + (uint64_t)b2 * b3 % slab;
	m.conf.base = m.first * slab;
	/* Without slabs above, the limit is mostly left to its default: the range's end. */
	m.conf.limit = above == 0 && b5 % 2 == 0 ? 0 : m.conf.base + m.conf.size + above * slab;
	memset(m.busy, 0, (m.space * slab / 8 + 63) / 64 * sizeof(m.busy[0]));
	n = cachelib_classes(slab, m.conf.factor != 0 ? m.conf.factor : 1.25, min_class, sizes);

	m.sa = mk_slab_create(&m.conf);
	if (n == 0) {
		REQUIRE(m.sa == NULL && errno == EINVAL);
		return false;
	}
	REQUIRE(m.sa != NULL);
	REQUIRE(mk_slab_class_count(m.sa) == n && mk_slab_class_size(m.sa, n) == 0);
	for (c = 0; c < n; c++) {
		m.size[c] = sizes[c];
		REQUIRE(mk_slab_class_size(m.sa, c) == sizes[c]);
	}
	m.nclasses = n;
	m.slab_size = slab;
	m.min_slice = m.conf.min_slice;
	m.free_slabs = nslabs;
	m.chunks_max = slab / sizes[0];
	for (s = 0; s < m.space; s++)
		m.slab_class[s] = s >= m.first && s < m.end ? SLAB_FREE : SLAB_OUTSIDE;
	model_compare();
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct mk_slab_report r;
	unsigned long ops = 0;
	size_t i;

	if (!model_init(&in))
		return 0;
	while (in.n > 0) {
		unsigned op = next8(&in) % 18;

		if (op < 7) {
			do_alloc(pick_size(&in));
		} else if (op < 11) {
			if (m.nlive > 0)
				do_free(next16(&in) % m.nlive);
		} else if (op == 11) {
			if (m.nstale > 0)
				do_stale(&in);
		} else if (op == 12) {
			if (m.nlive > 0)
				do_forged(&in);
		} else if (op == 13) {
			if (m.nlive > 0) {
				i = next16(&in) % m.nlive;
				do_free(i);
				refused(m.sa, &m.stale[(m.nstale - 1) % STALE_RING]);
			}
		} else if (op == 14) {
			do_foreign(pick_size(&in));
		} else if (op == 15) {
			REQUIRE(mk_slab_check(m.sa) == 0);
		} else if (op == 16) {
			do_cede(&in);
		} else {
			do_adopt(&in);
		}
		model_compare();
		if (++ops % CHECK_EVERY == 0)
			REQUIRE(mk_slab_check(m.sa) == 0);
	}
	REQUIRE(mk_slab_check(m.sa) == 0);
	while (m.nlive > 0)
		do_free(m.nlive - 1);
	mk_slab_report(m.sa, &r);
	REQUIRE(r.used_bytes == 0 && r.chunk_bytes == 0 && r.free_slabs == m.end - m.first &&
		r.largest_free == m.slab_size);
	REQUIRE(mk_slab_check(m.sa) == 0);
	mk_slab_destroy(m.other);
	mk_slab_destroy(m.sa);
	return 0;
}
