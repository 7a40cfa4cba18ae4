/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "mk_eal.h"
#include "mk_test.h"
#include "mk_test_eal.h"

static char prefix[32];
static char runtime_dir[96];
static bool eal_up;
static bool on_hugepages;
static bool shared;

/* /var/run/dpdk/<prefix> is left behind by rte_eal_cleanup(); remove it and what it holds. */
static void
remove_runtime_dir(void)
{
	if (runtime_dir[0] != '\0' && mk_eal_remove_dir(runtime_dir) != 0)
		fprintf(stderr, "mk_test_eal: could not remove %s\n", runtime_dir);
}

static void
eal_down(void)
{
	if (eal_up) {
		eal_up = false;
		rte_eal_cleanup();
	}
	if (shared)
		mk_eal_remove_hugepage_files(prefix);
	remove_runtime_dir();
}

static void
on_fatal_signal(int sig)
{
	if (shared)
		mk_eal_remove_hugepage_files(prefix);
	remove_runtime_dir();
	signal(sig, SIG_DFL);
	raise(sig);
}

int
mk_test_eal_up(void)
{
	char lcores[160], mem[16], prefix_arg[48];
	char *argv[16];
	const char *no_huge = getenv("MK_TEST_NO_HUGE");
	int argc = 0;

	if (eal_up)
		return 0;
	snprintf(prefix, sizeof(prefix), "mkt-%d", (int)getpid());
	snprintf(runtime_dir, sizeof(runtime_dir), "/var/run/dpdk/%s", prefix);
	atexit(eal_down);
	signal(SIGSEGV, on_fatal_signal);
	signal(SIGABRT, on_fatal_signal);
	signal(SIGBUS, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGINT, on_fatal_signal);

	on_hugepages = (no_huge == NULL || strcmp(no_huge, "1") != 0) &&
		mk_eal_hugepages_free_mb(2048) >= MK_TEST_EAL_MEM_MB;
	mk_eal_lcores_arg(lcores, sizeof(lcores), MK_TEST_EAL_LCORES);
	snprintf(mem, sizeof(mem), "%d", MK_TEST_EAL_MEM_MB);
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", prefix);

	argv[argc++] = (char *)"mkalloc-test";
	argv[argc++] = (char *)"--lcores";
	argv[argc++] = lcores;
	argv[argc++] = prefix_arg;
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"--log-level=lib.eal:error";
	if (on_hugepages) {
		if (!shared)
			argv[argc++] = (char *)"--in-memory";
		argv[argc++] = (char *)"--iova-mode=va";
	} else {
		argv[argc++] = (char *)"--no-huge";
	}
	argv[argc++] = (char *)"-m";
	argv[argc++] = mem;
	argv[argc] = NULL;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "mk_test_eal: rte_eal_init failed (%s, %s): %s\n", prefix,
			on_hugepages ? "hugepages" : "--no-huge", rte_strerror(rte_errno));
		remove_runtime_dir();
		return -rte_errno;
	}
	eal_up = true;
	printf("\nmk_test_eal: EAL up, prefix %s, lcores %s, %s, %s MiB\n", prefix, lcores,
		!on_hugepages ? "--no-huge" : shared ? "hugepages (shared with secondaries)" :
		"hugepages (--in-memory)", mem);
	return 0;
}

void
mk_test_eal_shared(void)
{
	shared = true;
}

bool
mk_test_eal_hugepages(void)
{
	return on_hugepages;
}

const char *
mk_test_eal_prefix(void)
{
	return prefix;
}

void
mk_test_service_conf(struct mk_service_conf *conf, unsigned int workers)
{
	const uint64_t mib = UINT64_C(1) << 20;
	unsigned int i;

	mk_service_conf_defaults(conf);
	conf->nb_workers = workers;
	for (i = 0; i < workers; i++)
		conf->worker_lcores[i] = mk_lcore_nth(i);
	conf->idle_yield = true;	/* more lcores than CPUs here */
	conf->nb_segments = 2;
	snprintf(conf->segments[0].name, sizeof(conf->segments[0].name), "off");
	conf->segments[0].size = 48 * mib;
	conf->segments[0].kind = MK_ALLOC_KIND_OFFSET;
	conf->segments[0].socket = -1;
	snprintf(conf->segments[1].name, sizeof(conf->segments[1].name), "slab");
	conf->segments[1].size = 32 * mib;
	conf->segments[1].kind = MK_ALLOC_KIND_SLAB;
	conf->segments[1].socket = -1;
	snprintf(conf->segments[1].mem_driver, sizeof(conf->segments[1].mem_driver), "anon");
}

void
mk_test_service_conf_control(struct mk_service_conf *conf, unsigned int workers)
{
	mk_test_service_conf(conf, workers);
	conf->control = true;
	conf->control_lcore = mk_lcore_nth(workers);
	conf->routing = true;
}

struct mk_service *
mk_test_service_start(const struct mk_service_conf *conf)
{
	char err[256] = "";
	struct mk_service *svc = mk_service_create(conf, err, sizeof(err));

	if (svc == NULL)
		fprintf(stderr, "mk_service_create: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	CU_ASSERT_EQUAL_FATAL(mk_service_start(svc), 0);
	return svc;
}
