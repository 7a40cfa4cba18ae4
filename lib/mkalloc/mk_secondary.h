/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_SECONDARY_H
#define MK_SECONDARY_H

/*
 * Clients in DPDK secondary processes (private to lib/mkalloc): the primary's side (publish
 * the service, answer attach and detach, watch and reap), and the secondary's. The idea is
 * in mk_secondary.c.
 */

#include <stdbool.h>
#include <stdint.h>

struct mk_service;
struct mk_control;
struct mk_req;

/* A new client token: random, never 0, low bit set iff @p remote. */
uint64_t mk_token_new(bool remote);

/* Primary: publish the service for secondaries (memzone, IPC actions); 0 or -errno. */
int mk_secondary_publish(struct mk_service *svc, char *err, size_t errlen);
/* Primary: withdraw it, before the service goes. */
void mk_secondary_unpublish(struct mk_service *svc);

/* Primary's control lcore: look at the secondaries' processes now and then, and reap the
 * slots of those gone; and take a worker's RELEASED answer. */
void mk_secondary_watch(struct mk_control *ctl);
void mk_secondary_released(struct mk_control *ctl, const struct mk_req *ans);

/* Secondary: the primary's service, or NULL (rte_errno ENOENT, and a log line). */
struct mk_service *mk_secondary_service(void);
/* Secondary: a client slot on @p segment and its token; 0 or -errno (and a log line with
 * the primary's reason). */
int mk_secondary_attach(const char *segment, uint16_t *slot, uint64_t *token);
/* Secondary: give the slot back. */
void mk_secondary_detach(uint16_t slot, uint64_t token);

#endif /* MK_SECONDARY_H */
