/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkalloc-client: attach to a running mkalloc primary as a DPDK secondary process and take
 * buffers from one of its segments. Commands come from the arguments, else one per line on
 * standard input; each prints one JSON line on standard output:
 *   alloc SIZE [ALIGN]   {"op": "alloc", "status": 0, "buffer": N, "descriptor": {...}}
 *   free N               frees buffer N (as alloc numbered it)
 *   stat                 the segment's shards as the primary publishes them
 *   load SECONDS [MAX]   random allocations (1..MAX bytes, default 1 MiB) and frees
 *   sleep SECONDS
 * Buffers still allocated at the end are freed (the primary would release them anyway).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "mk_client.h"
#include "mk_eal.h"
#include "mk_prng.h"
#include "mk_service.h"
#include "mk_service_json.h"

#define BUFFERS_MAX	4096
#define WORDS_MAX	64

struct session {
	struct mk_client *c;
	struct mk_service *svc;
	int segment;
	struct mk_buffer buf[BUFFERS_MAX];
	bool live[BUFFERS_MAX];
	unsigned int nb_buf;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: mkalloc-client [-f PREFIX] [-s SEGMENT] [-- EAL args] [COMMAND ...]\n"
"Attach to the mkalloc primary of file prefix PREFIX (default \"rte\"; it must run on\n"
"hugepages, without --in-memory, with a control lcore) and run commands on SEGMENT (default:\n"
"its first). Commands (from the arguments, else one per line on stdin), one JSON line each:\n"
"  alloc SIZE [ALIGN]   allocate; prints the buffer's number and descriptor\n"
"  free N               free buffer N\n"
"  stat                 the segment's shards: capacity, free, largest free region, buffers\n"
"  load SECONDS [MAX]   random allocations of 1..MAX bytes (default 1048576) and frees\n"
"  sleep SECONDS        wait\n"
"SIZE and MAX take a K, M, G, T or P suffix (powers of 1024).\n");
}

/* The config's sizes: digits and a K, M, G, T or P suffix; 0, or -EINVAL. */
static int
parse_size(const char *s, uint64_t *out)
{
	return mk_service_size_parse(s, out) ? 0 : -EINVAL;
}

static void
print_error(const char *op, int rc, const char *why)
{
	printf("{\"op\": \"%s\", \"status\": %d, \"error\": \"%s\"}\n", op, rc,
		why != NULL ? why : strerror(-rc));
}

static void
cmd_alloc(struct session *s, char **w, int n)
{
	char json[MK_DESC_JSON_MAX], err[128];
	uint64_t size, align = 0;
	struct mk_desc d;
	int rc;

	if (n < 2 || n > 3 || parse_size(w[1], &size) != 0 ||
	    (n == 3 && parse_size(w[2], &align) != 0)) {
		print_error("alloc", -EINVAL, "usage: alloc SIZE [ALIGN]");
		return;
	}
	if (s->nb_buf == BUFFERS_MAX) {
		print_error("alloc", -ENOSPC, "this session holds its most buffers: free some");
		return;
	}
	rc = mk_client_alloc(s->c, size, align, &s->buf[s->nb_buf]);
	if (rc != 0) {
		print_error("alloc", rc, NULL);
		return;
	}
	if (mk_client_descriptor(s->c, &s->buf[s->nb_buf], &d) != 0 ||
	    mk_desc_to_json(&d, json, sizeof(json), err, sizeof(err)) < 0)
		snprintf(json, sizeof(json), "null");
	s->live[s->nb_buf] = true;
	printf("{\"op\": \"alloc\", \"status\": 0, \"buffer\": %u, \"descriptor\": %s}\n",
		s->nb_buf++, json);
}

