/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "service_json": the service's JSON configuration (lib/mkalloc/mk_service_json.h) on
 * the EAL fixture (6 lcores over the machine's CPUs): every key read into the conf, "auto"
 * resolved from the EAL, every kind of mistake refused with a message that names its key,
 * sizes that cannot be reserved refused, and a written conf read back the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_memory.h>

#include "mk_config.h"
#include "mk_service_json.h"
#include "mk_test.h"
#include "mk_test_eal.h"

#define MiB (UINT64_C(1) << 20)

static int
suite_init(void)
{
	return mk_test_eal_up() == 0 ? 0 : -1;
}

static int
parse(const char *json, const struct mk_service_json_opts *opts, struct mk_service_conf *conf,
	char *err, size_t errlen)
{
	err[0] = '\0';
	return mk_service_conf_from_json(json, strlen(json), opts, conf, err, errlen);
}

static void
test_every_key(void)
{
	char json[1024], err[256];
	struct mk_service_conf conf;
	const struct mk_segment_conf *a = &conf.segments[0], *b = &conf.segments[1];

	snprintf(json, sizeof(json),
		"{ \"comment\": [\"all\", \"of it\"], \"workers\": [%u, %u], \"idle\": \"spin\","
		" \"burst\": 8, \"client_depth\": 64, \"max_clients\": 4, \"segments\": ["
		"{ \"name\": \"kv\", \"size\": \"24m\", \"kind\": \"offset\","
		" \"mem_driver\": \"anon\", \"socket\": -1, \"workers\": [%u],"
		" \"max_alloc_size\": 1048576,"
		" \"need_exact_free\": true, \"need_align\": \"4K\", \"max_nodes\": 5000,"
		" \"comment\": \"x\" },"
		"{ \"name\": \"small\", \"size\": 16777216, \"kind\": \"slab\","
		" \"slab_size\": \"1M\", \"max_alloc_size\": \"64K\", \"need_align\": 8 } ] }",
		mk_lcore_nth(0), mk_lcore_nth(1), mk_lcore_nth(1));
	CU_ASSERT_EQUAL_FATAL(parse(json, NULL, &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.nb_workers, 2);
	CU_ASSERT_EQUAL(conf.worker_lcores[0], mk_lcore_nth(0));
	CU_ASSERT_EQUAL(conf.worker_lcores[1], mk_lcore_nth(1));
	CU_ASSERT(!conf.idle_pause && !conf.idle_yield);
	CU_ASSERT_EQUAL(conf.burst, 8);
	CU_ASSERT_EQUAL(conf.client_depth, 64);
	CU_ASSERT_EQUAL(conf.max_clients, 4);
	CU_ASSERT_EQUAL(conf.nb_segments, 2);
	CU_ASSERT_STRING_EQUAL(a->name, "kv");
	CU_ASSERT_EQUAL(a->size, 24 * MiB);
	CU_ASSERT_EQUAL(a->kind, MK_ALLOC_KIND_OFFSET);
	CU_ASSERT_STRING_EQUAL(a->mem_driver, "anon");
	CU_ASSERT_EQUAL(a->socket, -1);
	CU_ASSERT_EQUAL(a->nb_workers, 1);
	CU_ASSERT_EQUAL(a->workers[0], mk_lcore_nth(1));
	CU_ASSERT_EQUAL(a->max_alloc_size, MiB);
	CU_ASSERT(a->need_exact_free);
	CU_ASSERT_EQUAL(a->need_align, 4096);
	CU_ASSERT_EQUAL(a->max_nodes, 5000);
	CU_ASSERT_STRING_EQUAL(b->name, "small");
	CU_ASSERT_EQUAL(b->size, 16 * MiB);
	CU_ASSERT_EQUAL(b->kind, MK_ALLOC_KIND_SLAB);
	CU_ASSERT_STRING_EQUAL(b->mem_driver, "memzone");
	CU_ASSERT_EQUAL(b->nb_workers, 0);
	CU_ASSERT_EQUAL(b->slab_size, MiB);
	CU_ASSERT_EQUAL(b->max_alloc_size, 64 << 10);
	CU_ASSERT_EQUAL(b->need_align, 8);
}

static void
test_auto(void)
{
	static const char json[] = "{ \"segments\": [ { \"name\": \"a\", \"size\": \"auto\" } ] }";
	struct mk_service_json_opts opts = { .spare_lcores = 2 };
	unsigned int others = rte_lcore_count() - 1, i;
	struct mk_service_conf conf;
	char err[256];
	uint64_t size;

	/* defaults: every other lcore a worker but the last, the control lcore, which routes;
	 * "yield", since the fixture's lcores share CPUs */
	CU_ASSERT_EQUAL_FATAL(parse(json, NULL, &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.burst, MK_SERVICE_BURST);
	CU_ASSERT_EQUAL(conf.client_depth, MK_SERVICE_CLIENT_DEPTH);
	CU_ASSERT_EQUAL(conf.max_clients, MK_SERVICE_MAX_CLIENTS);
	CU_ASSERT_EQUAL(conf.nb_workers, others - 1);
	for (i = 0; i < conf.nb_workers; i++)
		CU_ASSERT_EQUAL(conf.worker_lcores[i], mk_lcore_nth(i));
	CU_ASSERT(conf.control && conf.routing);
	CU_ASSERT_EQUAL(conf.control_lcore, mk_lcore_nth(others - 1));
	CU_ASSERT(conf.idle_yield);
	CU_ASSERT_STRING_EQUAL(conf.segments[0].mem_driver, "memzone");
	CU_ASSERT_EQUAL(conf.segments[0].socket, -1);
	/* a power of two up to 1 GiB; under --no-huge at most half of the EAL's memory */
	size = conf.segments[0].size;
	CU_ASSERT(size != 0 && (size & (size - 1)) == 0);
	CU_ASSERT(size <= MK_SERVICE_JSON_AUTO_SIZE);
	if (!mk_test_eal_hugepages())
		CU_ASSERT(size <= rte_eal_get_physmem_size() / 2);
	/* the last lcores are left to the caller; the control lcore comes before them */
	CU_ASSERT_EQUAL_FATAL(parse(json, &opts, &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.nb_workers, others - 3);
	CU_ASSERT_EQUAL(conf.worker_lcores[conf.nb_workers - 1], mk_lcore_nth(others - 4));
	CU_ASSERT_EQUAL(conf.control_lcore, mk_lcore_nth(others - 3));
	/* a count takes the first ones; one worker needs no control lcore */
	CU_ASSERT_EQUAL_FATAL(parse("{ \"workers\": 2, \"idle\": \"pause\", \"routing\": false,"
		" \"rebalance\": false, \"rebalance_wait_us\": 5000, \"rebalance_drift_pct\": 0,"
		" \"rebalance_cooldown_ms\": 20,"
		" \"segments\": [ { \"name\": \"a\", \"size\": \"8M\" } ] }", NULL, &conf, err,
		sizeof(err)), 0);
	CU_ASSERT(!conf.rebalance);
	CU_ASSERT_EQUAL(conf.rebalance_wait_us, 5000);
	CU_ASSERT_EQUAL(conf.rebalance_drift_pct, 0);
	CU_ASSERT_EQUAL(conf.rebalance_cooldown_ms, 20);
	CU_ASSERT_EQUAL(conf.nb_workers, 2);
	CU_ASSERT_EQUAL(conf.worker_lcores[1], mk_lcore_nth(1));
	CU_ASSERT(conf.control && !conf.routing);
	CU_ASSERT_EQUAL(conf.control_lcore, mk_lcore_nth(2));
	CU_ASSERT(conf.idle_pause && !conf.idle_yield);
	CU_ASSERT_EQUAL_FATAL(parse("{ \"workers\": 1, \"segments\": [ { \"name\": \"a\","
		" \"size\": \"8M\" } ] }", NULL, &conf, err, sizeof(err)), 0);
	CU_ASSERT(!conf.control && !conf.routing);
	/* the defaults of mk_config.h */
	CU_ASSERT(conf.rebalance);
	CU_ASSERT_EQUAL(conf.rebalance_wait_us, MK_REBALANCE_WAIT_US);
	CU_ASSERT_EQUAL(conf.rebalance_drift_pct, MK_REBALANCE_DRIFT_PCT);
}

/* A config of one segment "a" of 8 MiB, with more keys in the segment or at the top. */
#define SEG_A		"{\"name\": \"a\", \"size\": \"8M\""
#define IN_SEG(keys)	"{\"segments\": [" SEG_A keys "}]}"
#define AT_TOP(keys)	"{" keys "\"segments\": [" SEG_A "}]}"
#define SEG(keys)	"{\"segments\": [{" keys "}]}"

/* Each case is refused with its errno, and the message starts with (or names) its key. */
static void
test_refused(void)
{
	static const struct {
		int rc;
		const char *needle;
		const char *json;
	} cases[] = {
		{ -EINVAL, "config: not valid JSON at line 2, column", "{\n \"segments\": [ }" },
		{ -EINVAL, "config: an object expected, not an array", "[]" },
		{ -EINVAL, "config: text after the JSON object at line 1", IN_SEG("") " x" },
		{ -EINVAL, "config: a string holds \\u0000", SEG("\"name\": \"a\\u0000\"") },
		{ -EINVAL, "segments: missing", "{}" },
		{ -EINVAL, "segmnts: unknown key", "{\"segmnts\": []}" },
		{ -EINVAL, "segments: 1..16 segments, not 0", "{\"segments\": []}" },
		{ -EINVAL, "segments: a list expected, not an object", "{\"segments\": {}}" },
		{ -EINVAL, "segments[0]: an object expected, not a string",
			"{\"segments\": [\"a\"]}" },
		{ -EINVAL, "segments[0].name: missing", SEG("\"size\": \"8M\"") },
		{ -EINVAL, "segments[0].size: missing", SEG("\"name\": \"a\"") },
		{ -EINVAL, "segments[0].nme: unknown key", IN_SEG(", \"nme\": 1") },
		{ -EINVAL, "segments[0].size: given twice", IN_SEG(", \"size\": \"8M\"") },
		{ -EINVAL, "segments[0].size: \"12Q\" is not a size",
			SEG("\"name\": \"a\", \"size\": \"12Q\"") },
		{ -EINVAL, "segments[0].size: \"99999999999999999999\" is not a size",
			SEG("\"name\": \"a\", \"size\": \"99999999999999999999\"") },
		{ -EINVAL, "segments[0].size: \"16384P\" is not a size",
			SEG("\"name\": \"a\", \"size\": \"16384P\"") },
		{ -EINVAL, "segments[0].size: -1 is not an integer",
			SEG("\"name\": \"a\", \"size\": -1") },
		{ -EINVAL, "segments[0].size: 1.5 is not an integer",
			SEG("\"name\": \"a\", \"size\": 1.5") },
		{ -EINVAL, "segments[0].size: 1e+16 is above 2^53",
			SEG("\"name\": \"a\", \"size\": 1e16") },
		{ -EINVAL, "segments[0].size: a size (bytes, or a string: \"512M\") expected, not"
			" a boolean", SEG("\"name\": \"a\", \"size\": true") },
		{ -EINVAL, "segments[0].size 18445618173802708992 above 2^63",
			SEG("\"name\": \"a\", \"size\": \"16383P\"") },
		{ -EINVAL, "segments[0].name: \"abcdefghijklmnopqrstuvwxyz\": 1..25 characters",
			SEG("\"name\": \"abcdefghijklmnopqrstuvwxyz\", \"size\": \"8M\"") },
		{ -EINVAL, "segments[1].name 'a' is used twice",
			"{\"segments\": [" SEG_A "}, " SEG_A "}]}" },
		{ -EINVAL, "segments[0].socket: socket 7 is not one of the EAL's",
			IN_SEG(", \"socket\": 7") },
		{ -EINVAL, "segments[0].slab_size: 3000 is not a power of two",
			IN_SEG(", \"slab_size\": 3000") },
		{ -EINVAL, "segments[0].need_align: 3 is not a power of two",
			IN_SEG(", \"need_align\": 3") },
		{ -EINVAL, "segments[0].max_alloc_size: 8388608, the slab kind serves at most one"
			" slab", SEG("\"name\": \"a\", \"size\": \"64M\", \"kind\": \"slab\","
			" \"max_alloc_size\": \"8M\"") },
		{ -EINVAL, "segments[0].max_nodes: 268435456 is not an integer in 0..268435455",
			IN_SEG(", \"max_nodes\": 268435456") },
		{ -EINVAL, "segments[0].workers: an empty list", IN_SEG(", \"workers\": []") },
		{ -EINVAL, "segments[0].workers[1]: a number expected, not a string",
			IN_SEG(", \"workers\": [1, \"2\"]") },
		{ -EINVAL, "segments[0].comment: a string or a list of strings expected, not a"
			" number", IN_SEG(", \"comment\": 1") },
		{ -EINVAL, "comment: a string or a list of strings expected, not an array",
			AT_TOP("\"comment\": [\"a\", 1], ") },
		{ -EINVAL, "burst: 65 is not an integer in 1..64", AT_TOP("\"burst\": 65, ") },
		{ -EINVAL, "max_clients: a number expected, not null",
			AT_TOP("\"max_clients\": null, ") },
		{ -EINVAL, "idle: \"sleep\" is not one of auto, spin, pause, yield",
			AT_TOP("\"idle\": \"sleep\", ") },
		{ -EINVAL, "workers: \"auto\", a number or a list of lcores expected, not a"
			" boolean", AT_TOP("\"workers\": false, ") },
		{ -EINVAL, "workers: 9 asked for, the EAL has 5 lcores",
			AT_TOP("\"workers\": 9, ") },
		{ -EINVAL, "workers: 6 lcores listed, the EAL has 5",
			AT_TOP("\"workers\": [1, 2, 3, 4, 5, 6], ") },
		{ -EINVAL, "control: \"auto\", false or an lcore id expected, not a boolean",
			AT_TOP("\"control\": true, ") },
		{ -EINVAL, "control: lcore 0 is the main lcore", AT_TOP("\"control\": 0, ") },
		{ -EINVAL, "control: lcore 9 is not enabled", AT_TOP("\"control\": 9, ") },
		{ -EINVAL, "control_period_us: 1000001 is not an integer in 0..1000000",
			AT_TOP("\"control_period_us\": 1000001, ") },
		{ -EINVAL, "routing: true or false expected, not a string",
			AT_TOP("\"routing\": \"yes\", ") },
		{ -EINVAL, "rebalance: true or false expected, not a number",
			AT_TOP("\"rebalance\": 1, ") },
		{ -EINVAL, "rebalance_wait_us: 10000001 is not an integer in 0..10000000",
			AT_TOP("\"rebalance_wait_us\": 10000001, ") },
		{ -EINVAL, "rebalance_drift_pct: -1 is not an integer in 0..1000",
			AT_TOP("\"rebalance_drift_pct\": -1, ") },
		{ -ENOMEM, "segments[0].size: 1125899906842624 bytes cannot be reserved",
			SEG("\"name\": \"a\", \"size\": \"1P\"") },
		{ -ENOMEM, "segments[1].size: 1125899906842624 bytes cannot be reserved",
			"{\"segments\": [" SEG_A "}, {\"name\": \"b\", \"size\": \"1P\","
			" \"mem_driver\": \"anon\"}]}" },
	};
	struct mk_service_conf conf;
	char err[512];
	unsigned int i;

	for (i = 0; i < RTE_DIM(cases); i++) {
		int rc = parse(cases[i].json, NULL, &conf, err, sizeof(err));

		if (rc != cases[i].rc || strstr(err, cases[i].needle) == NULL) {
			fprintf(stderr, "\ncase %u: %s\n  got %d '%s'\n  expected %d '%s'\n", i,
				cases[i].json, rc, err, cases[i].rc, cases[i].needle);
			CU_FAIL("refused with the wrong errno or message");
		}
	}
}

static void
test_round_trip(void)
{
	char text[4096], again[4096], err[256];
	struct mk_service_conf conf, back;
	int len;

	snprintf(text, sizeof(text), "{ \"workers\": 3, \"control_period_us\": 500,"
		" \"rebalance_wait_us\": 7000, \"rebalance_drift_pct\": 30,"
		" \"rebalance_cooldown_ms\": 5, \"secondary_gone\": \"keep\","
		" \"secondary_buffers\": 999, \"segments\": ["
		"{ \"name\": \"x\", \"size\": \"12M\", \"kind\": \"slab\", \"slab_size\": \"2M\","
		" \"workers\": [%u, %u] },"
		"{ \"name\": \"y\", \"size\": 12345678, \"max_alloc_size\": 1000,"
		" \"need_align\": 64, \"mem_driver\": \"anon\", \"max_nodes\": 4096 } ] }",
		mk_lcore_nth(2), mk_lcore_nth(0));
	CU_ASSERT_EQUAL_FATAL(parse(text, NULL, &conf, err, sizeof(err)), 0);
	len = mk_service_conf_to_json(&conf, again, sizeof(again), err, sizeof(err));
	CU_ASSERT_FATAL(len > 0 && (size_t)len == strlen(again));
	CU_ASSERT_PTR_NOT_NULL(strstr(again, "\"12M\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(again, "12345678"));
	CU_ASSERT_PTR_NOT_NULL(strstr(again, "\"secondary_gone\":\t\"keep\""));
	CU_ASSERT_EQUAL_FATAL(parse(again, NULL, &back, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&conf, &back, sizeof(conf)), 0);
	CU_ASSERT_EQUAL(mk_service_conf_to_json(&conf, again, 16, err, sizeof(err)), -EMSGSIZE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "needs"));
}

static void
test_load(void)
{
	static const char json[] = "{ \"segments\": [ { \"name\": \"f\", \"size\": \"4M\" } ] }\n";
	char path[] = "/tmp/mkalloc-test-json-XXXXXX", err[512];
	struct mk_service_conf conf;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, json, sizeof(json) - 1), (ssize_t)(sizeof(json) - 1));
	close(fd);
	CU_ASSERT_EQUAL(mk_service_conf_load(path, NULL, &conf, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(conf.segments[0].size, 4 * MiB);
	unlink(path);
	CU_ASSERT_EQUAL(mk_service_conf_load(path, NULL, &conf, err, sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, path));
	CU_ASSERT_EQUAL(mk_service_conf_load("/", NULL, &conf, err, sizeof(err)), -EINVAL);
}

int
test_service_json_register(void)
{
	CU_pSuite s = CU_add_suite("service_json", suite_init, NULL);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "every_key", test_every_key) == NULL ||
	    CU_add_test(s, "auto", test_auto) == NULL ||
	    CU_add_test(s, "refused", test_refused) == NULL ||
	    CU_add_test(s, "round_trip", test_round_trip) == NULL ||
	    CU_add_test(s, "load", test_load) == NULL)
		return -1;
	return 0;
}
