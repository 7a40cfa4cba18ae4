/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for lib/offset: the input is a capacity, a node pool, a base and a
 * sequence of operations (alloc with alignment, free of a live, stale or forged allocation,
 * cede and adopt at either end of the range, report). A
 * model of the live ranges checks every answer; any disagreement, overlap or checker failure
 * aborts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mk_offset.h"

#define MAX_LIVE 512

struct input {
	const uint8_t *p;
	size_t left;
};

static uint64_t
take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	while (bytes-- > 0 && in->left > 0) {
		v = v << 8 | *in->p++;
		in->left--;
	}
	return v;
}

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_offset: %s\n", what);
	abort();
}

/* Whether some gap between live ranges (kept sorted) holds size at align; and the figures. */
static bool
gap_fits(const struct mk_offset_alloc *live, unsigned int n, uint64_t lo, uint64_t hi,
	uint64_t size, uint64_t align, struct mk_offset_report *r)
{
	uint64_t end = lo, mask = align > 1 ? align - 1 : 0;
	bool fits = false;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i <= n; i++) {
		uint64_t next = i < n ? live[i].offset : hi, gap = next - end;

		if (gap > 0) {
			uint64_t pad = ((end + mask) & ~mask) - end;

			r->total_free += gap;
			r->free_regions++;
			r->largest_free = gap > r->largest_free ? gap : r->largest_free;
			fits |= gap >= size && gap - size >= pad;
		}
		if (i < n)
			end = live[i].offset + live[i].size;
	}
	return fits;
}

static void
add_live(struct mk_offset_alloc *live, unsigned int *n, const struct mk_offset_alloc *a,
	uint64_t lo, uint64_t hi)
{
	unsigned int i = 0;

	if (a->offset < lo || a->offset > hi || a->size > hi - a->offset)
		fail("range outside the allocator's");
	while (i < *n && live[i].offset < a->offset)
		i++;
	if ((i < *n && live[i].offset < a->offset + a->size) ||
	    (i > 0 && live[i - 1].offset + live[i - 1].size > a->offset))
		fail("overlapping allocation");
	memmove(&live[i + 1], &live[i], (*n - i) * sizeof(*live));
	live[i] = *a;
	(*n)++;
}

