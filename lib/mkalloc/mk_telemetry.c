/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /mkalloc/ telemetry commands (see mk_telemetry.h). Each answer is built from snapshots
 * that their writers publish for any thread to read: the shards' figures, the control lcore's
 * routing views and the allocators' metrics, all behind sequence counters. A callback only
 * pins the service for its lifetime (a shared lock that create and destroy take exclusively).
 *
 * DPDK 22.11's telemetry shapes what an answer can be: dict keys of [A-Za-z0-9_/] only (so a
 * segment name is a value, never a key), arrays of numbers or strings but not of dicts,
 * strings of at most RTE_TEL_MAX_STRING_LEN, and an answer of at most 16 KiB, past which
 * entries are silently dropped. Per-shard figures are therefore arrays, one per figure,
 * indexed by shard.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>
#include <rte_telemetry.h>

#include "mk_config.h"
#include "mk_service_pvt.h"
#include "mk_telemetry.h"

/* Digits of a shard id in a parameter: MK_WORKERS_MAX is far below it. */
#define SHARD_ID_DIGITS		5
/* What an error echoes of a bad parameter, at most. */
#define ECHO_MAX		32
/*
 * Bytes of JSON that /mkalloc/config may spend on the shard layouts and the transport keys:
 * with the rest (at most ~8 KiB for 16 segments of 64 workers) it stays within telemetry's
 * 16 KiB answer, which would otherwise drop entries without a word. The transport keys alone
 * (at most ~7 KiB: 16 endpoints of 255 bytes) are always there; the layouts go first.
 */
#define CONFIG_LAYOUT_BUDGET	(6 * 1024)

/* Writers first: a destroy waits for the callbacks inside, not for every one to come. */
#ifdef PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP
static pthread_rwlock_t service_lock = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
#else
static pthread_rwlock_t service_lock = PTHREAD_RWLOCK_INITIALIZER;
#endif

void
mk_telemetry_service_lock(void)
{
	pthread_rwlock_wrlock(&service_lock);
}

void
mk_telemetry_service_unlock(void)
{
	pthread_rwlock_unlock(&service_lock);
}

/* --- answers ----------------------------------------------------------------------------- */

/* The error object: a dict with one string. Returns 0, as every callback does: a negative
 * return would make telemetry answer null, which tells the reader nothing. */
static int __rte_format_printf(2, 3)
tel_error(struct rte_tel_data *d, const char *fmt, ...)
{
	char msg[RTE_TEL_MAX_STRING_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, MK_TELEMETRY_ERROR_KEY, msg);
	return 0;
}

/* Add a container under @p key; it is freed if the dict refuses it (full, bad key). */
static void
add_container(struct rte_tel_data *d, const char *key, struct rte_tel_data *c)
{
	if (c != NULL && rte_tel_data_add_dict_container(d, key, c, 0) != 0)
		rte_tel_data_free(c);
}

static struct rte_tel_data *
new_dict(void)
{
	struct rte_tel_data *c = rte_tel_data_alloc();

	if (c != NULL)
		rte_tel_data_start_dict(c);
	return c;
}

/* An array of @p n unsigned figures of @p width bytes (4 or 8), @p stride bytes apart. */
static void
add_column(struct rte_tel_data *d, const char *key, const void *first, size_t stride,
	size_t width, unsigned int n)
{
	struct rte_tel_data *a = rte_tel_data_alloc();
	unsigned int i;

	if (a == NULL)
		return;
	rte_tel_data_start_array(a, RTE_TEL_U64_VAL);
	for (i = 0; i < n; i++) {
		const char *p = (const char *)first + (size_t)i * stride;

		rte_tel_data_add_array_u64(a, width == sizeof(uint32_t) ?
			*(const uint32_t *)p : *(const uint64_t *)p);
	}
	add_container(d, key, a);
}

/* One figure of every element of @p array, as an array. */
#define ADD_COLUMN(d, key, array, field, n) do { \
	RTE_BUILD_BUG_ON(sizeof((array)[0].field) != sizeof(uint32_t) && \
		sizeof((array)[0].field) != sizeof(uint64_t)); \
	add_column(d, key, &(array)[0].field, sizeof((array)[0]), sizeof((array)[0].field), n); \
} while (0)

