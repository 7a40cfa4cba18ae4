/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The EAL for the rte_malloc target. With EAL arguments (mkalloc-bench [EAL args] -- ...)
 * they are used as given; without, the bench brings the EAL up itself, on a file prefix of
 * its own (mkb-<pid>), without PCI, on 2 MiB hugepages (--in-memory, so no hugepage file is
 * ever left) when enough are free, else --no-huge. Its one lcore floats over every CPU the
 * process may run on, so bringing the EAL up does not pin the other targets' runs.
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

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

/* The memory asked for, in MiB: (a)'s live set (~330 MB) with room for rte_malloc's headers. */
#define EAL_MEM_MB		1024
/* Hugepages are used only in this size, and only when this many MiB of them are free. */
#define EAL_HUGEPAGE_KB		2048
#define EAL_HUGEPAGE_FREE	"/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
/* EAL arguments the bench builds for itself. */
#define EAL_ARGS_MAX		16
/* Subdirectory levels removed under the runtime directory; DPDK makes none today. */
#define RUNTIME_DIR_DEPTH	4
/* Passes over a directory: entries removed while reading it may be skipped by one pass. */
#define RUNTIME_DIR_PASSES	4

static bool eal_up;
static bool own_dir;
static char runtime_dir[PATH_MAX];

/*
 * Remove everything under the directory @p fd. Only system calls (getdents64, unlinkat,
 * openat, close), so that it is safe in a signal handler.
 */
static void
remove_under(int fd, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	struct dirent64 *d;
	int pass, removed, sub;
	ssize_t len, off;

	for (pass = 0; pass < RUNTIME_DIR_PASSES; pass++) {
		removed = 0;
		lseek(fd, 0, SEEK_SET);
		while ((len = getdents64(fd, buf, sizeof(buf))) > 0) {
			for (off = 0; off < len; off += d->d_reclen) {
				d = (struct dirent64 *)(void *)(buf + off);
				if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
					continue;
				if (unlinkat(fd, d->d_name, 0) == 0) {
					removed++;
					continue;
				}
				if (errno != EISDIR || depth >= RUNTIME_DIR_DEPTH)
					continue;
				sub = openat(fd, d->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
				if (sub < 0)
					continue;
				remove_under(sub, depth + 1);
				close(sub);
				if (unlinkat(fd, d->d_name, AT_REMOVEDIR) == 0)
					removed++;
			}
		}
		if (removed == 0)
			break;
	}
}

static void
remove_runtime_dir(void)
{
	int fd;

	if (!own_dir)
		return;
	fd = open(runtime_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd >= 0) {
		remove_under(fd, 0);
		close(fd);
	}
	if (rmdir(runtime_dir) == 0 || errno == ENOENT)
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

static unsigned long
free_hugepage_mb(void)
{
	unsigned long pages = 0;
	FILE *f = fopen(EAL_HUGEPAGE_FREE, "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu", &pages) != 1)
		pages = 0;
	fclose(f);
	return pages * EAL_HUGEPAGE_KB / 1024;
}

static bool
hugetlbfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

/*
 * "(0-4)@(0,1,...)": main, and the workers and clients of (d) (2 + 2), each allowed on every
 * CPU of our affinity, as without the EAL; they may outnumber the CPUs.
 */
static void
lcore_map(char *buf, size_t len)
{
	cpu_set_t set;
	size_t used;
	int cpu, n = 0;

	used = (size_t)snprintf(buf, len, "--lcores=(0-4)@(");
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		CPU_ZERO(&set);
	for (cpu = 0; cpu < CPU_SETSIZE && used + 8 < len; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		used += (size_t)snprintf(buf + used, len - used, "%s%d", n++ ? "," : "", cpu);
	}
	if (n == 0)
		used = (size_t)snprintf(buf, len, "--lcores=(0-4)@(0");
	snprintf(buf + used, len - used, ")");
}

/* Where DPDK puts the runtime directory of @p prefix (eal_create_runtime_dir()'s rule). */
static void
runtime_dir_of(const char *prefix, char *buf, size_t len)
{
	const char *base = "/var/run";

	if (getuid() != 0) {
		base = getenv("XDG_RUNTIME_DIR");
		if (base == NULL)
			base = "/tmp";
	}
	snprintf(buf, len, "%s/dpdk/%s", base, prefix);
}

/* The --file-prefix among the user's EAL arguments, or DPDK's default. */
static const char *
user_prefix(int argc, char **argv)
{
	static const char opt[] = "--file-prefix";
	const char *prefix = "rte";
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], opt, sizeof(opt) - 1) != 0)
			continue;
		if (argv[i][sizeof(opt) - 1] == '=')
			prefix = argv[i] + sizeof(opt);
		else if (argv[i][sizeof(opt) - 1] == '\0' && i + 1 < argc)
			prefix = argv[++i];
	}
	return prefix;
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
		runtime_dir_of(user_prefix(argc, argv), runtime_dir, sizeof(runtime_dir));
		user_argv = calloc((size_t)argc + 2, sizeof(*user_argv));
		if (user_argv == NULL)
			return -ENOMEM;
		user_argv[n++] = (char *)"mkalloc-bench";
		for (i = 0; i < argc; i++)
			user_argv[n++] = argv[i];
	} else {
		snprintf(prefix, sizeof(prefix), "mkb-%d", (int)getpid());
		snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", prefix);
		runtime_dir_of(prefix, runtime_dir, sizeof(runtime_dir));
		hugepages = hugetlbfs_mounted() && free_hugepage_mb() >= EAL_MEM_MB;
		lcore_map(lcores, sizeof(lcores));
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
