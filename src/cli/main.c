/* SPDX-License-Identifier: MIT */
/*
 * The patron command: serve, init, program create, version. Each command loads the layered
 * configuration, calls the service (or the HTTP server), prints its result, and exits with the
 * status of exit.c. Keys are printed alone on the last line of stdout so scripts can take them.
 */
#include "base/alloc.h"
#include "base/arena.h"
#include "base/log.h"
#include "base/random.h"
#include "cli/config.h"
#include "cli/exit.h"
#include "http/http.h"
#include "jobs/jobs.h"
#include "service/service.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_CLI_POSITIONAL_MAX 4

static const char usage[] =
    "usage: patron <command> [options]\n"
    "\n"
    "commands:\n"
    "  serve [--db PATH] [--listen HOST:PORT] [--threads N]   serve the HTTP API\n"
    "        [--min-free-mb N] [--max-write-wait-ms N] [--jobs-interval-s N] [--test-clock]\n"
    "        [--secure-cookies] [--sign-in-per-minute N] [--reset-delivery log|none]\n"
    "  init [--db PATH] [--name NAME] [--currency XXX]        create the database, the first\n"
    "                                                         program and its admin key\n"
    "  program create NAME [--db PATH] [--currency XXX]       add a program and its admin key\n"
    "  user create --email E [--name N] [--role admin|staff|viewer] [--program prg_...]\n"
    "        [--password P] [--db PATH]                       add a user who signs in (the\n"
    "                                                         password is drawn and printed\n"
    "                                                         once without --password)\n"
    "  audit [--db PATH]                                      check every ledger invariant\n"
    "  backup [--db PATH] --to FILE                           a consistent copy of a SQLite\n"
    "                                                         database, while it serves\n"
    "  migrate-store --from STORE --to STORE                  copy a whole database (e.g. a\n"
    "                                                         SQLite file to PostgreSQL), audit\n"
    "  version                                                print the version\n"
    "\n"
    "options: --json prints {\"program_id\": ..., \"api_key\": ...} for init and program create;\n"
    "--config FILE reads `key = value` lines (db, listen, threads).\n"
    "--db-pool N or --threads N (serve): read connections, the requests that may read at once\n"
    "(default 8 per CPU, at least 16); the writer has one more.\n"
    "--db PATH | sqlite:PATH | postgres://USER@HOST:PORT/DB | 'host=... dbname=...': the store.\n"
    "--test-clock (serve) enables PUT /v1/test/clock, for tests of pending and expiry; the\n"
    "    scheduled jobs then do not run (POST /v1/jobs/expire runs them).\n"
    "--min-free-mb N (serve): writes pause with 503 while the disk has less free (default 64).\n"
    "--max-write-wait-ms N (serve): a new write gets 503 when it would wait longer than N ms\n"
    "for the writer (default 50; 0 = only when the queue is full).\n"
    "--jobs-interval-s N (serve): seconds between two runs of the scheduled jobs (expiry,\n"
    "    birthdays, tier reviews; default 900, 1 to 86400).\n"
    "--max-connections-per-address N (serve): connections one client address may hold\n"
    "    (default 64).\n"
    "--header-timeout-ms MS (serve): a request's headers must be complete within MS of the\n"
    "    connection or of the previous answer; idle keep-alives close then (default 10000).\n"
    "--secure-cookies (serve): session cookies get Secure (serve behind TLS).\n"
    "--sign-in-per-minute N (serve): sign-ins one client address may make (default 10).\n"
    "--password-hashes N (serve): password hashes (64 MiB each) run at once; more sign-ins\n"
    "    get 503 (default: one per CPU).\n"
    "--reset-delivery log|none (serve): where members' password reset links go; log writes\n"
    "    them to the log (development only; default none).\n"
    "Settings: flags > PATRON_DB / PATRON_LISTEN / PATRON_THREADS / PATRON_MIN_FREE_MB >\n"
    "config file > defaults.\n";

static int fail(const struct pt_err *err)
{
    (void)fprintf(stderr, "patron: %s\n", err->msg);
    return pt_exit_status_of(err->rc);
}

