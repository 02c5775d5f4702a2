/* SPDX-License-Identifier: MIT */
/*
 * Baseline: how many write+fdatasync pairs per second the disk under a directory sustains.
 * One fsync per commit is what a database without group commit pays per write.
 * Usage: fsync_rate DIR SECONDS   Prints: {"fsyncs_per_s": N}
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char path[4096];
    char block[4096];
    double seconds = argc > 2 ? atof(argv[2]) : 3.0;
    double start;
    long n = 0;
    int fd;
    if (argc < 2) {
        fprintf(stderr, "usage: fsync_rate DIR [SECONDS]\n");
        return 64;
    }
    snprintf(path, sizeof(path), "%s/fsync_rate.tmp", argv[1]);
    fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    memset(block, 'x', sizeof(block));
    start = now_s();
    while (now_s() - start < seconds) {
        /* Rewrite the same block, as a WAL append + sync does in effect. */
        if (pwrite(fd, block, sizeof(block), (off_t)(n % 64) * 4096) != (ssize_t)sizeof(block) ||
            fdatasync(fd) != 0) {
            perror("write/fdatasync");
            return 1;
        }
        n++;
    }
    printf("{\"fsyncs_per_s\": %.0f}\n", (double)n / (now_s() - start));
    close(fd);
    unlink(path);
    return 0;
}
