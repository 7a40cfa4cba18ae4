/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "secondary": clients in real DPDK secondary processes. This process is the primary
 * (the EAL fixture in shared mode: hugepages, no --in-memory); each test starts this same
 * program as a secondary (mkalloc-test --secondary-child PREFIX SCENARIO ...), or the
 * mkalloc-client tool, and checks the primary's accounting:
 *  - basic: a secondary attaches, allocates, writes, reads the primary's buffer, frees, and
 *    is refused a free of the primary's buffer (-EPERM) and a client on an anon segment;
 *  - crafted: a secondary puts malformed requests straight on a worker's ring: each one
 *    with its token gets an error completion, the others are dropped and counted;
 *  - kill: a secondary holding buffers gets SIGKILL mid-traffic: the primary releases them
 *    (or keeps them, by its configuration) and its figures add up;
 *  - tool: mkalloc-client's commands and JSON lines; no primary: a clear error.
 * Without free hugepages every test says why it is skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_eal.h"
#include "mk_secondary.h"
#include "mk_service_pvt.h"
#include "mk_test.h"
#include "mk_test_eal.h"

#define MiB (UINT64_C(1) << 20)
/* Buffers the "hold" secondary keeps before it is killed. */
#define HOLD 50
#define WAIT_MS_MAX 20000

static struct mk_service *svc;

static int
suite_init(void)
{
	return mk_test_eal_up() == 0 ? 0 : -1;
}

static bool
skipped(void)
{
	if (mk_test_eal_hugepages())
		return false;
	printf("\n    skipped: secondary processes need hugepages and a primary without"
		" --in-memory; no hugepage is free here\n");
	return true;
}

static void
service_up(bool keep)
{
	struct mk_service_conf conf;

	mk_test_service_conf_control(&conf, 2);
	conf.secondary_keep = keep;
	svc = mk_test_service_start(&conf);
}

static void
service_down(uint64_t leaked)
{
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), leaked);
	CU_ASSERT_EQUAL(mk_service_check(svc), 0);
	mk_service_destroy(svc);
	svc = NULL;
}

/* Start this program as a secondary running @p scenario; its stdout comes through @p out. */
static pid_t
spawn(const char *const *args, FILE **out)
{
	int fd[2];
	pid_t pid;

	if (pipe(fd) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		execv(args[0], (char *const *)args);
		_exit(127);
	}
	close(fd[1]);
	*out = fdopen(fd[0], "r");
	return pid;
}

static pid_t
spawn_child(const char *scenario, const char *arg1, const char *arg2, FILE **out)
{
	const char *args[] = {
		"/proc/self/exe", "--secondary-child", mk_test_eal_prefix(), scenario, arg1,
		arg2, NULL,
	};

	return spawn(args, out);
}

static int
wait_exit(pid_t pid)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Print what a child wrote, each line indented; returns the lines. */
static unsigned int
echo_lines(FILE *f)
{
	char line[512];
	unsigned int n = 0;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		printf("      %s", line);
		n++;
	}
	if (f != NULL)
		fclose(f);
	return n;
}

static uint64_t
segment_live(void)
{
	struct mk_shard_stats st[2];
	int k, n = mk_service_shard_stats(svc, 0, st, 2);
	uint64_t live = 0;

	for (k = 0; k < n; k++)
		live += st[k].live_buffers;
	return live;
}

