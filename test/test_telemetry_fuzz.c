/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "telemetry" suite's fuzzing: malformed parameters for every /mkalloc/ command, over the
 * v2 socket (any byte, any length) and as lines through the stock dpdk-telemetry.py. Each
 * reply must be JSON holding the command's answer: an error object exactly when an oracle
 * that mimics DPDK 22.11's parsing says the parameter is bad, a value otherwise; and the
 * service must go on serving allocations.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>

#include "mk_test.h"
#include "mk_test_telemetry.h"

/* One read of a command by DPDK's telemetry: longer messages are cut there. */
#define CMD_READ_MAX	1023
/* Fuzzed commands: over the socket (any byte), and through the stock client (a line each). */
#define FUZZ_SOCKET	20000
#define FUZZ_STOCK	2000

/* Whether the parameter a callback gets (NULL: none) names what command @p cmd wants. */
static bool
param_valid(unsigned int cmd, const char *param)
{
	const char *colon;
	size_t digits;

	switch (cmd) {
	case 0: case 5: case 6:		/* segments, config, clients */
		return param == NULL;
	case 3:				/* shard: <segment>:<id> */
		if (param == NULL || (colon = strchr(param, ':')) == NULL)
			return false;
		digits = strlen(colon + 1);
		if (digits == 0 || digits > 5 || strspn(colon + 1, "0123456789") != digits ||
		    strtoul(colon + 1, NULL, 10) >= 2)
			return false;
		return (colon - param == 3 && strncmp(param, "off", 3) == 0) ||
			(colon - param == 4 && strncmp(param, "slab", 4) == 0);
	default:			/* segment, shards, routing, rebalance */
		return param != NULL && (strcmp(param, "off") == 0 || strcmp(param, "slab") == 0);
	}
}

/*
 * The parameter that DPDK 22.11's telemetry hands the callback for a message: one read of
 * at most CMD_READ_MAX bytes, cut at a NUL, the rest after the first ',' (NULL when empty).
 */
static const char *
param_of(char *msg, size_t len)
{
	char *comma;

	msg[len < CMD_READ_MAX ? len : CMD_READ_MAX] = '\0';
	comma = strchr(msg, ',');
	return comma == NULL || comma[1] == '\0' ? NULL : comma + 1;
}

/* A fuzzed message for command @p cmd: junk, long, numeric edges, or near-misses of a good
 * parameter. Bytes other than NUL are any when @p printable is false. */
static size_t
fuzz_message(uint64_t *seed, unsigned int cmd, bool printable, char *msg, size_t cap)
{
	static const char *const good[] = { "off", "slab", "off:0", "off:1", "slab:1" };
	static const char *const edges[] = {
		"-1", "+1", " 1", "1 ", "0x1", "1e3", "01", "00000", "000001", "2", "99999",
		"18446744073709551617", "4294967297", "", ":", "1:1", "0.5", "１",
	};
	const char *name = mk_test_below(seed, 2) ? "off" : "slab";
	size_t n = (size_t)snprintf(msg, cap, "%s,", mk_test_tel_commands[cmd]), i, extra;
	size_t start = n;	/* where the parameter begins */
	unsigned int lo = printable ? 0x21 : 0x01, span = printable ? 0x5e : 0xff;

	switch (mk_test_below(seed, 8)) {
	case 0:			/* no parameter at all */
		msg[--n] = '\0';
		return n;
	case 1:			/* a good one, as a control */
		return n + (size_t)snprintf(msg + n, cap - n, "%s", good[mk_test_below(seed, 5)]);
	case 2:			/* a good segment, a shard id at the edges */
		return n + (size_t)snprintf(msg + n, cap - n, "%s:%s", name,
			edges[mk_test_below(seed, RTE_DIM(edges))]);
	case 3:			/* long: past the name limit, past one read of the socket */
		extra = 20 + (size_t)mk_test_below(seed, 1100);
		break;
	case 4: {		/* a good one with 1..3 bytes changed, added or taken out */
		unsigned int edits = 1 + (unsigned int)mk_test_below(seed, 3);

		n += (size_t)snprintf(msg + n, cap - n, "%s", good[mk_test_below(seed, 5)]);
		while (edits-- > 0) {
			size_t at_ = start + (size_t)mk_test_below(seed, 5);
			char c = (char)(lo + mk_test_below(seed, span));

			if (at_ >= n)
				msg[n++] = c;
			else if (mk_test_below(seed, 2))
				msg[at_] = c;
			else
				memmove(msg + at_, msg + at_ + 1, n-- - at_);
		}
		msg[n] = '\0';
		return n;
	}
	default:		/* short junk */
		extra = 1 + (size_t)mk_test_below(seed, 40);
		break;
	}
	for (i = 0; i < extra && n + 1 < cap; i++)
		msg[n++] = (char)(lo + mk_test_below(seed, span));
	msg[n] = '\0';
	return n;
}

