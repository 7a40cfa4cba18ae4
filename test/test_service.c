/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "service": lib/mkalloc on the EAL fixture (6 lcores over the machine's CPUs). Worker
 * lcores serve shards; clients on other lcores run random blocking, burst and asynchronous
 * traffic, and every buffer and completion is checked against a model: no overlap, every
 * request answered exactly once, the shards' published figures equal to the model's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_mem.h"
#include "mk_service.h"
#include "mk_test.h"
#include "mk_test_eal.h"

#define MiB (UINT64_C(1) << 20)

static int
suite_init(void)
{
	return mk_test_eal_up() == 0 ? 0 : -1;
}

static void
expect_conf_error(const struct mk_service_conf *conf, const char *needle)
{
	char err[256] = "";

	CU_ASSERT_EQUAL(mk_service_conf_check(conf, err, sizeof(err)), -EINVAL);
	if (strstr(err, needle) == NULL) {
		fprintf(stderr, "conf error '%s' does not name '%s'\n", err, needle);
		CU_FAIL("conf error does not name the field");
	}
	CU_ASSERT_PTR_NULL(mk_service_create(conf, NULL, 0));
}

static void
test_conf_validation(void)
{
	struct mk_service_conf conf;
	char err[256];

	mk_test_service_conf(&conf, 2);
	CU_ASSERT_EQUAL(mk_service_conf_check(&conf, err, sizeof(err)), 0);

	mk_test_service_conf(&conf, 2);
	conf.nb_segments = 0;
	expect_conf_error(&conf, "segments");
	mk_test_service_conf(&conf, 2);
	conf.worker_lcores[1] = rte_get_main_lcore();
	expect_conf_error(&conf, "main lcore");
	mk_test_service_conf(&conf, 2);
	conf.worker_lcores[1] = RTE_MAX_LCORE - 1;
	expect_conf_error(&conf, "not enabled");
	mk_test_service_conf(&conf, 2);
	conf.worker_lcores[1] = conf.worker_lcores[0];
	expect_conf_error(&conf, "twice");
	mk_test_service_conf(&conf, 2);
	conf.segments[1].name[0] = '\0';
	expect_conf_error(&conf, "segments[1].name");
	mk_test_service_conf(&conf, 2);
	snprintf(conf.segments[1].name, sizeof(conf.segments[1].name), "off");
	expect_conf_error(&conf, "used twice");
	mk_test_service_conf(&conf, 2);
	snprintf(conf.segments[0].name, sizeof(conf.segments[0].name), "a b");
	expect_conf_error(&conf, "segments[0].name");
	mk_test_service_conf(&conf, 2);
	conf.segments[1].size = 4 * MiB;	/* two shards of less than a slab */
	expect_conf_error(&conf, "segments[1].size");
	mk_test_service_conf(&conf, 2);
	conf.segments[0].kind = (enum mk_alloc_kind)7;
	expect_conf_error(&conf, "segments[0].kind");
	mk_test_service_conf(&conf, 2);
	snprintf(conf.segments[0].mem_driver, sizeof(conf.segments[0].mem_driver), "nvme");
	expect_conf_error(&conf, "mem_driver");
	mk_test_service_conf(&conf, 2);
	conf.segments[0].nb_workers = 1;
	conf.segments[0].workers[0] = mk_lcore_nth(3);
	expect_conf_error(&conf, "segments[0].workers");
	mk_test_service_conf(&conf, 2);
	conf.burst = 0;
	expect_conf_error(&conf, "burst");
	mk_test_service_conf(&conf, 2);
	conf.max_clients = MK_CLIENTS_MAX + 1;
	expect_conf_error(&conf, "max_clients");
}

static void
test_basic(void)
{
	struct mk_service_conf conf;
	struct mk_service *svc;
	struct mk_client *c;
	struct mk_buffer b, big, copy;
	struct mk_desc d;

	mk_test_service_conf(&conf, 2);
	svc = mk_test_service_start(&conf);
	CU_ASSERT_PTR_NULL(mk_client_open("nope"));
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 1000, 64, &b), 0);
	CU_ASSERT_EQUAL(b.size, 1000);
	CU_ASSERT_EQUAL(b.offset % 64, 0);
	memset(b.data, 0xa5, b.size);	/* the memory is there */
	CU_ASSERT_EQUAL(mk_client_descriptor(c, &b, &d), 0);
	CU_ASSERT_EQUAL(d.offset, b.offset);
	CU_ASSERT_EQUAL(d.size, 1000);
	CU_ASSERT_STRING_EQUAL(d.segment_name, "off");
	CU_ASSERT_EQUAL(mk_client_alloc(c, 0, 0, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 10, 3, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 49 * MiB, 0, &big), -E2BIG);	/* more than the segment */
	/* larger than one shard, smaller than the segment: no shard can, so it fails */
	CU_ASSERT_EQUAL(mk_client_alloc(c, 30 * MiB, 0, &big), -ENOMEM);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 20 * MiB, 0, &big), 0);
	/* forged and stale handles, through the worker that owns the shard: -EINVAL */
	copy = big;
	copy.handle ^= UINT64_C(1) << 40;
	CU_ASSERT_EQUAL(mk_client_free(c, &copy), -EINVAL);
	copy = big;
	copy.size--;
	CU_ASSERT_EQUAL(mk_client_free(c, &copy), -EINVAL);
	copy = big;
	copy.offset = 49 * MiB;		/* outside the segment: refused before any ring */
	CU_ASSERT_EQUAL(mk_client_free(c, &copy), -EINVAL);
	copy = big;
	CU_ASSERT_EQUAL(mk_client_free(c, &big), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &copy), -EINVAL);	/* stale: freed already */
	CU_ASSERT_EQUAL(mk_client_free(c, &b), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &b), -EINVAL);	/* cleared: size 0 */
	mk_client_close(c);

	c = mk_client_open("slab");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 5 * MiB, 0, &big), -E2BIG);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 100, 64, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 4 * MiB, 0, &big), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &big), 0);
	mk_client_close(c);
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	mk_service_destroy(svc);
	CU_ASSERT_PTR_NULL(mk_service_get());
}

