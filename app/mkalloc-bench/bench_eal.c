/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL for the rte_malloc target and the service of (d). With EAL arguments
 * (mkalloc-bench [EAL args] -- ...) they are used as given; without, the bench brings the
 * EAL up itself, on a file prefix of its own (mkb-<pid>), without PCI, on 2 MiB hugepages
 * (--in-memory, so no hugepage file is ever left) when enough are free, else --no-huge. The
 * main lcore floats over every CPU the process may run on, so bringing the EAL up does not
 * pin the other targets' runs; the lcores of (d) are pinned one CPU each in turn, as a data
 * plane's are.
 *
 * rte_eal_cleanup() leaves the runtime directory (/var/run/dpdk/<prefix>) behind; it is
 * removed at exit and when a signal kills the process, but only when this process created
 * it, never a directory that another DPDK process may be using.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

#ifdef MK_BENCH_HAVE_DPDK

#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "mk_eal.h"

/* The memory asked for, in MiB: (a)'s live set (~330 MB) with room for rte_malloc's headers. */
#define EAL_MEM_MB		1024
/* Hugepages are used only in this size, and only when this many MiB of them are free. */
#define EAL_HUGEPAGE_KB		2048
/* main, and the 2 workers and 2 clients of (d) */
#define EAL_LCORES		5
/* EAL arguments the bench builds for itself. */
#define EAL_ARGS_MAX		16

static bool eal_up;
static bool own_dir;
static char runtime_dir[PATH_MAX];

static void
remove_runtime_dir(void)
{
	if (own_dir && mk_eal_remove_dir(runtime_dir) == 0)
		own_dir = false;
}

static void
on_fatal_signal(int sig)
{
	/* SA_RESETHAND restored the default action: raising again ends the process. */
	remove_runtime_dir();
	raise(sig);
}

static void
catch_fatal_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGABRT,
		SIGFPE, SIGILL };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

void
bench_eal_down(void)
{
	if (eal_up) {
		eal_up = false;
		rte_eal_cleanup();
	}
	remove_runtime_dir();
}

int
bench_eal_up(int argc, char **argv, char *mode, size_t mode_len)
{
	char prefix[32], prefix_arg[48], lcores[160], mem[16];
	char *eal_argv[EAL_ARGS_MAX + 1], **user_argv = NULL;
	bool hugepages = false;
	int n = 0, i, err, saved_stdout;
	struct stat sb;

	if (argc > 0) {
		user_argv = calloc((size_t)argc + 2, sizeof(*user_argv));
		if (user_argv == NULL)
			return -ENOMEM;
		user_argv[n++] = (char *)"mkalloc-bench";
		for (i = 0; i < argc; i++)
			user_argv[n++] = argv[i];
	} else {
		snprintf(prefix, sizeof(prefix), "mkb-%d", (int)getpid());
		snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", prefix);
		hugepages = mk_eal_hugepages_free_mb(EAL_HUGEPAGE_KB) >= EAL_MEM_MB;
		/* main, and the workers and clients of (d) (2 + 2), each pinned to a CPU in turn */
		snprintf(lcores, sizeof(lcores), "--lcores=");
		mk_eal_lcores_pinned_arg(lcores + strlen(lcores), sizeof(lcores) - strlen(lcores),
			EAL_LCORES);
		snprintf(mem, sizeof(mem), "%d", EAL_MEM_MB);
		eal_argv[n++] = (char *)"mkalloc-bench";
		eal_argv[n++] = prefix_arg;
		eal_argv[n++] = lcores;
		eal_argv[n++] = (char *)"--no-pci";
		eal_argv[n++] = (char *)"--no-telemetry";
		eal_argv[n++] = (char *)"--log-level=lib.eal:warning";
		if (hugepages) {
			eal_argv[n++] = (char *)"--in-memory";
			eal_argv[n++] = (char *)"--iova-mode=va";
		} else {
			eal_argv[n++] = (char *)"--no-huge";
		}
		eal_argv[n++] = (char *)"-m";
		eal_argv[n++] = mem;
	}
	if (argc > 0)
		mk_eal_runtime_dir(n, user_argv, runtime_dir, sizeof(runtime_dir));
	else
		mk_eal_runtime_dir(n, eal_argv, runtime_dir, sizeof(runtime_dir));
	/* A directory that was there before us may be another DPDK process's: leave it. */
	own_dir = argc == 0 || stat(runtime_dir, &sb) != 0;
	atexit(bench_eal_down);
	if (own_dir)
		catch_fatal_signals();
	/*
	 * stdout is for results only. DPDK 22.11 logs to stdout unless told otherwise, and its
	 * usage text for bad arguments is printed there: during init, stdout is stderr.
	 */
	rte_openlog_stream(stderr);
	fflush(stdout);
	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	if (argc > 0) {
		user_argv[n] = NULL;
		i = rte_eal_init(n, user_argv);
	} else {
		eal_argv[n] = NULL;
		i = rte_eal_init(n, eal_argv);
	}
	err = rte_errno;
	fflush(stdout);
	if (saved_stdout >= 0) {
		dup2(saved_stdout, STDOUT_FILENO);
		close(saved_stdout);
	}
	free(user_argv);
	if (i < 0) {
		fprintf(stderr, "mkalloc-bench: rte_eal_init failed: %s\n", rte_strerror(err));
		remove_runtime_dir();
		return err > 0 ? -err : -EINVAL;
	}
	eal_up = true;
	snprintf(runtime_dir, sizeof(runtime_dir), "%s", rte_eal_get_runtime_dir());
	if (argc == 0)
		snprintf(mode, mode_len, "brought up by the bench: prefix %s, %s, %d MiB", prefix,
			hugepages ? "2 MiB hugepages (--in-memory)" : "no hugepages (--no-huge)",
			EAL_MEM_MB);
	else
		snprintf(mode, mode_len, "brought up with the EAL arguments given, runtime"
			" directory %s", runtime_dir);
	return 0;
}

#else /* !MK_BENCH_HAVE_DPDK */

int
bench_eal_up(int argc, char **argv, char *mode, size_t mode_len)
{
	(void)argc;
	(void)argv;
	(void)mode;
	(void)mode_len;
	fprintf(stderr, "mkalloc-bench: built without DPDK: no EAL, no rte_malloc\n");
	return -ENOTSUP;
}

void
bench_eal_down(void)
{
}

#endif /* MK_BENCH_HAVE_DPDK */
