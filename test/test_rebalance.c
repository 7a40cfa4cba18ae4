/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "rebalance": the control lcore moves free capacity between neighbouring shards.
 * An allocation that no shard can hold but a move can make room for waits and succeeds; one
 * that no move can help fails -ENOMEM at once; one made with MK_CLIENT_NOWAIT does not wait.
 * Chains of moves bring a whole segment's free space to one shard. Under random traffic with
 * drift moves, every published view conserves capacity, no two buffers overlap, and the
 * service's checker finds the shards' ranges tiling each segment.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_service.h"
#include "mk_test.h"
#include "mk_test_eal.h"

#define MiB (UINT64_C(1) << 20)
/* Segment "off" of the fixture. */
#define OFF_SIZE (48 * MiB)

static int
suite_init(void)
{
	return mk_test_eal_up() == 0 ? 0 : -1;
}

/* A service with a control lcore after @p workers workers, drift moves as asked. */
static struct mk_service *
start_rebalancing(unsigned int workers, uint32_t drift_pct, bool routing)
{
	struct mk_service_conf conf;

	mk_test_service_conf_control(&conf, workers);
	conf.routing = routing;
	conf.rebalance = true;
	conf.rebalance_drift_pct = drift_pct;
	conf.rebalance_cooldown_ms = 0;
	return mk_test_service_start(&conf);
}

/* Wait (bounded) until the control lcore has published twice more: its view then holds
 * what the shards published before this call. */
static void
settle(struct mk_service *svc)
{
	const struct timespec tick = { .tv_nsec = 200000 };
	struct mk_route_view v;
	uint64_t first;
	unsigned int waited;

	mk_service_route_view(svc, 0, &v);
	first = v.version;
	for (waited = 0; waited < 25000 && v.version < first + 2; waited++) {
		nanosleep(&tick, NULL);
		mk_service_route_view(svc, 0, &v);
	}
	CU_ASSERT(v.version >= first + 2);
}

/* What every view must say: the shards' capacities and the bytes in transit make the
 * segment, and the ledger never disagreed with the shards. */
static void
check_view(struct mk_service *svc)
{
	struct mk_rebalance_info in;
	struct mk_route_view v;
	uint64_t sum = 0;
	unsigned int k;

	mk_service_route_view(svc, 0, &v);
	mk_service_rebalance_info(svc, 0, &in);
	for (k = 0; k < v.nb_shards; k++)
		sum += v.shard[k].capacity;
	CU_ASSERT_EQUAL(sum, v.capacity);
	CU_ASSERT_EQUAL(v.capacity + v.in_transit, OFF_SIZE);
	CU_ASSERT_EQUAL(in.ledger_mismatch, 0);
}

/* The service's checker after it stopped, and nothing left allocated. */
static void
stop_and_check(struct mk_service *svc)
{
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	CU_ASSERT_EQUAL(mk_service_check(svc), 0);
	mk_service_destroy(svc);
}

static bool
overlaps(const struct mk_buffer *a, const struct mk_buffer *b)
{
	return a->offset < b->offset + b->size && b->offset < a->offset + a->size;
}

/*
 * Two shards of 24 MiB laid out so that shard 0 has 4 MiB free at its high end and shard 1
 * 6 MiB free at its low end (and 4 MiB at its high end): 14 MiB free, no region over 6 MiB.
 * 9 MiB fits only after a move across their boundary; 12 MiB (under the free total) and
 * 15 MiB (over it) fit after no move.
 */
