/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "telemetry": the /mkalloc/ commands read the way users read them. A service with a
 * control lcore runs in this process, with buffers whose sizes the suite knows; the stock
 * dpdk-telemetry.py (Debian's dpdk-dev) reads every command and the figures are checked
 * against what the suite allocated; malformed parameters are fuzzed over the v2 socket and
 * through the stock client, and the service must still serve; telemetry threads read while
 * the service is destroyed and created again; usertools/mkalloc-top reads this process.
 * Replies are parsed with cJSON. Waits are bounded and wait for a condition, never a time.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <rte_common.h>
#include <rte_eal.h>

#include "mk_client.h"
#include "mk_service.h"
#include "mk_telemetry.h"
#include "mk_test.h"
#include "mk_test_eal.h"
#include "mk_test_telemetry.h"

#define MiB		(UINT64_C(1) << 20)
/* What one telemetry answer may hold: DPDK's MAX_OUTPUT_LEN. */
#define REPLY_MAX	16384
/* The error of a process with no service. */
#define NO_SERVICE	"no mkalloc service in this process"
/* Services destroyed and made again under the readers of the lifetime test, and the readers
 * (telemetry takes 10 connections at most): without the lifetime guard, a reader crashes in
 * most runs of these. */
#define LIFETIME_CYCLES	40
#define READERS		6

const char *const mk_test_tel_commands[MK_TEST_TEL_COMMANDS] = {
	"/mkalloc/segments", "/mkalloc/segment", "/mkalloc/shards", "/mkalloc/shard",
	"/mkalloc/routing", "/mkalloc/config", "/mkalloc/clients", "/mkalloc/rebalance",
};

/* The suite's service and what it allocated. */
static struct mk_service *svc;
static struct mk_client *cl_off, *cl_slab;
static struct mk_buffer bufs[8];
static unsigned int nb_bufs;
static const uint64_t off_sizes[] = { 1000, 4096, 65536, MiB, 3 * MiB };
static const uint64_t slab_sizes[] = { 100, 200000 };

static int
suite_init(void)
{
	if (mk_test_eal_up() != 0)
		return -1;
	/* mk_service_create() registers them too; once per process either way */
	return mk_telemetry_register() == 0 ? 0 : -1;
}

static void
service_conf(struct mk_service_conf *conf)
{
	mk_test_service_conf(conf, 2);
	conf->control = true;
	conf->control_lcore = mk_lcore_nth(2);
	conf->routing = true;
}

static void
service_down(void)
{
	unsigned int i;

	for (i = 0; i < nb_bufs; i++)
		mk_client_free(i < RTE_DIM(off_sizes) ? cl_off : cl_slab, &bufs[i]);
	nb_bufs = 0;
	mk_client_close(cl_off);
	mk_client_close(cl_slab);
	cl_off = cl_slab = NULL;
	if (svc != NULL) {
		CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
		mk_service_destroy(svc);
		svc = NULL;
	}
}

static int
suite_cleanup(void)
{
	service_down();
	return 0;
}

/*
 * The known state: on "off" the buffers of off_sizes, one of 8 KiB made and freed, one of
 * 30 MiB refused by both 24 MiB shards, without waiting for a move that would make room; on
 * "slab" those of slab_sizes. Then a bounded wait
 * for the control lcore to publish a view that shows them.
 */
static void
service_up(void)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	struct mk_service_conf conf;
	struct mk_route_view v;
	struct mk_buffer b;
	char err[256] = "";
	unsigned int i, waited;

	service_conf(&conf);
	svc = mk_service_create(&conf, err, sizeof(err));
	if (svc == NULL)
		fprintf(stderr, "mk_service_create: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	CU_ASSERT_EQUAL_FATAL(mk_service_start(svc), 0);
	cl_off = mk_client_open("off");
	cl_slab = mk_client_open("slab");
	CU_ASSERT_FATAL(cl_off != NULL && cl_slab != NULL);
	for (i = 0; i < RTE_DIM(off_sizes); i++)
		CU_ASSERT_EQUAL(mk_client_alloc(cl_off, off_sizes[i], 0, &bufs[nb_bufs++]), 0);
	for (i = 0; i < RTE_DIM(slab_sizes); i++)
		CU_ASSERT_EQUAL(mk_client_alloc(cl_slab, slab_sizes[i], 0, &bufs[nb_bufs++]), 0);
	CU_ASSERT_EQUAL(mk_client_alloc(cl_off, 8192, 0, &b), 0);
	CU_ASSERT_EQUAL(mk_client_free(cl_off, &b), 0);
	CU_ASSERT_EQUAL(mk_client_alloc_flags(cl_off, 30 * MiB, 0, MK_CLIENT_NOWAIT, &b), -ENOMEM);
	for (waited = 0; waited < 5000; waited++) {
		mk_service_route_view(svc, 0, &v);
		if (v.version > 0 && v.live_buffers == RTE_DIM(off_sizes))
			break;
		nanosleep(&tick, NULL);
	}
	CU_ASSERT_EQUAL(v.live_buffers, RTE_DIM(off_sizes));
}

struct mk_client *
mk_test_tel_service(void)
{
	if (svc == NULL)
		service_up();
	return cl_off;
}

/* --- the v2 socket ----------------------------------------------------------------------- */

/* A connection to this process's telemetry socket, past its hello; -1 on failure. */
int
mk_test_tel_open(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval guard = { .tv_sec = 30 };	/* a hung reply fails, never blocks */
	char hello[1024];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		rte_eal_get_runtime_dir());
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof(guard));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0 ||
	    (n = recv(fd, hello, sizeof(hello) - 1, 0)) <= 0) {
		fprintf(stderr, "telemetry socket %s: %s\n", sun.sun_path, strerror(errno));
		close(fd);
		return -1;
	}
	hello[n] = '\0';
	if (strstr(hello, "\"max_output_len\"") == NULL) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One command and its reply, parsed; NULL when the reply is missing or not JSON. */