/* --- random traffic against a model ----------------------------------------------------- */

#define LIVE_MAX 4096

struct traffic {
	const char *segment;
	uint64_t seed;
	unsigned int steps;
	struct mk_buffer live[LIVE_MAX];
	unsigned int nb_live;
	unsigned int completions, submitted, bad;
	int rc;
};

static uint64_t
traffic_size(struct traffic *t)
{
	uint64_t k = mk_test_below(&t->seed, 100);

	if (k < 60)
		return 1 + mk_test_below(&t->seed, 4096);
	if (k < 95)
		return 1 + mk_test_below(&t->seed, 256 << 10);
	return 1 + mk_test_below(&t->seed, 4 * MiB);
}

static void
traffic_keep(struct traffic *t, const struct mk_buffer *b)
{
	if (t->nb_live < LIVE_MAX)
		t->live[t->nb_live++] = *b;
}

static struct mk_buffer
traffic_take(struct traffic *t)
{
	unsigned int i = (unsigned int)mk_test_below(&t->seed, t->nb_live);
	struct mk_buffer b = t->live[i];

	t->live[i] = t->live[--t->nb_live];
	return b;
}

/* A completion of an asynchronous request: tags are 1 (alloc) or 2 (free). */
static void
traffic_collect(struct traffic *t, const struct mk_completion *cpl, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		t->completions++;
		if (cpl[i].tag == 1 && cpl[i].op == MK_CLIENT_ALLOC && cpl[i].status == 0)
			traffic_keep(t, &cpl[i].buf);
		else if (cpl[i].tag == 2 && cpl[i].op == MK_CLIENT_FREE)
			t->bad += cpl[i].status != 0;
		else if (cpl[i].tag != 1)
			t->bad++;
	}
}