/* Bounded wait for the control lcore to reap every gone slot. */
static bool
wait_reaped(void)
{
	const struct timespec tick = { .tv_nsec = 1000000 };
	unsigned int ms, i;

	for (ms = 0; ms < WAIT_MS_MAX; ms++) {
		bool busy = false;

		for (i = 0; i < MK_CLIENTS_MAX; i++)
			busy |= atomic_load(&svc->clients[i].state) >= MK_SLOT_REMOTE;
		if (!busy)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

static void
test_basic(void)
{
	struct mk_client *c;
	struct mk_buffer mine;
	char off[32], size[32];
	FILE *out = NULL;
	pid_t pid;

	if (skipped())
		return;
	service_up(false);
	c = mk_client_open("off");
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_EQUAL_FATAL(mk_client_alloc(c, 4096, 0, &mine), 0);
	snprintf(mine.data, mine.size, "primary %d", (int)getpid());
	snprintf(off, sizeof(off), "%" PRIu64, mine.offset);
	snprintf(size, sizeof(size), "%" PRIu64, mine.size);
	pid = spawn_child("basic", off, size, &out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(echo_lines(out) > 0);
	CU_ASSERT_EQUAL(wait_exit(pid), 0);
	CU_ASSERT(wait_reaped());
	/* the secondary freed all it took; the primary's buffer is untouched and still its */
	CU_ASSERT_EQUAL(segment_live(), 1);
	CU_ASSERT_EQUAL(atomic_load(&svc->released_live), 0);
	CU_ASSERT(strstr(mine.data, "primary") == mine.data);
	CU_ASSERT_EQUAL(mk_client_free(c, &mine), 0);
	mk_client_close(c);
	service_down(0);
}

static void
test_crafted(void)
{
	uint64_t dropped;
	FILE *out = NULL;
	pid_t pid;

	if (skipped())
		return;
	service_up(false);
	pid = spawn_child("craft", "0", "0", &out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT(echo_lines(out) > 0);
	CU_ASSERT_EQUAL(wait_exit(pid), 0);
	CU_ASSERT(wait_reaped());
	dropped = atomic_load(&svc->dropped);
	CU_ASSERT(dropped >= 3);	/* wrong token, no token, no such client */
	printf("    %" PRIu64 " requests dropped\n", dropped);
	/* still serving, nothing leaked, structures intact (service_down checks them) */
	CU_ASSERT_EQUAL(segment_live(), 0);
	service_down(0);
}

/* SIGKILL while it churns: what it held is released, or kept and reported. */
static void
kill_run(bool keep)
{
	char line[128], count[16];
	uint64_t held = 0, bytes = 0, live;
	FILE *out = NULL;
	pid_t pid;

	if (skipped())
		return;
	service_up(keep);
	snprintf(count, sizeof(count), "%d", HOLD);
	pid = spawn_child("hold", count, "0", &out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_FATAL(out != NULL);
	while (fgets(line, sizeof(line), out) != NULL && strncmp(line, "ready ", 6) != 0)
		printf("      %s", line);
	CU_ASSERT_EQUAL(sscanf(line, "ready %" SCNu64 " %" SCNu64, &held, &bytes), 2);
	CU_ASSERT_EQUAL(held, HOLD);
	live = segment_live();
	CU_ASSERT(live >= HOLD && live <= HOLD + 1);	/* it churns one more */
	kill(pid, SIGKILL);
	CU_ASSERT_EQUAL(wait_exit(pid), 128 + SIGKILL);
	fclose(out);
	CU_ASSERT(wait_reaped());
	live = segment_live();
	printf("\n    held %" PRIu64 " (%" PRIu64 " bytes): released %" PRIu64 ", kept %" PRIu64
		", live now %" PRIu64 "\n", held, bytes, (uint64_t)atomic_load(&svc->released_live),
		(uint64_t)atomic_load(&svc->orphan_live), live);
	if (keep) {
		CU_ASSERT(live >= HOLD && live <= HOLD + 1);
		CU_ASSERT_EQUAL(atomic_load(&svc->orphan_live), live);
		CU_ASSERT_EQUAL(atomic_load(&svc->released_live), 0);
		service_down(live);	/* reported at the stop */
	} else {
		CU_ASSERT_EQUAL(live, 0);
		CU_ASSERT(atomic_load(&svc->released_live) >= HOLD);
		CU_ASSERT(atomic_load(&svc->released_bytes) >= bytes);
		CU_ASSERT_EQUAL(atomic_load(&svc->orphan_live), 0);
		service_down(0);
	}
}

static void
test_kill_release(void)
{
	kill_run(false);
}

static void
test_kill_keep(void)
{
	kill_run(true);
}

/* mkalloc-client: the commands' JSON lines, and the refusals. */
static void
test_tool(void)
{
	const char *args[] = {
		MK_TEST_CLIENT_BIN, "-f", mk_test_eal_prefix(), "-s", "off", "bogus", "alloc",
		"4096", "alloc", "1M", "4096", "stat", "free", "0", "free", "0", "free", "7", "alloc",
		"0", NULL,
	};
	static const char *const expect[] = {
		"{\"op\": \"bogus\", \"status\": -22,",
		"{\"op\": \"alloc\", \"status\": 0, \"buffer\": 0, \"descriptor\": {",
		"{\"op\": \"alloc\", \"status\": 0, \"buffer\": 1, \"descriptor\": {",
		"{\"op\": \"stat\", \"status\": 0, \"segment\": \"off\", \"kind\": \"offset\"",
		"{\"op\": \"free\", \"status\": 0, \"buffer\": 0}",
		"{\"op\": \"free\", \"status\": -22,",
		"{\"op\": \"free\", \"status\": -22,",
		"{\"op\": \"alloc\", \"status\": -22,",
	};
	char line[2048];
	unsigned int n = 0;
	FILE *out = NULL;
	pid_t pid;

	if (skipped())
		return;
	service_up(false);
	pid = spawn(args, &out);
	CU_ASSERT_FATAL(pid > 0);
	while (out != NULL && fgets(line, sizeof(line), out) != NULL) {
		printf("      %s", line);
		if (n < RTE_DIM(expect))
			CU_ASSERT(strncmp(line, expect[n], strlen(expect[n])) == 0);
		n++;
	}
	if (out != NULL)
		fclose(out);
	CU_ASSERT_EQUAL(n, RTE_DIM(expect));
	CU_ASSERT_EQUAL(wait_exit(pid), 0);
	CU_ASSERT(wait_reaped());
	CU_ASSERT_EQUAL(segment_live(), 0);	/* it freed what it kept at the end */
	service_down(0);
}

/* No primary at that prefix: exit 1 and a reason, nothing left behind. */
static void
test_no_primary(void)
{
	char prefix[64], dir[128];
	const char *args[] = { MK_TEST_CLIENT_BIN, "-f", prefix, "stat", NULL };
	FILE *out = NULL;
	pid_t pid;

	snprintf(prefix, sizeof(prefix), "%s-none", mk_test_eal_prefix());
	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", prefix);
	pid = spawn(args, &out);
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(echo_lines(out), 0);
	CU_ASSERT_EQUAL(wait_exit(pid), 1);
	mk_eal_remove_dir(dir);
	mk_eal_remove_hugepage_files(prefix);
}

int
test_secondary_register(void)
{
	static const struct mk_test_case cases[] = {
		{ "basic", test_basic },
		{ "crafted", test_crafted },
		{ "kill_release", test_kill_release },
		{ "kill_keep", test_kill_keep },
		{ "tool", test_tool },
		{ "no_primary", test_no_primary },
	};

	return mk_test_add_suite("secondary", suite_init, NULL, cases, RTE_DIM(cases)) != NULL ?
		0 : -1;
}
