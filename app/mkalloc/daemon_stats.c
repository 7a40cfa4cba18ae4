/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the daemon prints about the service: the segments it serves and its ready line, a
 * table of every shard's published figures once a second, and the shutdown report. All of
 * it comes from mk_service_shard_stats(), the lock-free snapshots the workers publish.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "daemon.h"
#include "mk_config.h"

#define MiB		(1024.0 * 1024.0)
/* The table's header comes back every this many seconds, so that it stays in sight. */
#define HEADER_EVERY	10

struct stats {
	const struct mk_service *svc;
	double last;	/* seconds since the start, at the last table */
	unsigned int tables;
	uint64_t ops[MK_SEGMENTS_MAX][MK_WORKERS_MAX];	/* allocs + frees at the last table */
	/* allocations a shard could not serve (passed on to the next shard, or failed) */
	uint64_t miss[MK_SEGMENTS_MAX][MK_WORKERS_MAX];
	struct mk_shard_stats shard[MK_WORKERS_MAX];	/* room for one segment's shards */
};

/* "1 GiB", "256 MiB", "12345 bytes": exact whole units, or bytes. */
static const char *
size_text(uint64_t v, char *buf, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	unsigned int u = 0;

	while (u + 1 < RTE_DIM(units) && v != 0 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	return buf;
}

/* "1,2,3" */
static const char *
lcore_list(const unsigned int *l, unsigned int n, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i > 0 ? "," : "", l[i]);
	return buf;
}

void
stats_ready(const struct mk_service *svc, const struct mk_service_conf *conf,
	const unsigned int *clients, unsigned int nb_clients, double duration)
{
	struct mk_segment_conf s;
	unsigned int i, n = mk_service_segment_count(svc);
	char size[32], lcores[512], clist[512] = "", until[64], control[96];
	int shards;

	for (i = 0; i < n; i++) {
		shards = mk_service_segment_info(svc, i, &s, NULL);
		printf("mkalloc: segment '%s': %s, %s allocator, %s driver, socket %d, %d"
			" shard(s) on lcore(s) %s\n", s.name, size_text(s.size, size, sizeof(size)),
			mk_alloc_kind_name(s.kind), s.mem_driver, s.socket, shards,
			lcore_list(s.workers, s.nb_workers, lcores, sizeof(lcores)));
	}
	if (duration > 0)
		snprintf(until, sizeof(until), "stopping after %g s", duration);
	else
		snprintf(until, sizeof(until), "stop with SIGINT or SIGTERM");
	lcore_list(conf->worker_lcores, conf->nb_workers, lcores, sizeof(lcores));
	lcore_list(clients, nb_clients, clist, sizeof(clist));
	if (conf->control)
		snprintf(control, sizeof(control), "control lcore %u (%s%s)", conf->control_lcore,
			conf->routing ? "routing by largest free region" : "views only",
			conf->rebalance ? ", rebalancing" : "");
	else
		snprintf(control, sizeof(control), "no control lcore");
	printf("mkalloc: ready: %u segment%s, %u worker%s (lcores %s, idle %s), %s; %s%s; %s\n",
		n, n == 1 ? "" : "s", conf->nb_workers, conf->nb_workers == 1 ? "" : "s", lcores,
		conf->idle_yield ? "yield" : conf->idle_pause ? "pause" : "spin", control,
		nb_clients > 0 ? "demo clients on lcores " : "no client in this process (no"
		" --demo)", clist, until);
}

struct stats *
stats_create(const struct mk_service *svc)
{
	struct stats *st = calloc(1, sizeof(*st));

	if (st != NULL)
		st->svc = svc;
	return st;
}

void
stats_free(struct stats *st)
{
	free(st);
}

static void
print_row(double t, const char *segment, const char *shard, const char *lcore, double ops,
	uint64_t live, uint64_t used, uint64_t free_bytes, uint64_t largest, double miss)
{
	printf("%6.0f %-12s %5s %5s %10.0f %9" PRIu64 " %10.1f %10.1f %11.1f %8.0f\n", t, segment,
		shard, lcore, ops, live, used / MiB, free_bytes / MiB, largest / MiB, miss);
}

