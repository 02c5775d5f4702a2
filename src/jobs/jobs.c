/* SPDX-License-Identifier: MIT */
/* The jobs thread: expiry of points, the birthday rules and tier reviews, at start and then
 * every quarter hour (issue: "at least hourly"; a birthday is handled once a year and a review
 * once per window, however often it runs). */
#include "jobs/jobs.h"

#include "base/alloc.h"
#include "base/log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/* Seconds between two expiry runs. The issue asks for at least hourly; a quarter keeps the
 * gap between a lot's expiry and its entry short. */
#define PT_JOBS_EXPIRY_INTERVAL_S (15 * 60)

struct pt_jobs {
    struct pt_service *svc; /* borrowed */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* Signalled by stop. */
    bool stopping;
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

static void *jobs_main(void *arg)
{
    struct pt_jobs *jobs = arg;
    pthread_mutex_lock(&jobs->mu);
    while (!jobs->stopping) {
        struct timespec until;
        pthread_mutex_unlock(&jobs->mu);
        expiry_run(jobs->svc);
        birthdays_run(jobs->svc);
        tier_reviews_run(jobs->svc);
        coupons_expire_run(jobs->svc);
        pthread_mutex_lock(&jobs->mu);
        /* The condition variable's timeout needs the real-time clock (pthread's default). */
        (void)clock_gettime(CLOCK_REALTIME, &until); /* check_src: allow clock: pthread timeout */
        until.tv_sec += PT_JOBS_EXPIRY_INTERVAL_S;
        while (!jobs->stopping && pthread_cond_timedwait(&jobs->cv, &jobs->mu, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&jobs->mu);
    return NULL;
}

enum pt_rc pt_jobs_start(struct pt_service *svc, struct pt_jobs **out, struct pt_err *err)
{
    struct pt_jobs *jobs = pt_calloc(1, sizeof(*jobs));
    *out = NULL;
    if (jobs == NULL) {
        return pt_err_set(err, PT_ENOMEM, NULL, "out of memory");
    }
    jobs->svc = svc;
    pthread_mutex_init(&jobs->mu, NULL);
    pthread_cond_init(&jobs->cv, NULL);
    if (pthread_create(&jobs->thread, NULL, jobs_main, jobs) != 0) {
        pthread_mutex_destroy(&jobs->mu);
        pthread_cond_destroy(&jobs->cv);
        pt_free(jobs);
        return pt_err_set(err, PT_EINTERNAL, NULL, "cannot start the jobs thread");
    }
    *out = jobs;
    return PT_OK;
}

void pt_jobs_stop(struct pt_jobs *jobs)
{
    if (jobs == NULL) {
        return;
    }
    pthread_mutex_lock(&jobs->mu);
    jobs->stopping = true;
    pthread_cond_signal(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
    (void)pthread_join(jobs->thread, NULL); /* Cannot fail for a joinable thread. */
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->cv);
    pt_free(jobs);
}