/* Failures by reason, and the size histogram. */
static void
add_alloc_metrics(struct rte_tel_data *d, const struct mk_allocator_stats *st,
	uint64_t free_rejected)
{
	struct rte_tel_data *f = new_dict();

	if (f != NULL) {
		rte_tel_data_add_dict_u64(f, "nomem", st->fail[MK_ALLOC_FAIL_NOMEM]);
		rte_tel_data_add_dict_u64(f, "nospc", st->fail[MK_ALLOC_FAIL_NOSPC]);
		rte_tel_data_add_dict_u64(f, "e2big", st->fail[MK_ALLOC_FAIL_2BIG]);
		rte_tel_data_add_dict_u64(f, "einval", st->fail[MK_ALLOC_FAIL_INVAL]);
		rte_tel_data_add_dict_u64(f, "free_rejected", free_rejected);
		add_container(d, "failures", f);
	}
	/* bucket k: sizes in [2^k, 2^(k+1)); all 64, so that an index is a size class */
	add_column(d, "size_hist", st->size_hist, sizeof(st->size_hist[0]),
		sizeof(st->size_hist[0]), MK_ALLOC_HIST_BUCKETS);
}

/*
 * A segment's transport: the driver peers use, the registration's state and why, what its
 * descriptors carry, and every device registered (one array a figure, index = device).
 */
static void
add_transport(struct rte_tel_data *d, const struct mk_transport_reg *t)
{
	struct rte_tel_data *o = new_dict(), *names, *gids, *ports;
	unsigned int k;

	if (o == NULL)
		return;
	rte_tel_data_add_dict_string(o, "driver", mk_transport_driver_name(t));
	rte_tel_data_add_dict_string(o, "state", mk_transport_state_name(t->state));
	rte_tel_data_add_dict_string(o, "reason", t->reason);
	rte_tel_data_add_dict_string(o, "endpoint", t->endpoint);
	rte_tel_data_add_dict_u64(o, "rkey", t->rkey);
	names = rte_tel_data_alloc();
	gids = rte_tel_data_alloc();
	ports = rte_tel_data_alloc();
	if (names != NULL && gids != NULL && ports != NULL) {
		rte_tel_data_start_array(names, RTE_TEL_STRING_VAL);
		rte_tel_data_start_array(gids, RTE_TEL_STRING_VAL);
		rte_tel_data_start_array(ports, RTE_TEL_U64_VAL);
		for (k = 0; k < t->nb_devices && k < MK_TRANSPORT_DEVICES_MAX; k++) {
			rte_tel_data_add_array_string(names, t->dev[k].name);
			rte_tel_data_add_array_string(gids, t->dev[k].gid);
			rte_tel_data_add_array_u64(ports, t->dev[k].port);
		}
	}
	add_container(o, "devices", names);
	add_container(o, "gids", gids);
	add_container(o, "ports", ports);
	ADD_COLUMN(o, "rkeys", t->dev, rkey, t->nb_devices);
	ADD_COLUMN(o, "lkeys", t->dev, lkey, t->nb_devices);
	add_container(d, "transport", o);
}

/* --- parameters -------------------------------------------------------------------------- */

/* A bad parameter, as an error may quote it: printable, no quote, at most ECHO_MAX bytes. */
static void
echo(char out[ECHO_MAX + 4], const char *in, size_t len)
{
	size_t i, n = len < ECHO_MAX ? len : ECHO_MAX;

	for (i = 0; i < n; i++)
		out[i] = in[i] > ' ' && in[i] <= '~' && in[i] != '"' && in[i] != '\\' ? in[i] : '?';
	snprintf(out + n, ECHO_MAX + 4 - n, "%s", n < len ? "..." : "");
}

static bool
no_param(const char *params)
{
	return params == NULL || params[0] == '\0';
}

/* The segment named by the @p len bytes at @p name, or -1 after an error answer. */
static int
find_segment(const struct mk_service *svc, const char *name, size_t len, const char *usage,
	struct rte_tel_data *d)
{
	char shown[ECHO_MAX + 4];
	unsigned int i;

	if (len == 0) {
		tel_error(d, "missing segment name: %s", usage);
		return -1;
	}
	if (len >= MK_SEGMENT_NAME_SIZE) {
		echo(shown, name, len);
		tel_error(d, "segment name '%s' longer than %d characters", shown,
			MK_SEGMENT_NAME_SIZE - 1);
		return -1;
	}
	for (i = 0; i < svc->nb_segments; i++) {
		const char *s = svc->segments[i].conf.name;

		if (strlen(s) == len && memcmp(s, name, len) == 0)
			return (int)i;
	}
	echo(shown, name, len);
	tel_error(d, "no segment '%s' (see /mkalloc/segments)", shown);
	return -1;
}

