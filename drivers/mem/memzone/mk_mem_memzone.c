/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "memzone" driver: a segment is one DPDK memzone. It is never asked to be
 * IOVA-contiguous (beyond one page that fails in PA mode), so what it reports is the IOVA
 * layout it got: the first IOVA and the number of IOVA-contiguous runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_errno.h>
#include <rte_memory.h>
#include <rte_memzone.h>

#include "mk_mem.h"
#include "mk_mem_pvt.h"

/* Memzone names carry this prefix, so that secondaries find a segment by its name. */
#define MZ_PREFIX "mkseg:"

static void
iova_layout(struct mk_mem_region *r)
{
	uint64_t off, expect = RTE_BAD_IOVA;

	r->iova = rte_mem_virt2iova(r->addr);
	r->iova_chunks = 0;
	if (r->iova == RTE_BAD_IOVA) {
		r->iova = UINT64_MAX;
		return;
	}
	for (off = 0; off < r->len; off += r->page_size) {
		rte_iova_t iova = rte_mem_virt2iova((char *)r->addr + off);

		if (iova == RTE_BAD_IOVA) {
			r->iova_chunks = 0;
			return;
		}
		if (iova != expect)
			r->iova_chunks++;
		expect = iova + r->page_size;
	}
}

static int
memzone_reserve(const char *name, uint64_t size, int socket, struct mk_mem_region *out,
	char *err, size_t errlen)
{
	char mz_name[RTE_MEMZONE_NAMESIZE];
	const struct rte_memzone *mz;
	uint64_t align;

	if (rte_lcore_count() == 0) {	/* the EAL counts its lcores at init */
		mk_errf(err, errlen, 0, "memzone driver: the EAL is not initialised");
		return -ENODEV;
	}
	if ((size_t)snprintf(mz_name, sizeof(mz_name), MZ_PREFIX "%s", name) >= sizeof(mz_name)) {
		mk_errf(err, errlen, 0, "memzone driver: segment name '%s' longer than %zu",
			name, sizeof(mz_name) - sizeof(MZ_PREFIX));
		return -EINVAL;
	}
	align = rte_eal_has_hugepages() ? RTE_PGSIZE_2M : RTE_PGSIZE_4K;
	mz = rte_memzone_reserve_aligned(mz_name, size, socket < 0 ? SOCKET_ID_ANY : socket,
		RTE_MEMZONE_SIZE_HINT_ONLY, (unsigned int)align);
	if (mz == NULL) {
		int e = rte_errno != 0 ? rte_errno : ENOMEM;

		mk_errf(err, errlen, 0, "memzone driver: cannot reserve %" PRIu64 " bytes for '%s'"
			" on %s: %s", size, name, rte_eal_has_hugepages() ? "hugepages" :
			"--no-huge memory", rte_strerror(e));
		return e == EEXIST ? -EEXIST : -ENOMEM;
	}
	out->addr = mz->addr;
	out->len = mz->len;
	out->page_size = mz->hugepage_sz != 0 ? mz->hugepage_sz : RTE_PGSIZE_4K;
	out->hugepages = rte_eal_has_hugepages() != 0;
	out->socket = mz->socket_id;
	out->priv = (void *)(uintptr_t)mz;
	iova_layout(out);
	return 0;
}

static void
memzone_release(struct mk_mem_region *r)
{
	rte_memzone_free(r->priv);
}

const struct mk_mem_driver mk_mem_memzone_driver = {
	.name = "memzone",
	.reserve = memzone_reserve,
	.release = memzone_release,
};
