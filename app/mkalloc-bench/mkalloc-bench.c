/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkalloc-bench: the workloads of ../shared/BENCH.md on mkalloc's allocators and the ones a
 * DPDK user would otherwise pick, in one run, so that every comparison is made inside it.
 *
 *   mkalloc-bench [EAL args --] [--workload LIST] [--allocator LIST] [--json] ...
 *
 * Exit status: 0; 1 when a checker, an overlap check or an allocator call failed (a bug, not a
 * figure); 2 for bad options. A time never fails a run.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define EXIT_BUG	1
#define EXIT_USAGE	2

/* BENCH.md's counts, and the reduced ones of --quick. */
#define DEFAULT_STEPS	UINT64_C(10000000)
#define DEFAULT_SEEDS	UINT64_C(100)
#define DEFAULT_CALLS	UINT64_C(1000000)
#define DEFAULT_ROUNDS	UINT64_C(50000)
#define QUICK_STEPS	UINT64_C(200000)
#define QUICK_SEEDS	UINT64_C(5)
#define QUICK_CALLS	UINT64_C(20000)
#define QUICK_ROUNDS	UINT64_C(500)
/* (b) draws below(n) with n < 2^32 and reports per seed: a bound that keeps both true. */
#define MAX_SEEDS	UINT64_C(1000000)

/* The workloads, in the order they run. A new workload is one more entry. */
static const struct bench_workload workloads[] = {
	{ "a", "a", "churn", false, false, bench_churn_run },
	{ "b", "b", "fill/refill", true, false, bench_fill_run },
	{ "c-uniform", "c", "Mooncake allocator_bench, uniform sizes", true, false,
		bench_mc_uniform_run },
	{ "c-random", "c", "Mooncake allocator_bench, random sizes", true, false,
		bench_mc_random_run },
	{ "c-dsa", "c", "Mooncake allocator_bench, DSA KV/indexer pair", true, false,
		bench_mc_dsa_run },
	{ "d", "d", "service churn", false, true, bench_service_run },
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* Targets that exist only in some builds: asked for in another, they are named, not unknown. */
static const char *const optional_targets[] = { "rte_malloc" };

static void
usage(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"usage: mkalloc-bench [EAL args --] [options]\n"
		"Runs the workloads of BENCH.md on every allocator they apply to, in one run.\n"
		"\n"
		"  --workload LIST   workloads or groups, comma-separated (default: all)\n"
		"  --allocator LIST  allocators, comma-separated (default: all)\n"
		"  --steps N         (a): steps after the fill (default %" PRIu64 ")\n"
		"  --seeds N         (b): seeds 1..N (default %" PRIu64 ")\n"
		"  --first-seed S    (b): seeds S..S+N-1 instead, to check figures on seeds\n"
		"                    nothing was tuned on (default 1)\n"
		"  --calls N         (c) uniform, random: measured calls (default %" PRIu64 ")\n"
		"  --rounds N        (c) DSA: measured rounds (default %" PRIu64 ")\n"
		"  --quick           reduced counts for a smoke run: %" PRIu64 " steps, %" PRIu64
		" seeds,\n                    %" PRIu64 " calls, %" PRIu64
		" rounds (an explicit count wins)\n"
		"  --check           run the allocators' checkers and a live-set scan after each"
		" phase\n"
		"  --json            one JSON object per line on stdout instead of the table\n"
		"  --help            this text\n"
		"\nworkloads (group: names):\n",
		DEFAULT_STEPS, DEFAULT_SEEDS, DEFAULT_CALLS, DEFAULT_ROUNDS, QUICK_STEPS,
		QUICK_SEEDS, QUICK_CALLS, QUICK_ROUNDS);
	for (i = 0; i < NWORKLOADS; i++)
		fprintf(f, "  %-3s %-10s %s\n", workloads[i].group, workloads[i].name,
			workloads[i].title);
	fprintf(f, "\nallocators:\n");
	for (i = 0; bench_targets[i] != NULL; i++)
		fprintf(f, "  %-10s %s\n", bench_targets[i]->name, bench_targets[i]->what);
#ifndef MK_BENCH_HAVE_DPDK
	fprintf(f, "  (rte_malloc: not in this build, which has no DPDK)\n");
#endif
	fprintf(f,
		"\nrte_malloc needs the EAL: give its arguments before '--', or none and the\n"
		"bench brings it up itself (own file prefix, no PCI, hugepages when 1 GiB of\n"
		"2 MiB pages is free, else --no-huge). Exit status: 0; 1 when a check failed;\n"
		"2 for bad options.\n");
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mkalloc-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	exit(EXIT_USAGE);
}