cJSON *
mk_test_tel_query(int fd, const char *cmd, size_t len)
{
	char reply[REPLY_MAX + 1];
	ssize_t n;

	if (send(fd, cmd, len, 0) != (ssize_t)len)
		return NULL;
	n = recv(fd, reply, REPLY_MAX, 0);
	if (n <= 0)
		return NULL;
	reply[n] = '\0';
	return cJSON_Parse(reply);
}

/* The answer in a reply {"<cmd>": answer}, or NULL when it is not of that shape. */
const cJSON *
mk_test_tel_answer(const cJSON *reply, const char *cmd)
{
	if (!cJSON_IsObject(reply) || cJSON_GetArraySize(reply) != 1)
		return NULL;
	return cJSON_GetObjectItemCaseSensitive(reply, cmd);
}

/* The one-line reason of an error answer, or NULL when the answer is not an error. */
const char *
mk_test_tel_error(const cJSON *answer)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(answer, MK_TELEMETRY_ERROR_KEY);

	return cJSON_IsObject(answer) && cJSON_IsString(e) ? e->valuestring : NULL;
}

/* A number at a path of object keys ("ops.allocs"); UINT64_MAX when it is not there. */
static uint64_t
num(const cJSON *o, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = cJSON_GetObjectItemCaseSensitive(o, key);
		path = dot + 1;
	}
	o = cJSON_GetObjectItemCaseSensitive(o, path);
	if (!cJSON_IsNumber(o)) {
		fprintf(stderr, "telemetry answer: no number '%s'\n", path);
		return UINT64_MAX;
	}
	return (uint64_t)o->valuedouble;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(s) ? s->valuestring : "";
}

/* Element @p i of the number array @p key; UINT64_MAX when it is not there. */
static uint64_t
at(const cJSON *o, const char *key, int i)
{
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, key), i);

	return cJSON_IsNumber(e) ? (uint64_t)e->valuedouble : UINT64_MAX;
}

static int
len_of(const cJSON *o, const char *key)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsArray(a) ? cJSON_GetArraySize(a) : -1;
}

/* --- the stock client -------------------------------------------------------------------- */

/*
 * Run dpdk-telemetry.py on this process with @p n command lines; its replies, one JSON line
 * each, parsed into @p out (NULL where a line is not JSON). It exits 0 even when it could not
 * connect, so the count of lines is what tells. Returns the lines read.
 */
