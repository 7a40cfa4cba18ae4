/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workload (d) of BENCH.md: the churn of (a) through the service. Client lcores send every
 * alloc and free over rings to worker lcores that own the shards, keeping up to their depth of
 * requests in flight; beside it, in the same run, the direct-call churn of (a) on lib/offset
 * and rte_malloc/rte_free from the same client lcores.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifdef MK_BENCH_HAVE_DPDK

#include <rte_common.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_service.h"

#define SVC_SEGMENT	"bench"
/* the slots of a pending request: the free of the old buffer was sent, the alloc too */
#define TAG_FREE	(UINT64_C(1) << 63)

enum slot_state { SLOT_EMPTY, SLOT_LIVE, SLOT_PENDING };

struct svc_slot {
	uint8_t state;
	struct mk_buffer buf;
};

/* One client lcore's run. */
struct svc_churn {
	bool yield;		/* give the CPU away while waiting */
	uint64_t seed;
	uint64_t steps;
	struct svc_slot *slots;
	struct mk_client *client;
	uint64_t fails;		/* allocations refused with -ENOMEM */
	uint64_t errors;	/* anything else: a bug */
	uint64_t ns;		/* over the steps */
	int rc;
};

static void
svc_collect(struct svc_churn *s)
{
	struct mk_completion cpl[64];
	unsigned int i, n = mk_client_poll(s->client, cpl, RTE_DIM(cpl));

	/* with more lcores than CPUs, a client that waits lets its worker run */
	if (n == 0 && s->yield)
		sched_yield();

	for (i = 0; i < n; i++) {
		struct svc_slot *slot;

		if (cpl[i].tag & TAG_FREE) {
			s->errors += cpl[i].status != 0;
			continue;
		}
		slot = &s->slots[cpl[i].tag];
		slot->state = cpl[i].status == 0 ? SLOT_LIVE : SLOT_EMPTY;
		slot->buf = cpl[i].buf;
		s->fails += cpl[i].status == -ENOMEM;
		s->errors += cpl[i].status != 0 && cpl[i].status != -ENOMEM;
	}
}

/* Submit, collecting completions while the client's depth is in flight. */
static void
svc_alloc(struct svc_churn *s, struct bench_rng *rng, uint64_t slot)
{
	uint64_t size = bench_range(rng, BENCH_CHURN_MIN, BENCH_CHURN_MAX);
	int rc;

	while ((rc = mk_client_submit_alloc(s->client, size, 0, slot)) == -EAGAIN)
		svc_collect(s);
	if (rc != 0) {
		s->errors++;
		return;
	}
	s->slots[slot].state = SLOT_PENDING;
}

static void
svc_free(struct svc_churn *s, uint64_t slot)
{
	int rc;

	while ((rc = mk_client_submit_free(s->client, &s->slots[slot].buf, TAG_FREE | slot)) ==
	       -EAGAIN)
		svc_collect(s);
	s->errors += rc != 0;
	s->slots[slot].state = SLOT_EMPTY;
}

static void
svc_wait_all(struct svc_churn *s)
{
	while (mk_client_inflight(s->client) > 0)
		svc_collect(s);
}

static int
svc_churn_main(void *arg)
{
	struct svc_churn *s = arg;
	struct bench_rng rng = { .s = s->seed };
	uint64_t step, i, t0;

	s->client = mk_client_open(SVC_SEGMENT);
	s->slots = calloc(BENCH_CHURN_SLOTS, sizeof(*s->slots));
	if (s->client == NULL || s->slots == NULL) {
		s->rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < BENCH_CHURN_SLOTS; i++)
		svc_alloc(s, &rng, i);
	svc_wait_all(s);
	s->fails = 0;

	t0 = bench_now_ns();
	for (step = 0; step < s->steps; step++) {
		i = bench_below(&rng, BENCH_CHURN_SLOTS);
		while (s->slots[i].state == SLOT_PENDING)
			svc_collect(s);
		if (s->slots[i].state == SLOT_LIVE)
			svc_free(s, i);
		svc_alloc(s, &rng, i);
	}
	svc_wait_all(s);
	s->ns = bench_now_ns() - t0;

	for (i = 0; i < BENCH_CHURN_SLOTS; i++)
		if (s->slots[i].state == SLOT_LIVE)
			svc_free(s, i);
	svc_wait_all(s);
	s->rc = 0;
out:
	mk_client_close(s->client);
	free(s->slots);
	return s->rc;
}

/* A heap target's churn on a client lcore, for the rte_malloc baseline. */
struct heap_churn {
	struct bench_ctx ctx;
	const struct bench_workload *w;
	const struct bench_target *t;
	struct bench_churn_result res;
	int rc;
};

static int
heap_churn_main(void *arg)
{
	struct heap_churn *h = arg;

	h->rc = bench_churn_one(&h->ctx, h->w, h->t, &h->res);
	return h->rc;
}