static uint64_t
parse_count(const char *opt, const char *arg, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	/* strtoull takes "-1" and leading blanks: a count is digits only. */
	if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno != 0 || v == 0 || v > max)
		bad_usage("--%s wants a count from 1 to %" PRIu64 ", not '%s'", opt, max, arg);
	return v;
}

static void
select_workloads(const char *list, bool selected[NWORKLOADS])
{
	char *copy = strdup(list), *tok, *save = NULL;
	bool found;
	unsigned int i;

	if (copy == NULL)
		bad_usage("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		found = false;
		for (i = 0; i < NWORKLOADS; i++) {
			if (strcmp(tok, "all") == 0 || strcmp(tok, workloads[i].name) == 0 ||
			    strcmp(tok, workloads[i].group) == 0) {
				selected[i] = true;
				found = true;
			}
		}
		if (!found)
			bad_usage("unknown workload '%s'", tok);
	}
	free(copy);
}

static void
add_target(struct bench_ctx *ctx, const struct bench_target *t)
{
	unsigned int i;

	for (i = 0; i < ctx->ntargets; i++)
		if (ctx->targets[i] == t)
			return;
	if (ctx->ntargets == BENCH_TARGETS_MAX)
		bad_usage("more than %d allocators", BENCH_TARGETS_MAX);
	ctx->targets[ctx->ntargets++] = t;
}

static void
select_targets(struct bench_ctx *ctx, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;
	const struct bench_target *t;
	unsigned int i;

	if (copy == NULL)
		bad_usage("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "all") == 0) {
			for (i = 0; bench_targets[i] != NULL; i++)
				add_target(ctx, bench_targets[i]);
			continue;
		}
		t = bench_target_find(tok);
		if (t != NULL) {
			add_target(ctx, t);
			continue;
		}
		for (i = 0; i < sizeof(optional_targets) / sizeof(optional_targets[0]); i++)
			if (strcmp(tok, optional_targets[i]) == 0)
				bad_usage("allocator '%s' is not in this build: it was"
					" built without DPDK", tok);
		bad_usage("unknown allocator '%s'", tok);
	}
	free(copy);
}

enum {
	OPT_WORKLOAD = 256,
	OPT_ALLOCATOR,
	OPT_STEPS,
	OPT_SEEDS,
	OPT_CALLS,
	OPT_ROUNDS,
	OPT_FIRST_SEED,
	OPT_QUICK,
	OPT_CHECK,
	OPT_JSON,
	OPT_HELP,
};

static const struct option long_options[] = {
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "allocator", required_argument, NULL, OPT_ALLOCATOR },
	{ "steps", required_argument, NULL, OPT_STEPS },
	{ "seeds", required_argument, NULL, OPT_SEEDS },
	{ "calls", required_argument, NULL, OPT_CALLS },
	{ "rounds", required_argument, NULL, OPT_ROUNDS },
	{ "first-seed", required_argument, NULL, OPT_FIRST_SEED },
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "check", no_argument, NULL, OPT_CHECK },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Parse the bench options (argv[0] is the program); fills ctx and the workload selection. */
static void
parse_options(int argc, char **argv, struct bench_ctx *ctx, bool selected[NWORKLOADS])
{
	uint64_t steps = 0, seeds = 0, calls = 0, rounds = 0, first_seed = 1;
	bool any_workload = false;
	unsigned int i;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_WORKLOAD:
			select_workloads(optarg, selected);
			any_workload = true;
			break;
		case OPT_ALLOCATOR:
			select_targets(ctx, optarg);
			break;
		case OPT_STEPS:
			steps = parse_count("steps", optarg, UINT64_MAX);
			break;
		case OPT_SEEDS:
			seeds = parse_count("seeds", optarg, MAX_SEEDS);
			break;
		case OPT_CALLS:
			calls = parse_count("calls", optarg, SIZE_MAX / sizeof(uint64_t));
			break;
		case OPT_ROUNDS:
			rounds = parse_count("rounds", optarg, UINT64_MAX);
			break;
		case OPT_FIRST_SEED:
			first_seed = parse_count("first-seed", optarg, UINT64_MAX - MAX_SEEDS);
			break;
		case OPT_QUICK:
			ctx->quick = true;
			break;
		case OPT_CHECK:
			ctx->check = true;
			break;
		case OPT_JSON:
			ctx->json = true;
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			exit(0);
		case ':':
			bad_usage("%s needs a value", argv[optind - 1]);
		default:
			bad_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s' (EAL arguments go before '--')", argv[optind]);
	if (!any_workload)
		for (i = 0; i < NWORKLOADS; i++)
			selected[i] = true;
	if (ctx->ntargets == 0)
		for (i = 0; bench_targets[i] != NULL; i++)
			add_target(ctx, bench_targets[i]);
	ctx->steps = steps != 0 ? steps : ctx->quick ? QUICK_STEPS : DEFAULT_STEPS;
	ctx->seeds = seeds != 0 ? seeds : ctx->quick ? QUICK_SEEDS : DEFAULT_SEEDS;
	ctx->first_seed = first_seed;
	ctx->calls = calls != 0 ? calls : ctx->quick ? QUICK_CALLS : DEFAULT_CALLS;
	ctx->rounds = rounds != 0 ? rounds : ctx->quick ? QUICK_ROUNDS : DEFAULT_ROUNDS;
}