/* "<name>:<id>" into a segment and a shard, or -1 after an error answer. */
static int
find_shard(const struct mk_service *svc, const char *params, unsigned int *shard,
	struct rte_tel_data *d)
{
	static const char usage[] = "/mkalloc/shard,<segment>:<shard id>";
	const char *colon, *id;
	char shown[ECHO_MAX + 4];
	unsigned long value = 0;
	size_t i, id_len;
	int seg;

	if (no_param(params)) {
		tel_error(d, "missing parameter: %s", usage);
		return -1;
	}
	colon = strchr(params, ':');
	if (colon == NULL) {
		echo(shown, params, strlen(params));
		tel_error(d, "'%s': expected <segment>:<shard id>", shown);
		return -1;
	}
	seg = find_segment(svc, params, (size_t)(colon - params), usage, d);
	if (seg < 0)
		return -1;
	id = colon + 1;
	id_len = strlen(id);
	for (i = 0; i < id_len && i <= SHARD_ID_DIGITS; i++) {
		if (id[i] < '0' || id[i] > '9')
			break;
		value = value * 10 + (unsigned long)(id[i] - '0');
	}
	if (id_len == 0 || i != id_len || id_len > SHARD_ID_DIGITS) {
		echo(shown, id, id_len);
		tel_error(d, "shard id '%s': expected a decimal number", shown);
		return -1;
	}
	if (value >= svc->segments[seg].nb_shards) {
		tel_error(d, "shard %lu out of range: segment '%s' has %u shards", value,
			svc->segments[seg].conf.name, svc->segments[seg].nb_shards);
		return -1;
	}
	*shard = (unsigned int)value;
	return seg;
}

/* The segment a whole parameter names, or -1 after an error answer. */
static int
segment_param(const struct mk_service *svc, const char *params, const char *usage,
	struct rte_tel_data *d)
{
	if (no_param(params)) {
		tel_error(d, "missing parameter: %s", usage);
		return -1;
	}
	return find_segment(svc, params, strlen(params), usage, d);
}

/* --- commands ---------------------------------------------------------------------------- */

typedef int (*svc_cmd)(const struct mk_service *svc, const char *params,
	struct rte_tel_data *d);

/* Run @p fn with the service pinned: destroy waits until the answer is built. */
static int
with_service(svc_cmd fn, const char *params, struct rte_tel_data *d)
{
	const struct mk_service *svc;
	int rc;

	if (pthread_rwlock_rdlock(&service_lock) != 0)
		return tel_error(d, "mkalloc telemetry busy: try again");
	svc = mk_service_get();
	rc = svc != NULL ? fn(svc, params, d) : tel_error(d, "no mkalloc service in this process");
	pthread_rwlock_unlock(&service_lock);
	return rc;
}

static int
cmd_segments(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	unsigned int i;

	if (!no_param(params))
		return tel_error(d, "/mkalloc/segments takes no parameter");
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (i = 0; i < svc->nb_segments; i++)
		rte_tel_data_add_array_string(d, svc->segments[i].conf.name);
	return 0;
}

/* A segment's figures summed over its shards' snapshots. */
struct seg_totals {
	struct mk_shard_stats sum;		/* segment, shard, lcore, base: unused */
	struct mk_allocator_stats alloc;	/* allocator metrics, summed */
};

static void
segment_totals(const struct mk_service *svc, unsigned int seg, struct seg_totals *t)
{
	const struct mk_segment *s = &svc->segments[seg];
	struct mk_shard_stats st[MK_WORKERS_MAX];
	unsigned int k, r, n;

	memset(t, 0, sizeof(*t));
	n = (unsigned int)mk_service_shard_stats(svc, seg, st, MK_WORKERS_MAX);
	for (k = 0; k < n && k < MK_WORKERS_MAX; k++) {
		struct mk_allocator_stats a;

		t->sum.capacity += st[k].capacity;
		t->sum.allocated_bytes += st[k].allocated_bytes;
		t->sum.free_bytes += st[k].free_bytes;
		if (st[k].largest_free > t->sum.largest_free)
			t->sum.largest_free = st[k].largest_free;
		t->sum.live_buffers += st[k].live_buffers;
		t->sum.allocs += st[k].allocs;
		t->sum.frees += st[k].frees;
		t->sum.fail_nomem += st[k].fail_nomem;
		t->sum.fail_other += st[k].fail_other;
		t->sum.free_rejected += st[k].free_rejected;
		t->sum.forwarded += st[k].forwarded;
		t->sum.bursts += st[k].bursts;

		/* the allocator's own metrics: seqlocked, readable from any thread */
		mk_allocator_stats(s->shards[k].alloc, &a);
		t->alloc.kind = a.kind;
		t->alloc.footprint_bytes += a.footprint_bytes;
		for (r = 0; r < MK_ALLOC_FAIL_REASONS; r++)
			t->alloc.fail[r] += a.fail[r];
		for (r = 0; r < MK_ALLOC_HIST_BUCKETS; r++)
			t->alloc.size_hist[r] += a.size_hist[r];
	}
}

