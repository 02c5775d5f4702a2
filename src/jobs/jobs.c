/* SPDX-License-Identifier: MIT */
/* The jobs thread: expiry of points, the birthday rules and tier reviews, at start and then
 * every interval (a quarter hour by default; issue: "at least hourly"; a birthday is handled
 * once a year and a review once per window, however often it runs); coupon batches' codes when
 * told of a new batch and every minute. The batch runner is stopped between two chunks when
 * the scheduled jobs are due, so that no amount of codes delays them (docs/security.md). */
#include "jobs/jobs.h"

#include "base/alloc.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/* Seconds between two looks for coupon batches left generating by another process. */
#define PT_JOBS_BATCH_INTERVAL_S 60

struct pt_jobs {
    struct pt_service *svc; /* borrowed */
    bool scheduled;         /* Run the scheduled jobs (off on a test clock). */
    int64_t interval_s;     /* Seconds between two runs of the scheduled jobs. */
    int64_t scheduled_due;  /* Monotonic second of their next run; the thread's own. */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;  /* Signalled by stop and by wake. */
    bool stopping;      /* mu */
    bool batch_waiting; /* mu: a batch was created since the last run. */
};

static void expiry_run(struct pt_service *svc)
{
    struct pt_expiry_result r;
    struct pt_err err;
    char extra[200];
    pt_err_clear(&err);
    if (pt_service_expire(svc, NULL, &r, &err) != PT_OK) {
        (void)snprintf(extra, sizeof(extra), ",\"rc\":\"%s\"", pt_rc_name(err.rc));
        pt_log("error", "expiry job failed; it runs again later", extra);
        return;
    }
    if (r.points_expired > 0) {
        (void)snprintf(extra, sizeof(extra), ",\"points\":%lld,\"lots\":%lld,\"members\":%lld",
                       (long long)r.points_expired, (long long)r.lots_expired,
                       (long long)r.members);
        pt_log("info", "points expired", extra);
    }
}

static void birthdays_run(struct pt_service *svc)
{
    struct pt_birthday_result r;
    struct pt_err err;
    char extra[160];
    pt_err_clear(&err);
    if (pt_service_birthdays(svc, NULL, &r, &err) != PT_OK) {
        (void)snprintf(extra, sizeof(extra), ",\"rc\":\"%s\"", pt_rc_name(err.rc));
        pt_log("error", "birthday job failed; it runs again later", extra);
        return;
    }
    if (r.members > 0) {
        (void)snprintf(extra, sizeof(extra), ",\"members\":%lld,\"points\":%lld",
                       (long long)r.members, (long long)r.points);
        pt_log("info", "birthdays", extra);
    }
}

static void tier_reviews_run(struct pt_service *svc)
{
    struct pt_tier_review_result r;
    struct pt_err err;
    char extra[200];
    pt_err_clear(&err);
    if (pt_service_tier_reviews(svc, NULL, &r, &err) != PT_OK) {
        (void)snprintf(extra, sizeof(extra), ",\"rc\":\"%s\"", pt_rc_name(err.rc));
        pt_log("error", "tier review job failed; it runs again later", extra);
        return;
    }
    if (r.reviewed > 0) {
        (void)snprintf(extra, sizeof(extra),
                       ",\"reviewed\":%lld,\"kept\":%lld,\"retained\":%lld,\"downgraded\":%lld",
                       (long long)r.reviewed, (long long)r.kept, (long long)r.retained,
                       (long long)r.downgraded);
        pt_log("info", "tier reviews", extra);
    }
}

static void coupons_expire_run(struct pt_service *svc)
{
    struct pt_err err;
    int64_t expired = 0;
    char extra[160];
    pt_err_clear(&err);
    if (pt_service_coupons_expire(svc, NULL, &expired, &err) != PT_OK) {
        (void)snprintf(extra, sizeof(extra), ",\"rc\":\"%s\"", pt_rc_name(err.rc));
        pt_log("error", "coupon expiry job failed; it runs again later", extra);
        return;
    }
    if (expired > 0) {
        (void)snprintf(extra, sizeof(extra), ",\"coupons\":%lld", (long long)expired);
        pt_log("info", "coupons expired", extra);
    }
}

/* Seconds on the monotonic clock, for the schedule (the wall clock may jump). */
static int64_t mono_s(void)
{
    struct timespec now;
    (void)clock_gettime(CLOCK_MONOTONIC, &now); /* check_src: allow clock: the jobs' schedule */
    return (int64_t)now.tv_sec;
}

/* The batch runner's stop: the server stops, or the scheduled jobs are due (they are never
 * left waiting behind codes; the runner goes on after them). */
