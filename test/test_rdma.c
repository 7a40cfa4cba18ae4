/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suite "rdma": drivers/transport and the service's use of it, on the EAL fixture.
 *
 * Two verbs tables run under the same registration code (drivers/transport/rdma):
 * - libibverbs itself, for what a host without an RDMA device can show: discovery finds
 *   none, "auto" leaves the local transport serving (rkey 0, the configured endpoint), a
 *   device named is refused with -ENODEV and the service is not created;
 * - a recording double of the ten verbs (fake devices, contexts, protection domains and
 *   memory regions), for what needs a device: registration on two devices, the access
 *   flags, the rkey and endpoint in descriptors of buffers of the segment, deregistration
 *   in the reverse order when the service is destroyed, and a failure at every verbs step
 *   with everything opened closed again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "mk_client.h"
#include "mk_rdma.h"
#include "mk_service.h"
#include "mk_service_json.h"
#include "mk_test.h"
#include "mk_test_eal.h"
#include "mk_test_rdma.h"
#include "mk_test_telemetry.h"
#include "mk_transport.h"

#define MiB (UINT64_C(1) << 20)

static void
expect_text(const char *got, const char *needle)
{
	if (strstr(got, needle) == NULL) {
		fprintf(stderr, "'%s' does not hold '%s'\n", got, needle);
		CU_FAIL("message does not say what it should");
	}
}

/* --- fixtures ----------------------------------------------------------------------------- */

/* Devices libibverbs finds on this host: 0 where these tests were written. */
static int real_devices;

static int
suite_init(void)
{
	char err[128];

	if (mk_test_eal_up() != 0)
		return -1;
	mk_rdma_verbs_set(NULL);
	real_devices = mk_transport_devices(NULL, 0, err, sizeof(err));
	return 0;
}

static int
suite_cleanup(void)
{
	mk_rdma_verbs_set(NULL);
	return 0;
}

/* Two segments over two workers: "ra" (offset kind) and "rb" (slab kind), no control lcore. */
static void
rdma_conf(struct mk_service_conf *conf, const char *dev_a, const char *ep_a, const char *dev_b,
	const char *ep_b)
{
	unsigned int i;

	mk_service_conf_defaults(conf);
	conf->nb_workers = 2;
	for (i = 0; i < 2; i++)
		conf->worker_lcores[i] = mk_lcore_nth(i);
	conf->idle_yield = true;
	conf->burst = 4;	/* a client's shards take turns every 4 allocations */
	conf->nb_segments = 2;
	snprintf(conf->segments[0].name, sizeof(conf->segments[0].name), "ra");
	conf->segments[0].size = 16 * MiB;
	conf->segments[0].kind = MK_ALLOC_KIND_OFFSET;
	conf->segments[0].socket = -1;
	snprintf(conf->segments[0].rdma_device, sizeof(conf->segments[0].rdma_device), "%s",
		dev_a);
	snprintf(conf->segments[0].endpoint, sizeof(conf->segments[0].endpoint), "%s", ep_a);
	snprintf(conf->segments[1].name, sizeof(conf->segments[1].name), "rb");
	conf->segments[1].size = 16 * MiB;
	conf->segments[1].kind = MK_ALLOC_KIND_SLAB;
	conf->segments[1].socket = -1;
	snprintf(conf->segments[1].mem_driver, sizeof(conf->segments[1].mem_driver), "anon");
	snprintf(conf->segments[1].rdma_device, sizeof(conf->segments[1].rdma_device), "%s",
		dev_b);
	snprintf(conf->segments[1].endpoint, sizeof(conf->segments[1].endpoint), "%s", ep_b);
}

/*
 * Allocate 12 buffers on @p segment (the client's shards take turns, so both serve some)
 * and check each one's descriptor: @p rkey, @p endpoint, and an address inside the range
 * @p t registered.
 */
