/* SPDX-License-Identifier: MIT */
/*
 * A fault-injecting SQLite VFS for the crash test, loaded into `patron serve` (or `patron init`)
 * with LD_PRELOAD. It wraps the default (unix) VFS and registers itself as the default, so the
 * server runs unchanged on top of it. Every write and truncate not yet made durable by an
 * fsync of its file is remembered with the bytes it replaced, which lets it simulate:
 *
 *   PT_FAULT_CUT_AT_SYNC=N      a power cut at the Nth fsync (of any file), before it runs:
 *                               each open file loses its unsynced writes from a random point
 *                               on (none, all, or a tail: the disk wrote them in order), then
 *                               the process dies with SIGKILL.
 *   PT_FAULT_FAIL_SYNC_AT=N     the Nth fsync fails with SQLITE_IOERR_FSYNC (nothing synced).
 *   PT_FAULT_KILL_AT_DB_WRITE=N SIGKILL at the Nth write to a main database file; with WAL those
 *                               writes are checkpoints, so this kills mid-checkpoint.
 *   PT_FAULT_KILL_AT_WRITE=N    SIGKILL at the Nth write to any file (a migration, say).
 *   PT_FAULT_SEED=S             seeds the choice of how much of each file survives a cut.
 *   PT_FAULT_REPORT=1           prints "faultvfs: writes N syncs M" at exit (to calibrate).
 *
 * Each fault prints one "faultvfs: ..." line on stderr when it fires, so that the test knows
 * the fault happened where it was aimed. Test code only: the server never links it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct undo {
    sqlite3_int64 offset;      /* Where the write (or the truncation) began. */
    sqlite3_int64 size_before; /* The file's size before it. */
    int old_bytes;             /* Bytes of old content saved (those below size_before). */
    unsigned char *old;        /* The old content; owned. */
};

struct fault_file {
    sqlite3_file base; /* pMethods = &fault_io once the real file is open. */
    struct fault_file *next;
    int is_main_db;
    struct undo *undo; /* Unsynced changes, oldest first. */
    int undo_count;
    int undo_cap;
    sqlite3_file *real; /* Lives right after this struct (szOsFile covers both). */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;
static pthread_mutex_t fault_mu = PTHREAD_MUTEX_INITIALIZER;
static struct fault_file *open_files;
static long syncs, writes, db_writes;
static long cut_at_sync, fail_sync_at, kill_at_db_write, kill_at_write;
static unsigned seed;

static long env_long(const char *name)
{
    const char *v = getenv(name);
    return v ? strtol(v, NULL, 10) : 0;
}

static void die(const char *what, long n)
{
    fprintf(stderr, "faultvfs: %s %ld\n", what, n);
    fflush(stderr);
    kill(getpid(), SIGKILL);
    pause();
}

static void undo_clear(struct fault_file *f)
{
    int i;
    for (i = 0; i < f->undo_count; i++) {
        free(f->undo[i].old);
    }
    f->undo_count = 0;
}

/* Saves what [offset, offset + amt) held, before a write or a truncation changes it. */
static int undo_push(struct fault_file *f, sqlite3_int64 offset, sqlite3_int64 amt)
{
    struct undo *u;
    sqlite3_int64 size = 0;
    int rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (f->undo_count == f->undo_cap) {
        int cap = f->undo_cap ? f->undo_cap * 2 : 64;
        struct undo *grown = realloc(f->undo, (size_t)cap * sizeof(*grown));
        if (grown == NULL) {
            return SQLITE_NOMEM;
        }
        f->undo = grown;
        f->undo_cap = cap;
    }
    u = &f->undo[f->undo_count];
    u->offset = offset;
    u->size_before = size;
    u->old_bytes = offset < size ? (int)(size - offset < amt ? size - offset : amt) : 0;
    u->old = NULL;
    if (u->old_bytes > 0) {
        u->old = malloc((size_t)u->old_bytes);
        if (u->old == NULL) {
            return SQLITE_NOMEM;
        }
        rc = f->real->pMethods->xRead(f->real, u->old, u->old_bytes, offset);
        if (rc != SQLITE_OK) {
            free(u->old);
            return rc;
        }
    }
    f->undo_count++;
    return SQLITE_OK;
}

/* The power cut: every open file keeps its unsynced changes up to a random point only. */
static void power_cut(void)
{
    struct fault_file *f;
    for (f = open_files; f != NULL; f = f->next) {
        int keep;
        int i;
        switch (rand_r(&seed) % 3) {
        case 0:
            keep = 0;
            break;
        case 1:
            keep = f->undo_count;
            break;
        default:
            keep = f->undo_count ? rand_r(&seed) % (f->undo_count + 1) : 0;
        }
        for (i = f->undo_count - 1; i >= keep; i--) {
            struct undo *u = &f->undo[i];
            sqlite3_int64 size = 0;
            if (u->old_bytes > 0) {
                (void)f->real->pMethods->xWrite(f->real, u->old, u->old_bytes, u->offset);
            }
            (void)f->real->pMethods->xFileSize(f->real, &size);
            if (size > u->size_before) {
                (void)f->real->pMethods->xTruncate(f->real, u->size_before);
            }
        }
    }
    die("power cut at fsync", syncs);
}

/* ---- sqlite3_io_methods: forward, remembering unsynced changes ---- */

static int f_close(sqlite3_file *file)
{
    struct fault_file *f = (struct fault_file *)file;
    struct fault_file **p;
    int rc;
    pthread_mutex_lock(&fault_mu);
    for (p = &open_files; *p != NULL; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            break;
        }
    }
    undo_clear(f);
    free(f->undo);
    rc = f->real->pMethods->xClose(f->real);
    pthread_mutex_unlock(&fault_mu);
    return rc;
}

