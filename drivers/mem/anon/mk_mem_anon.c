/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "anon" driver: anonymous shared memory. Hugepages (MAP_HUGETLB) when the kernel has
 * enough of them, else 4 KiB pages advised towards transparent hugepages. No EAL needed.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mk_mem.h"
#include "mk_mem_pvt.h"

#define HUGEPAGE_2M (UINT64_C(2) << 20)

static int
anon_reserve(const char *name, uint64_t size, int socket, struct mk_mem_region *out,
	char *err, size_t errlen)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), len;
	void *addr;

	(void)socket;
	if (size > UINT64_MAX - HUGEPAGE_2M) {
		mk_errf(err, errlen, 0, "anon driver: %" PRIu64 " bytes is too large", size);
		return -EINVAL;
	}
	len = (size + HUGEPAGE_2M - 1) & ~(HUGEPAGE_2M - 1);
	addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB,
		-1, 0);
	if (addr != MAP_FAILED) {
		out->page_size = HUGEPAGE_2M;
		out->hugepages = true;
	} else {
		len = (size + page - 1) & ~(page - 1);
		addr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (addr == MAP_FAILED) {
			int e = errno;

			mk_errf(err, errlen, 0, "anon driver: cannot map %" PRIu64 " bytes for '%s':"
				" %s", size, name, strerror(e));
			return -e;
		}
		/* best effort: fewer TLB misses when transparent hugepages are on */
		(void)madvise(addr, len, MADV_HUGEPAGE);
		out->page_size = page;
		out->hugepages = false;
	}
	out->addr = addr;
	out->len = len;
	out->iova = UINT64_MAX;
	out->iova_chunks = 0;
	out->socket = -1;
	return 0;
}

static void
anon_release(struct mk_mem_region *r)
{
	munmap(r->addr, r->len);
}

const struct mk_mem_driver mk_mem_anon_driver = {
	.name = "anon",
	.reserve = anon_reserve,
	.release = anon_release,
};
