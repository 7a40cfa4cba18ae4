/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TEST_TELEMETRY_H
#define MK_TEST_TELEMETRY_H

/**
 * @file
 * What the files of the "telemetry" suite share: the suite's service, a client of the v2
 * telemetry socket of this process, and the stock dpdk-telemetry.py run on it.
 */

#include <stddef.h>
#include <CUnit/CUnit.h>
#include <cJSON.h>

#include "mk_client.h"

/** The /mkalloc/ commands, in the order the suite's tests index them. */
#define MK_TEST_TEL_COMMANDS 8
extern const char *const mk_test_tel_commands[MK_TEST_TEL_COMMANDS];

/** Bring the suite's service up if it is not (segments "off" and "slab", known buffers);
 * returns its client on "off". */
struct mk_client *mk_test_tel_service(void);

/** A connection to this process's telemetry socket, past its hello; -1 on failure. */
int mk_test_tel_open(void);

/** Send @p len bytes of @p cmd and parse the reply; NULL when missing or not JSON. */
cJSON *mk_test_tel_query(int fd, const char *cmd, size_t len);

/** The answer in a reply {"<cmd>": answer}, or NULL when the reply has another shape. */
const cJSON *mk_test_tel_answer(const cJSON *reply, const char *cmd);

/** The reason of an error answer {"error": "..."}, or NULL when it is not one. */
const char *mk_test_tel_error(const cJSON *answer);

/** Run dpdk-telemetry.py on this process with @p n command lines; its replies, parsed, in
 * @p out (NULL for a line that is not JSON). Returns the lines it printed. */
unsigned int mk_test_tel_stock(const char *const *cmds, unsigned int n, cJSON **out);

/** test_telemetry_fuzz.c adds its tests to the suite. */
int test_telemetry_fuzz_add(CU_pSuite s);

#endif /* MK_TEST_TELEMETRY_H */
