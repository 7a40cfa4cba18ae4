/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MKALLOC_DAEMON_H
#define MKALLOC_DAEMON_H

/*
 * The mkalloc daemon's parts: the EAL and its leftovers (daemon_eal.c), the demo's client
 * lcores (daemon_demo.c), the statistics table and the shutdown report (daemon_stats.c);
 * main.c reads the options and runs the service between them.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mk_service.h"

/* Exit codes. */
#define DAEMON_EXIT_OK		0	/* stopped cleanly */
#define DAEMON_EXIT_FAILURE	1	/* the EAL, the service or the demo failed */
#define DAEMON_EXIT_USAGE	2	/* a bad option or configuration */

/* --- daemon_eal.c ----------------------------------------------------------------------- */

/*
 * Bring the EAL up with the given arguments (argv[0] is the program). When none of them
 * chooses memory and no hugepage can be had, --no-huge -m DAEMON_NO_HUGE_MB is added. A
 * one-line description of the EAL goes to @p mode. Returns 0, or a negative errno with a
 * message printed (-EINVAL for arguments the EAL refuses).
 */
int daemon_eal_up(int argc, char **argv, char *mode, size_t mode_len);

/* rte_eal_cleanup(), then remove the runtime directory that it leaves behind. */
void daemon_eal_down(void);

/* SIGINT and SIGTERM ask for a stop (a second one ends the process at once). */
void daemon_catch_signals(void);

/* The signal that asked for a stop, or 0. */
int daemon_stop_signal(void);

/* --- daemon_demo.c ---------------------------------------------------------------------- */

struct demo;

/*
 * Launch one demo client on each of @p lcores: client i churns segment i mod segments with
 * blocking, burst and asynchronous calls, stamping every buffer and checking the stamp when
 * it frees it. At the stop each keeps @p leak buffers (to show them in the shutdown report)
 * and frees the rest. NULL with a message in @p err on failure.
 */
struct demo *demo_start(struct mk_service *svc, const struct mk_service_conf *conf,
	const unsigned int *lcores, unsigned int n, unsigned int leak, uint64_t seed, char *err,
	size_t errlen);

/* Whether a client has stopped on an error (it reports it at demo_stop()). */
bool demo_failed(const struct demo *d);

/*
 * Stop the clients and wait for them; print one line per client and a total to @p out.
 * Buffers kept on purpose go to @p kept / @p kept_bytes. Returns the number of errors
 * (unexpected statuses, stamps found overwritten) and frees @p d.
 */
uint64_t demo_stop(struct demo *d, FILE *out, uint64_t *kept, uint64_t *kept_bytes);

/* --- daemon_stats.c --------------------------------------------------------------------- */

struct stats;

/* The segments served and the ready line; @p clients are the demo's lcores (may be none). */
void stats_ready(const struct mk_service *svc, const struct mk_service_conf *conf,
	const unsigned int *clients, unsigned int nb_clients, double duration);

/* A table of the shards' figures since the last call, once a second. NULL on ENOMEM. */
struct stats *stats_create(const struct mk_service *svc);
void stats_print(struct stats *st, double now);
void stats_free(struct stats *st);

/*
 * Stop the service (mk_service_stop() reports the segments that still hold buffers), report
 * every segment, and check the counts against each other and against @p expected (the
 * buffers the demo kept on purpose, or -1 when not known). Returns the buffers still
 * allocated; *consistent is false when the figures disagree.
 */
uint64_t stats_shutdown(struct mk_service *svc, int64_t expected, bool *consistent);

#endif /* MKALLOC_DAEMON_H */