static int print_created(const struct pt_config *cfg, const struct pt_program *program,
                         const struct pt_key_created *key)
{
    if (cfg->json) {
        char out[256];
        pt_http_encode_created_key(program->id, key->secret, out, sizeof(out));
        printf("%s\n", out);
    } else {
        printf("program %s (%s, %s) created in %s\n", program->id, program->name, program->currency,
               cfg->db);
        printf("admin API key (shown once, store it now):\n%s\n", key->secret);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int create_program(const struct pt_config *cfg, const char *name, bool require_empty)
{
    struct pt_service *svc = NULL;
    struct pt_program program;
    struct pt_key_created key;
    struct pt_arena arena;
    struct pt_err err;
    enum pt_rc rc;
    int status;
    pt_err_clear(&err);
    rc = pt_service_open(cfg->db, 1, require_empty ? PT_STORE_OPEN_CREATE : PT_STORE_OPEN_EXISTING,
                         &svc, &err);
    if (rc == PT_OK) {
        pt_service_set_min_free(svc, cfg->min_free_mb * 1024 * 1024);
    }
    if (rc == PT_OK && require_empty) {
        rc = pt_service_require_empty(svc, &err);
    }
    pt_arena_init(&arena, 64 * 1024);
    if (rc == PT_OK) {
        rc = pt_service_program_create(svc, name, cfg->currency, &arena, &program, &key, &err);
    }
    status = rc == PT_OK ? print_created(cfg, &program, &key) : fail(&err);
    pt_arena_fini(&arena);
    pt_service_close(svc);
    return status;
}

static int cmd_serve(const struct pt_config *cfg)
{
    struct pt_http_config http;
    struct pt_service *svc = NULL;
    struct pt_jobs *jobs = NULL;
    struct pt_err err;
    char host[64];
    unsigned port = 0;
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = pt_config_split_listen(cfg->listen, host, sizeof(host), &port, &err);
    if (rc == PT_OK) {
        rc = pt_service_open(cfg->db, cfg->threads, PT_STORE_OPEN_EXISTING, &svc, &err);
    }
    if (rc != PT_OK) {
        pt_service_close(svc);
        return fail(&err);
    }
    if (pt_service_version_found(svc) < PT_SCHEMA_VERSION) {
        char extra[96];
        (void)snprintf(extra, sizeof(extra), ",\"from\":%d,\"to\":%d",
                       pt_service_version_found(svc), PT_SCHEMA_VERSION);
        pt_log("info", "database migrated", extra);
    }
    if (cfg->test_clock) {
        rc = pt_service_enable_test_clock(svc, &err);
        if (rc != PT_OK) {
            pt_service_close(svc);
            return fail(&err);
        }
    }
    pt_service_set_min_free(svc, cfg->min_free_mb * 1024 * 1024);
    pt_service_set_max_write_wait(svc, cfg->max_write_wait_ms);
    /* Events written by the jobs carry the API's JSON from the first one. */
    pt_http_prepare(svc);
    /* On a test clock, time moves only when the test says so: the scheduled jobs (on the real
     * clock's schedule) stay off, and tests run them with POST /v1/jobs/expire. Coupon batches
     * are made either way. */
    rc = pt_jobs_start(svc, !cfg->test_clock, cfg->jobs_interval_s, &jobs, &err);
    if (rc != PT_OK) {
        pt_service_close(svc);
        return fail(&err);
    }
    http.host = host;
    http.port = (uint16_t)port;
    http.threads = cfg->threads;
    http.connections_per_address = cfg->connections_per_address;
    http.headers_timeout_ms = cfg->headers_timeout_ms;
    http.fail_alloc_every = 0;
    http.secure_cookies = cfg->secure_cookies;
    http.sign_in_per_minute = cfg->sign_in_per_minute;
    if (strcmp(cfg->reset_delivery, "log") == 0) {
        pt_service_set_reset_delivery(svc, pt_service_reset_deliver_log, NULL);
    }
    if (cfg->password_hashes != 0) {
        pt_service_set_password_hashes(svc, cfg->password_hashes);
    }
#ifdef PT_DEBUG
    if (getenv("PATRON_FAIL_ALLOC") != NULL) {
        /* Allocation-failure injection (tests/api/test_alloc_failure.py): every Nth. */
        http.fail_alloc_every = strtoll(getenv("PATRON_FAIL_ALLOC"), NULL, 10);
    }
#endif
    rc = pt_http_serve(&http, svc, &err);
    pt_jobs_stop(jobs);
    pt_service_close(svc);
    if (rc != PT_OK) {
        return fail(&err);
    }
    return 0;
}

/* Prints the user made, and the password when it was drawn (shown once). */
static int print_user(const struct pt_config *cfg, const struct pt_user *u, const char *drawn)
{
    char email[PT_EMAIL_BYTES_MAX * 6 + 1];
    pt_log_escape(u->email, strlen(u->email), email, sizeof(email));
    if (cfg->json) {
        printf("{\"user_id\": \"%s\", \"program_id\": \"%s\", \"email\": \"%s\", "
               "\"role\": \"%s\", \"password\": %s%s%s}\n",
               u->id, u->program_id, email, pt_role_names[u->role], drawn ? "\"" : "",
               drawn ? drawn : "null", drawn ? "\"" : "");
    } else {
        printf("user %s (%s, %s) created in program %s\n", u->id, email, pt_role_names[u->role],
               u->program_id);
        if (drawn != NULL) {
            printf("password (shown once, store it now):\n%s\n", drawn);
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

/* patron user create: a user of a program (the first admin), with a drawn password unless
 * --password gives one. */
static int cmd_user_create(const struct pt_config *cfg)
{
    struct pt_service *svc = NULL;
    struct pt_principal who;
    struct pt_user_new req;
    struct pt_user user;
    struct pt_program program;
    struct pt_arena arena;
    struct pt_err err;
    char email[sizeof(cfg->email)];
    char drawn[PT_SESSION_TOKEN_BYTES + 1] = "";
    enum pt_rc rc;
    int status;
    pt_err_clear(&err);
    memset(&who, 0, sizeof(who));
    memset(&req, 0, sizeof(req));
    who.kind = PT_PRINCIPAL_KEY;
    who.role = PT_ROLE_ADMIN;
    (void)snprintf(email, sizeof(email), "%s", cfg->email);
    req.email = email;
    req.name = cfg->name[0] != '\0' ? cfg->name : "Admin";
    req.password = cfg->password;
    rc = pt_service_open(cfg->db, 1, PT_STORE_OPEN_EXISTING, &svc, &err);
    if (rc == PT_OK && strlen(cfg->program) >= sizeof(who.program_id)) {
        rc = pt_err_set(&err, PT_ENOTFOUND, "program", "no such program");
    } else if (rc == PT_OK && cfg->program[0] != '\0') {
        memcpy(who.program_id, cfg->program, strlen(cfg->program) + 1);
    } else if (rc == PT_OK) {
        rc = pt_service_program_default(svc, who.program_id, &err);
    }
    pt_arena_init(&arena, 64 * 1024);
    if (rc == PT_OK) {
        rc = pt_service_program_get(svc, &who, &arena, &program, &err);
    }
    if (rc == PT_OK) {
        rc = pt_user_role_parse(cfg->role, &req.role, &err);
    }
    if (rc == PT_OK && cfg->password[0] == '\0') {
        uint8_t random16[16];
        pt_random_bytes(random16, sizeof(random16));
        pt_base64url_encode(random16, sizeof(random16), drawn, sizeof(drawn));
        req.password = drawn;
    }
    if (rc == PT_OK) {
        rc = pt_service_user_create(svc, &who, &req, NULL, &arena, &user, &err);
    }
    status = rc == PT_OK ? print_user(cfg, &user, drawn[0] ? drawn : NULL) : fail(&err);
    pt_arena_fini(&arena);
    pt_service_close(svc);
    return status;
}

/* Opens the store at db and audits it; problem is "" when every invariant holds. */
static enum pt_rc audit_store(const char *db, char *problem, size_t problem_bytes,
                              struct pt_err *err)
{
    struct pt_service *svc = NULL;
    enum pt_rc rc = pt_service_open(db, 1, PT_STORE_OPEN_EXISTING, &svc, err);
    if (rc == PT_OK) {
        rc = pt_service_audit(svc, problem, problem_bytes, err);
    }
    pt_service_close(svc);
    return rc;
}

static int cmd_audit(const struct pt_config *cfg)
{
    struct pt_err err;
    char problem[512];
    enum pt_rc rc;
    pt_err_clear(&err);
    rc = audit_store(cfg->db, problem, sizeof(problem), &err);
    if (rc != PT_OK) {
        return fail(&err);
    }
    if (problem[0] != '\0') {
        (void)fprintf(stderr, "patron audit: FAILED: %s\n", problem);
        return 1;
    }
    printf("patron audit: ok: every entry balances, every account equals its postings, every "
           "member's balance equals its open lots less what it owes, every transfer's legs "
           "cancel out, every unique value is claimed by its owner\n");
    return 0;
}

static int cmd_backup(const struct pt_config *cfg)
{
    struct pt_service *svc = NULL;
    struct pt_err err;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (cfg->to[0] == '\0') {
        (void)fprintf(stderr, "patron: backup needs --to FILE\n");
        return PT_EXIT_USAGE;
    }
    rc = pt_service_open(cfg->db, 1, PT_STORE_OPEN_EXISTING, &svc, &err);
    if (rc == PT_OK) {
        rc = pt_service_backup(svc, cfg->to, &err);
    }
    pt_service_close(svc);
    if (rc != PT_OK) {
        return fail(&err);
    }
    printf("patron backup: %s written\n", cfg->to);
    return 0;
}

static int cmd_migrate_store(const struct pt_config *cfg)
{
    struct pt_err err;
    char problem[512];
    int64_t rows = 0;
    enum pt_rc rc;
    pt_err_clear(&err);
    if (cfg->from[0] == '\0' || cfg->to[0] == '\0') {
        (void)fprintf(stderr, "patron: migrate-store needs --from STORE and --to STORE\n");
        return PT_EXIT_USAGE;
    }
    rc = pt_service_migrate_store(cfg->from, cfg->to, &rows, &err);
    if (rc == PT_OK) {
        rc = audit_store(cfg->to, problem, sizeof(problem), &err);
    }
    if (rc != PT_OK) {
        return fail(&err);
    }
    if (problem[0] != '\0') {
        (void)fprintf(stderr, "patron migrate-store: copied %lld rows, but the audit FAILED: %s\n",
                      (long long)rows, problem);
        return 1;
    }
    printf("patron migrate-store: copied %lld rows; audit of the target ok\n", (long long)rows);
    return 0;
}

int main(int argc, char **argv)
{
    struct pt_config cfg;
    const char *positional[PT_CLI_POSITIONAL_MAX];
    int positional_count = 0;
    struct pt_err err;
    const char *cmd = argc > 1 ? argv[1] : "help";
    pt_err_clear(&err);
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        (void)fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("patron %s (schema %d)\n", PT_VERSION, PT_SCHEMA_VERSION);
        return 0;
    }
    if (pt_config_load(&cfg, argc, argv, 2, positional, PT_CLI_POSITIONAL_MAX, &positional_count,
                       &err) != PT_OK) {
        (void)fprintf(stderr, "patron: %s\n%s", err.msg, usage);
        return PT_EXIT_USAGE;
    }
    if (getenv("PATRON_TEST_SCHEMA_VERSION") != NULL) {
        /* Migration tests: make a database of an older schema (docs/testing.md). */
        char *end = NULL;
        long v = strtol(getenv("PATRON_TEST_SCHEMA_VERSION"), &end, 10);
        if (end == NULL || *end != '\0' || v < 1 || v > PT_SCHEMA_VERSION) {
            (void)fprintf(stderr, "patron: PATRON_TEST_SCHEMA_VERSION must be 1..%d\n",
                          PT_SCHEMA_VERSION);
            return PT_EXIT_USAGE;
        }
        pt_store_set_schema_target((int)v);
    }
    if (strcmp(cmd, "serve") == 0 && positional_count == 0) {
        return cmd_serve(&cfg);
    }
    if (strcmp(cmd, "init") == 0 && positional_count == 0) {
        return create_program(&cfg, cfg.name[0] ? cfg.name : "My loyalty program", true);
    }
    if (strcmp(cmd, "audit") == 0 && positional_count == 0) {
        return cmd_audit(&cfg);
    }
    if (strcmp(cmd, "backup") == 0 && positional_count == 0) {
        return cmd_backup(&cfg);
    }
    if (strcmp(cmd, "migrate-store") == 0 && positional_count == 0) {
        return cmd_migrate_store(&cfg);
    }
    if (strcmp(cmd, "user") == 0 && positional_count == 1 && strcmp(positional[0], "create") == 0) {
        return cmd_user_create(&cfg);
    }
    if (strcmp(cmd, "program") == 0 && positional_count == 2 &&
        strcmp(positional[0], "create") == 0) {
        return create_program(&cfg, positional[1], false);
    }
    (void)fprintf(stderr, "patron: unknown command or arguments\n%s", usage);
    return PT_EXIT_USAGE;
}
