/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TEST_EAL_H
#define MK_TEST_EAL_H

/**
 * @file
 * The EAL fixture of the suites that need DPDK.
 *
 * The EAL can be initialised once per process, so every EAL suite calls mk_test_eal_up() from
 * its suite init; the first call brings the EAL up with a file prefix unique to this run
 * (mkt-<pid>), on hugepages (--in-memory, so no hugepage file is ever left) when at least
 * MK_TEST_EAL_MEM_MB of them are free, else with --no-huge -m MK_TEST_EAL_MEM_MB. The EAL is
 * taken down at exit, and /var/run/dpdk/<prefix> removed, also when the process dies of a
 * signal. MK_TEST_NO_HUGE=1 forces --no-huge.
 */

#include <stdbool.h>

#include "mk_service.h"

/** Memory the fixture asks the EAL for, in MiB. */
#define MK_TEST_EAL_MEM_MB 512
/** lcores the fixture starts: more than this machine's CPUs, mapped onto them. */
#define MK_TEST_EAL_LCORES 6

/** Bring the EAL up once; 0 or a negative errno (and a message). */
int mk_test_eal_up(void);

/**
 * Ask for a primary that secondary processes can join: on hugepages, without --in-memory
 * (hugepage files of the prefix are removed at exit). Before mk_test_eal_up().
 */
void mk_test_eal_shared(void);

/** True when the EAL runs on hugepages, false under --no-huge. */
bool mk_test_eal_hugepages(void);

/** The file prefix of this run. */
const char *mk_test_eal_prefix(void);

/**
 * The service the EAL suites share: @p workers worker lcores (the first non-main lcores),
 * idle loops that yield (more lcores than CPUs here), and two segments: "off" (offset kind,
 * 48 MiB, memzone) and "slab" (slab kind, 32 MiB, anon).
 */
void mk_test_service_conf(struct mk_service_conf *conf, unsigned int workers);

/**
 * mk_test_service_conf() with the control lcore on the lcore after the workers, routing by
 * its views, rebalancing with the defaults.
 */
void mk_test_service_conf_control(struct mk_service_conf *conf, unsigned int workers);

/**
 * Create and start a service, failing the test (fatally) with the reason when it cannot.
 */
struct mk_service *mk_test_service_start(const struct mk_service_conf *conf);

#endif /* MK_TEST_EAL_H */
