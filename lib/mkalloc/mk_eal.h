/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MK_EAL_H
#define MK_EAL_H

/**
 * @file
 * What every mkalloc program needs around the EAL: whether hugepages can be had, an lcore
 * map that floats over the CPUs the process may use (so that lcores may outnumber CPUs), the
 * runtime directory of a file prefix, and its removal, since rte_eal_cleanup() leaves
 * /var/run/dpdk/<prefix> behind.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Free hugepage memory on a mounted hugetlbfs.
 *
 * @param page_kb
 *   Only pages of this size (2048 for 2 MiB), or 0 for every size.
 * @return
 *   MiB of free hugepages; 0 when hugetlbfs is not mounted or none is free.
 */
uint64_t mk_eal_hugepages_free_mb(uint64_t page_kb);

/**
 * The value of an --lcores argument for @p nb_lcores lcores (0 .. nb_lcores - 1), each
 * allowed on every CPU of the process's affinity: "(0-3)@(0,1)".
 *
 * @param buf
 *   Receives the value.
 * @param len
 *   Its size.
 * @param nb_lcores
 *   Lcores, at least 1.
 * @return
 *   0, or -ENOSPC when @p buf is too small.
 */
int mk_eal_lcores_arg(char *buf, size_t len, unsigned int nb_lcores);

/**
 * The value of an --lcores argument for @p nb_lcores lcores where lcore 0 (main) floats over
 * the process's CPUs and each other lcore is pinned to one of them in turn, as a data plane
 * would: "0@(0,1),1@0,2@1,3@0". A worker and a client on different CPUs then never wait for
 * each other's time slice.
 *
 * @param buf
 *   Receives the value.
 * @param len
 *   Its size.
 * @param nb_lcores
 *   Lcores, at least 1.
 * @return
 *   0, or -ENOSPC when @p buf is too small.
 */
int mk_eal_lcores_pinned_arg(char *buf, size_t len, unsigned int nb_lcores);

/**
 * The runtime directory the EAL will use for the --file-prefix among @p argv (DPDK's rule:
 * /var/run/dpdk/<prefix> for root, $XDG_RUNTIME_DIR/dpdk/<prefix> or /tmp/dpdk/<prefix>
 * otherwise; prefix "rte" by default), known before rte_eal_init().
 *
 * @param argc
 *   EAL argument count (argv[0] included).
 * @param argv
 *   EAL arguments.
 * @param buf
 *   Receives the path.
 * @param len
 *   Its size.
 */
void mk_eal_runtime_dir(int argc, char **argv, char *buf, size_t len);

/**
 * Remove a directory and all it holds (a few levels deep). Only system calls, so that it
 * may run in a signal handler that cleans up before the process dies.
 *
 * @param dir
 *   The directory.
 * @return
 *   0 when it is gone (or was not there), else a negative errno.
 */
int mk_eal_remove_dir(const char *dir);

/**
 * Remove the hugepage files of a file prefix (<prefix>map_<n> in every hugetlbfs mount): a
 * primary that secondaries used may leave some behind after rte_eal_cleanup(). Call it
 * once no process of the prefix runs.
 *
 * @param prefix
 *   The --file-prefix ("rte" by default).
 * @return
 *   The number of files removed.
 */
unsigned int mk_eal_remove_hugepage_files(const char *prefix);

#ifdef __cplusplus
}
#endif

#endif /* MK_EAL_H */