static int
traffic_run(void *arg)
{
	struct traffic *t = arg;
	struct mk_client *c = mk_client_open(t->segment);
	struct mk_completion cpl[16];
	unsigned int step;

	if (c == NULL) {
		t->rc = -rte_errno;
		return -1;
	}
	for (step = 0; step < t->steps; step++) {
		uint64_t what = mk_test_below(&t->seed, 100);
		struct mk_buffer b;

		if (what < 35 && t->nb_live < LIVE_MAX - 64) {
			if (mk_client_alloc(c, traffic_size(t), 0, &b) == 0)
				traffic_keep(t, &b);
		} else if (what < 60 && t->nb_live > 0) {
			b = traffic_take(t);
			t->bad += mk_client_free(c, &b) != 0;
		} else if (what < 70 && t->nb_live + 64 < LIVE_MAX) {
			uint64_t sizes[16];
			struct mk_buffer out[16];
			int status[16];
			unsigned int i, n = 1 + (unsigned int)mk_test_below(&t->seed, 16);

			for (i = 0; i < n; i++)
				sizes[i] = traffic_size(t);
			mk_client_alloc_burst(c, sizes, 0, out, status, n);
			for (i = 0; i < n; i++)
				if (status[i] == 0)
					traffic_keep(t, &out[i]);
		} else if (what < 80 && t->nb_live >= 8) {
			struct mk_buffer bufs[8];
			int status[8];
			unsigned int i;

			for (i = 0; i < 8; i++)
				bufs[i] = traffic_take(t);
			t->bad += mk_client_free_burst(c, bufs, status, 8) != 8;
		} else if (what < 90 && t->nb_live + 64 < LIVE_MAX) {
			int rc = mk_client_submit_alloc(c, traffic_size(t), 8, 1);

			t->submitted += rc == 0;
			t->bad += rc != 0 && rc != -EAGAIN;
		} else if (t->nb_live > 0) {
			b = traffic_take(t);
			if (mk_client_submit_free(c, &b, 2) == 0)
				t->submitted++;
			else
				traffic_keep(t, &b);
		}
		traffic_collect(t, cpl, mk_client_poll(c, cpl, RTE_DIM(cpl)));
	}
	while (mk_client_inflight(c) > 0)
		traffic_collect(t, cpl, mk_client_poll(c, cpl, RTE_DIM(cpl)));
	mk_client_close(c);
	t->rc = 0;
	return 0;
}

