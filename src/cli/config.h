/* SPDX-License-Identifier: MIT */
/*
 * Configuration of the patron command: flags > PATRON_* environment > config file > defaults.
 * The config file (--config FILE or PATRON_CONFIG) holds `key = value` lines; `#` starts a
 * comment. Keys: db, listen, threads, min_free_mb, max_write_wait_ms, jobs_interval_s,
 * max_connections_per_address, header_timeout_ms, sign_in_per_minute, reset_delivery,
 * secure_cookies, password_hashes. Strings are owned by the struct (static
 * buffers).
 */
#ifndef PT_CLI_CONFIG_H
#define PT_CLI_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct pt_config {
    char db[1024];             /* The store: a path, sqlite:PATH or a PostgreSQL URI. */
    char from[1024];           /* migrate-store --from. */
    char to[1024];             /* migrate-store --to. */
    char listen[64];           /* HOST:PORT. Default 127.0.0.1:8080. */
    unsigned threads;          /* Read connections (--db-pool). Default: 8 per CPU, at least 16. */
    int64_t min_free_mb;       /* Writes pause below this much free disk (MiB). Default 64. */
    int64_t max_write_wait_ms; /* Writes are shed while the oldest waited longer. Default 200. */
    int64_t jobs_interval_s;   /* Seconds between runs of the scheduled jobs. Default 900. */
    char name[128];            /* --name for init / program create. */
    char currency[8];          /* --currency for init / program create. Default USD. */
    char program[64];          /* --program for key create. */
    char role[16];             /* --role for key create and user create. */
    char email[256];           /* --email for user create. */
    char password[256];        /* --password for user create ("": drawn and printed). */
    bool json;                 /* --json output. */
    bool test_clock;           /* --test-clock: PUT /v1/test/clock sets the clock (tests only). */

    /* The HTTP edge (docs/security.md). */
    unsigned connections_per_address; /* --max-connections-per-address. Default 64. */
    unsigned headers_timeout_ms;      /* --header-timeout-ms: complete headers by then. */

    /* Signing in (docs/security.md, "Sessions"). */
    bool secure_cookies;         /* --secure-cookies: session cookies get Secure (TLS in front). */
    unsigned sign_in_per_minute; /* --sign-in-per-minute: per client address. Default 10. */
    char reset_delivery[8];      /* --reset-delivery log|none: where reset tokens go. */
    unsigned password_hashes;    /* --password-hashes: at once; 0 = one per core (default). */
};

/*
 * Fills cfg from defaults, the config file, the environment and then argv[first..argc).
 * Positional arguments are stored in positional[] (at most positional_max). PT_EINVAL with a
 * message on an unknown flag, a missing value or a bad file line.
 */
PT_MUSTCHECK enum pt_rc pt_config_load(struct pt_config *cfg, int argc, char **argv, int first,
                                       const char **positional, int positional_max,
                                       int *positional_count, struct pt_err *err);

/* Splits "HOST:PORT"; PT_EINVAL when malformed. */
PT_MUSTCHECK enum pt_rc pt_config_split_listen(const char *listen, char *host, size_t host_bytes,
                                               unsigned *port, struct pt_err *err);

#endif
