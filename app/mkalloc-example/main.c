/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mkalloc-example: a program that embeds the mkalloc service and takes buffers from it.
 *   mkalloc-example [EAL args]    e.g. --no-huge -m 256 --lcores '(0-1)@(0)'
 * Two lcores at least: the main one is the client here, the first other one the worker.
 */
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "mk_client.h"
#include "mk_eal.h"
#include "mk_service_json.h"

static const char config[] = "{ \"workers\": 1, \"segments\": [ { \"name\": \"example\","
	" \"size\": \"64M\", \"kind\": \"offset\" } ] }";

int
main(int argc, char **argv)
{
	char err[256] = "", json[MK_DESC_JSON_MAX], rundir[4096];
	struct mk_service_conf conf;
	struct mk_service *svc = NULL;
	struct mk_client *c = NULL;
	static const uint64_t sizes[3] = { 1000, 10000, 100000 };
	struct mk_buffer bufs[3];
	struct mk_desc d;
	int i, rc = 1;

	if (rte_eal_init(argc, argv) < 0) {
		fprintf(stderr, "mkalloc-example: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	if (mk_service_conf_from_json(config, strlen(config), NULL, &conf, err, sizeof(err)) != 0 ||
	    (svc = mk_service_create(&conf, err, sizeof(err))) == NULL ||
	    mk_service_start(svc) != 0 || (c = mk_client_open("example")) == NULL) {
		fprintf(stderr, "mkalloc-example: cannot start the service: %s\n", err);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		if (mk_client_alloc(c, sizes[i], 4096, &bufs[i]) != 0) {	/* 4 KiB aligned */
			fprintf(stderr, "mkalloc-example: no %d bytes\n", (int)sizes[i]);
			goto out;
		}
		snprintf(bufs[i].data, bufs[i].size, "buffer %d", i);	/* ours to write */
		if (mk_client_descriptor(c, &bufs[i], &d) != 0 ||
		    mk_desc_to_json(&d, json, sizeof(json), err, sizeof(err)) < 0)
			goto out;
		printf("%s\n", json);	/* what a remote peer would be sent */
	}
	for (i = 0; i < 3; i++)
		if (mk_client_free(c, &bufs[i]) != 0)
			goto out;
	mk_client_close(c);
	c = NULL;
	rc = mk_service_stop(svc, stderr) == 0 ? 0 : 1;	/* 0 buffers left: all freed */
out:
	mk_client_close(c);
	mk_service_destroy(svc);
	rte_eal_cleanup();
	/* rte_eal_cleanup() leaves /var/run/dpdk/<prefix> behind */
	mk_eal_remove_dir(rundir);
	return rc;
}