static void
cmd_free(struct session *s, char **w, int n)
{
	uint64_t i;
	int rc;

	if (n != 2 || parse_size(w[1], &i) != 0 || i >= s->nb_buf || !s->live[i]) {
		print_error("free", -EINVAL, "usage: free N, N a live buffer of this session");
		return;
	}
	rc = mk_client_free(s->c, &s->buf[i]);
	if (rc == 0)
		s->live[i] = false;
	printf("{\"op\": \"free\", \"status\": %d, \"buffer\": %" PRIu64 "}\n", rc, i);
}

static void
cmd_stat(struct session *s)
{
	struct mk_shard_stats st[MK_WORKERS_MAX];
	struct mk_segment_conf conf;
	int k, n = mk_service_shard_stats(s->svc, (unsigned int)s->segment, st, MK_WORKERS_MAX);

	mk_service_segment_info(s->svc, (unsigned int)s->segment, &conf, NULL);
	printf("{\"op\": \"stat\", \"status\": 0, \"segment\": \"%s\", \"kind\": \"%s\","
		" \"size\": %" PRIu64 ", \"shards\": [", conf.name, mk_alloc_kind_name(conf.kind),
		conf.size);
	for (k = 0; k < n && k < MK_WORKERS_MAX; k++)
		printf("%s{\"lcore\": %u, \"base\": %" PRIu64 ", \"capacity\": %" PRIu64
			", \"free\": %" PRIu64 ", \"largest_free\": %" PRIu64 ", \"live_buffers\": %"
			PRIu64 "}", k > 0 ? ", " : "", st[k].lcore, st[k].base, st[k].capacity,
			st[k].free_bytes, st[k].largest_free, st[k].live_buffers);
	printf("]}\n");
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

/* Random allocations and frees on buffers of its own, all freed at the end. */
static void
cmd_load(struct session *s, char **w, int n)
{
	static struct mk_buffer held[256];
	uint64_t seconds, max = 1 << 20, seed = 1, allocs = 0, frees = 0, failed = 0;
	unsigned int nb = 0;
	double end;

	if (n < 2 || n > 3 || parse_size(w[1], &seconds) != 0 ||
	    (n == 3 && (parse_size(w[2], &max) != 0 || max == 0))) {
		print_error("load", -EINVAL, "usage: load SECONDS [MAX]");
		return;
	}
	for (end = now_s() + (double)seconds; now_s() < end;) {
		uint64_t r = mk_prng_next(&seed);

		if (nb > 0 && (nb == RTE_DIM(held) || r % 2 == 0)) {
			unsigned int i = (unsigned int)(r >> 8) % nb;

			frees += mk_client_free(s->c, &held[i]) == 0;
			held[i] = held[--nb];
		} else if (mk_client_alloc(s->c, 1 + (r >> 8) % max, 0, &held[nb]) == 0) {
			allocs++;
			nb++;
		} else {
			failed++;
		}
	}
	while (nb > 0)
		frees += mk_client_free(s->c, &held[--nb]) == 0;
	printf("{\"op\": \"load\", \"status\": 0, \"allocs\": %" PRIu64 ", \"frees\": %" PRIu64
		", \"failed\": %" PRIu64 "}\n", allocs, frees, failed);
}

static void
run(struct session *s, char **w, int n)
{
	uint64_t x;

	if (n == 0)
		return;
	if (strcmp(w[0], "alloc") == 0) {
		cmd_alloc(s, w, n);
	} else if (strcmp(w[0], "free") == 0) {
		cmd_free(s, w, n);
	} else if (strcmp(w[0], "stat") == 0) {
		cmd_stat(s);
	} else if (strcmp(w[0], "load") == 0) {
		cmd_load(s, w, n);
	} else if (strcmp(w[0], "sleep") == 0 && n == 2 && parse_size(w[1], &x) == 0) {
		struct timespec t = { .tv_sec = (time_t)x };

		nanosleep(&t, NULL);
		printf("{\"op\": \"sleep\", \"status\": 0}\n");
	} else {
		print_error(w[0], -EINVAL, "unknown command (see --help)");
	}
	fflush(stdout);
}

/* The commands of the arguments: each starts at a command word. */
static bool
is_command(const char *w)
{
	static const char *const names[] = { "alloc", "free", "stat", "load", "sleep" };
	size_t i;

	for (i = 0; i < RTE_DIM(names); i++)
		if (strcmp(w, names[i]) == 0)
			return true;
	return false;
}

static void
run_args(struct session *s, char **argv, int argc)
{
	int i = 0;

	while (i < argc) {
		int n = 1;

		while (i + n < argc && !is_command(argv[i + n]))
			n++;
		run(s, &argv[i], n);
		i += n;
	}
}

static void
run_stdin(struct session *s)
{
	char line[1024], *w[WORDS_MAX];

	while (fgets(line, sizeof(line), stdin) != NULL) {
		int n = 0;
		char *save, *t = strtok_r(line, " \t\r\n", &save);

		while (t != NULL && n < WORDS_MAX) {
			w[n++] = t;
			t = strtok_r(NULL, " \t\r\n", &save);
		}
		run(s, w, n);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file-prefix", required_argument, NULL, 'f' },
		{ "segment", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct session s;
	const char *prefix = "rte", *segment = NULL;
	char prefix_arg[128], lcores[64];
	char *eal[32];
	int opt, n = 0, i, first_cmd, rc = 1;

	while ((opt = getopt_long(argc, argv, "+f:s:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': prefix = optarg; break;
		case 's': segment = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s", prefix);
	mk_eal_lcores_arg(lcores, sizeof(lcores), 1);
	eal[n++] = argv[0];
	eal[n++] = (char *)"--proc-type=secondary";
	eal[n++] = prefix_arg;
	eal[n++] = (char *)"--lcores";
	eal[n++] = lcores;
	eal[n++] = (char *)"--no-pci";
	eal[n++] = (char *)"--log-level=lib.eal:error";
	first_cmd = optind;
	if (optind < argc && strcmp(argv[optind - 1], "--") == 0) {
		/* EAL arguments after "--", up to the first command */
		while (first_cmd < argc && !is_command(argv[first_cmd]) && n < 31)
			eal[n++] = argv[first_cmd++];
	}
	eal[n] = NULL;
	rte_openlog_stream(stderr);
	if (rte_eal_init(n, eal) < 0) {
		fprintf(stderr, "mkalloc-client: cannot attach to a primary at file prefix '%s': %s"
			" (it must run, on hugepages, without --in-memory)\n", prefix,
			rte_errno != 0 ? rte_strerror(rte_errno) : "no primary process found");
		return 1;
	}
	s.svc = mk_service_get();
	if (s.svc == NULL) {
		fprintf(stderr, "mkalloc-client: no mkalloc service at file prefix '%s'\n", prefix);
		goto out;
	}
	s.segment = segment != NULL ? mk_service_segment_find(s.svc, segment) : 0;
	if (s.segment < 0 || (unsigned int)s.segment >= mk_service_segment_count(s.svc)) {
		fprintf(stderr, "mkalloc-client: no segment '%s'\n", segment);
		goto out;
	}
	if (segment == NULL) {
		struct mk_segment_conf conf;

		mk_service_segment_info(s.svc, 0, &conf, NULL);
		s.c = mk_client_open(conf.name);
	} else {
		s.c = mk_client_open(segment);
	}
	if (s.c == NULL) {
		fprintf(stderr, "mkalloc-client: cannot open a client: %s\n",
			rte_strerror(rte_errno));
		goto out;
	}
	if (first_cmd < argc)
		run_args(&s, &argv[first_cmd], argc - first_cmd);
	else
		run_stdin(&s);
	for (i = 0; i < (int)s.nb_buf; i++)
		if (s.live[i])
			mk_client_free(s.c, &s.buf[i]);
	mk_client_close(s.c);
	rc = 0;
out:
	rte_eal_cleanup();	/* a secondary's runtime directory is the primary's: it stays */
	return rc;
}
