/* SPDX-License-Identifier: MIT */
/*
 * An event of the feed: what happened ("points.earned", ...), to whom, with the object as the
 * API shows it. Written in the same transaction as the change it tells of.
 */
#ifndef PT_CORE_EVENT_H
#define PT_CORE_EVENT_H

#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"

struct pt_event {
    char id[PT_ID_BUF_BYTES]; /* "evt_..." */
    const char *type;         /* "points.earned", ... */
    const char *member_id;    /* nullable */
    int64_t created_at_ms;
    const char *payload_json; /* The object as the API shows it. */
    const char *ref_id;       /* The object its write made, when the write case names it (a
                                 purchase's id, to find its answer again); NULL otherwise. */
    int64_t seq;              /* Commit order (OUT of list). */
};

/* ---- Refusals the store reports (the words are the domain's; the store gives the id) ---- */

/* The feed holds no event with that id, the cursor `after` (PT_ENOTFOUND, field after). */
PT_MUSTCHECK enum pt_rc pt_event_not_found(const char *event_id, struct pt_err *err);

#endif