static int
cmd_segment(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	const struct mk_segment_conf *c;
	struct mk_route_view v;
	struct seg_totals t;
	struct rte_tel_data *ops;
	int seg = segment_param(svc, params, "/mkalloc/segment,<name>", d);

	if (seg < 0)
		return 0;
	c = &svc->segments[seg].conf;
	segment_totals(svc, (unsigned int)seg, &t);
	mk_service_route_view(svc, (unsigned int)seg, &v);
	/* the control lcore's view, when it runs, is the segment's published figure */
	if (v.version != 0) {
		t.sum.capacity = v.capacity;
		t.sum.free_bytes = v.free_bytes;
		t.sum.largest_free = v.largest_free;
		t.sum.live_buffers = v.live_buffers;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "name", c->name);
	rte_tel_data_add_dict_string(d, "kind", mk_alloc_kind_name(t.alloc.kind));
	rte_tel_data_add_dict_string(d, "mem_driver", c->mem_driver);
	rte_tel_data_add_dict_int(d, "socket", c->socket);
	rte_tel_data_add_dict_u64(d, "shards", svc->segments[seg].nb_shards);
	rte_tel_data_add_dict_u64(d, "size", c->size);
	rte_tel_data_add_dict_u64(d, "capacity", t.sum.capacity);
	rte_tel_data_add_dict_u64(d, "used", t.sum.allocated_bytes);
	rte_tel_data_add_dict_u64(d, "footprint", t.alloc.footprint_bytes);
	rte_tel_data_add_dict_u64(d, "free", t.sum.free_bytes);
	rte_tel_data_add_dict_u64(d, "largest_free", t.sum.largest_free);
	rte_tel_data_add_dict_u64(d, "live_buffers", t.sum.live_buffers);
	rte_tel_data_add_dict_u64(d, "view_version", v.version);
	add_transport(d, &svc->segments[seg].transport);
	ops = new_dict();
	if (ops != NULL) {
		rte_tel_data_add_dict_u64(ops, "allocs", t.sum.allocs);
		rte_tel_data_add_dict_u64(ops, "frees", t.sum.frees);
		rte_tel_data_add_dict_u64(ops, "forwarded", t.sum.forwarded);
		rte_tel_data_add_dict_u64(ops, "bursts", t.sum.bursts);
		add_container(d, "ops", ops);
	}
	add_alloc_metrics(d, &t.alloc, t.sum.free_rejected);
	return 0;
}

static int
cmd_shards(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	struct mk_shard_stats st[MK_WORKERS_MAX];
	int seg = segment_param(svc, params, "/mkalloc/shards,<name>", d);
	unsigned int n;

	if (seg < 0)
		return 0;
	n = (unsigned int)mk_service_shard_stats(svc, (unsigned int)seg, st, MK_WORKERS_MAX);
	if (n > MK_WORKERS_MAX)
		n = MK_WORKERS_MAX;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "segment", svc->segments[seg].conf.name);
	rte_tel_data_add_dict_u64(d, "count", n);
	/* one array per figure, index = shard: a dict per shard would not fit 64 shards */
	ADD_COLUMN(d, "lcore", st, lcore, n);
	ADD_COLUMN(d, "base", st, base, n);
	ADD_COLUMN(d, "capacity", st, capacity, n);
	ADD_COLUMN(d, "used", st, allocated_bytes, n);
	ADD_COLUMN(d, "free", st, free_bytes, n);
	ADD_COLUMN(d, "largest_free", st, largest_free, n);
	ADD_COLUMN(d, "live_buffers", st, live_buffers, n);
	ADD_COLUMN(d, "allocs", st, allocs, n);
	ADD_COLUMN(d, "frees", st, frees, n);
	ADD_COLUMN(d, "fail_nomem", st, fail_nomem, n);
	ADD_COLUMN(d, "forwarded", st, forwarded, n);
	ADD_COLUMN(d, "edge_free_low", st, edge_free_low, n);
	ADD_COLUMN(d, "edge_free_high", st, edge_free_high, n);
	ADD_COLUMN(d, "ceded", st, ceded_bytes, n);
	ADD_COLUMN(d, "adopted", st, adopted_bytes, n);
	return 0;
}

