/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mk_mem.h"
#include "mk_mem_pvt.h"

#define DRIVERS_MAX 16

/* the built-in drivers take the first slots; registration happens before lcores start */
static const struct mk_mem_driver *drivers[DRIVERS_MAX] = {
	&mk_mem_memzone_driver,
	&mk_mem_anon_driver,
};

int
mk_mem_driver_register(const struct mk_mem_driver *drv)
{
	unsigned int i;

	if (drv == NULL || drv->name == NULL || drv->reserve == NULL || drv->release == NULL)
		return -EINVAL;
	if (mk_mem_driver_find(drv->name) != NULL)
		return -EEXIST;
	for (i = 0; i < DRIVERS_MAX; i++) {
		if (drivers[i] == NULL) {
			drivers[i] = drv;
			return 0;
		}
	}
	return -ENOSPC;
}

const struct mk_mem_driver *
mk_mem_driver_find(const char *name)
{
	unsigned int i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < DRIVERS_MAX; i++)
		if (drivers[i] != NULL && strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

int
mk_mem_reserve(const char *driver, const char *name, uint64_t size, int socket,
	struct mk_mem_region *out, char *err, size_t errlen)
{
	const struct mk_mem_driver *drv = mk_mem_driver_find(driver);
	size_t len = name != NULL ? strnlen(name, MK_MEM_NAME_SIZE) : 0;
	int rc;

	if (out == NULL || len == 0 || len >= MK_MEM_NAME_SIZE || size == 0) {
		mk_errf(err, errlen, 0, "segment name must be 1..%d characters and size > 0",
			MK_MEM_NAME_SIZE - 1);
		return -EINVAL;
	}
	if (drv == NULL) {
		mk_errf(err, errlen, 0, "no memory driver '%s' (have: memzone, anon)",
			driver != NULL ? driver : "(null)");
		return -ENODEV;
	}
	memset(out, 0, sizeof(*out));
	rc = drv->reserve(name, size, socket, out, err, errlen);
	if (rc != 0)
		return rc;
	memcpy(out->name, name, len + 1);
	out->driver = drv;
	return 0;
}

void
mk_mem_release(struct mk_mem_region *region)
{
	if (region == NULL || region->driver == NULL)
		return;
	region->driver->release(region);
	memset(region, 0, sizeof(*region));
}
