/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mk_eal.h"

/* Subdirectory levels removed under a runtime directory; DPDK makes none today. */
#define REMOVE_DEPTH	4
/* Passes over a directory: entries removed while reading it may be skipped by one pass. */
#define REMOVE_PASSES	4

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

uint64_t
mk_eal_hugepages_free_mb(uint64_t page_kb)
{
	uint64_t mb = 0;
	glob_t g;
	size_t i;

	if (!hugetlbfs_mounted() ||
	    glob("/sys/kernel/mm/hugepages/hugepages-*kB/free_hugepages", 0, NULL, &g) != 0)
		return 0;
	for (i = 0; i < g.gl_pathc; i++) {
		unsigned long long pages = 0, kb = 0;
		FILE *f;

		if (sscanf(g.gl_pathv[i], "/sys/kernel/mm/hugepages/hugepages-%llukB", &kb) != 1 ||
		    (page_kb != 0 && kb != page_kb))
			continue;
		f = fopen(g.gl_pathv[i], "r");
		if (f == NULL)
			continue;
		if (fscanf(f, "%llu", &pages) == 1)
			mb += pages * kb / 1024;
		fclose(f);
	}
	globfree(&g);
	return mb;
}

int
mk_eal_lcores_arg(char *buf, size_t len, unsigned int nb_lcores)
{
	cpu_set_t set;
	size_t used;
	int cpu, n = 0;

	if (nb_lcores == 0)
		nb_lcores = 1;
	used = (size_t)snprintf(buf, len, "(0-%u)@(", nb_lcores - 1);
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		CPU_ZERO(&set);
		CPU_SET(0, &set);
	}
	for (cpu = 0; cpu < CPU_SETSIZE && used < len; cpu++)
		if (CPU_ISSET(cpu, &set))
			used += (size_t)snprintf(buf + used, len - used, "%s%d", n++ ? "," : "",
				cpu);
	if (used < len)
		used += (size_t)snprintf(buf + used, len - used, ")");
	return used < len ? 0 : -ENOSPC;
}

int
mk_eal_lcores_pinned_arg(char *buf, size_t len, unsigned int nb_lcores)
{
	int cpus[CPU_SETSIZE], nb_cpus = 0, cpu, rc;
	unsigned int l;
	cpu_set_t set;
	size_t used;

	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		CPU_ZERO(&set);
		CPU_SET(0, &set);
	}
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &set))
			cpus[nb_cpus++] = cpu;
	/* lcore 0 floats like the floating map's, then one CPU each in turn */
	rc = mk_eal_lcores_arg(buf, len, 1);
	used = strlen(buf);
	for (l = 1; rc == 0 && l < nb_lcores && used < len; l++)
		used += (size_t)snprintf(buf + used, len - used, ",%u@%d", l,
			cpus[(l - 1) % (unsigned int)nb_cpus]);
	return rc == 0 && used < len ? 0 : -ENOSPC;
}

void
mk_eal_runtime_dir(int argc, char **argv, char *buf, size_t len)
{
	static const char opt[] = "--file-prefix";
	const char *prefix = "rte", *base = "/var/run";
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], opt, sizeof(opt) - 1) != 0)
			continue;
		if (argv[i][sizeof(opt) - 1] == '=')
			prefix = argv[i] + sizeof(opt);
		else if (argv[i][sizeof(opt) - 1] == '\0' && i + 1 < argc)
			prefix = argv[++i];
	}
	if (getuid() != 0)
		base = getenv("XDG_RUNTIME_DIR") != NULL ? getenv("XDG_RUNTIME_DIR") : "/tmp";
	snprintf(buf, len, "%s/dpdk/%s", base, prefix);
}

/* Remove everything under the directory @p fd, with system calls only. */
static void
remove_under(int fd, int depth)
{
	char buf[4096] __attribute__((aligned(8)));
	int pass, removed, sub;
	ssize_t len, off;

	for (pass = 0; pass < REMOVE_PASSES; pass++) {
		removed = 0;
		lseek(fd, 0, SEEK_SET);
		while ((len = getdents64(fd, buf, sizeof(buf))) > 0) {
			struct dirent64 *d;

			for (off = 0; off < len; off += d->d_reclen) {
				d = (struct dirent64 *)(void *)(buf + off);
				if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
					continue;
				if (unlinkat(fd, d->d_name, 0) == 0) {
					removed++;
					continue;
				}
				if (errno != EISDIR || depth >= REMOVE_DEPTH)
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

int
mk_eal_remove_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	remove_under(fd, 0);
	close(fd);
	return rmdir(dir) == 0 || errno == ENOENT ? 0 : -errno;
}

unsigned int
mk_eal_remove_hugepage_files(const char *prefix)
{
	char line[512], mnt[256], type[64], pattern[512];
	unsigned int removed = 0;
	FILE *f = fopen("/proc/mounts", "r");
	size_t i;

	if (f == NULL || prefix == NULL || prefix[0] == '\0' || strchr(prefix, '/') != NULL) {
		if (f != NULL)
			fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		glob_t g;

		if (sscanf(line, "%*s %255s %63s", mnt, type) != 2 || strcmp(type, "hugetlbfs") != 0)
			continue;
		snprintf(pattern, sizeof(pattern), "%s/%smap_*", mnt, prefix);
		if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
			continue;
		for (i = 0; i < g.gl_pathc; i++)
			removed += unlink(g.gl_pathv[i]) == 0;
		globfree(&g);
	}
	fclose(f);
	return removed;
}