static int
cmd_shard(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	struct mk_shard_stats st[MK_WORKERS_MAX];
	struct mk_allocator_stats a;
	unsigned int k = 0;
	int seg = find_shard(svc, params, &k, d);

	if (seg < 0)
		return 0;
	mk_service_shard_stats(svc, (unsigned int)seg, st, k + 1);
	mk_allocator_stats(svc->segments[seg].shards[k].alloc, &a);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "segment", svc->segments[seg].conf.name);
	rte_tel_data_add_dict_u64(d, "shard", k);
	rte_tel_data_add_dict_u64(d, "lcore", st[k].lcore);
	rte_tel_data_add_dict_string(d, "kind", mk_alloc_kind_name(a.kind));
	rte_tel_data_add_dict_u64(d, "base", st[k].base);
	rte_tel_data_add_dict_u64(d, "capacity", st[k].capacity);
	rte_tel_data_add_dict_u64(d, "used", st[k].allocated_bytes);
	rte_tel_data_add_dict_u64(d, "footprint", a.footprint_bytes);
	rte_tel_data_add_dict_u64(d, "free", st[k].free_bytes);
	rte_tel_data_add_dict_u64(d, "largest_free", st[k].largest_free);
	rte_tel_data_add_dict_u64(d, "live_buffers", st[k].live_buffers);
	rte_tel_data_add_dict_u64(d, "allocs", st[k].allocs);
	rte_tel_data_add_dict_u64(d, "frees", st[k].frees);
	rte_tel_data_add_dict_u64(d, "fail_nomem", st[k].fail_nomem);
	rte_tel_data_add_dict_u64(d, "fail_other", st[k].fail_other);
	rte_tel_data_add_dict_u64(d, "forwarded", st[k].forwarded);
	rte_tel_data_add_dict_u64(d, "bursts", st[k].bursts);
	rte_tel_data_add_dict_u64(d, "edge_free_low", st[k].edge_free_low);
	rte_tel_data_add_dict_u64(d, "edge_free_high", st[k].edge_free_high);
	rte_tel_data_add_dict_u64(d, "ceded", st[k].ceded_bytes);
	rte_tel_data_add_dict_u64(d, "adopted", st[k].adopted_bytes);
	add_alloc_metrics(d, &a, st[k].free_rejected);
	return 0;
}

static int
cmd_routing(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	struct mk_route_view v;
	struct rte_tel_data *order;
	int seg = segment_param(svc, params, "/mkalloc/routing,<name>", d);
	unsigned int n;

	if (seg < 0)
		return 0;
	mk_service_route_view(svc, (unsigned int)seg, &v);
	n = v.nb_shards < MK_WORKERS_MAX ? v.nb_shards : MK_WORKERS_MAX;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "segment", svc->segments[seg].conf.name);
	rte_tel_data_add_dict_int(d, "control", svc->conf.control);
	rte_tel_data_add_dict_int(d, "routing", svc->conf.routing);
	rte_tel_data_add_dict_u64(d, "version", v.version);
	rte_tel_data_add_dict_u64(d, "capacity", v.capacity);
	rte_tel_data_add_dict_u64(d, "in_transit", v.in_transit);
	rte_tel_data_add_dict_u64(d, "free", v.free_bytes);
	rte_tel_data_add_dict_u64(d, "largest_free", v.largest_free);
	rte_tel_data_add_dict_u64(d, "live_buffers", v.live_buffers);
	/* the view's order, largest free region first; routing picks the tightest that fits */
	order = new_dict();
	if (order != NULL) {
		ADD_COLUMN(order, "shard", v.shard, shard, n);
		ADD_COLUMN(order, "capacity", v.shard, capacity, n);
		ADD_COLUMN(order, "largest_free", v.shard, largest_free, n);
		ADD_COLUMN(order, "free", v.shard, free_bytes, n);
		ADD_COLUMN(order, "live_buffers", v.shard, live_buffers, n);
		add_container(d, "order", order);
	}
	return 0;
}

static const char *
reason_name(uint8_t reason)
{
	return reason == MK_MOVE_NEED ? "need" : reason == MK_MOVE_DRIFT ? "drift" : "?";
}

