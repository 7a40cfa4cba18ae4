/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkalloc: the service as a daemon. It brings the EAL up, reads its JSON config (a file, or
 * the default built in from config/mkalloc.json), creates and starts the service, and serves
 * until SIGINT, SIGTERM or --duration; with --demo, client lcores churn buffers meanwhile and
 * a table of the shards' figures is printed once a second. The stop answers every request
 * made, reports every buffer still allocated, and gives back all memory and the EAL.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "daemon.h"
#include "mk_service_json.h"
#include "mkalloc_default_json.h"

/* How often the main lcore looks at the stop flag and the clock, in ms. */
#define MAIN_TICK_MS		50

struct options {
	const char *config;	/* NULL: the built-in one */
	double duration;	/* seconds; 0 = until a signal */
	bool demo;
	int stats;		/* -1: with --demo */
	unsigned int leak;
	uint64_t seed;
	bool check_config;
	bool default_config;
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: mkalloc [EAL args] -- [options]\n"
"\n"
"The mkalloc service as a daemon: worker lcores serve alloc/free requests on shards of the\n"
"configured segments until SIGINT or SIGTERM (a second one exits at once) or --duration.\n"
"Clients are lcores of the same process today (secondary processes come later), so without\n"
"--demo the daemon serves nobody yet: it shows that the config works and what it reserves.\n"
"\n"
"options:\n"
"  -c, --config FILE    JSON config (schema: mk_service_json.h, README); default: built in\n"
"  -d, --duration S     stop by itself after S seconds (default: run until a signal)\n"
"      --demo           churn buffers from the lcores that are not workers or the control\n"
"                       lcore (\"workers\": \"auto\" leaves half of them to the demo) and\n"
"                       print statistics\n"
"      --leak N         with --demo: each client keeps N buffers at the stop, to see the\n"
"                       shutdown report name them\n"
"      --seed N         with --demo: the first client's PRNG seed (default 1)\n"
"      --stats          print the statistics table once a second (default with --demo)\n"
"      --no-stats       do not\n"
"      --check-config   read and check the config, print it resolved as JSON, and exit\n"
"      --default-config print the built-in config and exit\n"
"  -h, --help           this text\n"
"\n"
"EAL args: DPDK's (doc.dpdk.org/guides-22.11/linux_gsg/linux_eal_parameters.html). When\n"
"none chooses memory and no hugepage is free, --no-huge -m 512 is added. Give more lcores\n"
"than CPUs with e.g. --lcores '(0-5)@(0-1)'; \"idle\": \"auto\" then yields.\n"
"\n"
"exit codes: 0 stopped cleanly (the report says what was still allocated); 1 the EAL, the\n"
"service or the demo failed; 2 a bad option or config (the message names it).\n"
"example: mkalloc --no-huge -m 512 --lcores '(0-5)@(0-1)' -- --demo --duration 10\n");
}

static int
parse_number(const char *opt, const char *arg, double min, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !(*out >= min) || *out > 1e9) {
		fprintf(stderr, "mkalloc: %s: '%s' is not a number from %g\n", opt, arg, min);
		return -EINVAL;
	}
	return 0;
}

