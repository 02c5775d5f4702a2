/* SPDX-License-Identifier: MIT */
/* Configuration layering; see config.h. */
#include "cli/config.h"

#include "base/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Lines of a config file; a longer file is refused rather than half-read. */
#define PT_CONFIG_LINES_MAX 1000

static enum pt_rc set_threads(struct pt_config *cfg, const char *value, const char *origin,
                              struct pt_err *err)
{
    char *end = NULL;
    unsigned long n = strtoul(value, &end, 10);
    if (end == value || *end != '\0' || n < 1 || n > PT_HTTP_THREADS_MAX) {
        return pt_err_set(err, PT_EINVAL, "db_pool",
                          "%s: the read pool (db_pool, threads) must be 1 to %d connections",
                          origin, PT_HTTP_THREADS_MAX);
    }
    cfg->threads = (unsigned)n;
    return PT_OK;
}

/* A whole number in [min, max] into *out; PT_EINVAL naming key otherwise. */
static enum pt_rc set_bounded(const char *value, const char *origin, const char *key,
                              unsigned long min, unsigned long max, unsigned *out,
                              struct pt_err *err)
{
    char *end = NULL;
    unsigned long n = strtoul(value, &end, 10);
    if (end == value || *end != '\0' || value[0] == '-' || n < min || n > max) {
        return pt_err_set(err, PT_EINVAL, key, "%s: %s must be %lu to %lu", origin, key, min, max);
    }
    *out = (unsigned)n;
    return PT_OK;
}

static enum pt_rc set_key(struct pt_config *cfg, const char *key, const char *value,
                          const char *origin, struct pt_err *err)
{
    if (strcmp(key, "db") == 0) {
        (void)snprintf(cfg->db, sizeof(cfg->db), "%s", value);
    } else if (strcmp(key, "listen") == 0) {
        (void)snprintf(cfg->listen, sizeof(cfg->listen), "%s", value);
    } else if (strcmp(key, "threads") == 0 || strcmp(key, "db_pool") == 0) {
        /* db_pool is the name for the PostgreSQL issue's "--db-pool N"; threads the older one:
         * both size the pool of read connections. */
        return set_threads(cfg, value, origin, err);
    } else if (strcmp(key, "min_free_mb") == 0) {
        char *end = NULL;
        long long mb = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || mb < 0 || mb > 1024 * 1024) {
            return pt_err_set(err, PT_EINVAL, "min_free_mb", "%s: min_free_mb must be 0 to 1048576",
                              origin);
        }
        cfg->min_free_mb = mb;
    } else if (strcmp(key, "max_write_wait_ms") == 0) {
        char *end = NULL;
        long long ms = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || ms < 0 || ms > 60000) {
            return pt_err_set(err, PT_EINVAL, "max_write_wait_ms",
                              "%s: max_write_wait_ms must be 0 to 60000", origin);
        }
        cfg->max_write_wait_ms = ms;
    } else if (strcmp(key, "jobs_interval_s") == 0) {
        char *end = NULL;
        long long sec = strtoll(value, &end, 10);
        if (end == value || *end != '\0' || sec < 1 || sec > PT_JOBS_INTERVAL_S_MAX) {
            return pt_err_set(err, PT_EINVAL, "jobs_interval_s",
                              "%s: jobs_interval_s must be 1 to %d", origin,
                              PT_JOBS_INTERVAL_S_MAX);
        }
        cfg->jobs_interval_s = sec;
    } else if (strcmp(key, "max_connections_per_address") == 0) {
        return set_bounded(value, origin, key, 1, PT_HTTP_CONNECTIONS_MAX,
                           &cfg->connections_per_address, err);
    } else if (strcmp(key, "header_timeout_ms") == 0) {
        return set_bounded(value, origin, key, PT_HTTP_HEADERS_TIMEOUT_MS_MIN,
                           PT_HTTP_HEADERS_TIMEOUT_MS_MAX, &cfg->headers_timeout_ms, err);
    } else if (strcmp(key, "sign_in_per_minute") == 0) {
        return set_bounded(value, origin, key, 1, PT_SIGN_IN_PER_MINUTE_MAX,
                           &cfg->sign_in_per_minute, err);
    } else if (strcmp(key, "password_hashes") == 0) {
        return set_bounded(value, origin, key, 1, PT_PASSWORD_HASHES_MAX, &cfg->password_hashes,
                           err);
    } else if (strcmp(key, "reset_delivery") == 0) {
        if (strcmp(value, "log") != 0 && strcmp(value, "none") != 0) {
            return pt_err_set(err, PT_EINVAL, key, "%s: reset_delivery must be log or none",
                              origin);
        }
        (void)snprintf(cfg->reset_delivery, sizeof(cfg->reset_delivery), "%s", value);
    } else if (strcmp(key, "secure_cookies") == 0) {
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
            return pt_err_set(err, PT_EINVAL, key, "%s: secure_cookies must be true or false",
                              origin);
        }
        cfg->secure_cookies = strcmp(value, "true") == 0;
    } else {
        return pt_err_set(err, PT_EINVAL, key, "%s: unknown setting '%s'", origin, key);
    }
    return PT_OK;
}