static int
cmd_rebalance(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	struct mk_rebalance_info in;
	struct rte_tel_data *last;
	int seg = segment_param(svc, params, "/mkalloc/rebalance,<name>", d);
	unsigned int i;

	if (seg < 0)
		return 0;
	mk_service_rebalance_info(svc, (unsigned int)seg, &in);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "segment", svc->segments[seg].conf.name);
	rte_tel_data_add_dict_int(d, "enabled", svc->conf.control && svc->conf.rebalance);
	rte_tel_data_add_dict_u64(d, "moves", in.moves);
	rte_tel_data_add_dict_u64(d, "moved_bytes", in.moved_bytes);
	rte_tel_data_add_dict_u64(d, "need_moves", in.need_moves);
	rte_tel_data_add_dict_u64(d, "drift_moves", in.drift_moves);
	rte_tel_data_add_dict_u64(d, "failed_moves", in.failed_moves);
	rte_tel_data_add_dict_u64(d, "waited", in.waited);
	rte_tel_data_add_dict_u64(d, "resent", in.resent);
	rte_tel_data_add_dict_u64(d, "wait_timeouts", in.wait_timeouts);
	rte_tel_data_add_dict_u64(d, "no_plan", in.no_plan);
	rte_tel_data_add_dict_u64(d, "waiting", in.waiting);
	rte_tel_data_add_dict_u64(d, "in_flight", in.in_flight);
	rte_tel_data_add_dict_u64(d, "ledger_mismatch", in.ledger_mismatch);
	/* the last moves, newest first, one array a figure */
	last = new_dict();
	if (last != NULL) {
		struct rte_tel_data *reason = rte_tel_data_alloc();

		ADD_COLUMN(last, "id", in.last, id, in.nb_last);
		ADD_COLUMN(last, "time_us", in.last, time_us, in.nb_last);
		ADD_COLUMN(last, "bytes", in.last, bytes, in.nb_last);
		ADD_COLUMN(last, "duration_us", in.last, duration_us, in.nb_last);
		if (reason != NULL) {
			rte_tel_data_start_array(reason, RTE_TEL_STRING_VAL);
			for (i = 0; i < in.nb_last; i++)
				rte_tel_data_add_array_string(reason, reason_name(in.last[i].reason));
			add_container(last, "reason", reason);
		}
		ADD_COLUMN(last, "from", in.last, from, in.nb_last);
		ADD_COLUMN(last, "to", in.last, to, in.nb_last);
		add_container(d, "last", last);
	}
	return 0;
}

static const char *
state_name(int state)
{
	switch (state) {
	case MK_SVC_CREATED: return "created";
	case MK_SVC_RUNNING: return "running";
	case MK_SVC_STOPPING: return "stopping";
	case MK_SVC_STOPPED: return "stopped";
	default: return "unknown";
	}
}