void
stats_print(struct stats *st, double now)
{
	unsigned int i, k, n = mk_service_segment_count(st->svc);
	double dt = now - st->last > 0 ? now - st->last : 1;
	char shard[16], lcore[16], name[MK_SEGMENT_NAME_SIZE];

	if (st->tables++ % HEADER_EVERY == 0)
		printf("%6s %-12s %5s %5s %10s %9s %10s %10s %11s %8s\n", "time", "segment",
			"shard", "lcore", "ops/s", "live", "used MiB", "free MiB", "largest MiB",
			"miss/s");
	for (i = 0; i < n; i++) {
		int shards = mk_service_shard_stats(st->svc, i, st->shard, MK_WORKERS_MAX);
		uint64_t live = 0, used = 0, free_bytes = 0, largest = 0;
		double ops = 0, miss = 0;
		struct mk_segment_conf s;

		mk_service_segment_info(st->svc, i, &s, NULL);
		snprintf(name, sizeof(name), "%s", s.name);
		for (k = 0; k < (unsigned int)shards && k < MK_WORKERS_MAX; k++) {
			const struct mk_shard_stats *sh = &st->shard[k];
			uint64_t o = sh->allocs + sh->frees;
			double r = (double)(o - st->ops[i][k]) / dt;
			double f = (double)(sh->fail_nomem - st->miss[i][k]) / dt;

			st->ops[i][k] = o;
			st->miss[i][k] = sh->fail_nomem;
			snprintf(shard, sizeof(shard), "%u", k);
			snprintf(lcore, sizeof(lcore), "%u", sh->lcore);
			if (shards > 1)
				print_row(now, name, shard, lcore, r, sh->live_buffers,
					sh->capacity - sh->free_bytes, sh->free_bytes,
					sh->largest_free, f);
			ops += r;
			miss += f;
			live += sh->live_buffers;
			used += sh->capacity - sh->free_bytes;
			free_bytes += sh->free_bytes;
			largest = RTE_MAX(largest, sh->largest_free);
		}
		print_row(now, name, shards > 1 ? "all" : "0", shards > 1 ? "-" : lcore, ops, live,
			used, free_bytes, largest, miss);
	}
	st->last = now;
}

uint64_t
stats_shutdown(struct mk_service *svc, int64_t expected, bool *consistent)
{
	struct mk_shard_stats shard[MK_WORKERS_MAX];
	unsigned int i, k, n = mk_service_segment_count(svc);
	uint64_t leaked, published = 0;
	char size[32];

	printf("mkalloc: shutdown report: buffers still allocated, per segment\n");
	/* every request made is answered first; then the allocators count what is left */
	leaked = mk_service_stop(svc, stdout);
	for (i = 0; i < n; i++) {
		int shards = mk_service_shard_stats(svc, i, shard, RTE_DIM(shard));
		uint64_t live = 0, bytes = 0, allocs = 0, frees = 0;
		struct mk_segment_conf s;

		mk_service_segment_info(svc, i, &s, NULL);
		for (k = 0; k < (unsigned int)shards && k < RTE_DIM(shard); k++) {
			live += shard[k].live_buffers;
			bytes += shard[k].allocated_bytes;
			allocs += shard[k].allocs;
			frees += shard[k].frees;
		}
		printf("mkalloc: segment '%s': %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
			" buffers (%s) still allocated\n", s.name, allocs, frees, live,
			size_text(bytes, size, sizeof(size)));
		published += live;
	}
	*consistent = published == leaked && (expected < 0 || (uint64_t)expected == leaked);
	if (published != leaked)
		printf("mkalloc: error: the shards published %" PRIu64 " live buffers, their"
			" allocators hold %" PRIu64 "\n", published, leaked);
	if (expected >= 0 && (uint64_t)expected != leaked)
		printf("mkalloc: error: the demo clients kept %" PRId64 " buffers, the service"
			" holds %" PRIu64 "\n", expected, leaked);
	return leaked;
}