static char *trim(char *s)
{
    char *end;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r')) {
        *--end = '\0';
    }
    return s;
}

static enum pt_rc load_file(struct pt_config *cfg, const char *path, struct pt_err *err)
{
    FILE *f = fopen(path, "r");
    char line[1200];
    int line_no = 0;
    enum pt_rc rc = PT_OK;
    if (f == NULL) {
        return pt_err_set(err, PT_EINVAL, "config", "cannot read config file %s", path);
    }
    while (rc == PT_OK && fgets(line, sizeof(line), f) != NULL) {
        char origin[1100];
        char *eq;
        char *s;
        if (++line_no > PT_CONFIG_LINES_MAX) {
            rc = pt_err_set(err, PT_EINVAL, "config", "%s has more than %d lines", path,
                            PT_CONFIG_LINES_MAX);
            break;
        }
        s = trim(line);
        if (*s == '#' || *s == '\0') {
            continue;
        }
        (void)snprintf(origin, sizeof(origin), "%s:%d", path, line_no);
        eq = strchr(s, '=');
        if (eq == NULL) {
            rc = pt_err_set(err, PT_EINVAL, "config", "%s: expected `key = value`", origin);
            break;
        }
        *eq = '\0';
        rc = set_key(cfg, trim(s), trim(eq + 1), origin, err);
    }
    (void)fclose(f); /* Read-only: nothing to lose on close. */
    return rc;
}

static enum pt_rc load_env(struct pt_config *cfg, struct pt_err *err)
{
    static const char *const keys[][2] = {{"PATRON_DB", "db"},
                                          {"PATRON_LISTEN", "listen"},
                                          {"PATRON_THREADS", "threads"},
                                          {"PATRON_DB_POOL", "db_pool"},
                                          {"PATRON_MIN_FREE_MB", "min_free_mb"},
                                          {"PATRON_MAX_WRITE_WAIT_MS", "max_write_wait_ms"},
                                          {"PATRON_JOBS_INTERVAL_S", "jobs_interval_s"}};
    /* The HTTP edge's settings (docs/security.md). */
    static const char *const edge_keys[][2] = {
        {"PATRON_MAX_CONNECTIONS_PER_ADDRESS", "max_connections_per_address"},
        {"PATRON_HEADER_TIMEOUT_MS", "header_timeout_ms"},
        {"PATRON_SIGN_IN_PER_MINUTE", "sign_in_per_minute"},
        {"PATRON_RESET_DELIVERY", "reset_delivery"},
        {"PATRON_SECURE_COOKIES", "secure_cookies"},
        {"PATRON_PASSWORD_HASHES", "password_hashes"}};
    const size_t key_count = sizeof(keys) / sizeof(keys[0]);
    size_t i;
    for (i = 0; i < key_count + sizeof(edge_keys) / sizeof(edge_keys[0]); i++) {
        const char *const *key = i < key_count ? keys[i] : edge_keys[i - key_count];
        const char *v = getenv(key[0]);
        if (v != NULL && *v != '\0') {
            enum pt_rc rc = set_key(cfg, key[1], v, key[0], err);
            if (rc != PT_OK) {
                return rc;
            }
        }
    }
    return PT_OK;
}