/* The service needs the EAL; rte_malloc too, when a selected workload runs on heap targets. */
static bool
needs_eal(const struct bench_ctx *ctx, const bool selected[NWORKLOADS])
{
	bool heap_workload = false;
	unsigned int i;

	for (i = 0; i < NWORKLOADS; i++) {
		if (selected[i] && workloads[i].eal)
			return true;
		heap_workload |= selected[i] && !workloads[i].segment_only;
	}
	for (i = 0; heap_workload && i < ctx->ntargets; i++)
		if (strcmp(ctx->targets[i]->name, "rte_malloc") == 0)
			return true;
	return false;
}

/* Say which counts are not BENCH.md's, so that nobody quotes a smoke run as a result. */
static void
print_counts(const struct bench_ctx *ctx)
{
	const struct {
		const char *what;
		uint64_t used, bench;
	} counts[] = {
		{ "(a) steps", ctx->steps, DEFAULT_STEPS },
		{ "(b) seeds", ctx->seeds, DEFAULT_SEEDS },
		{ "(b) first seed", ctx->first_seed, 1 },
		{ "(c) calls", ctx->calls, DEFAULT_CALLS },
		{ "(c) DSA rounds", ctx->rounds, DEFAULT_ROUNDS },
	};
	char list[256];
	size_t used = 0, i;

	list[0] = '\0';
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		if (counts[i].used == counts[i].bench || used >= sizeof(list))
			continue;
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %" PRIu64
			" instead of %" PRIu64, used != 0 ? ", " : "", counts[i].what,
			counts[i].used, counts[i].bench);
	}
	if (used != 0)
		bench_note(ctx, "%scounts reduced or changed (%s): these are not BENCH.md's"
			" figures", ctx->quick ? "--quick: " : "", list);
}

int
main(int argc, char **argv)
{
	struct bench_ctx ctx = { .ntargets = 0 };
	bool selected[NWORKLOADS] = { false };
	char **bench_argv, eal_mode[PATH_MAX + 64];
	int eal_argc = 0, bench_argc = argc, i, rc;
	unsigned int w;

	/* mkalloc-bench [EAL args] -- [bench options]: with no '--' every argument is ours. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i - 1;
			bench_argc = argc - i;
			break;
		}
	}
	bench_argv = malloc(((size_t)bench_argc + 1) * sizeof(*bench_argv));
	if (bench_argv == NULL)
		return EXIT_BUG;
	bench_argv[0] = argv[0];
	for (i = 1; i < bench_argc; i++)
		bench_argv[i] = argv[argc - bench_argc + i];
	bench_argv[bench_argc] = NULL;
	parse_options(bench_argc, bench_argv, &ctx, selected);
	free(bench_argv);

	ctx.progress = isatty(STDERR_FILENO) != 0;
	if (eal_argc > 0 || needs_eal(&ctx, selected)) {
#ifndef MK_BENCH_HAVE_DPDK
		bad_usage("EAL arguments given, but this mkalloc-bench was built without DPDK");
#endif
		rc = bench_eal_up(eal_argc, argv + 1, eal_mode, sizeof(eal_mode));
		/* EINVAL from the EAL is a bad EAL argument: a usage error like our own. */
		if (rc != 0)
			return rc == -EINVAL && eal_argc > 0 ? EXIT_USAGE : EXIT_BUG;
		bench_note(&ctx, "EAL %s", eal_mode);
	}
	print_counts(&ctx);
	for (w = 0; w < NWORKLOADS; w++) {
		if (!selected[w])
			continue;
		rc = workloads[w].run(&ctx, &workloads[w]);
		if (rc != 0) {
			fprintf(stderr, "mkalloc-bench: %s could not run: %s\n", workloads[w].name,
				strerror(-rc));
			ctx.failed = true;
		}
	}
	bench_progress_done(&ctx);
	bench_eal_down();
	if (ctx.failed)
		fprintf(stderr, "mkalloc-bench: FAILED: a check or an allocator call failed\n");
	return ctx.failed ? EXIT_BUG : 0;
}