unsigned int
mk_test_tel_stock(const char *const *cmds, unsigned int n, cJSON **out)
{
	char path[] = "/tmp/mkt-telemetry-XXXXXX", shell[256];
	char *line = NULL;
	size_t cap = 0;
	unsigned int i, got = 0;
	FILE *f, *p;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	f = fdopen(fd, "w");
	for (i = 0; i < n; i++)
		fprintf(f, "%s\n", cmds[i]);
	fclose(f);
	snprintf(shell, sizeof(shell), "dpdk-telemetry.py -f %s < %s 2>&1",
		mk_test_eal_prefix(), path);
	p = popen(shell, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	while (getline(&line, &cap, p) > 0) {
		if (got < n)
			out[got] = cJSON_Parse(line);
		if (got < n && out[got] == NULL)
			fprintf(stderr, "dpdk-telemetry.py: %s", line);
		got++;
	}
	free(line);
	CU_ASSERT_EQUAL(WEXITSTATUS(pclose(p)), 0);
	unlink(path);
	return got;
}

/* --- tests ------------------------------------------------------------------------------- */

static void
test_no_service(void)
{
	int fd = mk_test_tel_open();
	const char *e;
	cJSON *r;

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_PTR_NULL(mk_service_get());
	r = mk_test_tel_query(fd, "/mkalloc/segment,off", 20);
	e = mk_test_tel_error(mk_test_tel_answer(r, "/mkalloc/segment"));
	CU_ASSERT_STRING_EQUAL(e != NULL ? e : "(no error)", NO_SERVICE);
	cJSON_Delete(r);
	close(fd);
}

static void
test_socket_owner_only(void)
{
	char sock[PATH_MAX];
	struct stat dir, s;

	CU_ASSERT_FATAL(stat(rte_eal_get_runtime_dir(), &dir) == 0);
	snprintf(sock, sizeof(sock), "%s/dpdk_telemetry.v2", rte_eal_get_runtime_dir());
	CU_ASSERT_FATAL(stat(sock, &s) == 0);
	CU_ASSERT(S_ISSOCK(s.st_mode));
	/* a socket is reached through its directory: that one is the owner's alone */
	CU_ASSERT_EQUAL(dir.st_uid, geteuid());
	CU_ASSERT_EQUAL(s.st_uid, geteuid());
	CU_ASSERT_EQUAL(dir.st_mode & 077, 0);
	printf("\n    runtime dir %s mode %03o, socket mode %03o\n", rte_eal_get_runtime_dir(),
		(unsigned int)dir.st_mode & 0777, (unsigned int)s.st_mode & 0777);
}

static void
check_segment_off(const cJSON *a)
{
	uint64_t used = 0, k, hist = 0;
	unsigned int i;

	for (i = 0; i < RTE_DIM(off_sizes); i++)
		used += off_sizes[i];
	CU_ASSERT_STRING_EQUAL(str(a, "name"), "off");
	CU_ASSERT_STRING_EQUAL(str(a, "kind"), "offset");
	CU_ASSERT_STRING_EQUAL(str(a, "mem_driver"), "memzone");
	CU_ASSERT_EQUAL(num(a, "shards"), 2);
	CU_ASSERT_EQUAL(num(a, "size"), 48 * MiB);
	CU_ASSERT_EQUAL(num(a, "capacity"), 48 * MiB);
	CU_ASSERT_EQUAL(num(a, "used"), used);
	CU_ASSERT_EQUAL(num(a, "footprint"), used);	/* offset: exact sizes */
	CU_ASSERT_EQUAL(num(a, "free"), 48 * MiB - used);
	/* some shard kept at least its share of the free bytes */
	CU_ASSERT(num(a, "largest_free") <= 24 * MiB);
	CU_ASSERT(num(a, "largest_free") >= 24 * MiB - used);
	CU_ASSERT_EQUAL(num(a, "live_buffers"), RTE_DIM(off_sizes));
	CU_ASSERT(num(a, "view_version") > 0);
	CU_ASSERT_EQUAL(num(a, "ops.allocs"), RTE_DIM(off_sizes) + 1);
	CU_ASSERT_EQUAL(num(a, "ops.frees"), 1);
	/* 30 MiB: each 24 MiB shard said it is too big for it */
	CU_ASSERT_EQUAL(num(a, "failures.e2big"), 2);
	CU_ASSERT_EQUAL(num(a, "failures.nomem"), 0);
	CU_ASSERT_EQUAL(num(a, "failures.free_rejected"), 0);
	CU_ASSERT_EQUAL(len_of(a, "size_hist"), 64);
	for (k = 0; k < 64; k++)
		hist += at(a, "size_hist", (int)k);
	CU_ASSERT_EQUAL(hist, RTE_DIM(off_sizes) + 1);
	/* bucket k: [2^k, 2^(k+1)) */
	CU_ASSERT_EQUAL(at(a, "size_hist", 9), 1);	/* 1000 */
	CU_ASSERT_EQUAL(at(a, "size_hist", 12), 1);	/* 4096 */
	CU_ASSERT_EQUAL(at(a, "size_hist", 13), 1);	/* 8192, freed since */
	CU_ASSERT_EQUAL(at(a, "size_hist", 21), 1);	/* 3 MiB */
}

static void
check_shards_off(const cJSON *a, const cJSON *segment)
{
	CU_ASSERT_STRING_EQUAL(str(a, "segment"), "off");
	CU_ASSERT_EQUAL(num(a, "count"), 2);
	CU_ASSERT_EQUAL(len_of(a, "capacity"), 2);
	CU_ASSERT_EQUAL(at(a, "lcore", 0), mk_lcore_nth(0));
	CU_ASSERT_EQUAL(at(a, "lcore", 1), mk_lcore_nth(1));
	CU_ASSERT_EQUAL(at(a, "base", 0), 0);
	CU_ASSERT_EQUAL(at(a, "base", 1), 24 * MiB);
	CU_ASSERT_EQUAL(at(a, "capacity", 0) + at(a, "capacity", 1), 48 * MiB);
	CU_ASSERT_EQUAL(at(a, "live_buffers", 0) + at(a, "live_buffers", 1),
		num(segment, "live_buffers"));
	CU_ASSERT_EQUAL(at(a, "used", 0) + at(a, "used", 1), num(segment, "used"));
	CU_ASSERT_EQUAL(at(a, "free", 0) + at(a, "free", 1), num(segment, "free"));
	CU_ASSERT_EQUAL(at(a, "allocs", 0) + at(a, "allocs", 1), num(segment, "ops.allocs"));
	CU_ASSERT_EQUAL(RTE_MAX(at(a, "largest_free", 0), at(a, "largest_free", 1)),
		num(segment, "largest_free"));
	CU_ASSERT_EQUAL(at(a, "fail_nomem", 0) + at(a, "fail_nomem", 1), 2);
}

static void
check_config(const cJSON *a)
{
	const cJSON *s0 = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(a, "segments"), "0");
	const cJSON *s1 = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(a, "segments"), "1");

	CU_ASSERT_STRING_EQUAL(str(a, "state"), "running");
	CU_ASSERT_EQUAL(at(a, "workers", 0), mk_lcore_nth(0));
	CU_ASSERT_EQUAL(at(a, "workers", 1), mk_lcore_nth(1));
	CU_ASSERT_EQUAL(num(a, "burst"), 32);
	CU_ASSERT_EQUAL(num(a, "client_depth"), 256);
	CU_ASSERT_EQUAL(num(a, "max_clients"), 16);
	CU_ASSERT_STRING_EQUAL(str(a, "idle"), "yield");
	CU_ASSERT_EQUAL(num(a, "control"), 1);
	CU_ASSERT_EQUAL(num(a, "control_lcore"), mk_lcore_nth(2));
	CU_ASSERT_EQUAL(num(a, "control_period_us"), 200);
	CU_ASSERT_EQUAL(num(a, "routing"), 1);
	CU_ASSERT_STRING_EQUAL(str(s0, "name"), "off");
	CU_ASSERT_STRING_EQUAL(str(s0, "kind"), "offset");
	CU_ASSERT_EQUAL(num(s0, "size"), 48 * MiB);
	CU_ASSERT_EQUAL(at(s0, "workers", 1), mk_lcore_nth(1));
	CU_ASSERT_EQUAL(at(s0, "shard_base", 1), 24 * MiB);
	CU_ASSERT_EQUAL(at(s0, "shard_size", 0), 24 * MiB);
	CU_ASSERT_STRING_EQUAL(str(s1, "name"), "slab");
	CU_ASSERT_STRING_EQUAL(str(s1, "mem_driver"), "anon");
	CU_ASSERT_EQUAL(at(s1, "shard_size", 0) + at(s1, "shard_size", 1), 32 * MiB);
}

