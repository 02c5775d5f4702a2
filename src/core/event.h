/* SPDX-License-Identifier: MIT */
/*
 * An event of the feed: what happened ("points.earned", ...), to whom, with the object as the
 * API shows it. Written in the same transaction as the change it tells of.
 */
#ifndef PT_CORE_EVENT_H
#define PT_CORE_EVENT_H

#include <stdint.h>

#include "base/limits.h"

struct pt_event {
    char id[PT_ID_BUF_BYTES]; /* "evt_..." */
    const char *type;         /* "points.earned", ... */
    const char *member_id;    /* nullable */
    int64_t created_at_ms;
    const char *payload_json; /* The object as the API shows it. */
    int64_t seq;              /* Commit order (OUT of list). */
};

#endif