static void
check_descriptors(const char *segment, const struct mk_transport_reg *t, uint32_t rkey,
	const char *endpoint)
{
	struct mk_client *c = mk_client_open(segment);
	struct mk_buffer b[12];
	struct mk_desc d;
	uint64_t highest = 0;
	unsigned int i, n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	for (n = 0; n < 12 && mk_client_alloc(c, 64 << 10, 0, &b[n]) == 0; n++)
		;
	CU_ASSERT_EQUAL(n, 12);
	for (i = 0; i < n; i++) {
		CU_ASSERT_EQUAL_FATAL(mk_client_descriptor(c, &b[i], &d), 0);
		CU_ASSERT_EQUAL(d.rkey, rkey);
		CU_ASSERT_STRING_EQUAL(d.transport_endpoint, endpoint);
		CU_ASSERT_STRING_EQUAL(d.segment_name, segment);
		CU_ASSERT(d.buffer_address >= (uintptr_t)t->addr);
		CU_ASSERT(d.buffer_address + d.size <= (uintptr_t)t->addr + t->len);
		CU_ASSERT_EQUAL(mk_desc_check(&d, NULL, 0), 0);
		if (d.offset > highest)
			highest = d.offset;
	}
	CU_ASSERT(highest >= 8 * MiB);	/* the second shard's descriptors too */
	for (i = 0; i < n; i++)
		CU_ASSERT_EQUAL(mk_client_free(c, &b[i]), 0);
	mk_client_close(c);
}

/* The "transport" of /mkalloc/segment,<name>, checked against @p t. */
static void
check_telemetry(const char *segment, unsigned int index, const struct mk_transport_reg *t)
{
	char cmd[64], key[8];
	const cJSON *a, *tr, *devs, *seg;
	cJSON *reply;
	int fd = mk_test_tel_open();
	unsigned int k;

	CU_ASSERT_FATAL(fd >= 0);
	snprintf(cmd, sizeof(cmd), "/mkalloc/segment,%s", segment);
	reply = mk_test_tel_query(fd, cmd, strlen(cmd));
	a = mk_test_tel_answer(reply, "/mkalloc/segment");
	tr = cJSON_GetObjectItemCaseSensitive(a, "transport");
	CU_ASSERT_PTR_NOT_NULL_FATAL(tr);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(tr, "driver")),
		mk_transport_driver_name(t));
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(tr, "state")),
		mk_transport_state_name(t->state));
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(tr, "endpoint")),
		t->endpoint);
	CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetObjectItem(tr, "rkey")), t->rkey);
	devs = cJSON_GetObjectItem(tr, "devices");
	CU_ASSERT_EQUAL(cJSON_GetArraySize(devs), (int)t->nb_devices);
	for (k = 0; k < t->nb_devices; k++) {
		CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(devs, (int)k)),
			t->dev[k].name);
		CU_ASSERT_EQUAL(cJSON_GetNumberValue(cJSON_GetArrayItem(
			cJSON_GetObjectItem(tr, "rkeys"), (int)k)), t->dev[k].rkey);
		CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetArrayItem(
			cJSON_GetObjectItem(tr, "gids"), (int)k)), t->dev[k].gid);
	}
	cJSON_Delete(reply);

	reply = mk_test_tel_query(fd, "/mkalloc/config", strlen("/mkalloc/config"));
	a = mk_test_tel_answer(reply, "/mkalloc/config");
	snprintf(key, sizeof(key), "%u", index);
	seg = cJSON_GetObjectItem(cJSON_GetObjectItem(a, "segments"), key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(seg);
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(seg, "transport")),
		mk_transport_driver_name(t));
	CU_ASSERT_STRING_EQUAL(cJSON_GetStringValue(cJSON_GetObjectItem(seg, "rdma_state")),
		mk_transport_state_name(t->state));
	cJSON_Delete(reply);
	close(fd);
}

/* --- libibverbs itself -------------------------------------------------------------------- */