static int
parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_DEMO = 256, OPT_LEAK, OPT_SEED, OPT_STATS, OPT_NO_STATS, OPT_CHECK,
		OPT_DEFAULT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "demo", no_argument, NULL, OPT_DEMO },
		{ "leak", required_argument, NULL, OPT_LEAK },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "no-stats", no_argument, NULL, OPT_NO_STATS },
		{ "check-config", no_argument, NULL, OPT_CHECK },
		{ "default-config", no_argument, NULL, OPT_DEFAULT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double x;
	int c;

	memset(o, 0, sizeof(*o));
	o->stats = -1;
	o->seed = 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			if (parse_number("--duration", optarg, 0, &o->duration) != 0)
				return -EINVAL;
			break;
		case OPT_DEMO:
			o->demo = true;
			break;
		case OPT_LEAK:
			if (parse_number("--leak", optarg, 0, &x) != 0 || x != (unsigned int)x)
				return -EINVAL;
			o->leak = (unsigned int)x;
			break;
		case OPT_SEED:
			if (parse_number("--seed", optarg, 0, &x) != 0 || x != (uint64_t)x)
				return -EINVAL;
			o->seed = (uint64_t)x;
			break;
		case OPT_STATS:
		case OPT_NO_STATS:
			o->stats = c == OPT_STATS;
			break;
		case OPT_CHECK:
			o->check_config = true;
			break;
		case OPT_DEFAULT:
			o->default_config = true;
			break;
		case 'h':
			usage(stdout);
			exit(DAEMON_EXIT_OK);
		case ':':
			fprintf(stderr, "mkalloc: %s needs a value (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr, "mkalloc: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mkalloc: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	if (o->leak > 0 && !o->demo) {
		fprintf(stderr, "mkalloc: --leak needs --demo\n");
		return -EINVAL;
	}
	if (o->stats < 0)
		o->stats = o->demo;
	return 0;
}

/* Whether an argument before "--" is one of ours: say where it goes instead of the EAL. */
static const char *
misplaced_option(int argc, char **argv)
{
	static const char *const ours[] = {
		"--config", "--duration", "--demo", "--leak", "--seed", "--stats", "--no-stats",
		"--check-config", "--default-config",
	};
	int i;
	size_t k;

	for (i = 1; i < argc; i++)
		for (k = 0; k < RTE_DIM(ours); k++)
			if (strncmp(argv[i], ours[k], strlen(ours[k])) == 0)
				return argv[i];
	return NULL;
}

/* The enabled lcores that are not the main, a worker or the control one: the demo's. */
static unsigned int
client_lcores(const struct mk_service_conf *conf, unsigned int *out)
{
	unsigned int l, i, n = 0;

	RTE_LCORE_FOREACH_WORKER(l) {
		for (i = 0; i < conf->nb_workers; i++)
			if (conf->worker_lcores[i] == l)
				break;
		if (i == conf->nb_workers && !(conf->control && conf->control_lcore == l))
			out[n++] = l;
	}
	return n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Serve until a signal, --duration, or a demo client's failure; print the table meanwhile. */
static void
serve(const struct options *o, struct stats *st, const struct demo *demo)
{
	struct timespec tick = { 0, MAIN_TICK_MS * 1000000L };
	double start = now_s(), next = start + 1, t;

	for (;;) {
		nanosleep(&tick, NULL);
		t = now_s();
		if (daemon_stop_signal() != 0) {
			printf("mkalloc: %s: stopping\n", daemon_stop_signal() == SIGINT ?
				"SIGINT" : "SIGTERM");
			return;
		}
		if (demo != NULL && demo_failed(demo)) {
			printf("mkalloc: a demo client failed: stopping\n");
			return;
		}
		if (st != NULL && t >= next) {
			stats_print(st, next - start);
			next += 1;
		}
		if (o->duration > 0 && t - start >= o->duration) {
			printf("mkalloc: %g s passed: stopping\n", o->duration);
			return;
		}
	}
}

static int
run(const struct options *o)
{
	struct mk_service_json_opts jopts = { .spare_lcores = 0 };
	unsigned int clients[RTE_MAX_LCORE], nb_clients = 0;
	struct mk_service_conf conf;
	struct mk_service *svc;
	struct demo *demo = NULL;
	struct stats *st = NULL;
	uint64_t errors = 0, kept = 0, kept_bytes = 0, leaked;
	char err[512], *json;
	bool consistent;
	int rc;

	if (o->demo)
		jopts.spare_lcores = (rte_lcore_count() - 1) / 2;
	if (o->config != NULL)
		rc = mk_service_conf_load(o->config, &jopts, &conf, err, sizeof(err));
	else
		rc = mk_service_conf_from_json(mk_default_config, MK_DEFAULT_CONFIG_LEN, &jopts,
			&conf, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "mkalloc: %s%s\n", o->config != NULL ? "" : "built-in config: ",
			err);
		return rc == -ENODEV ? DAEMON_EXIT_FAILURE : DAEMON_EXIT_USAGE;
	}
	if (o->check_config) {
		json = malloc(MK_SERVICE_JSON_MAX);
		rc = json != NULL ? mk_service_conf_to_json(&conf, json, MK_SERVICE_JSON_MAX, err,
			sizeof(err)) : -ENOMEM;
		if (rc >= 0)
			printf("%s\n", json);
		else
			fprintf(stderr, "mkalloc: %s\n", json != NULL ? err : "out of memory");
		free(json);
		return rc >= 0 ? DAEMON_EXIT_OK : DAEMON_EXIT_FAILURE;
	}
	if (o->demo) {
		/* one client per lcore left, as many as the service takes */
		nb_clients = RTE_MIN(client_lcores(&conf, clients), conf.max_clients);
		if (nb_clients == 0) {
			fprintf(stderr, "mkalloc: --demo: no lcore is left for clients: the"
				" workers%s take all %u lcores besides the main one; give more"
				" lcores (e.g. --lcores '(0-5)@(0-1)') or fewer workers\n",
				conf.control ? " and the control lcore" : "",
				rte_lcore_count() - 1);
			return DAEMON_EXIT_USAGE;
		}
	}
	svc = mk_service_create(&conf, err, sizeof(err));
	if (svc == NULL) {
		fprintf(stderr, "mkalloc: cannot create the service: %s\n", err);
		return rte_errno == EINVAL ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
	}
	rc = mk_service_start(svc);
	if (rc != 0) {
		fprintf(stderr, "mkalloc: cannot start the workers: %s\n", strerror(-rc));
		mk_service_destroy(svc);
		return DAEMON_EXIT_FAILURE;
	}
	if (o->demo) {
		demo = demo_start(svc, &conf, clients, nb_clients, o->leak, o->seed, err,
			sizeof(err));
		if (demo == NULL) {
			fprintf(stderr, "mkalloc: --demo: %s\n", err);
			mk_service_destroy(svc);
			return DAEMON_EXIT_FAILURE;
		}
	}
	if (o->stats)
		st = stats_create(svc);
	stats_ready(svc, &conf, clients, nb_clients, o->duration);
	serve(o, st, demo);

	/* clients first, so that the report shows only what they kept */
	if (demo != NULL)
		errors = demo_stop(demo, stdout, &kept, &kept_bytes);
	leaked = stats_shutdown(svc, o->demo ? (int64_t)kept : -1, &consistent);
	mk_service_destroy(svc);
	stats_free(st);
	printf("mkalloc: stopped: %" PRIu64 " buffers were still allocated%s; memory released\n",
		leaked, o->demo && leaked > 0 && leaked == kept ?
		" (all kept by the demo, --leak)" : "");
	return errors == 0 && consistent ? DAEMON_EXIT_OK : DAEMON_EXIT_FAILURE;
}

int
main(int argc, char **argv)
{
	char *no_options[] = { argv[0], NULL }, **app_argv = no_options;
	int i, rc, eal_argc = argc, app_argc = 1, status;
	struct options o;
	char mode[512];

	/* one line at a time, also into a file or a pipe: the report is read while we run */
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			/* getopt_long() wants the program's name first: "--" makes room for it */
			argv[i] = argv[0];
			app_argv = argv + i;
			app_argc = argc - i;
			break;
		}
		/* ours, not the EAL's (which would print its own and exit) */
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return DAEMON_EXIT_OK;
		}
	}
	if (parse_options(app_argc, app_argv, &o) != 0)
		return DAEMON_EXIT_USAGE;
	if (o.default_config) {
		fwrite(mk_default_config, 1, MK_DEFAULT_CONFIG_LEN, stdout);
		return DAEMON_EXIT_OK;
	}
	daemon_catch_signals();
	rc = daemon_eal_up(eal_argc, argv, mode, sizeof(mode));
	if (rc != 0) {
		if (misplaced_option(eal_argc, argv) != NULL)
			fprintf(stderr, "mkalloc: '%s' is an option of mkalloc, not of the EAL: put"
				" it after '--'\n", misplaced_option(eal_argc, argv));
		return rc == -EINVAL ? DAEMON_EXIT_USAGE : DAEMON_EXIT_FAILURE;
	}
	/* --check-config prints the config alone, for a file */
	if (!o.check_config)
		printf("mkalloc: EAL: %s\n", mode);
	status = run(&o);
	daemon_eal_down();
	return status;
}