/* Every command through dpdk-telemetry.py, each answer against what the suite knows. */
static void
test_stock_client(void)
{
	static const char *const cmds[] = {
		"/", "/mkalloc/segments", "/mkalloc/segment,off", "/mkalloc/segment,slab",
		"/mkalloc/shards,off", "/mkalloc/shard,off:1", "/mkalloc/routing,off",
		"/mkalloc/config", "/mkalloc/clients", "/help,/mkalloc/shard",
		"/mkalloc/rebalance,off",
		/* 11..: each an error object */
		"/mkalloc/segment", "/mkalloc/segment,offx", "/mkalloc/shard,off",
		"/mkalloc/shard,off:2", "/mkalloc/shard,off:1x", "/mkalloc/shard,:0",
		"/mkalloc/shards,abcdefghijklmnopqrstuvwxyz", "/mkalloc/config,x",
		"/mkalloc/routing,", "/mkalloc/rebalance", "/mkalloc/rebalance,off,x",
	};
	cJSON *r[RTE_DIM(cmds)] = { NULL };
	const cJSON *a, *list;
	unsigned int i, got;

	if (svc == NULL)
		service_up();
	got = mk_test_tel_stock(cmds, RTE_DIM(cmds), r);
	CU_ASSERT_EQUAL_FATAL(got, RTE_DIM(cmds));
	for (i = 0; i < RTE_DIM(cmds); i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(r[i]);

	list = cJSON_GetObjectItemCaseSensitive(r[0], "/");
	for (i = 0; i < MK_TEST_TEL_COMMANDS; i++) {
		const cJSON *c;
		bool found = false;

		cJSON_ArrayForEach(c, list)
			found |= cJSON_IsString(c) &&
				strcmp(c->valuestring, mk_test_tel_commands[i]) == 0;
		CU_ASSERT(found);
	}
	a = mk_test_tel_answer(r[1], "/mkalloc/segments");
	CU_ASSERT_FATAL(cJSON_IsArray(a) && cJSON_GetArraySize(a) == 2);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(a, 0)), "off");
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(a, 1)), "slab");
	check_segment_off(mk_test_tel_answer(r[2], "/mkalloc/segment"));

	a = mk_test_tel_answer(r[3], "/mkalloc/segment");
	CU_ASSERT_STRING_EQUAL(str(a, "kind"), "slab");
	CU_ASSERT_EQUAL(num(a, "capacity"), 32 * MiB);
	CU_ASSERT_EQUAL(num(a, "used"), slab_sizes[0] + slab_sizes[1]);
	CU_ASSERT(num(a, "footprint") >= slab_sizes[0] + slab_sizes[1]);
	CU_ASSERT_EQUAL(num(a, "live_buffers"), RTE_DIM(slab_sizes));

	check_shards_off(mk_test_tel_answer(r[4], "/mkalloc/shards"),
		mk_test_tel_answer(r[2], "/mkalloc/segment"));
	a = mk_test_tel_answer(r[5], "/mkalloc/shard");
	CU_ASSERT_EQUAL(num(a, "shard"), 1);
	CU_ASSERT_EQUAL(num(a, "base"), 24 * MiB);
	CU_ASSERT_EQUAL(num(a, "capacity"), 24 * MiB);
	CU_ASSERT_EQUAL(num(a, "lcore"), mk_lcore_nth(1));
	CU_ASSERT_EQUAL(num(a, "failures.e2big"), 1);
	CU_ASSERT_EQUAL(len_of(a, "size_hist"), 64);

	a = mk_test_tel_answer(r[6], "/mkalloc/routing");
	CU_ASSERT(num(a, "version") > 0);
	CU_ASSERT_EQUAL(num(a, "routing"), 1);
	CU_ASSERT_EQUAL(num(a, "capacity"), 48 * MiB);
	CU_ASSERT_EQUAL(num(a, "live_buffers"), RTE_DIM(off_sizes));
	a = cJSON_GetObjectItemCaseSensitive(a, "order");
	CU_ASSERT_EQUAL(at(a, "shard", 0) + at(a, "shard", 1), 1);	/* 0 and 1 */
	CU_ASSERT(at(a, "largest_free", 0) >= at(a, "largest_free", 1));

	check_config(mk_test_tel_answer(r[7], "/mkalloc/config"));
	a = mk_test_tel_answer(r[8], "/mkalloc/clients");
	CU_ASSERT_EQUAL(num(a, "open"), 2);
	CU_ASSERT_EQUAL(num(a, "in_flight"), 0);
	CU_ASSERT_EQUAL(num(a, "submitted"), RTE_DIM(off_sizes) + RTE_DIM(slab_sizes) + 3);
	CU_ASSERT_EQUAL(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "slots")), 2);
	a = mk_test_tel_answer(r[9], "/help");
	CU_ASSERT(strstr(str(a, "/mkalloc/shard"), "shard id") != NULL);
	/* the 30 MiB allocation did not wait: nothing moved */
	a = mk_test_tel_answer(r[10], "/mkalloc/rebalance");
	CU_ASSERT_STRING_EQUAL(str(a, "segment"), "off");
	CU_ASSERT_EQUAL(num(a, "enabled"), 1);
	CU_ASSERT_EQUAL(num(a, "moves"), 0);
	CU_ASSERT_EQUAL(num(a, "waited"), 0);
	CU_ASSERT_EQUAL(num(a, "ledger_mismatch"), 0);
	CU_ASSERT_EQUAL(len_of(cJSON_GetObjectItemCaseSensitive(a, "last"), "bytes"), 0);

	for (i = 11; i < RTE_DIM(cmds); i++) {
		char cmd[64];
		const char *e;

		snprintf(cmd, sizeof(cmd), "%.*s", (int)strcspn(cmds[i], ","), cmds[i]);
		e = mk_test_tel_error(mk_test_tel_answer(r[i], cmd));
		CU_ASSERT_PTR_NOT_NULL(e);
		printf("%s    %s -> %s", i == 11 ? "\n" : "", cmds[i], e != NULL ? e : "(none)\n");
		printf("\n");
	}
	for (i = 0; i < RTE_DIM(cmds); i++)
		cJSON_Delete(r[i]);
}