static void
test_discovery_none(void)
{
	char names[4][MK_TRANSPORT_NAME_SIZE], err[256] = "";
	struct mk_transport_reg r;
	void *mem = malloc(MiB);
	int n;

	mk_rdma_verbs_set(NULL);
	n = mk_transport_devices(names, 4, err, sizeof(err));
	printf("\n    libibverbs: %d RDMA device(s) here%s\n", n,
		access("/sys/class/infiniband", F_OK) == 0 ? "" : ", no /sys/class/infiniband");
	CU_ASSERT(n >= 0);
	if (access("/sys/class/infiniband", F_OK) != 0)
		CU_ASSERT_EQUAL(n, 0);

	CU_ASSERT_EQUAL(mk_transport_register("none", 0, "10.0.0.2:7000", mem, MiB, &r, err,
		sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_NONE);
	CU_ASSERT_STRING_EQUAL(mk_transport_driver_name(&r), "local");
	CU_ASSERT_STRING_EQUAL(r.endpoint, "10.0.0.2:7000");
	CU_ASSERT_EQUAL(r.rkey, 0);
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);
	if (n != 0) {
		printf("    (devices present: the no-device paths are left to the double)\n");
		free(mem);
		return;
	}
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, "", mem, MiB, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(mk_transport_driver_name(&r), "local");
	CU_ASSERT_EQUAL(r.nb_devices, 0);
	CU_ASSERT_EQUAL(r.rkey, 0);
	CU_ASSERT_STRING_EQUAL(r.endpoint, "");
	expect_text(r.reason, "no RDMA device");
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);

	CU_ASSERT_EQUAL(mk_transport_register("mlx5_0", 1, NULL, mem, MiB, &r, err, sizeof(err)),
		-ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "RDMA device 'mlx5_0' not found (devices here: none)");
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_FAILED);
	CU_ASSERT_STRING_EQUAL(r.reason, err);
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);
	free(mem);
}

