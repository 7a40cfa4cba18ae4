/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The secondary side of suite "secondary": mkalloc-test --secondary-child PREFIX SCENARIO
 * [ARG ARG] attaches to the primary of PREFIX and runs one scenario; it says what it saw on
 * stdout and exits 0 when all was as expected (the primary checks its own side).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_eal.h"
#include "mk_secondary.h"
#include "mk_service_pvt.h"
#include "mk_test.h"

static unsigned int failures;

#define EXPECT(cond, what) do { \
	bool ok_ = (cond); \
	printf("%s %s\n", ok_ ? "ok  " : "FAIL", what); \
	failures += !ok_; \
} while (0)

/* The primary's buffer is visible here, and not ours to free; ours work end to end. */
static void
scenario_basic(struct mk_service *svc, uint64_t theirs_off, uint64_t theirs_size)
{
	struct mk_client *c = mk_client_open("off");
	struct mk_buffer b[3], theirs;
	struct mk_desc d;
	void *base = NULL;
	unsigned int i;

	EXPECT(c != NULL, "a client on segment 'off'");
	if (c == NULL)
		return;
	mk_service_segment_info(svc, 0, NULL, &base);
	EXPECT(strncmp((char *)base + theirs_off, "primary", 7) == 0,
		"the primary's buffer reads the same here");
	theirs = (struct mk_buffer){
		.data = (char *)base + theirs_off, .offset = theirs_off, .size = theirs_size,
		.footprint = theirs_size, .handle = 0x5eed,
	};
	EXPECT(mk_client_free(c, &theirs) == -EPERM, "a free of the primary's buffer: -EPERM");
	for (i = 0; i < 3; i++) {
		EXPECT(mk_client_alloc(c, UINT64_C(1000) << (4 * i), 64, &b[i]) == 0, "an alloc");
		memset(b[i].data, 0xa5, b[i].size);	/* ours to write */
		EXPECT(mk_client_descriptor(c, &b[i], &d) == 0 &&
			strcmp(d.segment_name, "off") == 0 && d.offset == b[i].offset &&
			d.buffer_address == (uint64_t)(uintptr_t)b[i].data, "its descriptor");
	}
	for (i = 0; i < 3; i++) {
		struct mk_buffer copy = b[i];

		EXPECT(mk_client_free(c, &b[i]) == 0, "a free of ours");
		EXPECT(mk_client_free(c, &copy) == -EPERM, "its double free: -EPERM");
	}
	EXPECT(mk_client_open("slab") == NULL && rte_errno == ENOTSUP,
		"no client on an anon segment: ENOTSUP");
	mk_client_close(c);
}

struct crafted {
	const char *what;
	struct mk_req rq;
	int expect;		/* status; 1: -E2BIG or -ENOMEM */
	bool answered;		/* false: dropped */
};