/* Cede or adopt bytes at an end of the range, checked against the model's edge gap. */
static void
move_end(struct mk_offset *oa, struct input *in, unsigned int op,
	const struct mk_offset_alloc *live, unsigned int n, uint64_t *lo, uint64_t *hi)
{
	enum mk_offset_side side = op & 128 ? MK_OFFSET_HIGH : MK_OFFSET_LOW;
	uint64_t amount = take(in, 2) + 1, gap, want, got;
	int rc;

	if (op & 64) {
		gap = n == 0 ? *hi - *lo : side == MK_OFFSET_LOW ? live[0].offset - *lo :
			*hi - (live[n - 1].offset + live[n - 1].size);
		if (mk_offset_edge_free(oa, side) != gap - (gap == *hi - *lo))
			fail("edge_free is not the edge gap");
		want = gap < amount ? gap : amount;
		want -= want == *hi - *lo;	/* the last byte stays */
		if (mk_offset_cede(oa, side, amount, &got) != 0 || got != want)
			fail("cede gave up the wrong bytes");
		*lo += side == MK_OFFSET_LOW ? got : 0;
		*hi -= side == MK_OFFSET_HIGH ? got : 0;
		return;
	}
	rc = mk_offset_adopt(oa, side, amount);
	if (side == MK_OFFSET_LOW ? amount > *lo : amount > MK_OFFSET_SIZE_MAX - *hi) {
		if (rc != -EINVAL)
			fail("an adopt past the offset space was not refused");
		return;
	}
	if (rc == -ENOSPC)
		return;		/* the end is allocated and the pool is full: nothing moved */
	if (rc != 0)
		fail("adopt failed");
	*lo -= side == MK_OFFSET_LOW ? amount : 0;
	*hi += side == MK_OFFSET_HIGH ? amount : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct mk_offset_alloc live[MAX_LIVE], stale = { 0 };
	struct mk_offset_report want, got;
	struct mk_offset_conf conf = { 0 };
	struct mk_offset *oa;
	unsigned int n = 0, ops = 0;
	uint64_t shift, lo, hi;

	/* capacity: 1 .. 2^63 in a few shapes; small pools so that -ENOSPC happens */
	shift = take(&in, 1);
	/* the first byte's bit 6 picks edge-keeping placement */
	conf.flags = (shift & 64) != 0 ? MK_OFFSET_KEEP_EDGES : 0;
	shift %= 64;
	conf.size = (take(&in, 2) + 1) << (shift > 48 ? shift - 48 : 0);
	if (conf.size > MK_OFFSET_SIZE_MAX)
		conf.size = MK_OFFSET_SIZE_MAX;
	conf.max_nodes = (uint32_t)(take(&in, 1) % 64) * 16;
	conf.init_nodes = conf.max_nodes ? (uint32_t)take(&in, 1) % conf.max_nodes : 0;
	/* the range starts at a base, so that its low end can move down too */
	conf.base = take(&in, 2) << 12;
	if (conf.base > MK_OFFSET_SIZE_MAX - conf.size)
		conf.base = 0;
	lo = conf.base;
	hi = conf.base + conf.size;
	oa = mk_offset_create(&conf);
	if (oa == NULL)
		fail("create failed on a valid conf");

	while (in.left > 0) {
		unsigned int op = (unsigned int)take(&in, 1);
		struct mk_offset_alloc a, forged;
		uint64_t sz, align;
		int rc;

		switch (op % 4) {
		case 0:
		case 1:
			sz = take(&in, 1 + op / 64) << ((op / 4) % 16 * (conf.size >> 32 ? 3 : 1));
			align = (op / 16) % 3 == 0 ? UINT64_C(1) << take(&in, 1) % 63 : 0;
			rc = mk_offset_alloc(oa, sz, align, &a);
			if (sz == 0 || align > MK_OFFSET_ALIGN_MAX) {
				if (rc != -EINVAL)
					fail("bad request not refused");
				break;
			}
			if (rc == 0) {
				if (a.size != sz || (align > 1 && a.offset % align != 0))
					fail("wrong size or alignment");
				if (n == MAX_LIVE) {
					if (mk_offset_free(oa, &a) != 0)
						fail("free of a fresh allocation failed");
					break;
				}
				add_live(live, &n, &a, lo, hi);
			} else if (rc == -ENOMEM) {
				if (gap_fits(live, n, lo, hi, sz, align, &want))
					fail("-ENOMEM while a free region fits");
			} else if (rc == -ENOSPC) {
				if (!gap_fits(live, n, lo, hi, sz, align, &want))
					fail("-ENOSPC where no region fits");
			} else {
				fail("unexpected error from alloc");
			}
			break;
		case 2:
			if (n == 0)
				break;
			op = (unsigned int)take(&in, 2) % n;
			if (mk_offset_free(oa, &live[op]) != 0)
				fail("free of a live allocation failed");
			stale = live[op];
			memmove(&live[op], &live[op + 1], (n - op - 1) * sizeof(*live));
			n--;
			break;
		default:
			if (op / 4 % 8 >= 4) {
				move_end(oa, &in, op, live, n, &lo, &hi);
				break;
			}
			forged = n > 0 ? live[take(&in, 2) % n] : stale;
			switch (op / 4 % 4) {
			case 0: forged = stale; break;
			case 1: forged.offset += take(&in, 1) + 1; break;
			case 2: forged.size ^= take(&in, 1) + 1; break;
			default: forged.handle ^= UINT64_C(1) << take(&in, 1) % 64; break;
			}
			if (mk_offset_free(oa, &forged) != -EINVAL)
				fail("a stale or forged free was not refused");
			break;
		}
		if (++ops % 16 == 0 || in.left == 0) {
			gap_fits(live, n, lo, hi, 0, 0, &want);
			mk_offset_report(oa, &got);
			if (memcmp(&want, &got, sizeof(want)) != 0)
				fail("report differs from the model");
			if (mk_offset_check(oa) != 0)
				fail("checker failed");
		}
	}
	while (n > 0)
		if (mk_offset_free(oa, &live[--n]) != 0)
			fail("final free failed");
	gap_fits(live, 0, lo, hi, 0, 0, &want);
	mk_offset_report(oa, &got);
	if (memcmp(&want, &got, sizeof(want)) != 0 || mk_offset_check(oa) != 0)
		fail("not whole again after freeing everything");
	mk_offset_destroy(oa);
	return 0;
}