static int
cmp_offset(const void *a, const void *b)
{
	const struct mk_buffer *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* The live set of a segment against the shards' published figures. */
static void
check_segment(struct mk_service *svc, const char *name, struct mk_buffer *live, unsigned int n)
{
	struct mk_shard_stats st[8];
	uint64_t bytes = 0, stat_live = 0, stat_bytes = 0;
	int seg = mk_service_segment_find(svc, name), shards, k;
	unsigned int i, overlaps = 0;

	qsort(live, n, sizeof(*live), cmp_offset);
	for (i = 0; i < n; i++) {
		bytes += live[i].size;
		if (i > 0 && live[i - 1].offset + live[i - 1].size > live[i].offset)
			overlaps++;
	}
	CU_ASSERT_EQUAL(overlaps, 0);
	shards = mk_service_shard_stats(svc, (unsigned int)seg, st, RTE_DIM(st));
	CU_ASSERT_FATAL(shards > 0);
	for (k = 0; k < shards; k++) {
		stat_live += st[k].live_buffers;
		stat_bytes += st[k].allocated_bytes;
	}
	CU_ASSERT_EQUAL(stat_live, n);
	CU_ASSERT_EQUAL(stat_bytes, bytes);
}

static void
traffic_test(unsigned int workers, unsigned int clients, uint32_t depth, unsigned int steps)
{
	static struct traffic t[4];
	struct mk_service_conf conf;
	struct mk_service *svc;
	struct mk_client *c;
	unsigned int i, k;

	mk_test_service_conf(&conf, workers);
	conf.client_depth = depth;
	conf.max_clients = clients + 1;
	svc = mk_test_service_start(&conf);
	for (i = 0; i < clients; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].segment = i % 2 ? "slab" : "off";
		t[i].seed = 100 + i;
		t[i].steps = steps;
		t[i].rc = -1;
		CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(traffic_run, &t[i],
			mk_lcore_nth(workers + i)), 0);
	}
	for (i = 0; i < clients; i++)
		mk_lcore_wait(mk_lcore_nth(workers + i));
	for (i = 0; i < clients; i++) {
		CU_ASSERT_EQUAL(t[i].rc, 0);
		CU_ASSERT_EQUAL(t[i].bad, 0);
		/* every asynchronous request answered exactly once */
		CU_ASSERT_EQUAL(t[i].completions, t[i].submitted);
	}
	/* the live sets of both clients of a segment together, then freed from this lcore */
	for (k = 0; k < 2; k++) {
		static struct mk_buffer all[4 * LIVE_MAX];
		unsigned int n = 0;
		int status[64];

		for (i = k; i < clients; i += 2) {
			memcpy(&all[n], t[i].live, t[i].nb_live * sizeof(all[0]));
			n += t[i].nb_live;
		}
		check_segment(svc, k ? "slab" : "off", all, n);
		c = mk_client_open(k ? "slab" : "off");
		CU_ASSERT_PTR_NOT_NULL_FATAL(c);
		for (i = 0; i < n; i += 64) {
			unsigned int m = RTE_MIN(64u, n - i);

			CU_ASSERT_EQUAL(mk_client_free_burst(c, &all[i], status, m), m);
		}
		mk_client_close(c);
		check_segment(svc, k ? "slab" : "off", all, 0);
	}
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	mk_service_destroy(svc);
}

static void
test_traffic(void)
{
	traffic_test(2, 2, 64, mk_test_long() ? 200000 : 4000);
}

/* Tiny rings: a client depth of 2 forces -EAGAIN; nothing is lost. */
static void
test_backpressure(void)
{
	struct mk_service_conf conf;
	struct mk_completion cpl[4];
	struct mk_service *svc;
	struct mk_client *c;
	unsigned int got = 0, i;

	mk_test_service_conf(&conf, 3);
	conf.client_depth = 2;
	conf.max_clients = 1;
	svc = mk_test_service_start(&conf);
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NULL(mk_client_open("off"));	/* max_clients */
	CU_ASSERT_EQUAL(rte_errno, ENOSPC);
	CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 100, 0, 1), 0);
	CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 100, 0, 2), 0);
	CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 100, 0, 3), -EAGAIN);
	while (got < 2) {
		unsigned int n = mk_client_poll(c, &cpl[got], 2 - got);

		for (i = got; i < got + n; i++)
			CU_ASSERT_EQUAL(cpl[i].status, 0);
		got += n;
	}
	CU_ASSERT_EQUAL(mk_client_inflight(c), 0);
	CU_ASSERT_EQUAL(cpl[0].tag + cpl[1].tag, 3);
	/* two answers wait in the stash while a blocking call runs: they keep their credit */
	CU_ASSERT_EQUAL(mk_client_submit_free(c, &cpl[0].buf, 10), 0);
	CU_ASSERT_EQUAL(mk_client_submit_free(c, &cpl[1].buf, 11), 0);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 10, 0, &cpl[2].buf), -EAGAIN);
	CU_ASSERT_EQUAL(mk_client_poll(c, cpl, 4), 2);
	CU_ASSERT_EQUAL(cpl[0].status, 0);
	CU_ASSERT_EQUAL(cpl[1].status, 0);
	CU_ASSERT_EQUAL(cpl[0].tag + cpl[1].tag, 21);
	mk_client_close(c);
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	mk_service_destroy(svc);
}