static unsigned int
digits(uint64_t v)
{
	unsigned int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* JSON bytes of a segment's transport keys in /mkalloc/config: its strings and ~100 more. */
static size_t
transport_bytes(const struct mk_segment *seg)
{
	return 100 + strlen(seg->conf.rdma_device) + strlen(seg->transport.endpoint);
}

/* JSON bytes of a segment's shard_base and shard_size arrays. */
static size_t
layout_bytes(const struct mk_segment *seg)
{
	size_t bytes = 40;
	unsigned int k;

	for (k = 0; k < seg->nb_shards; k++)
		bytes += digits(mk_shard_lo(seg, k)) + digits(mk_shard_len(seg, k)) + 4;
	return bytes;
}

/* One segment's configuration (workers resolved) and, if @p layout, where its shards lie. */
static struct rte_tel_data *
segment_conf(const struct mk_segment *seg, bool layout)
{
	const struct mk_segment_conf *c = &seg->conf;
	struct rte_tel_data *s = new_dict(), *w;
	unsigned int k;

	if (s == NULL)
		return NULL;
	rte_tel_data_add_dict_string(s, "name", c->name);
	rte_tel_data_add_dict_u64(s, "size", c->size);
	rte_tel_data_add_dict_string(s, "kind", mk_alloc_kind_name(c->kind));
	rte_tel_data_add_dict_string(s, "mem_driver", c->mem_driver);
	rte_tel_data_add_dict_int(s, "socket", c->socket);
	rte_tel_data_add_dict_string(s, "rdma_device", c->rdma_device[0] != '\0' ?
		c->rdma_device : "none");
	rte_tel_data_add_dict_u64(s, "rdma_port", c->rdma_port != 0 ? c->rdma_port :
		MK_TRANSPORT_PORT_DEFAULT);
	rte_tel_data_add_dict_string(s, "endpoint", seg->transport.endpoint);
	rte_tel_data_add_dict_string(s, "transport", mk_transport_driver_name(&seg->transport));
	rte_tel_data_add_dict_string(s, "rdma_state", mk_transport_state_name(
		seg->transport.state));
	w = rte_tel_data_alloc();
	if (w != NULL) {
		rte_tel_data_start_array(w, RTE_TEL_U64_VAL);
		for (k = 0; k < c->nb_workers && k < MK_WORKERS_MAX; k++)
			rte_tel_data_add_array_u64(w, c->workers[k]);
		add_container(s, "workers", w);
	}
	if (layout) {
		uint64_t base[MK_WORKERS_MAX], size[MK_WORKERS_MAX];

		/* where the boundaries are now: rebalancing moves them */
		for (k = 0; k < seg->nb_shards; k++) {
			base[k] = mk_shard_lo(seg, k);
			size[k] = mk_shard_lo(seg, k + 1) - base[k];
		}
		add_column(s, "shard_base", base, sizeof(base[0]), sizeof(base[0]), k);
		add_column(s, "shard_size", size, sizeof(size[0]), sizeof(size[0]), k);
	}
	return s;
}

static int
cmd_config(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	const struct mk_service_conf *c = &svc->conf;
	struct rte_tel_data *w, *segs;
	size_t layout = 0;
	unsigned int i;

	if (!no_param(params))
		return tel_error(d, "/mkalloc/config takes no parameter");
	/* the transport keys share the layouts' budget: worst case, 16 endpoints of 255 bytes */
	for (i = 0; i < svc->nb_segments; i++)
		layout += layout_bytes(&svc->segments[i]) + transport_bytes(&svc->segments[i]);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "state", state_name(atomic_load(&svc->state)));
	w = rte_tel_data_alloc();
	if (w != NULL) {
		rte_tel_data_start_array(w, RTE_TEL_U64_VAL);
		for (i = 0; i < c->nb_workers && i < MK_WORKERS_MAX; i++)
			rte_tel_data_add_array_u64(w, c->worker_lcores[i]);
		add_container(d, "workers", w);
	}
	rte_tel_data_add_dict_u64(d, "burst", c->burst);
	rte_tel_data_add_dict_u64(d, "client_depth", c->client_depth);
	rte_tel_data_add_dict_u64(d, "max_clients", c->max_clients);
	rte_tel_data_add_dict_string(d, "idle", c->idle_yield ? "yield" :
		c->idle_pause ? "pause" : "spin");
	rte_tel_data_add_dict_int(d, "control", c->control);
	rte_tel_data_add_dict_int(d, "control_lcore", c->control ? (int)c->control_lcore : -1);
	rte_tel_data_add_dict_u64(d, "control_period_us", c->control_period_us != 0 ?
		c->control_period_us : MK_CONTROL_PERIOD_US);
	rte_tel_data_add_dict_int(d, "routing", c->routing);
	rte_tel_data_add_dict_int(d, "rebalance", c->rebalance);
	rte_tel_data_add_dict_u64(d, "rebalance_wait_us", c->rebalance_wait_us != 0 ?
		c->rebalance_wait_us : MK_REBALANCE_WAIT_US);
	rte_tel_data_add_dict_u64(d, "rebalance_drift_pct", c->rebalance_drift_pct);
	rte_tel_data_add_dict_u64(d, "rebalance_cooldown_ms", c->rebalance_cooldown_ms);
	rte_tel_data_add_dict_string(d, "secondary_gone", c->secondary_keep ? "keep" : "release");
	rte_tel_data_add_dict_u64(d, "secondary_buffers", c->secondary_buffers);
	/* too many shards to list here: /mkalloc/shards has them, segment by segment */
	if (layout > CONFIG_LAYOUT_BUDGET)
		rte_tel_data_add_dict_string(d, "shard_layout", "see /mkalloc/shards,<name>");
	/* keyed by index: a segment name may hold characters that a key may not */
	segs = new_dict();
	if (segs != NULL) {
		for (i = 0; i < svc->nb_segments; i++) {
			char key[16];

			snprintf(key, sizeof(key), "%u", i);
			add_container(segs, key, segment_conf(&svc->segments[i],
				layout <= CONFIG_LAYOUT_BUDGET));
		}
		add_container(d, "segments", segs);
	}
	return 0;
}