/* Requests straight on a worker's ring, as a faulty or hostile secondary would put them. */
static void
scenario_craft(struct mk_service *svc)
{
	struct mk_segment *seg = &svc->segments[0];
	struct rte_ring *ring = svc->workers[seg->shards[0].worker].ring;
	struct mk_client_slot *slot;
	struct crafted c[] = {
		{ "an unknown op", { .op = 99 }, -EINVAL, true },
		{ "a move op on the data ring", { .op = MK_REQ_CEDE, .size = 4096 }, -EINVAL, true },
		{ "a MOVED answer on the data ring", { .op = MK_REQ_MOVED }, -EINVAL, true },
		{ "segment 200", { .op = MK_REQ_ALLOC, .segment = 200, .size = 64 }, -EINVAL,
			true },
		{ "an alloc of 0 bytes", { .op = MK_REQ_ALLOC, .size = 0 }, -EINVAL, true },
		{ "alignment 3", { .op = MK_REQ_ALLOC, .size = 64, .arg = 3 }, -EINVAL, true },
		{ "2^62 bytes", { .op = MK_REQ_ALLOC, .flags = MK_REQ_F_NOWAIT,
			.size = UINT64_C(1) << 62 }, 1, true },
		{ "a free past the segment", { .op = MK_REQ_FREE, .size = 64,
			.arg = UINT64_C(1) << 60 }, -EINVAL, true },
		{ "a free of nothing of ours", { .op = MK_REQ_FREE, .size = 4096, .arg = 0,
			.handle = 0x1234 }, -EPERM, true },
		{ "shard 999 (served by shard 0)", { .op = MK_REQ_ALLOC, .shard = 999,
			.size = 4096 }, 0, true },
		{ "a wrong token", { .op = MK_REQ_ALLOC, .size = 64 }, 0, false },
		{ "no token", { .op = MK_REQ_ALLOC, .size = 64 }, 0, false },
		{ "client 999", { .op = MK_REQ_ALLOC, .size = 64, .client = 999 }, 0, false },
	};
	const struct timespec tick = { .tv_nsec = 1000000 };
	unsigned int i, n = RTE_DIM(c), got = 0, want = 0, waited;
	struct mk_cpl cpl[32], served;
	uint64_t token;
	uint16_t id;

	EXPECT(mk_secondary_attach("off", &id, &token) == 0, "a slot from the primary");
	slot = &svc->clients[id];
	for (i = 0; i < n; i++) {
		struct mk_req *rq = &c[i].rq;

		if (rq->client == 0)
			rq->client = id;
		rq->tag = i;
		rq->token = i == n - 3 ? token ^ 2 : i == n - 2 ? 0 : token;
		/* what the client API does: count it, then put it on the ring */
		if (c[i].answered) {
			atomic_fetch_add(&slot->submitted, 1);
			want++;
		}
		EXPECT(rte_ring_enqueue_elem(ring, rq, sizeof(*rq)) == 0, c[i].what);
	}
	memset(&served, 0, sizeof(served));
	for (waited = 0; got < want && waited < 5000; waited++) {
		unsigned int k = rte_ring_dequeue_burst_elem(slot->ring, cpl, sizeof(cpl[0]),
			RTE_DIM(cpl), NULL);

		for (i = 0; i < k; i++) {
			const struct crafted *x = cpl[i].tag < n ? &c[cpl[i].tag] : NULL;
			char what[160];

			snprintf(what, sizeof(what), "%s: answered %d", x != NULL ? x->what : "?",
				cpl[i].status);
			EXPECT(x != NULL && x->answered && (x->expect == 1 ?
				cpl[i].status == -E2BIG || cpl[i].status == -ENOMEM :
				cpl[i].status == x->expect), what);
			if (cpl[i].status == 0)
				served = cpl[i];
		}
		got += k;
		if (k == 0)
			nanosleep(&tick, NULL);
	}
	EXPECT(got == want, "every request with its token answered, no other");
	/* the buffer served to the crafted alloc is ours: free it the same way */
	if (served.size != 0) {
		struct mk_req rq = {
			.op = MK_REQ_FREE, .client = id, .token = token, .tag = 77,
			.size = served.size, .arg = served.offset, .handle = served.handle,
			.footprint = served.footprint,
		};

		atomic_fetch_add(&slot->submitted, 1);
		rte_ring_enqueue_elem(ring, &rq, sizeof(rq));
		for (waited = 0; waited < 5000 &&
		     rte_ring_dequeue_elem(slot->ring, cpl, sizeof(cpl[0])) != 0; waited++)
			nanosleep(&tick, NULL);
		EXPECT(waited < 5000 && cpl[0].tag == 77 && cpl[0].status == 0,
			"its free, by its handle");
	}
	mk_secondary_detach(id, token);
}

/* Hold @p n buffers, say so, then churn until killed. */
static void
scenario_hold(unsigned int n)
{
	const struct timespec tick = { .tv_nsec = 200000 };
	struct mk_client *c = mk_client_open("off");
	uint64_t bytes = 0;
	struct mk_buffer b;
	unsigned int i;

	EXPECT(c != NULL, "a client on segment 'off'");
	if (c == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (mk_client_alloc(c, 4096 * (1 + i % 16), 0, &b) != 0)
			break;
		bytes += b.size;
	}
	printf("ready %u %" PRIu64 "\n", i, bytes);
	fflush(stdout);
	for (;;) {
		if (mk_client_alloc(c, 1000, 0, &b) == 0)
			mk_client_free(c, &b);
		nanosleep(&tick, NULL);
	}
}

int
mk_test_secondary_child(int argc, char **argv)
{
	char prefix[64], lcores[64];
	char *eal[] = {
		argv[0], (char *)"--proc-type=secondary", prefix, (char *)"--lcores", lcores,
		(char *)"--no-pci", (char *)"--log-level=lib.eal:error", NULL,
	};
	struct mk_service *svc;

	if (argc < 4) {
		fprintf(stderr, "usage: mkalloc-test --secondary-child PREFIX SCENARIO [ARGS]\n");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", argv[2]);
	mk_eal_lcores_arg(lcores, sizeof(lcores), 1);
	if (rte_eal_init((int)RTE_DIM(eal) - 1, eal) < 0) {
		fprintf(stderr, "secondary: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	svc = mk_service_get();
	EXPECT(svc != NULL, "the primary's service");
	if (svc != NULL && strcmp(argv[3], "basic") == 0 && argc >= 6)
		scenario_basic(svc, strtoull(argv[4], NULL, 0), strtoull(argv[5], NULL, 0));
	else if (svc != NULL && strcmp(argv[3], "craft") == 0)
		scenario_craft(svc);
	else if (svc != NULL && strcmp(argv[3], "hold") == 0 && argc >= 5)
		scenario_hold((unsigned int)strtoul(argv[4], NULL, 0));
	else
		EXPECT(false, "a known scenario");
	rte_eal_cleanup();
	return failures == 0 ? 0 : 1;
}
