/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SERVICE_JSON_PVT_H
#define MK_SERVICE_JSON_PVT_H

/*
 * Between reading a JSON configuration (mk_service_json.c) and resolving it against the EAL
 * and the memory drivers (mk_service_json_resolve.c): what the text left "auto".
 */

#include <stdbool.h>

#include <rte_lcore.h>

#include "mk_service_json.h"

/* What is left to resolve once the text is read. */
struct mk_json_pending {
	enum { WORKERS_AUTO, WORKERS_COUNT, WORKERS_LIST } workers;
	unsigned int workers_count;
	enum { CONTROL_AUTO, CONTROL_OFF, CONTROL_LCORE } control;
	bool routing;
	bool idle_auto;
	bool size_auto[MK_SEGMENTS_MAX];
};

/* Enabled lcores other than the main one. */
static inline unsigned int
mk_json_other_lcores(void)
{
	return rte_lcore_count() - 1;
}

/*
 * Resolve what @p p left "auto" (workers, control lcore, idle, sizes), check the conf with
 * mk_service_conf_check(), and reserve every segment's memory once. 0 or a negative errno,
 * with a message that starts with the key's path.
 */
int mk_json_resolve(struct mk_service_conf *conf, const struct mk_json_pending *p,
	const struct mk_service_json_opts *opts, char *err, size_t errlen);

#endif /* MK_SERVICE_JSON_PVT_H */
