/* SPDX-License-Identifier: MIT */
/*
 * Background jobs of a serving process: the scheduled jobs (expiry of points and coupons,
 * birthdays, tier reviews), run at start and then every interval_s; and the codes of coupon
 * batches, made as soon as a batch is created and looked for every minute (another process may
 * have created one, or stopped halfway). One thread; stopping wakes it and waits for it (a
 * batch stops between two chunks). Batches never starve the scheduled jobs: the batch runner
 * stops between two chunks when they are due, and goes on after them.
 */
#ifndef PT_JOBS_JOBS_H
#define PT_JOBS_JOBS_H

#include "base/err.h"

#include "service/service.h"
#include <stdbool.h>
#include <stdint.h>

struct pt_jobs;

/* Starts the jobs thread on svc (borrowed; must outlive the jobs); scheduled false leaves the
 * scheduled jobs off (a test clock: tests run them through the API), else they run every
 * interval_s seconds (1 .. PT_JOBS_INTERVAL_S_MAX); batches are made either way. Registers
 * itself as svc's batch notifier. OUT: *out, new. */
PT_MUSTCHECK enum pt_rc pt_jobs_start(struct pt_service *svc, bool scheduled, int64_t interval_s,
                                      struct pt_jobs **out, struct pt_err *err);

/* Stops the thread (waits for a run in progress) and frees jobs. Accepts NULL. */
void pt_jobs_stop(struct pt_jobs *jobs);

#endif