static bool jobs_stopping(void *arg)
{
    struct pt_jobs *jobs = arg;
    bool stopping;
    pthread_mutex_lock(&jobs->mu);
    stopping = jobs->stopping;
    pthread_mutex_unlock(&jobs->mu);
    return stopping || (jobs->scheduled && mono_s() >= jobs->scheduled_due);
}

static void scheduled_run(struct pt_jobs *jobs)
{
    int64_t started_us = pt_clock_mono_us();
    char extra[64];
    expiry_run(jobs->svc);
    birthdays_run(jobs->svc);
    tier_reviews_run(jobs->svc);
    coupons_expire_run(jobs->svc);
    (void)snprintf(extra, sizeof(extra), ",\"ms\":%lld",
                   (long long)((pt_clock_mono_us() - started_us) / 1000));
    pt_log("info", "scheduled jobs ran", extra);
    jobs->scheduled_due = mono_s() + jobs->interval_s;
}

static void batches_run(struct pt_jobs *jobs)
{
    struct pt_err err;
    int64_t made = 0;
    char extra[160];
    pt_err_clear(&err);
    if (pt_service_batches_run(jobs->svc, jobs_stopping, jobs, &made, &err) != PT_OK) {
        (void)snprintf(extra, sizeof(extra), ",\"rc\":\"%s\"", pt_rc_name(err.rc));
        pt_log("error", "coupon batch job failed; it runs again later", extra);
    }
    if (made > 0) {
        (void)snprintf(extra, sizeof(extra), ",\"codes\":%lld", (long long)made);
        pt_log("info", "promotion codes made", extra);
    }
}

static void *jobs_main(void *arg)
{
    struct pt_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->mu);
    while (!jobs->stopping) {
        struct timespec until;
        int64_t wait_s = PT_JOBS_BATCH_INTERVAL_S;
        jobs->batch_waiting = false;
        pthread_mutex_unlock(&jobs->mu);
        if (jobs->scheduled && mono_s() >= jobs->scheduled_due) {
            scheduled_run(jobs);
        }
        batches_run(jobs);
        if (jobs->scheduled && jobs->scheduled_due - mono_s() < wait_s) {
            /* 0 when the runner stopped for them: they run at once, then the codes go on. */
            wait_s = jobs->scheduled_due - mono_s() > 0 ? jobs->scheduled_due - mono_s() : 0;
        }
        pthread_mutex_lock(&jobs->mu);
        /* The condition variable's timeout needs the real-time clock (pthread's default). */
        (void)clock_gettime(CLOCK_REALTIME, &until); /* check_src: allow clock: pthread timeout */
        until.tv_sec += wait_s;
        while (!jobs->stopping && !jobs->batch_waiting &&
               pthread_cond_timedwait(&jobs->cv, &jobs->mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&jobs->mu);
    return NULL;
}

/* The service's batch notifier: wakes the thread to make the new batch's codes. */
static void jobs_wake(void *arg)
{
    struct pt_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->mu);
    jobs->batch_waiting = true;
    pthread_cond_signal(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

enum pt_rc pt_jobs_start(struct pt_service *svc, bool scheduled, int64_t interval_s,
                         struct pt_jobs **out, struct pt_err *err)
{
    struct pt_jobs *jobs = pt_calloc(1, sizeof(*jobs));
    *out = NULL;
    if (jobs == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    jobs->svc = svc;
    jobs->scheduled = scheduled;
    jobs->interval_s = interval_s >= 1 && interval_s <= PT_JOBS_INTERVAL_S_MAX
                           ? interval_s
                           : PT_JOBS_INTERVAL_S_DEFAULT;
    jobs->scheduled_due = mono_s();
    pthread_mutex_init(&jobs->mu, NULL);
    pthread_cond_init(&jobs->cv, NULL);
    if (pthread_create(&jobs->thread, NULL, jobs_main, jobs) != 0) {
        pthread_mutex_destroy(&jobs->mu);
        pthread_cond_destroy(&jobs->cv);
        pt_free(jobs);
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the jobs thread");
    }
    pt_service_set_batch_notify(svc, jobs_wake, jobs);
    *out = jobs;
    return PT_OK;
}

void pt_jobs_stop(struct pt_jobs *jobs)
{
    if (jobs == NULL) {
        return;
    }
    pt_service_set_batch_notify(jobs->svc, NULL, NULL);
    pthread_mutex_lock(&jobs->mu);
    jobs->stopping = true;
    pthread_cond_signal(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
    (void)pthread_join(jobs->thread, NULL); /* Cannot fail for a joinable thread. */
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->cv);
    pt_free(jobs);
}
