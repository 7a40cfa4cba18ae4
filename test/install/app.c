/* SPDX-License-Identifier: BSD-3-Clause */
/* An application outside the tree: built only from the installed headers and libmkalloc.pc. */
#include <errno.h>
#include <stdio.h>

#include <mk_offset.h>

int
main(void)
{
	struct mk_offset_conf conf = { .size = UINT64_C(1) << 30 };
	struct mk_offset_alloc a, b;
	struct mk_offset_report r;
	struct mk_offset *oa = mk_offset_create(&conf);

	if (oa == NULL || mk_offset_alloc(oa, 1000, 0, &a) != 0 ||
	    mk_offset_alloc(oa, 4096, 4096, &b) != 0 || b.offset % 4096 != 0 ||
	    mk_offset_free(oa, &a) != 0 || mk_offset_free(oa, &a) != -EINVAL ||
	    mk_offset_free(oa, &b) != 0 || mk_offset_check(oa) != 0) {
		fprintf(stderr, "app: libmkalloc misbehaves\n");
		return 1;
	}
	mk_offset_report(oa, &r);
	mk_offset_destroy(oa);
	if (r.total_free != conf.size || r.largest_free != conf.size || r.free_regions != 1) {
		fprintf(stderr, "app: wrong report\n");
		return 1;
	}
	printf("app: built against the installed libmkalloc, offset allocator works\n");
	return 0;
}
