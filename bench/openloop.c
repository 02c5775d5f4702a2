/* SPDX-License-Identifier: MIT */
/*
 * Open-loop load generator: sends purchases at a fixed rate, whatever the server's speed, and
 * measures each latency from the moment the request was *due*, not from when it could be sent,
 * so that queueing is not hidden (no coordinated omission). HTTP/1.1 keep-alive over
 * CONNECTIONS sockets; a request due while every connection is busy waits for the first free
 * one, and its wait counts in its latency.
 *
 * Usage: openloop PORT KEY MEMBERS_FILE RATE SECONDS [CONNECTIONS]
 * Prints: {"sent":N,"ok":N,"errors":N,"shed":N,"shed_without_retry_after":N,"p50_us":N,
 *          "p99_us":N,"max_us":N,"ok_p50_us":N,"ok_p99_us":N,"ok_max_us":N}
 * where shed counts 503 answers (load shedding) and ok_* are the latencies of 2xx answers.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONN_MAX 1024
#define MEMBERS_MAX 200000

struct conn {
    int fd;
    int busy;
    double due_s; /* When the request in flight was due. */
    char in[8192];
    size_t in_len;
};

static char members[MEMBERS_MAX][40];
static int member_count;
static double *latencies;
static long latency_count;
static double *ok_latencies;
static long ok_latency_count;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int connect_to(int port)
{
    struct sockaddr_in a;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        perror("connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_purchase(struct conn *c, const char *key, long n, double due_s)
{
    char body[512];
    char req[1024];
    int blen = snprintf(body, sizeof(body),
                        "{\"external_id\":\"ol-%ld-%ld\",\"member_id\":\"%s\",\"currency\":"
                        "\"USD\",\"amount\":4250,\"items\":[{\"sku\":\"A\",\"quantity\":1,"
                        "\"unit_price\":2000},{\"sku\":\"B\",\"quantity\":1,\"unit_price\":1250},"
                        "{\"sku\":\"C\",\"quantity\":1,\"unit_price\":1000}]}",
                        (long)getpid(), n, members[n % member_count]);
    int rlen = snprintf(req, sizeof(req),
                        "POST /v1/transactions HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer %s\r\n"
                        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                        key, blen, body);
    if (write(c->fd, req, (size_t)rlen) != rlen) {
        perror("write");
        exit(1);
    }
    c->busy = 1;
    c->due_s = due_s;
    c->in_len = 0;
}

/* Returns the status when a whole response is buffered, else 0. */
static int response_done(struct conn *c)
{
    char *end;
    char *cl;
    long len;
    c->in[c->in_len] = '\0';
    end = strstr(c->in, "\r\n\r\n");
    if (end == NULL) {
        return 0;
    }
    cl = strstr(c->in, "Content-Length: ");
    len = cl ? strtol(cl + 16, NULL, 10) : 0;
    if ((size_t)(end + 4 - c->in) + (size_t)len > c->in_len) {
        return 0;
    }
    return atoi(c->in + 9);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    static struct conn conns[CONN_MAX]; /* 8 MiB: too big for the stack. */
    struct pollfd pfds[CONN_MAX];
    FILE *f;
    double rate;
    double seconds;
    double start;
    long sent = 0;
    long ok = 0;
    long errors = 0;
    long shed = 0;
    long shed_without_retry_after = 0;
    long due_count;
    int nconn;
    int i;
    if (argc < 6) {
        fprintf(stderr, "usage: openloop PORT KEY MEMBERS_FILE RATE SECONDS [CONNECTIONS]\n");
        return 64;
    }
    rate = atof(argv[4]);
    seconds = atof(argv[5]);
    nconn = argc > 6 ? atoi(argv[6]) : 64;
    if (nconn < 1 || nconn > CONN_MAX || rate <= 0 || seconds <= 0) {
        fprintf(stderr, "bad arguments\n");
        return 64;
    }
    f = fopen(argv[3], "r");
    while (f != NULL && member_count < MEMBERS_MAX &&
           fscanf(f, "%39s", members[member_count]) == 1) {
        member_count++;
    }
    if (member_count == 0) {
        fprintf(stderr, "no members in %s\n", argv[3]);
        return 1;
    }
    due_count = (long)(rate * seconds);
    latencies = calloc((size_t)due_count + 1, sizeof(double));
    ok_latencies = calloc((size_t)due_count + 1, sizeof(double));
    for (i = 0; i < nconn; i++) {
        conns[i].fd = connect_to(atoi(argv[1]));
        conns[i].busy = 0;
        pfds[i].fd = conns[i].fd;
        pfds[i].events = POLLIN;
    }
    start = now_s();
    while (ok + errors + shed < due_count) {
        double t = now_s() - start;
        /* Send every request that is due, each on a free connection. */
        while (sent < due_count && (double)sent / rate <= t) {
            int free_conn = -1;
            for (i = 0; i < nconn; i++) {
                if (!conns[i].busy) {
                    free_conn = i;
                    break;
                }
            }
            if (free_conn < 0) {
                break; /* Due but waiting: its latency keeps counting from its due time. */
            }
            send_purchase(&conns[free_conn], argv[2], sent, start + (double)sent / rate);
            sent++;
        }
        if (poll(pfds, (nfds_t)nconn, 1) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        for (i = 0; i < nconn; i++) {
            ssize_t n;
            int status;
            if (!(pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
            n = read(conns[i].fd, conns[i].in + conns[i].in_len,
                     sizeof(conns[i].in) - 1 - conns[i].in_len);
            if (n <= 0) {
                /* The server closes keep-alive connections idle for its timeout (30 s): at a
                 * low rate the last connections are rarely used. Reconnect; a request that was
                 * in flight on it is an error. */
                if (conns[i].busy) {
                    latencies[latency_count++] = now_s() - conns[i].due_s;
                    errors++;
                    conns[i].busy = 0;
                }
                close(conns[i].fd);
                conns[i].fd = connect_to(atoi(argv[1]));
                pfds[i].fd = conns[i].fd;
                continue;
            }
            conns[i].in_len += (size_t)n;
            status = response_done(&conns[i]);
            if (status == 0) {
                continue;
            }
            latencies[latency_count++] = now_s() - conns[i].due_s;
            if (status >= 200 && status < 300) {
                ok++;
                ok_latencies[ok_latency_count++] = latencies[latency_count - 1];
            } else if (status == 503) {
                shed++;
                shed_without_retry_after += strstr(conns[i].in, "Retry-After: ") == NULL;
            } else {
                errors++;
            }
            conns[i].busy = 0;
        }
    }
    qsort(latencies, (size_t)latency_count, sizeof(double), cmp_double);
    qsort(ok_latencies, (size_t)ok_latency_count, sizeof(double), cmp_double);
    if (ok_latency_count == 0) {
        ok_latencies[0] = 0;
        ok_latency_count = 1;
    }
    printf("{\"sent\":%ld,\"ok\":%ld,\"errors\":%ld,\"shed\":%ld,"
           "\"shed_without_retry_after\":%ld,\"elapsed_s\":%.2f,\"p50_us\":%.0f,"
           "\"p99_us\":%.0f,\"max_us\":%.0f,\"ok_p50_us\":%.0f,\"ok_p99_us\":%.0f,"
           "\"ok_max_us\":%.0f}\n",
           sent, ok, errors, shed, shed_without_retry_after, now_s() - start,
           latencies[latency_count / 2] * 1e6,
           latencies[(long)((double)latency_count * 0.99)] * 1e6,
           latencies[latency_count - 1] * 1e6, ok_latencies[ok_latency_count / 2] * 1e6,
           ok_latencies[(long)((double)ok_latency_count * 0.99)] * 1e6,
           ok_latencies[ok_latency_count - 1] * 1e6);
    return 0;
}
