/* SPDX-License-Identifier: MIT */
/* The feed's events (event.h): the refusals the store reports, in the domain's words. */
#include "core/event.h"

enum pt_rc pt_event_not_found(const char *event_id, struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, "after", "no event %s", event_id);
}
