/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for lib/offset: the input is a capacity, a node pool and a sequence of
 * operations (alloc with alignment, free of a live, stale or forged allocation, report). A
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
gap_fits(const struct mk_offset_alloc *live, unsigned int n, uint64_t capacity, uint64_t size,
	uint64_t align, struct mk_offset_report *r)
{
	uint64_t end = 0, mask = align > 1 ? align - 1 : 0;
	bool fits = false;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i <= n; i++) {
		uint64_t next = i < n ? live[i].offset : capacity, gap = next - end;

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
	uint64_t capacity)
{
	unsigned int i = 0;

	if (a->offset > capacity || a->size > capacity - a->offset)
		fail("range past capacity");
	while (i < *n && live[i].offset < a->offset)
		i++;
	if ((i < *n && live[i].offset < a->offset + a->size) ||
	    (i > 0 && live[i - 1].offset + live[i - 1].size > a->offset))
		fail("overlapping allocation");
	memmove(&live[i + 1], &live[i], (*n - i) * sizeof(*live));
	live[i] = *a;
	(*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct mk_offset_alloc live[MAX_LIVE], stale = { 0 };
	struct mk_offset_report want, got;
	struct mk_offset_conf conf = { 0 };	/* base 0: the model counts from 0 */
	struct mk_offset *oa;
	unsigned int n = 0, ops = 0;
	uint64_t shift;

	/* capacity: 1 .. 2^63 in a few shapes; small pools so that -ENOSPC happens */
	shift = take(&in, 1) % 64;
	conf.size = (take(&in, 2) + 1) << (shift > 48 ? shift - 48 : 0);
	if (conf.size > MK_OFFSET_SIZE_MAX)
		conf.size = MK_OFFSET_SIZE_MAX;
	conf.max_nodes = (uint32_t)(take(&in, 1) % 64) * 16;
	conf.init_nodes = conf.max_nodes ? (uint32_t)take(&in, 1) % conf.max_nodes : 0;
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
				add_live(live, &n, &a, conf.size);
			} else if (rc == -ENOMEM) {
				if (gap_fits(live, n, conf.size, sz, align, &want))
					fail("-ENOMEM while a free region fits");
			} else if (rc == -ENOSPC) {
				if (!gap_fits(live, n, conf.size, sz, align, &want))
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
			gap_fits(live, n, conf.size, 0, 0, &want);
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
	gap_fits(live, 0, conf.size, 0, 0, &want);
	mk_offset_report(oa, &got);
	if (memcmp(&want, &got, sizeof(want)) != 0 || mk_offset_check(oa) != 0)
		fail("not whole again after freeing everything");
	mk_offset_destroy(oa);
	return 0;
}