static int f_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int f_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    struct fault_file *f = (struct fault_file *)file;
    int rc;
    pthread_mutex_lock(&fault_mu);
    writes++;
    if (f->is_main_db) {
        db_writes++;
        if (kill_at_db_write > 0 && db_writes == kill_at_db_write) {
            die("kill at database write", db_writes);
        }
    }
    if (kill_at_write > 0 && writes == kill_at_write) {
        die("kill at write", writes);
    }
    rc = undo_push(f, off, amt);
    if (rc == SQLITE_OK) {
        rc = f->real->pMethods->xWrite(f->real, buf, amt, off);
    }
    pthread_mutex_unlock(&fault_mu);
    return rc;
}

static int f_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    struct fault_file *f = (struct fault_file *)file;
    sqlite3_int64 now = 0;
    int rc;
    pthread_mutex_lock(&fault_mu);
    rc = f->real->pMethods->xFileSize(f->real, &now);
    if (rc == SQLITE_OK && now > size) {
        rc = undo_push(f, size, now - size);
    }
    if (rc == SQLITE_OK) {
        rc = f->real->pMethods->xTruncate(f->real, size);
    }
    pthread_mutex_unlock(&fault_mu);
    return rc;
}

static int f_sync(sqlite3_file *file, int flags)
{
    struct fault_file *f = (struct fault_file *)file;
    int rc;
    pthread_mutex_lock(&fault_mu);
    syncs++;
    if (cut_at_sync > 0 && syncs == cut_at_sync) {
        power_cut();
    }
    if (fail_sync_at > 0 && syncs == fail_sync_at) {
        fprintf(stderr, "faultvfs: fsync fails at %ld\n", syncs);
        fflush(stderr);
        pthread_mutex_unlock(&fault_mu);
        return SQLITE_IOERR_FSYNC;
    }
    rc = f->real->pMethods->xSync(f->real, flags);
    if (rc == SQLITE_OK) {
        undo_clear(f);
    }
    pthread_mutex_unlock(&fault_mu);
    return rc;
}