/* Stop with requests in flight and buffers live: all answered, the live ones reported. */
static void
test_shutdown_pending(void)
{
	struct mk_service_conf conf;
	struct mk_completion cpl[64];
	struct mk_service *svc;
	struct mk_client *c;
	struct mk_buffer kept;
	unsigned int n = 0, i;
	char report[512] = "";
	FILE *f = fmemopen(report, sizeof(report), "w");

	mk_test_service_conf(&conf, 2);
	conf.client_depth = 64;
	svc = mk_test_service_start(&conf);
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 12345, 0, &kept), 0);
	for (i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 1000 + i, 0, i), 0);
	mk_client_flush(c);
	/* submitted, still in the client's batch when the service stops */
	for (i = 40; i < 45; i++)
		CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 1000 + i, 0, i), 0);
	CU_ASSERT_EQUAL(mk_service_stop(svc, f), 41);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(report, "segment 'off': 41 buffers"));
	CU_ASSERT_EQUAL(mk_client_submit_alloc(c, 10, 0, 99), -ESHUTDOWN);
	CU_ASSERT_EQUAL(mk_client_free(c, &kept), -ESHUTDOWN);
	/* every request answered exactly once: the 40 sent, the 5 batched with -ESHUTDOWN */
	while (n < 45) {
		unsigned int k = mk_client_poll(c, &cpl[n], 64 - n);

		n += k;
		CU_ASSERT_FATAL(k > 0 || mk_client_inflight(c) > 0);
	}
	for (i = 0; i < 45; i++)
		CU_ASSERT_EQUAL(cpl[i].status, cpl[i].tag < 40 ? 0 : -ESHUTDOWN);
	CU_ASSERT_EQUAL(mk_client_poll(c, cpl, 64), 0);
	CU_ASSERT_EQUAL(mk_client_inflight(c), 0);
	mk_client_close(c);
	mk_service_destroy(svc);
}