/* A reply to a fuzzed command: JSON, the command's answer, an error iff the parameter is bad.
 * Returns 1 for an error answer, 0 for a value, -1 for a wrong reply. */
static int
check_fuzz_reply(const cJSON *reply, unsigned int cmd, bool valid, const char *msg)
{
	const cJSON *a = mk_test_tel_answer(reply, mk_test_tel_commands[cmd]);
	const char *e = mk_test_tel_error(a);

	if (a == NULL || cJSON_IsNull(a) || valid != (e == NULL) ||
	    (e != NULL && (e[0] == '\0' || strlen(e) >= 128 || strchr(e, '\n') != NULL))) {
		fprintf(stderr, "fuzz: '%.80s' (%s) answered %s\n", msg, valid ? "good" : "bad",
			a == NULL ? "no answer" : e != NULL ? e : "a value");
		return -1;
	}
	return e != NULL;
}

/* The service still serves: an allocation and its free, through the suite's client. */
static bool
still_serves(struct mk_client *c)
{
	struct mk_buffer b;

	return mk_client_alloc(c, 4096, 0, &b) == 0 && mk_client_free(c, &b) == 0;
}

static void
test_fuzz_socket(void)
{
	struct mk_client *c;
	uint64_t seed = 0x7e1e3e7a;
	unsigned int i, errors = 0, bad = 0;
	char msg[1200], copy[1200];
	int fd;

	c = mk_test_tel_service();
	fd = mk_test_tel_open();
	CU_ASSERT_FATAL(fd >= 0);
	for (i = 0; i < FUZZ_SOCKET; i++) {
		unsigned int cmd = (unsigned int)mk_test_below(&seed, MK_TEST_TEL_COMMANDS);
		size_t n = fuzz_message(&seed, cmd, false, msg, sizeof(msg));
		cJSON *r = mk_test_tel_query(fd, msg, n);
		int rc;

		memcpy(copy, msg, n + 1);
		rc = check_fuzz_reply(r, cmd, param_valid(cmd, param_of(copy, n)), msg);
		cJSON_Delete(r);
		bad += rc < 0;
		errors += rc > 0;
		if (bad > 10)
			break;
		if (i % 1000 == 999)
			CU_ASSERT(still_serves(c));
	}
	close(fd);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(still_serves(c));
	printf("\n    %u fuzzed commands over the socket: %u error objects, %u values\n", i,
		errors, i - errors);
}

static void
test_fuzz_stock(void)
{
	static char text[FUZZ_STOCK][1200];
	static const char *lines[FUZZ_STOCK];
	static cJSON *r[FUZZ_STOCK];
	static unsigned int cmd[FUZZ_STOCK];
	struct mk_client *c;
	uint64_t seed = 0x5bd1e995;
	unsigned int i, got, errors = 0, bad = 0;
	char copy[1200];

	c = mk_test_tel_service();
	for (i = 0; i < FUZZ_STOCK; i++) {
		cmd[i] = (unsigned int)mk_test_below(&seed, MK_TEST_TEL_COMMANDS);
		fuzz_message(&seed, cmd[i], true, text[i], sizeof(text[i]));
		lines[i] = text[i];
		r[i] = NULL;
	}
	got = mk_test_tel_stock(lines, FUZZ_STOCK, r);
	CU_ASSERT_EQUAL(got, FUZZ_STOCK);
	for (i = 0; i < got && i < FUZZ_STOCK; i++) {
		int rc;

		size_t n = strlen(text[i]);

		/* the stock client strips the line (it starts with '/'): so does the oracle */
		while (n > 0 && text[i][n - 1] == ' ')
			n--;
		memcpy(copy, text[i], n);
		rc = check_fuzz_reply(r[i], cmd[i], param_valid(cmd[i], param_of(copy, n)),
			text[i]);
		bad += rc < 0;
		errors += rc > 0;
		cJSON_Delete(r[i]);
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(still_serves(c));
	printf("\n    %u fuzzed lines through dpdk-telemetry.py: %u error objects, %u values\n",
		got, errors, got - errors);
}

int
test_telemetry_fuzz_add(CU_pSuite s)
{
	if (CU_add_test(s, "fuzz_socket", test_fuzz_socket) == NULL ||
	    CU_add_test(s, "fuzz_stock_client", test_fuzz_stock) == NULL)
		return -1;
	return 0;
}
