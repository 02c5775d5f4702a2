/* SPDX-License-Identifier: MIT */
/* API keys (keys.h): the names of the roles, the rules of a key's name and of the origins a
 * publishable key allows. */
#include "core/keys.h"

#include "core/member.h"

#include <string.h>

const char *const pt_role_names[PT_ROLES] = {"admin", "staff", "viewer", "member", "publishable"};

bool pt_role_is_key_role(enum pt_role role)
{
    return role == PT_ROLE_ADMIN || role == PT_ROLE_STAFF || role == PT_ROLE_VIEWER ||
           role == PT_ROLE_PUBLISHABLE;
}

/* A host: labels of [a-z0-9-] separated by single dots, none empty, none starting or ending
 * with '-' (RFC 1123 section 2.1), each at most 63 bytes. */
static bool host_is_valid(const char *h, size_t len)
{
    size_t label = 0;
    size_t i;
    if (len == 0) {
        return false;
    }
    for (i = 0; i < len; i++) {
        char c = h[i];
        if (c == '.') {
            if (label == 0 || h[i - 1] == '-') {
                return false;
            }
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
            if ((label == 0 && c == '-') || ++label > 63) {
                return false;
            }
        } else {
            return false;
        }
    }
    return label > 0 && h[len - 1] != '-';
}

/* A port: 1..65535, decimal digits without a leading zero. */
static bool port_is_valid(const char *p, size_t len)
{
    long value = 0;
    size_t i;
    if (len == 0 || len > 5 || p[0] == '0') {
        return false;
    }
    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return false;
        }
        value = value * 10 + (p[i] - '0');
    }
    return value <= 65535;
}

bool pt_origin_is_valid(const char *origin, size_t len)
{
    size_t scheme;
    const char *host;
    const char *colon;
    const char *port;
    const char *default_port;
    size_t rest;
    size_t port_len;
    if (len == 0 || len > PT_ORIGIN_BYTES_MAX) {
        return false;
    }
    if (len > 8 && memcmp(origin, "https://", 8) == 0) {
        scheme = 8;
    } else if (len > 7 && memcmp(origin, "http://", 7) == 0) {
        scheme = 7;
    } else {
        return false;
    }
    host = origin + scheme;
    rest = len - scheme;
    colon = memchr(host, ':', rest);
    if (colon == NULL) {
        return host_is_valid(host, rest);
    }
    port = colon + 1;
    port_len = rest - (size_t)(colon - host) - 1;
    /* A browser's Origin leaves the scheme's default port out: one written would never match. */
    default_port = scheme == 8 ? "443" : "80";
    if (port_len == strlen(default_port) && memcmp(port, default_port, port_len) == 0) {
        return false;
    }
    return host_is_valid(host, (size_t)(colon - host)) && port_is_valid(port, port_len);
}

enum pt_rc pt_origin_validate(const char *field, const char *origin, struct pt_err *err)
{
    if (pt_origin_is_valid(origin, strlen(origin))) {
        return PT_OK;
    }
    return pt_err_set(err, PT_EINVAL, field,
                      "%s must be an origin 'scheme://host[:port]': http or https, a lowercase "
                      "host, a port only if not the scheme's default, no path, query or trailing "
                      "slash, at most 253 bytes",
                      field);
}

bool pt_origin_listed(const char *origins, const char *origin, size_t len)
{
    const char *p = origins;
    while (p != NULL && *p != '\0') {
        size_t one = strcspn(p, " ");
        if (one == len && memcmp(p, origin, len) == 0) {
            return true;
        }
        p += one;
        while (*p == ' ') {
            p++;
        }
    }
    return false;
}

enum pt_rc pt_key_name_validate(const char *name, struct pt_err *err)
{
    return pt_validate_text("name", name, PT_KEY_NAME_BYTES_MAX, err);
}

enum pt_rc pt_key_not_found(struct pt_err *err)
{
    return pt_err_set(err, PT_ENOTFOUND, NULL, "no such API key");
}