static void
test_need_move(void)
{
	struct mk_service *svc = start_rebalancing(2, 0, true);
	struct mk_client *c = mk_client_open("off");
	struct mk_buffer a, p, q, big;
	struct mk_rebalance_info in;
	struct mk_shard_stats st[2];

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	settle(svc);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 20 * MiB, 0, &a), 0);	/* shard 0 */
	settle(svc);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 6 * MiB, 0, &p), 0);	/* shard 1, first */
	settle(svc);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 14 * MiB, 0, &q), 0);	/* shard 1, next */
	CU_ASSERT_EQUAL_FATAL(mk_client_free(c, &p), 0);
	settle(svc);
	mk_service_shard_stats(svc, 0, st, 2);
	CU_ASSERT_EQUAL_FATAL(st[0].edge_free_high, 4 * MiB);
	CU_ASSERT_EQUAL_FATAL(st[1].edge_free_low, 6 * MiB);
	CU_ASSERT_EQUAL(st[1].edge_free_high, 4 * MiB);
	CU_ASSERT_EQUAL(st[0].largest_free, 4 * MiB);
	CU_ASSERT_EQUAL(st[1].largest_free, 6 * MiB);

	CU_ASSERT_EQUAL(mk_client_alloc_flags(c, 9 * MiB, 0, MK_CLIENT_NOWAIT, &big), -ENOMEM);
	CU_ASSERT_EQUAL(mk_client_alloc_flags(c, 9 * MiB, 0, 0x80, &big), -EINVAL);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 15 * MiB, 0, &big), -ENOMEM);
	CU_ASSERT_EQUAL(mk_client_alloc(c, 12 * MiB, 0, &big), -ENOMEM);
	settle(svc);	/* the figures are published after the answers */
	mk_service_rebalance_info(svc, 0, &in);
	CU_ASSERT_EQUAL(in.moves, 0);
	CU_ASSERT_EQUAL(in.waited, 2);
	CU_ASSERT_EQUAL(in.no_plan, 2);
	check_view(svc);

	/* 9 MiB: 4 MiB of shard 0's end and 5 of shard 1's, or 6 of shard 1's and 3 of 0's */
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 9 * MiB, 0, &big), 0);
	CU_ASSERT(!overlaps(&big, &a) && !overlaps(&big, &q));
	CU_ASSERT(big.offset >= 20 * MiB && big.offset + big.size <= 30 * MiB);
	settle(svc);
	mk_service_rebalance_info(svc, 0, &in);
	CU_ASSERT_EQUAL(in.moves, 1);
	CU_ASSERT_EQUAL(in.need_moves, 1);
	CU_ASSERT_EQUAL(in.drift_moves, 0);
	CU_ASSERT_EQUAL(in.waited, 3);
	CU_ASSERT_EQUAL(in.resent, 1);
	CU_ASSERT_EQUAL(in.wait_timeouts, 0);
	CU_ASSERT_EQUAL_FATAL(in.nb_last, 1);
	CU_ASSERT_EQUAL(in.last[0].reason, MK_MOVE_NEED);
	CU_ASSERT(in.last[0].bytes >= MiB && in.last[0].bytes <= 6 * MiB);
	CU_ASSERT_EQUAL(in.last[0].from + in.last[0].to, 1);
	mk_service_shard_stats(svc, 0, st, 2);
	CU_ASSERT_EQUAL(st[0].capacity + st[1].capacity, OFF_SIZE);
	CU_ASSERT_EQUAL(st[0].base + st[0].capacity, st[1].base);
	CU_ASSERT(st[0].capacity != 24 * MiB);
	CU_ASSERT_EQUAL(st[in.last[0].from].ceded_bytes, in.last[0].bytes);
	CU_ASSERT_EQUAL(st[in.last[0].to].adopted_bytes, in.last[0].bytes);
	check_view(svc);
	/* the moved boundary sends each free to the shard that holds the buffer now */
	CU_ASSERT_EQUAL(mk_client_free(c, &big), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &a), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &q), 0);
	mk_client_close(c);
	stop_and_check(svc);
}

/*
 * Four shards of 12 MiB: one full, three empty; one request of 30 MiB, more than any shard's
 * largest free region and less than the 36 MiB free: no window of two shards holds it, so
 * capacity moves along the chain of empty shards, a hop at a time, until one can serve it.
 * Then 40 MiB more, than the segment has free: -ENOMEM at once, nothing moves.
 */
