# SPDX-License-Identifier: MIT
"""A throw-away PostgreSQL cluster for tests: initdb in a temporary folder, a server listening
only on a unix socket in that folder, databases made on demand, and everything stopped and
removed afterwards (also on failure). Uses Debian's postgresql package (scripts/install-deps);
never the system's service. PostgreSQL refuses to run as root, so as root the cluster runs as
the unprivileged `nobody` user.

    with PgCluster() as pg:
        dsn = pg.new_database()   # "host=/tmp/... port=... dbname=t1 user=patron"
"""
import glob
import os
import shutil
import subprocess
import tempfile


class PgCluster:
    def __init__(self):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        if not bindirs:
            raise RuntimeError("PostgreSQL is not installed: run scripts/install-deps")
        self.bin = bindirs[-1]
        self.dir = None
        self.count = 0
        self.user = []

    def _run(self, args, **kw):
        return subprocess.run(self.user + args, capture_output=True, text=True, check=True,
                              timeout=120, **kw)

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="patron-pg-")
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "nobody")
            self.user = ["runuser", "-u", "nobody", "--"]
        self.data = os.path.join(self.dir, "data")
        self.port = 5432
        try:
            self._run([self.bin + "/initdb", "-D", self.data, "-A", "trust", "-U", "patron",
                       "--no-sync"])
            # fsync off: the suite kills servers (Patron's, and PostgreSQL's immediate stop),
            # never the machine, and a killed process loses nothing the kernel holds; each
            # commit still writes its WAL before it returns (synchronous_commit). Measured on
            # three files of the suite: 77-78 s against 94-120 s with fsync on.
            opts = ("-c listen_addresses='' -c unix_socket_directories=%s -c port=%d "
                    "-c fsync=off -c synchronous_commit=on -c max_connections=400 -c checkpoint_timeout=30s "
                    "-c shared_buffers=64MB" % (self.dir, self.port))
            self._run([self.bin + "/pg_ctl", "-D", self.data, "-o", opts, "-w", "-l",
                       os.path.join(self.dir, "log"), "start"])
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def dsn(self, dbname="postgres"):
        return "host=%s port=%d dbname=%s user=patron" % (self.dir, self.port, dbname)

    def psql(self, sql, dbname="postgres"):
        return subprocess.run([self.bin + "/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                               self.dsn(dbname), "-c", sql],
                              capture_output=True, text=True, check=True, timeout=60).stdout

    def new_database(self):
        """Creates an empty database and returns its libpq keyword string."""
        self.count += 1
        name = "t%d" % self.count
        self.psql("CREATE DATABASE %s" % name)
        return self.dsn(name)

    def stop(self):
        # A fast shutdown ends with a checkpoint, which on a loaded machine (the SQLite suite
        # runs beside this one, fsyncing) once took over pg_ctl's 60 s: the server was still
        # shutting down when the test started it again. An immediate stop (a crash, recovered
        # at the next start) then ends it, so that a stop always leaves the cluster stopped.
        fast = subprocess.run(self.user + [self.bin + "/pg_ctl", "-D", self.data, "-m", "fast",
                                           "-w", "-t", "30", "stop"],
                              capture_output=True, timeout=120)
        if fast.returncode != 0:
            subprocess.run(self.user + [self.bin + "/pg_ctl", "-D", self.data, "-m",
                                        "immediate", "-w", "-t", "60", "stop"],
                           capture_output=True, timeout=120)

    def start(self):
        opts = ("-c listen_addresses='' -c unix_socket_directories=%s -c port=%d "
                "-c max_connections=400 -c checkpoint_timeout=30s -c shared_buffers=64MB" % (self.dir, self.port))
        # Up to 120 s: a start after an immediate stop recovers first, slow on a loaded disk.
        self._run([self.bin + "/pg_ctl", "-D", self.data, "-o", opts, "-w", "-t", "120", "-l",
                   os.path.join(self.dir, "log"), "start"])

    def __exit__(self, *exc):
        if self.dir is None:
            return
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
