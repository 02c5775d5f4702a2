/* SPDX-License-Identifier: MIT */
/*
 * The web faces' files embedded in the binary (web/, built by Vite; scripts/embed_web.py writes
 * the table at build time into the build tree), and their answering (static.c). The table is
 * static storage: every pointer in it lives as long as the process.
 */
#ifndef PT_HTTP_STATIC_H
#define PT_HTTP_STATIC_H

#include <stdbool.h>
#include <stddef.h>

struct pt_static_file {
    const char *path;          /* URL path: "/index.html", "/assets/app-1a2b3c.js" */
    const char *content_type;  /* with "; charset=utf-8" for text */
    const unsigned char *body; /* the file's bytes */
    size_t body_len;           /* bytes */
    const unsigned char *gzip; /* the same gzipped, or NULL when gzip would not be smaller */
    size_t gzip_len;           /* bytes; 0 when gzip is NULL */
};

/* Generated (scripts/embed_web.py), sorted by path. */
extern const struct pt_static_file pt_static_files[];
extern const size_t pt_static_file_count;

struct pt_http_ctx;

/*
 * Answers a GET or HEAD that no API route matched with a file of the faces: the file at the
 * path; else, under /assets/ or for a dot segment, 404; else the index.html of the face the path
 * is under (/till, /portal, else the dashboard), so that client routes survive a reload. Returns
 * false, answering nothing, for other methods and for paths under /v1 (which stay the API's
 * 404). Thread-safe (reads only the table).
 */
bool pt_http_static_answer(struct pt_http_ctx *ctx);

#endif