static void
test_chain(void)
{
	struct mk_service *svc = start_rebalancing(4, 0, true);
	struct mk_client *c = mk_client_open("off");
	struct mk_rebalance_info in;
	struct mk_buffer full, big, more;
	struct mk_shard_stats st[4];
	uint64_t moves;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	settle(svc);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 12 * MiB, 0, &full), 0);
	settle(svc);
	mk_service_shard_stats(svc, 0, st, 4);
	CU_ASSERT_EQUAL_FATAL(st[0].free_bytes, 0);	/* shard 0 full, the rest empty */
	CU_ASSERT_EQUAL_FATAL(st[3].largest_free, 12 * MiB);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 30 * MiB, 0, &big), 0);
	CU_ASSERT(!overlaps(&big, &full));
	settle(svc);
	mk_service_rebalance_info(svc, 0, &in);
	CU_ASSERT(in.need_moves >= 2);
	CU_ASSERT_EQUAL(in.waited, 1);
	CU_ASSERT_EQUAL(in.wait_timeouts + in.no_plan, 0);
	check_view(svc);
	printf("\n    30 MiB with one shard of 12 MiB full and three empty: %" PRIu64 " moves, %"
		PRIu64 " bytes moved\n", in.moves, in.moved_bytes);
	moves = in.moves;
	CU_ASSERT_EQUAL(mk_client_alloc(c, 40 * MiB, 0, &more), -ENOMEM);
	settle(svc);
	mk_service_rebalance_info(svc, 0, &in);
	CU_ASSERT_EQUAL(in.moves, moves);
	CU_ASSERT_EQUAL(in.no_plan, 1);
	CU_ASSERT_EQUAL(mk_client_free(c, &big), 0);
	CU_ASSERT_EQUAL(mk_client_free(c, &full), 0);
	mk_client_close(c);
	stop_and_check(svc);
}

/*
 * The slab kind moves whole free slabs: shard 0 of "slab" (4 slabs of 4 MiB) filled by
 * allocations of one slab each (routing off: a client's allocations go to its shard first),
 * shard 1 empty: drift moves give shard 0 half the difference, two slabs, from the end of
 * shard 1 that faces it (one move of two, or two of one if the control lcore looked while
 * the allocations were under way: the same end either way).
 */
