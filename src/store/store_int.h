/* SPDX-License-Identifier: MIT */
/* Declarations shared by the files of src/store; not part of store.h. */
#ifndef PT_STORE_STORE_INT_H
#define PT_STORE_STORE_INT_H

#include "store/store.h"

/* Migration SQL by target version; index 0 is unused (NULL). */
extern const char *const pt_store_migrations[];

#endif
