/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_TELEMETRY_H
#define MK_TELEMETRY_H

/**
 * @file
 * DPDK telemetry for the mkalloc service: commands under /mkalloc/ that the stock
 * dpdk-telemetry.py (or any client of the v2 socket) reads, e.g.
 *
 *   /mkalloc/segments             names of the segments
 *   /mkalloc/segment,<name>       one segment: size, capacity, used, free, largest free,
 *                                 live buffers, kind, shards, ops, failures by reason,
 *                                 size histogram
 *   /mkalloc/shards,<name>        the segment's shards, one array per figure
 *   /mkalloc/shard,<name>:<id>    one shard in full, with its allocator's failures and
 *                                 size histogram
 *   /mkalloc/routing,<name>       the control lcore's routing view of the segment
 *   /mkalloc/config               the service's configuration and state
 *   /mkalloc/clients              client slots in use: segment, requests submitted
 *
 * Every figure is read from a published snapshot without a lock: the shards' seqlocked
 * figures (written by their workers), the control lcore's routing views and the allocators'
 * seqlocked metrics. Telemetry runs one thread per connection, so callbacks may run at once
 * and alongside the data plane; none of them touches an allocator's structures. A missing,
 * unknown or malformed parameter, or no service in the process, is answered with a dict
 * {"error": "<one-line reason>"}, never with null.
 *
 * A service can be destroyed while a telemetry thread reads it, so callbacks hold a shared
 * lock on "the service of this process" for the time of one answer, and mk_service_create()
 * and mk_service_destroy() take it exclusively around publishing and withdrawing the
 * service (mk_telemetry_service_lock()). The data plane never takes it.
 */

#ifdef __cplusplus
extern "C" {
#endif

/** Prefix of every command. */
#define MK_TELEMETRY_PREFIX	"/mkalloc/"
/** Key of the error object's one-line reason. */
#define MK_TELEMETRY_ERROR_KEY	"error"

/**
 * Register the /mkalloc/ commands with DPDK telemetry. Telemetry cannot unregister a command,
 * so this registers them once per process; later calls return what the first one did. Call
 * it from any thread, before or after rte_eal_init(); with --no-telemetry the commands are
 * registered but no socket serves them.
 *
 * @return
 *   0; or the negative errno of the first registration DPDK refused (-EINVAL, -ENOENT when
 *   its command table is full), after a warning naming the command in the EAL log.
 */
int mk_telemetry_register(void);

/**
 * Take the lock that telemetry callbacks share, exclusively: for mk_service_create() and
 * mk_service_destroy() around setting and clearing the service of the process, so that no
 * callback is inside a service that goes away. Not for the data plane.
 */
void mk_telemetry_service_lock(void);

/**
 * Release what mk_telemetry_service_lock() took.
 */
void mk_telemetry_service_unlock(void);

#ifdef __cplusplus
}
#endif

#endif /* MK_TELEMETRY_H */