static void
test_check(void)
{
	static const char *const good[] = { "", "none", "auto", "mlx5_0", "rxe0",
		"irdma-x722.1", "siw_eth0" };
	static const char *const bad[] = { "mlx5 0", "a/b", "mlx5:0", "caf\xc3\xa9", "x\n" };
	char long_name[MK_TRANSPORT_NAME_SIZE + 1], err[256];
	struct mk_transport_reg r;
	char ep[MK_TRANSPORT_ENDPOINT_SIZE + 1];
	unsigned int i;

	for (i = 0; i < RTE_DIM(good); i++)
		CU_ASSERT_EQUAL(mk_transport_check(good[i], 1, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mk_transport_check(NULL, 0, err, sizeof(err)), 0);
	for (i = 0; i < RTE_DIM(bad); i++) {
		CU_ASSERT_EQUAL(mk_transport_check(bad[i], 1, err, sizeof(err)), -EINVAL);
		expect_text(err, "letters, digits");
	}
	memset(long_name, 'm', sizeof(long_name));
	long_name[MK_TRANSPORT_NAME_SIZE - 1] = '\0';		/* 63: fits */
	CU_ASSERT_EQUAL(mk_transport_check(long_name, 1, err, sizeof(err)), 0);
	long_name[MK_TRANSPORT_NAME_SIZE - 1] = 'm';
	long_name[MK_TRANSPORT_NAME_SIZE] = '\0';		/* 64: too long */
	CU_ASSERT_EQUAL(mk_transport_check(long_name, 1, err, sizeof(err)), -EINVAL);
	expect_text(err, "longer than 63");
	CU_ASSERT_EQUAL(mk_transport_check("auto", 255, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(mk_transport_check("auto", 256, err, sizeof(err)), -EINVAL);
	expect_text(err, "RDMA port 256");

	CU_ASSERT_EQUAL(mk_transport_register("none", 1, NULL, NULL, MiB, &r, err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_EQUAL(mk_transport_register("none", 1, NULL, err, 0, &r, err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_EQUAL(mk_transport_register("none", 1, NULL, err, 1, NULL, err, sizeof(err)),
		-EINVAL);
	memset(ep, 'e', sizeof(ep));
	ep[MK_TRANSPORT_ENDPOINT_SIZE] = '\0';
	CU_ASSERT_EQUAL(mk_transport_register("none", 1, ep, err, 1, &r, err, sizeof(err)),
		-EINVAL);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_FAILED);
	CU_ASSERT_STRING_EQUAL(mk_transport_state_name(MK_TRANSPORT_REGISTERED), "registered");
	CU_ASSERT_STRING_EQUAL(mk_transport_state_name((enum mk_transport_state)9), "unknown");
}

static void
expect_conf(const struct mk_service_conf *conf, const char *needle)
{
	char err[256] = "";

	CU_ASSERT_EQUAL(mk_service_conf_check(conf, err, sizeof(err)), -EINVAL);
	expect_text(err, needle);
}

static void
expect_json(const char *seg_keys, const char *needle)
{
	struct mk_service_conf conf;
	char text[512], err[256] = "";

	snprintf(text, sizeof(text), "{\"workers\": 1, \"control\": false, \"segments\": [{"
		"\"name\": \"rj\", \"size\": \"8M\", %s}]}", seg_keys);
	CU_ASSERT_EQUAL(mk_service_conf_from_json(text, strlen(text), NULL, &conf, err,
		sizeof(err)), -EINVAL);
	expect_text(err, needle);
}

static void
test_conf_validation(void)
{
	static const char ok[] = "{\"workers\": 1, \"control\": false, \"segments\": [{"
		"\"name\": \"rj\", \"size\": \"8M\", \"rdma_device\": \"auto\", \"rdma_port\": 2,"
		" \"endpoint\": \"10.0.0.2:7000\"}, {\"name\": \"rk\", \"size\": \"8M\","
		" \"rdma_device\": \"none\"}]}";
	struct mk_service_conf conf, back;
	char err[256] = "", text[8192];
	int len;

	rdma_conf(&conf, "auto", "[fe80::1]:7000", "mlx5_0", "");
	conf.segments[0].rdma_port = 255;
	CU_ASSERT_EQUAL(mk_service_conf_check(&conf, err, sizeof(err)), 0);
	rdma_conf(&conf, "mlx5 0", "", "", "");
	expect_conf(&conf, "segments[0].rdma_device");
	rdma_conf(&conf, "", "", "auto", "");
	conf.segments[1].rdma_port = 256;
	expect_conf(&conf, "segments[1].rdma_port");
	rdma_conf(&conf, "auto", "nohostport", "", "");
	expect_conf(&conf, "segments[0].endpoint");
	rdma_conf(&conf, "auto", "10.0.0.2:0", "", "");
	expect_conf(&conf, "segments[0].endpoint");
	rdma_conf(&conf, "", "", "auto", "[fe80::1%eth0]:7000");
	expect_conf(&conf, "segments[1].endpoint");
	rdma_conf(&conf, "", "", "", "");
	memset(conf.segments[0].rdma_device, 'x', sizeof(conf.segments[0].rdma_device));
	expect_conf(&conf, "segments[0].rdma_device");
	CU_ASSERT_PTR_NULL(mk_service_create(&conf, NULL, 0));

	expect_json("\"rdma_device\": \"\"", "segments[0].rdma_device");
	expect_json("\"rdma_device\": \"mlx5/0\"", "segments[0].rdma_device");
	expect_json("\"rdma_device\": "
		"\"m123456789012345678901234567890123456789012345678901234567890123\"",
		"segments[0].rdma_device");
	expect_json("\"rdma_device\": 0", "segments[0].rdma_device");
	expect_json("\"rdma_port\": 0", "segments[0].rdma_port");
	expect_json("\"rdma_port\": 256", "segments[0].rdma_port");
	expect_json("\"rdma_port\": \"1\"", "segments[0].rdma_port");
	expect_json("\"endpoint\": \"x\"", "segments[0].endpoint");
	expect_json("\"endpoint\": \"host:65536\"", "segments[0].endpoint");
	expect_json("\"endpoint\": 7000", "segments[0].endpoint");

	CU_ASSERT_EQUAL_FATAL(mk_service_conf_from_json(ok, strlen(ok), NULL, &conf, err,
		sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(conf.segments[0].rdma_device, "auto");
	CU_ASSERT_EQUAL(conf.segments[0].rdma_port, 2);
	CU_ASSERT_STRING_EQUAL(conf.segments[0].endpoint, "10.0.0.2:7000");
	CU_ASSERT_STRING_EQUAL(conf.segments[1].rdma_device, "");	/* "none": local */
	CU_ASSERT_EQUAL(conf.segments[1].rdma_port, 1);
	CU_ASSERT_STRING_EQUAL(conf.segments[1].endpoint, "");
	len = mk_service_conf_to_json(&conf, text, sizeof(text), err, sizeof(err));
	CU_ASSERT_FATAL(len > 0);
	expect_text(text, "\"rdma_device\":\t\"none\"");
	CU_ASSERT_EQUAL_FATAL(mk_service_conf_from_json(text, (size_t)len, NULL, &back, err,
		sizeof(err)), 0);
	CU_ASSERT_EQUAL(memcmp(&conf, &back, sizeof(conf)), 0);
}

/* "auto" with no device: the service runs on the local transport, descriptors carry rkey 0. */
static void
test_auto_unavailable(void)
{
	struct mk_service_conf conf;
	struct mk_transport_reg t;
	struct mk_service *svc;
	char err[256] = "";

	if (real_devices != 0) {
		printf("\n    skipped: %d RDMA device(s) here\n", real_devices);
		return;
	}
	mk_rdma_verbs_set(NULL);
	rdma_conf(&conf, "auto", "10.0.0.2:7000", "auto", "");
	svc = mk_service_create(&conf, err, sizeof(err));
	if (svc == NULL)
		fprintf(stderr, "mk_service_create: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	CU_ASSERT_EQUAL_FATAL(mk_service_start(svc), 0);
	CU_ASSERT_EQUAL(mk_service_segment_transport(svc, 0, &t), 0);
	CU_ASSERT_EQUAL(t.state, MK_TRANSPORT_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(t.endpoint, "10.0.0.2:7000");
	check_descriptors("ra", &t, 0, "10.0.0.2:7000");
	check_telemetry("ra", 0, &t);
	CU_ASSERT_EQUAL(mk_service_segment_transport(svc, 1, &t), 0);
	CU_ASSERT_EQUAL(t.state, MK_TRANSPORT_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(mk_transport_driver_name(&t), "local");
	check_descriptors("rb", &t, 0, "");
	check_telemetry("rb", 1, &t);
	CU_ASSERT_EQUAL(mk_service_segment_transport(svc, 2, &t), -EINVAL);
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	mk_service_destroy(svc);
}

/* A device named that is not there: no service, its memory given back. */
static void
test_named_missing(void)
{
	struct mk_service_conf conf;
	struct mk_service *svc;
	char err[256] = "";

	if (real_devices != 0) {
		printf("\n    skipped: %d RDMA device(s) here\n", real_devices);
		return;
	}
	mk_rdma_verbs_set(NULL);
	rdma_conf(&conf, "none", "", "mlx5_0", "");
	CU_ASSERT_PTR_NULL(mk_service_create(&conf, err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "segment 'rb': RDMA device 'mlx5_0' not found (devices"
		" here: none)");
	CU_ASSERT_PTR_NULL(mk_service_get());
	/* the same names again: both segments' memory went back */
	rdma_conf(&conf, "none", "", "", "");
	svc = mk_service_create(&conf, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL(svc);
	mk_service_destroy(svc);
}

/* --- the double --------------------------------------------------------------------------- */

static void
test_double_register(void)
{
	const int want_access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
		IBV_ACCESS_REMOTE_WRITE;
	char names[4][MK_TRANSPORT_NAME_SIZE], err[256] = "";
	struct mk_transport_reg r;
	void *mem = malloc(MiB);

	mk_rdma_verbs_set(&mk_fake_verbs);
	mk_fake_reset(2);
	CU_ASSERT_EQUAL(mk_transport_devices(names, 4, err, sizeof(err)), 2);
	CU_ASSERT_STRING_EQUAL(names[1], "mlx5_1");

	mk_fake_reset(2);
	CU_ASSERT_EQUAL_FATAL(mk_transport_register("auto", 0, NULL, mem, MiB, &r, err,
		sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_REGISTERED);
	CU_ASSERT_STRING_EQUAL(mk_transport_driver_name(&r), "rdma");
	CU_ASSERT_EQUAL(r.nb_devices, 2);
	CU_ASSERT_STRING_EQUAL(r.dev[0].name, "mlx5_0");
	CU_ASSERT_STRING_EQUAL(r.dev[1].name, "mlx5_1");
	CU_ASSERT_EQUAL(r.dev[0].rkey, 0xab00);
	CU_ASSERT_EQUAL(r.dev[1].rkey, 0xab01);
	CU_ASSERT_EQUAL(r.dev[1].lkey, 0x1001);
	CU_ASSERT_EQUAL(r.rkey, r.dev[0].rkey);		/* descriptors carry the first */
	CU_ASSERT_STRING_EQUAL(r.dev[1].gid, "fe80::2");
	CU_ASSERT(r.dev[0].port_active);
	CU_ASSERT_STRING_EQUAL(r.endpoint, "[fe80::1]:1");
	CU_ASSERT_EQUAL(mk_fake.access[0], want_access);
	CU_ASSERT_EQUAL(mk_fake.access[1], want_access);
	CU_ASSERT(mk_fake.addr[1] == mem && mk_fake.len[1] == MiB);
	mk_fake_log(" list open:0 port:0 gid:0 pd:0 mr:0 open:1 port:1 gid:1 pd:1 mr:1 free");
	CU_ASSERT(mk_fake.lists == 0 && mk_fake.contexts == 2 && mk_fake.pds == 2 &&
		mk_fake.mrs == 2);
	mk_fake.log[0] = '\0';
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);
	mk_fake_log(" dereg:1 dealloc:1 close:1 dereg:0 dealloc:0 close:0");
	mk_fake_closed("deregistered");
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_NONE);
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);	/* twice: nothing more */
	mk_fake_log(" dereg:1 dealloc:1 close:1 dereg:0 dealloc:0 close:0");

	/* a name: that device only, and a configured endpoint wins over the GID */
	mk_fake_reset(2);
	CU_ASSERT_EQUAL(mk_transport_register("mlx5_1", 1, "10.0.0.2:7000", mem, MiB, &r, err,
		sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.nb_devices, 1);
	CU_ASSERT_STRING_EQUAL(r.dev[0].name, "mlx5_1");
	CU_ASSERT_EQUAL(r.rkey, 0xab01);
	CU_ASSERT_STRING_EQUAL(r.endpoint, "10.0.0.2:7000");
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), 0);
	mk_fake_closed("named");

	mk_fake_reset(2);
	CU_ASSERT_EQUAL(mk_transport_register("mlx5_7", 1, NULL, mem, MiB, &r, err, sizeof(err)),
		-ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "RDMA device 'mlx5_7' not found (devices here: mlx5_0,"
		" mlx5_1)");
	mk_fake_closed("not found");
	mk_fake_reset(2);
	CU_ASSERT_EQUAL(mk_transport_register("mlx5_0", 2, NULL, mem, MiB, &r, err, sizeof(err)),
		-EINVAL);
	expect_text(err, "RDMA device 'mlx5_0': ibv_query_port of port 2: Invalid argument");
	mk_fake_closed("no such port");

	mk_fake_reset(0);
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, NULL, mem, MiB, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_UNAVAILABLE);
	CU_ASSERT_STRING_EQUAL(r.reason, "no RDMA device (none found)");
	mk_fake_closed("none");
	mk_rdma_verbs_set(NULL);
	free(mem);
}

static void
test_double_failures(void)
{
	static const enum mk_fake_step steps[] = {
		MK_FAKE_OPEN, MK_FAKE_PORT, MK_FAKE_GID, MK_FAKE_PD, MK_FAKE_MR,
	};
	static const int errnos[] = { EACCES, EIO, EPROTO, ENOSPC, ENOMEM };
	/* "auto" failing on its first and on its second device, and a name on its one */
	static const struct {
		const char *want;
		unsigned int at;
		const char *dev;
	} where[] = { { "auto", 1, "mlx5_0" }, { "auto", 2, "mlx5_1" }, { "mlx5_1", 1, "mlx5_1" } };
	char err[256] = "", want[96];
	struct mk_transport_reg r;
	void *mem = malloc(MiB);
	unsigned int i, w, cases = 0;

	mk_rdma_verbs_set(&mk_fake_verbs);
	for (i = 0; i < RTE_DIM(steps); i++) {
		for (w = 0; w < RTE_DIM(where); w++) {
			mk_fake_reset(2);
			mk_fake_fail(steps[i], where[w].at, errnos[i]);
			err[0] = '\0';
			CU_ASSERT_EQUAL(mk_transport_register(where[w].want, 1, NULL, mem, MiB,
				&r, err, sizeof(err)), -errnos[i]);
			snprintf(want, sizeof(want), "RDMA device '%s': %s", where[w].dev,
				mk_fake_call[steps[i]]);
			expect_text(err, want);
			expect_text(err, strerror(errnos[i]));
			CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_FAILED);
			CU_ASSERT_EQUAL(r.nb_devices, 0);
			CU_ASSERT_STRING_EQUAL(mk_transport_driver_name(&r), "local");
			mk_fake_closed(err);
			cases++;
		}
	}
	/* "auto" failing on the second device gives back the first one too */
	mk_fake_reset(2);
	mk_fake_fail(MK_FAKE_MR, 2, ENOMEM);
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, NULL, mem, MiB, &r, err, sizeof(err)),
		-ENOMEM);
	expect_text(err, "RDMA device 'mlx5_1': ibv_reg_mr of 1048576 bytes");
	expect_text(err, "ulimit -l");
	mk_fake_log(" list open:0 port:0 gid:0 pd:0 mr:0 open:1 port:1 gid:1 pd:1 mr:1"
		" dealloc:1 close:1 free dereg:0 dealloc:0 close:0");
	mk_fake_closed("second device");

	mk_fake_reset(2);
	mk_fake_fail(MK_FAKE_LIST, 1, ENOMEM);
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, NULL, mem, MiB, &r, err, sizeof(err)),
		-ENOMEM);
	expect_text(err, "ibv_get_device_list");
	mk_fake_closed("list");
	mk_fake_reset(2);
	mk_fake_fail(MK_FAKE_LIST, 1, ENOSYS);	/* no RDMA in the kernel: no device */
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, NULL, mem, MiB, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.state, MK_TRANSPORT_UNAVAILABLE);
	expect_text(r.reason, "no RDMA support in the kernel");
	mk_fake_reset(2);
	mk_fake_fail(MK_FAKE_LIST, 1, ENOSYS);
	CU_ASSERT_EQUAL(mk_transport_register("mlx5_0", 1, NULL, mem, MiB, &r, err, sizeof(err)),
		-ENODEV);
	CU_ASSERT_STRING_EQUAL(err, "RDMA device 'mlx5_0' not found (devices here: none)");

	/* a deregistration step that fails: the others still run, the first error is told */
	mk_fake_reset(2);
	CU_ASSERT_EQUAL(mk_transport_register("auto", 1, NULL, mem, MiB, &r, err, sizeof(err)), 0);
	mk_fake_fail(MK_FAKE_DEREG, 1, EBUSY);
	mk_fake.log[0] = '\0';
	CU_ASSERT_EQUAL(mk_transport_deregister(&r), -EBUSY);
	mk_fake_log(" dereg:1 dealloc:1 close:1 dereg:0 dealloc:0 close:0");
	CU_ASSERT(mk_fake.contexts == 0 && mk_fake.pds == 0 && mk_fake.mrs == 1);
	mk_rdma_verbs_set(NULL);
	free(mem);
	printf("\n    %u injected failures (5 steps x 3 places), each closed all it opened\n",
		cases);
}

/* The service on the double: registration, descriptors, telemetry, reverse deregistration. */
static void
test_double_service(void)
{
	struct mk_service_conf conf;
	struct mk_transport_reg ta, tb;
	struct mk_service *svc;
	char err[256] = "";
	void *base;

	mk_rdma_verbs_set(&mk_fake_verbs);
	mk_fake_reset(2);
	rdma_conf(&conf, "auto", "", "mlx5_1", "10.0.0.2:7000");
	svc = mk_service_create(&conf, err, sizeof(err));
	if (svc == NULL)
		fprintf(stderr, "mk_service_create: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(svc);
	CU_ASSERT_EQUAL_FATAL(mk_service_start(svc), 0);
	CU_ASSERT_EQUAL(mk_service_segment_transport(svc, 0, &ta), 0);
	CU_ASSERT_EQUAL(mk_service_segment_transport(svc, 1, &tb), 0);
	CU_ASSERT_EQUAL(mk_service_segment_info(svc, 0, NULL, &base), 2);
	CU_ASSERT(ta.state == MK_TRANSPORT_REGISTERED && ta.nb_devices == 2);
	CU_ASSERT(ta.addr == base && ta.len == 16 * MiB);
	CU_ASSERT(mk_fake.addr[0] == base && mk_fake.len[0] == 16 * MiB);
	CU_ASSERT(tb.state == MK_TRANSPORT_REGISTERED && tb.nb_devices == 1);
	CU_ASSERT(mk_fake.contexts == 3 && mk_fake.pds == 3 && mk_fake.mrs == 3);
	check_descriptors("ra", &ta, 0xab00, "[fe80::1]:1");
	check_descriptors("rb", &tb, 0xab01, "10.0.0.2:7000");
	check_telemetry("ra", 0, &ta);
	check_telemetry("rb", 1, &tb);
	CU_ASSERT_EQUAL(mk_service_stop(svc, stderr), 0);
	CU_ASSERT_EQUAL(mk_fake.mrs, 3);		/* stopped, still registered */
	mk_fake.log[0] = '\0';
	mk_service_destroy(svc);
	mk_fake_log(" dereg:1 dealloc:1 close:1 dereg:0 dealloc:0 close:0"
		" dereg:1 dealloc:1 close:1");
	mk_fake_closed("service destroyed");

	/* the second segment's registration fails: no service, the first one's given back */
	mk_fake_reset(2);
	mk_fake_fail(MK_FAKE_MR, 3, ENOMEM);
	CU_ASSERT_PTR_NULL(mk_service_create(&conf, err, sizeof(err)));
	CU_ASSERT_EQUAL(rte_errno, ENOMEM);
	expect_text(err, "segment 'rb': RDMA device 'mlx5_1': ibv_reg_mr of 16777216 bytes");
	CU_ASSERT_PTR_NULL(mk_service_get());
	mk_fake_closed("create failed");
	mk_rdma_verbs_set(NULL);
}

int
test_rdma_register(void)
{
	CU_pSuite s = CU_add_suite("rdma", suite_init, suite_cleanup);

	if (s == NULL)
		return -1;
	if (CU_add_test(s, "discovery_none", test_discovery_none) == NULL ||
	    CU_add_test(s, "check", test_check) == NULL ||
	    CU_add_test(s, "conf_validation", test_conf_validation) == NULL ||
	    CU_add_test(s, "auto_unavailable", test_auto_unavailable) == NULL ||
	    CU_add_test(s, "named_missing", test_named_missing) == NULL ||
	    CU_add_test(s, "double_register", test_double_register) == NULL ||
	    CU_add_test(s, "double_failures", test_double_failures) == NULL ||
	    CU_add_test(s, "double_service", test_double_service) == NULL)
		return -1;
	return 0;
}
