/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's EAL: bring it up with the user's arguments (and --no-huge when nothing else
 * can work), take it down, and remove what rte_eal_cleanup() leaves behind (the runtime
 * directory /var/run/dpdk/<prefix>; also after a failed init, unless it was there before).
 * Stop signals only set a flag: the main lcore stops.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "daemon.h"
#include "mk_eal.h"

/* The EAL's memory when nothing chooses it and there is no hugepage: the default segment
 * then takes half of it (256 MiB), the rest is the heap for rings and the EAL's own. */
#define DAEMON_NO_HUGE_MB	"512"
/* The EAL arguments that choose where memory comes from: with any of them, ours stay out. */
static const char *const memory_args[] = {
	"--no-huge", "--in-memory", "--socket-mem", "--socket-limit", "--huge-dir",
	"--legacy-mem", "-m",
};

static volatile sig_atomic_t stop_signal;
static bool eal_up;
static char runtime_dir[4096];

static void
on_stop_signal(int sig)
{
	static const char msg[] = "mkalloc: second signal: exiting at once\n";

	if (stop_signal == 0) {
		stop_signal = sig;
		return;
	}
	/* the stop did not finish and the user insists */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to say */
	}
	_exit(128 + sig);
}

void
daemon_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
daemon_stop_signal(void)
{
	return stop_signal;
}

static bool
chooses_memory(const char *arg)
{
	size_t i, len;

	for (i = 0; i < RTE_DIM(memory_args); i++) {
		len = strlen(memory_args[i]);
		if (strncmp(arg, memory_args[i], len) != 0)
			continue;
		/* "-m 512" and "-m512"; "--socket-mem 512" and "--socket-mem=512" */
		if (len == 2 || arg[len] == '\0' || arg[len] == '=')
			return true;
	}
	return false;
}

static void
remove_runtime_dir(void)
{
	if (runtime_dir[0] != '\0' && mk_eal_remove_dir(runtime_dir) != 0)
		fprintf(stderr, "mkalloc: cannot remove %s\n", runtime_dir);
}

/* What secondaries made in the primary's hugepages may outlive rte_eal_cleanup(). */
static void
remove_hugepage_files(void)
{
	const char *prefix = strrchr(runtime_dir, '/');

	if (runtime_dir[0] != '\0' && prefix != NULL)
		mk_eal_remove_hugepage_files(prefix + 1);
}

int
daemon_eal_up(int argc, char **argv, char *mode, size_t mode_len)
{
	char **eal_argv = calloc((size_t)argc + 4, sizeof(*eal_argv));
	bool add_no_huge = true, existed;
	int i, n = 0, rc, err, saved_stdout;

	if (eal_argv == NULL)
		return -ENOMEM;
	mk_eal_runtime_dir(argc, argv, runtime_dir, sizeof(runtime_dir));
	existed = access(runtime_dir, F_OK) == 0;
	for (i = 0; i < argc; i++) {
		eal_argv[n++] = argv[i];
		if (i > 0 && chooses_memory(argv[i]))
			add_no_huge = false;
	}
	add_no_huge = add_no_huge && mk_eal_hugepages_free_mb(0) == 0;
	if (add_no_huge) {
		eal_argv[n++] = (char *)"--no-huge";
		eal_argv[n++] = (char *)"-m";
		eal_argv[n++] = (char *)DAEMON_NO_HUGE_MB;
	}
	/*
	 * stdout carries the daemon's report; DPDK 22.11 logs there unless told otherwise and
	 * prints its usage for bad arguments there: during init, stdout is stderr.
	 */
	rte_openlog_stream(stderr);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	rc = rte_eal_init(n, eal_argv);
	err = rte_errno;
	fflush(stdout);
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	free(eal_argv);
	if (rc < 0) {
		fprintf(stderr, "mkalloc: rte_eal_init failed: %s\n", rte_strerror(err));
		/* a failed init can leave the directory it made; one that was there stays */
		if (!existed)
			remove_runtime_dir();
		return err == EINVAL ? -EINVAL : -(err != 0 ? err : EIO);
	}
	eal_up = true;
	/* only the primary owns the runtime directory; a secondary's is the primary's */
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_process_type() ==
		RTE_PROC_PRIMARY ? rte_eal_get_runtime_dir() : "");
	snprintf(mode, mode_len, "%u lcores (main %u), %s, runtime directory %s",
		rte_lcore_count(), rte_get_main_lcore(), rte_eal_has_hugepages() ? "hugepages" :
		add_no_huge ? "no hugepage here: --no-huge -m " DAEMON_NO_HUGE_MB : "--no-huge",
		rte_eal_get_runtime_dir());
	return 0;
}

void
daemon_eal_down(void)
{
	if (!eal_up)
		return;
	eal_up = false;
	rte_eal_cleanup();
	remove_hugepage_files();
	remove_runtime_dir();
}