/* The memory drivers under the service: what they report, and what they refuse. */
static void
test_mem_drivers(void)
{
	struct mk_mem_region r, again;
	char err[256];

	CU_ASSERT_EQUAL(mk_mem_reserve("memzone", "mkt-mz", 6 * MiB, -1, &r, err, sizeof(err)), 0);
	CU_ASSERT(r.len >= 6 * MiB);
	CU_ASSERT_PTR_NOT_NULL(r.addr);
	CU_ASSERT_EQUAL(r.hugepages, mk_test_eal_hugepages());
	CU_ASSERT(r.page_size >= 4096);
	/* the IOVA layout: known here (VA or PA mode), in one run or more */
	CU_ASSERT(r.iova != UINT64_MAX);
	CU_ASSERT(r.iova_chunks >= 1 && r.iova_chunks <= r.len / r.page_size);
	memset(r.addr, 0x5a, r.len);
	CU_ASSERT_EQUAL(mk_mem_reserve("memzone", "mkt-mz", MiB, -1, &again, err, sizeof(err)),
		-EEXIST);
	mk_mem_release(&r);
	CU_ASSERT_PTR_NULL(r.addr);

	CU_ASSERT_EQUAL(mk_mem_reserve("anon", "mkt-anon", 3 * MiB + 1, -1, &r, err, sizeof(err)),
		0);
	CU_ASSERT(r.len >= 3 * MiB + 1 && r.len % r.page_size == 0);
	CU_ASSERT_EQUAL(r.iova, UINT64_MAX);
	memset(r.addr, 0x5a, 3 * MiB + 1);
	mk_mem_release(&r);

	CU_ASSERT_EQUAL(mk_mem_reserve("nvme", "x", MiB, -1, &r, err, sizeof(err)), -ENODEV);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "nvme"));
	CU_ASSERT_EQUAL(mk_mem_reserve("anon", "", MiB, -1, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(mk_mem_reserve("anon", "x", 0, -1, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(mk_mem_reserve("memzone", "a-name-far-too-long-for-a-memzone", MiB, -1, &r,
		err, sizeof(err)), -EINVAL);
	mk_mem_release(NULL);
}

/* Sum of a counter over a segment's shards. */
static uint64_t
shard_sum(struct mk_service *svc, const char *name, size_t field)
{
	struct mk_shard_stats st[8];
	int k, n = mk_service_shard_stats(svc, (unsigned int)mk_service_segment_find(svc, name),
		st, 8);
	uint64_t sum = 0;

	for (k = 0; k < n; k++)
		sum += *(const uint64_t *)((const char *)&st[k] + field);
	return sum;
}

/*
 * One client hammering one size: with routing by the control lcore's view, or with shards in
 * turns, no allocation fails while some shard can hold it, and the first failure comes only
 * when none can. The forwards each way are printed (figures, not assertions).
 */
static void
routing_run(bool routing, uint64_t *forwarded)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	struct mk_service_conf conf;
	struct mk_buffer b[32], big;
	struct mk_route_view v;
	struct mk_service *svc;
	struct mk_client *c;
	unsigned int n, i, waited;

	mk_test_service_conf_control(&conf, 2);
	conf.routing = routing;
	svc = mk_test_service_start(&conf);
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	/* 48 MiB in two shards of 24: exactly 16 buffers of 3 MiB fit, 8 a shard */
	for (n = 0; n < 32 && mk_client_alloc(c, 3 * MiB, 0, &b[n]) == 0; n++)
		;
	CU_ASSERT_EQUAL(n, 16);
	/* every other one back: 24 MiB free in 3 MiB holes, none holds 6 MiB */
	for (i = 0; i < n; i += 2)
		CU_ASSERT_EQUAL(mk_client_free(c, &b[i]), 0);
	CU_ASSERT_EQUAL(mk_client_alloc_flags(c, 6 * MiB, 0, MK_CLIENT_NOWAIT, &big), -ENOMEM);
	for (i = 0; i < n; i += 2)
		CU_ASSERT_EQUAL(mk_client_alloc(c, 3 * MiB, 0, &b[i]), 0);
	*forwarded = shard_sum(svc, "off", offsetof(struct mk_shard_stats, forwarded));

	/* the view settles on the truth: a bounded wait for the control lcore's next looks */
	for (waited = 0; waited < 5000; waited++) {
		CU_ASSERT_EQUAL(mk_service_route_view(svc, 0, &v), 0);
		if (v.version > 0 && v.free_bytes == 0 && v.live_buffers == 16)
			break;
		nanosleep(&tick, NULL);
	}
	CU_ASSERT(v.version > 0);
	CU_ASSERT_EQUAL(v.nb_shards, 2);
	CU_ASSERT_EQUAL(v.capacity, 48 * MiB);
	CU_ASSERT_EQUAL(v.free_bytes, 0);
	CU_ASSERT_EQUAL(v.live_buffers, 16);
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(mk_client_free(c, &b[i]), 0);
	mk_client_close(c);
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	mk_service_destroy(svc);
}

static void
test_routing(void)
{
	uint64_t routed, in_turns;

	routing_run(true, &routed);
	routing_run(false, &in_turns);
	printf("\n    forwards for 16+8 allocations of 3 MiB: %" PRIu64 " routed by the view,"
		" %" PRIu64 " with shards in turns\n", routed, in_turns);
}

int
test_service_register(void)
{
	CU_pSuite s = CU_add_suite("service", suite_init, NULL);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "mem_drivers", test_mem_drivers) == NULL ||
	    CU_add_test(s, "conf_validation", test_conf_validation) == NULL ||
	    CU_add_test(s, "basic", test_basic) == NULL ||
	    CU_add_test(s, "traffic_2x2", test_traffic) == NULL ||
	    CU_add_test(s, "backpressure", test_backpressure) == NULL ||
	    CU_add_test(s, "shutdown_pending", test_shutdown_pending) == NULL ||
	    CU_add_test(s, "routing", test_routing) == NULL)
		return -1;
	return 0;
}