static int f_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int f_lock(sqlite3_file *file, int level)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int f_unlock(sqlite3_file *file, int level)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int f_check_reserved_lock(sqlite3_file *file, int *out)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int f_file_control(sqlite3_file *file, int op, void *arg)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int f_sector_size(sqlite3_file *file)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int f_device_characteristics(sqlite3_file *file)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int f_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int f_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void f_shm_barrier(sqlite3_file *file)
{
    struct fault_file *f = (struct fault_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int f_shm_unmap(sqlite3_file *file, int delete_flag)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int f_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xFetch(f->real, off, amt, out);
}

static int f_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
    struct fault_file *f = (struct fault_file *)file;
    return f->real->pMethods->xUnfetch(f->real, off, p);
}

static const sqlite3_io_methods fault_io = {
    3,
    f_close,
    f_read,
    f_write,
    f_truncate,
    f_sync,
    f_file_size,
    f_lock,
    f_unlock,
    f_check_reserved_lock,
    f_file_control,
    f_sector_size,
    f_device_characteristics,
    f_shm_map,
    f_shm_lock,
    f_shm_barrier,
    f_shm_unmap,
    f_fetch,
    f_unfetch,
};

/* ---- sqlite3_vfs: open wraps the real file; the rest forwards ---- */

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
    struct fault_file *f = (struct fault_file *)file;
    int rc;
    (void)vfs;
    memset(f, 0, sizeof(*f));
    f->real = (sqlite3_file *)(f + 1);
    f->is_main_db = (flags & SQLITE_OPEN_MAIN_DB) != 0;
    rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
    if (rc != SQLITE_OK) {
        return rc;
    }
    f->base.pMethods = &fault_io;
    pthread_mutex_lock(&fault_mu);
    f->next = open_files;
    open_files = f;
    pthread_mutex_unlock(&fault_mu);
    return SQLITE_OK;
}

static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int v_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *v_dlopen(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void v_dlerror(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*v_dlsym(sqlite3_vfs *vfs, void *lib, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, lib, sym);
}

static void v_dlclose(sqlite3_vfs *vfs, void *lib)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, lib);
}

static int v_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int v_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int v_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int v_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int v_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

__attribute__((destructor)) static void fault_vfs_report(void)
{
    if (env_long("PT_FAULT_REPORT") > 0) {
        fprintf(stderr, "faultvfs: writes %ld syncs %ld\n", writes, syncs);
    }
}

__attribute__((constructor)) static void fault_vfs_install(void)
{
    cut_at_sync = env_long("PT_FAULT_CUT_AT_SYNC");
    fail_sync_at = env_long("PT_FAULT_FAIL_SYNC_AT");
    kill_at_db_write = env_long("PT_FAULT_KILL_AT_DB_WRITE");
    kill_at_write = env_long("PT_FAULT_KILL_AT_WRITE");
    seed = (unsigned)env_long("PT_FAULT_SEED");
    real_vfs = sqlite3_vfs_find(NULL);
    if (real_vfs == NULL) {
        fprintf(stderr, "faultvfs: no default VFS\n");
        abort();
    }
    fault_vfs.iVersion = 2; /* xCurrentTimeInt64; no system-call overrides. */
    fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real_vfs->szOsFile;
    fault_vfs.mxPathname = real_vfs->mxPathname;
    fault_vfs.zName = "faultvfs";
    fault_vfs.xOpen = v_open;
    fault_vfs.xDelete = v_delete;
    fault_vfs.xAccess = v_access;
    fault_vfs.xFullPathname = v_full_pathname;
    fault_vfs.xDlOpen = v_dlopen;
    fault_vfs.xDlError = v_dlerror;
    fault_vfs.xDlSym = v_dlsym;
    fault_vfs.xDlClose = v_dlclose;
    fault_vfs.xRandomness = v_randomness;
    fault_vfs.xSleep = v_sleep;
    fault_vfs.xCurrentTime = v_current_time;
    fault_vfs.xGetLastError = v_get_last_error;
    fault_vfs.xCurrentTimeInt64 = v_current_time_int64;
    if (sqlite3_vfs_register(&fault_vfs, 1) != SQLITE_OK) {
        fprintf(stderr, "faultvfs: cannot register\n");
        abort();
    }
}