static const char *find_config_path(int argc, char **argv, int first)
{
    int i;
    for (i = first; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--config") == 0) {
            return argv[i + 1];
        }
    }
    return getenv("PATRON_CONFIG");
}

static enum pt_rc load_flags(struct pt_config *cfg, int argc, char **argv, int first,
                             const char **positional, int positional_max, int *positional_count,
                             struct pt_err *err)
{
    static const char *const value_flags[] = {
        "--db",      "--listen", "--threads", "--name",           "--currency",
        "--program", "--role",   "--config",  "--min-free-mb",    "--max-write-wait-ms",
        "--db-pool", "--from",   "--to",      "--jobs-interval-s"};
    static const char *const edge_value_flags[] = {"--max-connections-per-address",
                                                   "--header-timeout-ms",
                                                   "--sign-in-per-minute",
                                                   "--reset-delivery",
                                                   "--email",
                                                   "--password",
                                                   "--password-hashes"};
    int i;
    *positional_count = 0;
    for (i = first; i < argc; i++) {
        const char *a = argv[i];
        size_t f;
        bool known = false;
        if (strcmp(a, "--json") == 0) {
            cfg->json = true;
            continue;
        }
        if (strcmp(a, "--test-clock") == 0) {
            cfg->test_clock = true;
            continue;
        }
        if (strcmp(a, "--secure-cookies") == 0) {
            cfg->secure_cookies = true;
            continue;
        }
        if (a[0] != '-' || a[1] != '-') {
            if (*positional_count >= positional_max) {
                return pt_err_set(err, PT_EINVAL, NULL, "unexpected argument '%s'", a);
            }
            positional[(*positional_count)++] = a;
            continue;
        }
        for (f = 0; f < sizeof(value_flags) / sizeof(value_flags[0]); f++) {
            known = known || strcmp(a, value_flags[f]) == 0;
        }
        for (f = 0; f < sizeof(edge_value_flags) / sizeof(edge_value_flags[0]); f++) {
            known = known || strcmp(a, edge_value_flags[f]) == 0;
        }
        if (!known) {
            return pt_err_set(err, PT_EINVAL, NULL, "unknown option '%s'", a);
        }
        if (i + 1 >= argc) {
            return pt_err_set(err, PT_EINVAL, NULL, "option %s needs a value", a);
        }
        i++;
        if (strcmp(a, "--name") == 0) {
            (void)snprintf(cfg->name, sizeof(cfg->name), "%s", argv[i]);
        } else if (strcmp(a, "--currency") == 0) {
            (void)snprintf(cfg->currency, sizeof(cfg->currency), "%s", argv[i]);
        } else if (strcmp(a, "--program") == 0) {
            (void)snprintf(cfg->program, sizeof(cfg->program), "%s", argv[i]);
        } else if (strcmp(a, "--role") == 0) {
            (void)snprintf(cfg->role, sizeof(cfg->role), "%s", argv[i]);
        } else if (strcmp(a, "--min-free-mb") == 0 || strcmp(a, "--max-write-wait-ms") == 0) {
            enum pt_rc rc =
                set_key(cfg, strcmp(a, "--min-free-mb") == 0 ? "min_free_mb" : "max_write_wait_ms",
                        argv[i], a, err);
            if (rc != PT_OK) {
                return rc;
            }
        } else if (strcmp(a, "--email") == 0) {
            (void)snprintf(cfg->email, sizeof(cfg->email), "%s", argv[i]);
        } else if (strcmp(a, "--password") == 0) {
            (void)snprintf(cfg->password, sizeof(cfg->password), "%s", argv[i]);
        } else if (strcmp(a, "--from") == 0) {
            (void)snprintf(cfg->from, sizeof(cfg->from), "%s", argv[i]);
        } else if (strcmp(a, "--to") == 0) {
            (void)snprintf(cfg->to, sizeof(cfg->to), "%s", argv[i]);
        } else if (strcmp(a, "--db-pool") == 0 || strcmp(a, "--jobs-interval-s") == 0) {
            enum pt_rc rc = set_key(
                cfg, strcmp(a, "--db-pool") == 0 ? "db_pool" : "jobs_interval_s", argv[i], a, err);
            if (rc != PT_OK) {
                return rc;
            }
        } else if (strcmp(a, "--config") != 0) {
            char key[64]; /* "--max-connections-per-address" is the key max_connections_... */
            size_t k;
            enum pt_rc rc;
            (void)snprintf(key, sizeof(key), "%s", a + 2);
            for (k = 0; key[k] != '\0'; k++) {
                key[k] = key[k] == '-' ? '_' : key[k];
            }
            rc = set_key(cfg, key, argv[i], a, err);
            if (rc != PT_OK) {
                return rc;
            }
        }
    }
    return PT_OK;
}