static int
cmd_clients(const struct mk_service *svc, const char *params, struct rte_tel_data *d)
{
	struct rte_tel_data *slots;
	uint64_t answered = 0, submitted = 0;
	unsigned int i, open = 0;

	if (!no_param(params))
		return tel_error(d, "/mkalloc/clients takes no parameter");
	slots = new_dict();
	for (i = 0; i < MK_CLIENTS_MAX; i++) {
		const struct mk_client_slot *cs = &svc->clients[i];
		/* answers first: each was submitted before it was answered: no wrap */
		uint64_t ans = atomic_load(&cs->answered), sub = atomic_load(&cs->submitted);
		int state = atomic_load(&cs->state);
		struct rte_tel_data *one;
		unsigned int seg;
		char key[16];

		submitted += sub;
		answered += ans;
		if (i >= svc->conf.max_clients || state == MK_SLOT_FREE)
			continue;
		open++;
		seg = __atomic_load_n(&cs->segment, __ATOMIC_RELAXED);
		one = slots != NULL ? new_dict() : NULL;
		if (one == NULL)
			continue;
		rte_tel_data_add_dict_string(one, "segment", seg < svc->nb_segments ?
			svc->segments[seg].conf.name : "?");
		rte_tel_data_add_dict_string(one, "process", state == MK_SLOT_LOCAL ? "primary" :
			state == MK_SLOT_REMOTE ? "secondary" : "gone");
		if (state != MK_SLOT_LOCAL) {
			rte_tel_data_add_dict_int(one, "pid", cs->pid);
			rte_tel_data_add_dict_u64(one, "live_buffers", atomic_load(&cs->remote_live));
			rte_tel_data_add_dict_u64(one, "live_bytes", atomic_load(&cs->remote_bytes));
		}
		rte_tel_data_add_dict_u64(one, "submitted", sub);
		rte_tel_data_add_dict_u64(one, "in_flight", sub - ans);
		snprintf(key, sizeof(key), "%u", i);
		add_container(slots, key, one);
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "max_clients", svc->conf.max_clients);
	rte_tel_data_add_dict_u64(d, "open", open);
	rte_tel_data_add_dict_u64(d, "submitted", submitted);
	rte_tel_data_add_dict_u64(d, "in_flight", submitted > answered ? submitted - answered : 0);
	rte_tel_data_add_dict_u64(d, "dropped", atomic_load(&svc->dropped));
	rte_tel_data_add_dict_u64(d, "released_buffers", atomic_load(&svc->released_live));
	rte_tel_data_add_dict_u64(d, "released_bytes", atomic_load(&svc->released_bytes));
	rte_tel_data_add_dict_u64(d, "orphan_buffers", atomic_load(&svc->orphan_live));
	rte_tel_data_add_dict_u64(d, "orphan_bytes", atomic_load(&svc->orphan_bytes));
	add_container(d, "slots", slots);
	return 0;
}

/* --- registration ------------------------------------------------------------------------ */

#define TEL_CB(name) \
static int \
tel_##name(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d) \
{ \
	return with_service(cmd_##name, params, d); \
}

TEL_CB(segments)
TEL_CB(segment)
TEL_CB(shards)
TEL_CB(shard)
TEL_CB(routing)
TEL_CB(rebalance)
TEL_CB(config)
TEL_CB(clients)

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;	/* at most 63 characters: telemetry refuses longer */
} commands[] = {
	{ MK_TELEMETRY_PREFIX "segments", tel_segments, "Segment names. No parameter" },
	{ MK_TELEMETRY_PREFIX "segment", tel_segment, "A segment's figures. Parameter: name" },
	{ MK_TELEMETRY_PREFIX "shards", tel_shards, "A segment's shards, one array a figure."
		" Parameter: name" },
	{ MK_TELEMETRY_PREFIX "shard", tel_shard, "One shard. Parameter: <segment>:<shard id>" },
	{ MK_TELEMETRY_PREFIX "routing", tel_routing, "A segment's routing view. Parameter: name" },
	{ MK_TELEMETRY_PREFIX "rebalance", tel_rebalance, "A segment's capacity moves."
		" Parameter: name" },
	{ MK_TELEMETRY_PREFIX "config", tel_config, "Service configuration. No parameter" },
	{ MK_TELEMETRY_PREFIX "clients", tel_clients, "Client slots in use. No parameter" },
};

int
mk_telemetry_register(void)
{
	static pthread_mutex_t once = PTHREAD_MUTEX_INITIALIZER;
	static bool done;
	static int result;
	size_t i;

	pthread_mutex_lock(&once);
	for (i = 0; !done && i < RTE_DIM(commands); i++) {
		int rc = rte_telemetry_register_cmd(commands[i].cmd, commands[i].fn,
			commands[i].help);

		if (rc != 0 && result == 0) {
			RTE_LOG(WARNING, USER1, "mkalloc: telemetry command %s not registered:"
				" %s\n", commands[i].cmd, strerror(-rc));
			result = rc;
		}
	}
	done = true;
	pthread_mutex_unlock(&once);
	return result;
}