/* --- lifetime ---------------------------------------------------------------------------- */

struct reader {
	_Atomic bool *stop;
	unsigned long answers, no_service, other_errors, bad;
};

/*
 * Good commands, one after the other, until told to stop: every reply must be JSON with the
 * command's answer: a value, or the error of there being no service. DPDK 22.11 splits a
 * command from its parameter with strtok(), which telemetry threads share, so a parameter
 * may now and then come from the other reader's command: an error answer then is no fault.
 */
static void *
reader_main(void *arg)
{
	static const char *const good[] = {
		"/mkalloc/segments", "/mkalloc/segment,off", "/mkalloc/shards,slab",
		"/mkalloc/shard,off:1", "/mkalloc/routing,off", "/mkalloc/config",
		"/mkalloc/clients", "/mkalloc/rebalance,off",
	};
	struct reader *rd = arg;
	unsigned int i = 0;
	int fd = mk_test_tel_open();

	rd->bad += fd < 0;
	while (fd >= 0 && !atomic_load(rd->stop)) {
		const char *msg = good[i++ % RTE_DIM(good)];
		char cmd[32];
		cJSON *r = mk_test_tel_query(fd, msg, strlen(msg));
		const cJSON *a;
		const char *e;

		snprintf(cmd, sizeof(cmd), "%.*s", (int)strcspn(msg, ","), msg);
		a = mk_test_tel_answer(r, cmd);
		e = mk_test_tel_error(a);
		if (a == NULL || cJSON_IsNull(a))
			rd->bad++;
		else if (e == NULL)
			rd->answers++;
		else if (strcmp(e, NO_SERVICE) == 0)
			rd->no_service++;
		else
			rd->other_errors++;
		cJSON_Delete(r);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* Services destroyed and made again while telemetry threads read them. */
static void
test_lifetime(void)
{
	_Atomic bool stop = false;
	struct reader rd[READERS];
	pthread_t th[READERS];
	unsigned int i;

	memset(rd, 0, sizeof(rd));
	for (i = 0; i < READERS; i++)
		rd[i].stop = &stop;
	for (i = 0; i < RTE_DIM(th); i++)
		CU_ASSERT_EQUAL_FATAL(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
	for (i = 0; i < LIFETIME_CYCLES; i++) {
		service_down();
		service_up();
	}
	service_down();
	atomic_store(&stop, true);
	for (i = 0; i < RTE_DIM(th); i++) {
		pthread_join(th[i], NULL);
		CU_ASSERT_EQUAL(rd[i].bad, 0);
		printf("\n    reader %u: %lu answers, %lu 'no service', %lu other errors", i,
			rd[i].answers, rd[i].no_service, rd[i].other_errors);
	}
	printf("\n");
	CU_ASSERT_PTR_NULL(mk_service_get());
}

/* --- usertools/mkalloc-top --------------------------------------------------------------- */

static const char *
usertools(void)
{
	const char *dir = getenv("MK_TEST_USERTOOLS");

#ifdef MK_TEST_USERTOOLS
	if (dir == NULL)
		dir = MK_TEST_USERTOOLS;
#endif
	return dir;
}

/* Run mkalloc-top with @p args on this process; its stdout and stderr in @p out. */
static int
run_top(const char *args, char *out, size_t cap)
{
	char shell[512];
	size_t n = 0;
	FILE *p;

	snprintf(shell, sizeof(shell), "%s/mkalloc-top %s 2>&1", usertools(), args);
	p = popen(shell, "r");
	if (p == NULL)
		return -1;
	while (n + 1 < cap && fgets(out + n, (int)(cap - n), p) != NULL)
		n += strlen(out + n);
	out[n] = '\0';
	return WEXITSTATUS(pclose(p));
}

static void
test_top(void)
{
	static char out[1 << 16];
	char args[128];
	const cJSON *seg;
	cJSON *j;

	CU_ASSERT_PTR_NOT_NULL_FATAL(usertools());
	if (svc == NULL)
		service_up();
	snprintf(args, sizeof(args), "--once --interval 0.2 -f %s", mk_test_eal_prefix());
	CU_ASSERT_EQUAL(run_top(args, out, sizeof(out)), 0);
	printf("\n%s", out);
	CU_ASSERT(strstr(out, "off") != NULL && strstr(out, "slab") != NULL);
	CU_ASSERT(strstr(out, "48.0M") != NULL && strstr(out, "32.0M") != NULL);
	CU_ASSERT(strstr(out, "offset") != NULL);

	snprintf(args, sizeof(args), "--json --interval 0.2 -f %s", mk_test_eal_prefix());
	CU_ASSERT_EQUAL(run_top(args, out, sizeof(out)), 0);
	j = cJSON_Parse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(j);
	seg = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "segments"),
		"off");
	CU_ASSERT_EQUAL(num(seg, "segment.capacity"), 48 * MiB);
	CU_ASSERT_EQUAL(num(seg, "segment.live_buffers"), RTE_DIM(off_sizes));
	CU_ASSERT_EQUAL(num(seg, "shards.count"), 2);
	CU_ASSERT(num(seg, "rates.allocs_per_s") != UINT64_MAX);
	cJSON_Delete(j);

	/* nobody there: a one-line reason, exit 1 */
	snprintf(args, sizeof(args), "--once -f %s-none", mk_test_eal_prefix());
	CU_ASSERT_EQUAL(run_top(args, out, sizeof(out)), 1);
	CU_ASSERT(strstr(out, "mkalloc-top:") != NULL && strchr(out, '\n') == strrchr(out, '\n'));
}

int
test_telemetry_register(void)
{
	CU_pSuite s = CU_add_suite("telemetry", suite_init, suite_cleanup);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "no_service", test_no_service) == NULL ||
	    CU_add_test(s, "socket_owner_only", test_socket_owner_only) == NULL ||
	    CU_add_test(s, "stock_client", test_stock_client) == NULL ||
	    test_telemetry_fuzz_add(s) != 0 ||
	    CU_add_test(s, "mkalloc_top", test_top) == NULL ||
	    CU_add_test(s, "lifetime", test_lifetime) == NULL)
		return -1;
	return 0;
}