static bool
more_lcores_than_cpus(void)
{
	return rte_lcore_count() > (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
}

static struct mk_service *
svc_start(unsigned int workers, char *err, size_t errlen)
{
	struct mk_service_conf conf;
	struct mk_service *svc;
	unsigned int i;

	mk_service_conf_defaults(&conf);
	conf.nb_workers = workers;
	for (i = 0; i < workers; i++)
		conf.worker_lcores[i] = mk_lcore_nth(i);
	/* lcores may outnumber CPUs here: an idle loop gives its CPU away */
	conf.idle_yield = more_lcores_than_cpus();
	conf.nb_segments = 1;
	snprintf(conf.segments[0].name, sizeof(conf.segments[0].name), SVC_SEGMENT);
	conf.segments[0].size = BENCH_SEGMENT_BYTES;
	conf.segments[0].kind = MK_ALLOC_KIND_OFFSET;
	conf.segments[0].socket = -1;
	/* offsets only, as in (a): anonymous memory costs nothing until touched */
	snprintf(conf.segments[0].mem_driver, sizeof(conf.segments[0].mem_driver), "anon");
	svc = mk_service_create(&conf, err, errlen);
	if (svc != NULL && mk_service_start(svc) != 0) {
		mk_service_destroy(svc);
		snprintf(err, errlen, "cannot launch the workers");
		svc = NULL;
	}
	return svc;
}

static void
row_rate(struct bench_ctx *ctx, const struct bench_workload *w, const char *name,
	unsigned int workers, unsigned int clients, double pairs_s, double direct, double heap,
	uint64_t fails)
{
	struct bench_target t = { .name = name };
	struct bench_row row;

	bench_row_init(&row, w, &t);
	bench_row_u64(&row, "workers", 7, workers);
	bench_row_u64(&row, "clients", 7, clients);
	bench_row_f64(&row, "pairs_per_s", 12, 0, pairs_s);
	bench_row_f64(&row, "per_worker", 12, 0, workers ? pairs_s / workers : 0);
	bench_row_f64(&row, "vs_direct", 9, 3, workers ? pairs_s / workers / direct : 0);
	bench_row_f64(&row, "vs_rte_malloc", 13, 1, heap > 0 ? pairs_s / heap : 0);
	bench_row_u64(&row, "fails", 5, fails);
	bench_row_emit(ctx, &row);
}

/* One shape: the service with @p workers and @p clients, then rte_malloc on those clients. */
static int
svc_shape(struct bench_ctx *ctx, const struct bench_workload *w, unsigned int workers,
	unsigned int clients, double direct)
{
	static struct svc_churn s[4];
	static struct heap_churn h[4];
	const struct bench_target *heap = bench_target_find("rte_malloc");
	double pairs_s = 0, heap_s = 0;
	uint64_t fails = 0, errors = 0, ns = 0;
	struct mk_service *svc;
	char err[256] = "";
	unsigned int i;

	if (rte_lcore_count() < 1 + workers + clients) {
		bench_note(ctx, "(d) %u x %u: needs %u lcores, the EAL has %u (give --lcores)",
			clients, workers, 1 + workers + clients, rte_lcore_count());
		return 0;
	}
	svc = svc_start(workers, err, sizeof(err));
	if (svc == NULL) {
		bench_fail(ctx, w, bench_target_find("offset"), "service: %s", err);
		return -EFAULT;
	}
	for (i = 0; i < clients; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].seed = BENCH_CHURN_SEED + i;
		s[i].yield = more_lcores_than_cpus();
		s[i].steps = ctx->steps / clients;
		rte_eal_remote_launch(svc_churn_main, &s[i], mk_lcore_nth(workers + i));
	}
	for (i = 0; i < clients; i++) {
		mk_lcore_wait(mk_lcore_nth(workers + i));
		fails += s[i].fails;
		errors += s[i].errors + (s[i].rc != 0);
		ns = s[i].ns > ns ? s[i].ns : ns;
		pairs_s += (double)s[i].steps * 1e9 / (double)s[i].ns;
	}
	if (mk_service_stop(svc, stderr) != 0 || errors != 0)
		bench_fail(ctx, w, bench_target_find("offset"), "service: %" PRIu64 " errors, or"
			" buffers left at shutdown", errors);
	mk_service_destroy(svc);

	/* the baseline a DPDK user would otherwise pick, from the same client lcores */
	for (i = 0; heap != NULL && i < clients; i++) {
		h[i].ctx = *ctx;
		h[i].ctx.steps = ctx->steps / clients;
		h[i].ctx.progress = false;
		h[i].w = w;
		h[i].t = heap;
		rte_eal_remote_launch(heap_churn_main, &h[i], mk_lcore_nth(workers + i));
	}
	for (i = 0; heap != NULL && i < clients; i++) {
		mk_lcore_wait(mk_lcore_nth(workers + i));
		if (h[i].rc == 0)
			heap_s += (double)h[i].ctx.steps * 1e9 / (double)h[i].res.ns;
	}
	row_rate(ctx, w, "service", workers, clients, pairs_s, direct, heap_s, fails);
	if (heap_s > 0)
		row_rate(ctx, w, "rte_malloc", 0, clients, heap_s, direct, heap_s, 0);
	return ctx->failed ? -EFAULT : 0;
}

int
bench_service_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	const struct bench_target *direct_t = bench_target_find("offset");
	struct bench_churn_result res;
	double direct;

	bench_section(ctx, "(d) %s: the churn of (a) through the service, %" PRIu64 " steps"
		" over all clients, %" PRIu64 " MiB segment\npairs_per_s: over all clients;"
		" per_worker: over the workers; vs_direct: per worker over the direct-call rate of"
		" (a) on offset measured just before; vs_rte_malloc: over rte_malloc from the same"
		" client lcores", w->title, ctx->steps, BENCH_SEGMENT_BYTES >> 20);
	if (bench_churn_one(ctx, w, direct_t, &res) != 0)
		return -EFAULT;
	direct = (double)ctx->steps * 1e9 / (double)res.ns;
	row_rate(ctx, w, "offset-direct", 1, 1, direct, direct, 0, res.fails);
	if (svc_shape(ctx, w, 1, 1, direct) != 0)
		return -EFAULT;
	return svc_shape(ctx, w, 2, 2, direct);
}

#else /* !MK_BENCH_HAVE_DPDK */

int
bench_service_run(struct bench_ctx *ctx, const struct bench_workload *w)
{
	bench_note(ctx, "(%s) needs the service, which this build (without DPDK) does not have",
		w->name);
	return 0;
}

#endif