static void
test_slab_drift(void)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	struct mk_service *svc = start_rebalancing(2, 10, false);
	struct mk_rebalance_info in;
	struct mk_shard_stats st[2];
	struct mk_buffer b[5];
	struct mk_client *c;
	unsigned int i, waited;

	c = mk_client_open("slab");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 4 * MiB, 0, &b[i]), 0);
	mk_service_shard_stats(svc, 1, st, 2);
	CU_ASSERT_EQUAL_FATAL(st[0].live_buffers, 4);	/* all in shard 0 (client 0's) */
	for (waited = 0; waited < 10000; waited++) {
		mk_service_rebalance_info(svc, 1, &in);
		mk_service_shard_stats(svc, 1, st, 2);
		if (in.moved_bytes == 8 * MiB && in.in_flight == 0 &&
		    st[0].free_bytes == st[1].free_bytes)
			break;
		nanosleep(&tick, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(in.moved_bytes, 8 * MiB);
	CU_ASSERT(in.drift_moves >= 1 && in.drift_moves == in.moves);
	CU_ASSERT_EQUAL(in.last[0].from, 1);
	CU_ASSERT_EQUAL(in.last[0].to, 0);
	CU_ASSERT_EQUAL(in.ledger_mismatch, 0);
	CU_ASSERT_EQUAL(st[0].capacity, 24 * MiB);
	CU_ASSERT_EQUAL(st[1].capacity, 8 * MiB);
	CU_ASSERT_EQUAL(st[1].base, 24 * MiB);
	/* shard 0 serves from the slabs it took; each free finds it by the moved boundary */
	CU_ASSERT_EQUAL(mk_client_alloc(c, 4 * MiB, 0, &b[4]), 0);
	CU_ASSERT(b[4].offset >= 16 * MiB && b[4].offset < 24 * MiB);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(mk_client_free(c, &b[i]), 0);
	mk_client_close(c);
	stop_and_check(svc);
}

/* --- random traffic with drift moves ----------------------------------------------------- */

#define TRAFFIC_LIVE	128

struct rb_traffic {
	uint64_t seed;
	unsigned int steps;
	struct mk_buffer live[TRAFFIC_LIVE];
	unsigned int nb_live;
	unsigned long allocs, nomem, bad;
	int rc;
};

static uint64_t
rb_size(uint64_t *seed)
{
	uint64_t k = mk_test_below(seed, 100);

	if (k < 70)
		return 1 + mk_test_below(seed, 64 << 10);
	if (k < 95)
		return 1 + mk_test_below(seed, 2 * MiB);
	return 1 + mk_test_below(seed, 12 * MiB);
}

/* Allocations (some not waiting) and frees; each buffer checked against the client's own
 * live ones as it comes (the two clients' sets are checked together at the end). */
static int
rb_traffic_run(void *arg)
{
	struct rb_traffic *t = arg;
	struct mk_client *c = mk_client_open("off");
	unsigned int step, i;

	if (c == NULL)
		return t->rc = -1;
	for (step = 0; step < t->steps; step++) {
		struct mk_buffer b;
		int rc;

		if (mk_test_below(&t->seed, 100) < 45 && t->nb_live > 0) {
			i = (unsigned int)mk_test_below(&t->seed, t->nb_live);
			t->bad += mk_client_free(c, &t->live[i]) != 0;
			t->live[i] = t->live[--t->nb_live];
			continue;
		}
		if (t->nb_live == TRAFFIC_LIVE)
			continue;
		rc = mk_client_alloc_flags(c, rb_size(&t->seed), 1u << mk_test_below(&t->seed, 13),
			mk_test_below(&t->seed, 5) == 0 ? MK_CLIENT_NOWAIT : 0, &b);
		if (rc == -ENOMEM) {
			t->nomem++;
			continue;
		}
		if (rc != 0 || b.offset + b.size > OFF_SIZE) {
			t->bad++;
			continue;
		}
		for (i = 0; i < t->nb_live; i++)
			t->bad += overlaps(&b, &t->live[i]);
		t->live[t->nb_live++] = b;
		t->allocs++;
	}
	mk_client_close(c);
	return t->rc = 0;
}

static void
test_traffic_drift(void)
{
	static struct rb_traffic t[2];
	const struct timespec tick = { .tv_nsec = 100000 };
	struct mk_service *svc = start_rebalancing(2, 10, true);
	struct mk_rebalance_info in;
	struct mk_client *c;
	unsigned long views = 0;
	uint64_t last = 0;
	unsigned int i, j;

	for (i = 0; i < 2; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].seed = 0xd1f7 + i;
		t[i].steps = mk_test_long() ? 200000 : 6000;
		t[i].rc = -1;
		CU_ASSERT_EQUAL_FATAL(rte_eal_remote_launch(rb_traffic_run, &t[i],
			mk_lcore_nth(3 + i)), 0);
	}
	/* every view published while they run conserves capacity */
	while (rte_eal_get_lcore_state(mk_lcore_nth(3)) != WAIT ||
	       rte_eal_get_lcore_state(mk_lcore_nth(4)) != WAIT) {
		struct mk_route_view v;

		mk_service_route_view(svc, 0, &v);
		if (v.version != last) {
			check_view(svc);
			last = v.version;
			views++;
		}
		nanosleep(&tick, NULL);
	}
	for (i = 0; i < 2; i++) {
		mk_lcore_wait(mk_lcore_nth(3 + i));
		CU_ASSERT_EQUAL(t[i].rc, 0);
		CU_ASSERT_EQUAL(t[i].bad, 0);
	}
	for (i = 0; i < t[0].nb_live; i++)
		for (j = 0; j < t[1].nb_live; j++)
			CU_ASSERT(!overlaps(&t[0].live[i], &t[1].live[j]));
	settle(svc);
	check_view(svc);
	mk_service_rebalance_info(svc, 0, &in);
	printf("\n    %lu+%lu allocations (%lu+%lu -ENOMEM), %lu views checked; moves %" PRIu64
		" (%" PRIu64 " for a waiting allocation, %" PRIu64 " for drift, %" PRIu64
		" bytes), %" PRIu64 " waited, %" PRIu64 " resent, %" PRIu64 " no plan, %" PRIu64
		" timed out\n", t[0].allocs, t[1].allocs, t[0].nomem, t[1].nomem, views,
		in.moves, in.need_moves, in.drift_moves, in.moved_bytes, in.waited, in.resent,
		in.no_plan, in.wait_timeouts);
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(mk_client_free_burst(c, t[i].live, NULL, t[i].nb_live),
			t[i].nb_live);
	mk_client_close(c);
	stop_and_check(svc);
}

int
test_rebalance_register(void)
{
	static const struct mk_test_case cases[] = {
		{ "need_move", test_need_move },
		{ "chain", test_chain },
		{ "slab_drift", test_slab_drift },
		{ "traffic_drift", test_traffic_drift },
	};

	return mk_test_add_suite("rebalance", suite_init, NULL, cases, RTE_DIM(cases)) != NULL ?
		0 : -1;
}
