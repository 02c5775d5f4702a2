/* SPDX-License-Identifier: MIT */
/*
 * Background jobs of a serving process: today the expiry of points, run at start and then
 * every PT_JOBS_EXPIRY_INTERVAL_S. One thread; stopping wakes it and waits for it.
 */
#ifndef PT_JOBS_JOBS_H
#define PT_JOBS_JOBS_H

#include "base/err.h"
#include "service/service.h"

struct pt_jobs;

/* Starts the jobs thread on svc (borrowed; must outlive the jobs). OUT: *out, new. */
PT_MUSTCHECK enum pt_rc pt_jobs_start(struct pt_service *svc, struct pt_jobs **out,
                                      struct pt_err *err);

/* Stops the thread (waits for a run in progress) and frees jobs. Accepts NULL. */
void pt_jobs_stop(struct pt_jobs *jobs);

#endif