enum pt_rc pt_config_load(struct pt_config *cfg, int argc, char **argv, int first,
                          const char **positional, int positional_max, int *positional_count,
                          struct pt_err *err)
{
    const char *file;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    enum pt_rc rc;
    memset(cfg, 0, sizeof(*cfg));
    (void)snprintf(cfg->db, sizeof(cfg->db), "./var/patron.db");
    (void)snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:8080");
    (void)snprintf(cfg->currency, sizeof(cfg->currency), "USD");
    (void)snprintf(cfg->role, sizeof(cfg->role), "admin");
    cfg->min_free_mb = PT_STORE_MIN_FREE_BYTES_DEFAULT / (1024 * 1024);
    cfg->max_write_wait_ms = PT_WRITE_WAIT_MS_DEFAULT;
    cfg->jobs_interval_s = PT_JOBS_INTERVAL_S_DEFAULT;
    cfg->connections_per_address = PT_HTTP_CONNECTIONS_PER_ADDRESS_DEFAULT;
    cfg->headers_timeout_ms = PT_HTTP_HEADERS_TIMEOUT_MS_DEFAULT;
    cfg->sign_in_per_minute = PT_SIGN_IN_PER_MINUTE_DEFAULT;
    (void)snprintf(cfg->reset_delivery, sizeof(cfg->reset_delivery), "none");
    /* Read connections: requests that may read the database at once (each HTTP connection has
     * its own thread; writes go to the one writer). 8 per CPU, at least 16. */
    cfg->threads =
        cpus * 8 < 16 ? 16u
                      : (cpus * 8 > PT_HTTP_THREADS_MAX ? PT_HTTP_THREADS_MAX : (unsigned)cpus * 8);
    file = find_config_path(argc, argv, first);
    if (file != NULL) {
        rc = load_file(cfg, file, err);
        if (rc != PT_OK) {
            return rc;
        }
    }
    rc = load_env(cfg, err);
    if (rc != PT_OK) {
        return rc;
    }
    return load_flags(cfg, argc, argv, first, positional, positional_max, positional_count, err);
}

enum pt_rc pt_config_split_listen(const char *listen, char *host, size_t host_bytes, unsigned *port,
                                  struct pt_err *err)
{
    const char *colon = strrchr(listen, ':');
    char *end = NULL;
    unsigned long p;
    if (colon == NULL || colon == listen || (size_t)(colon - listen) >= host_bytes) {
        return pt_err_set(err, PT_EINVAL, "listen",
                          "listen must be HOST:PORT, like 127.0.0.1:8080");
    }
    p = strtoul(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || p > 65535) {
        return pt_err_set(err, PT_EINVAL, "listen", "listen port must be 0 to 65535");
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    *port = (unsigned)p;
    return PT_OK;
}
