# SPDX-License-Identifier: MIT
"""A PostgreSQL wire-protocol proxy for tests that lose a connection at an exact moment.

It listens on a unix socket in a folder of its own, as the test cluster does, and forwards
each connection to the cluster's socket. It follows the client's messages (type byte, length)
closely enough to see a COMMIT: libpq sends the writer's COMMIT as a prepared statement, so
the proxy remembers which statement names were parsed from "COMMIT" and watches for a Bind of
one. When armed it then either

  - "drop_commit": closes both sides before the COMMIT reaches the server (the server aborts
    the transaction: nothing was written), or
  - "drop_ack": forwards the COMMIT, waits for the server's ReadyForQuery (the transaction is
    committed), and closes both sides without passing the answer on (the client cannot know).

refuse(True) closes new connections at once, as a server that is down would.

    proxy = PgProxy(cluster.dir, 5432)
    dsn = proxy.dsn("t1")
    proxy.arm("drop_ack")     # the next COMMIT's answer is lost
    proxy.fired.wait(10)
"""
import os
import socket
import struct
import tempfile
import threading


def _read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


class PgProxy:
    def __init__(self, cluster_dir, port):
        self.target = os.path.join(cluster_dir, ".s.PGSQL.%d" % port)
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="pgproxy")
        self.path = os.path.join(self.dir, ".s.PGSQL.%d" % port)
        self.mode = None
        self.refusing = False
        self.then_refuse = False
        self.fired = threading.Event()
        self.lock = threading.Lock()
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def dsn(self, dbname):
        return "host=%s port=%d dbname=%s user=patron" % (self.dir, self.port, dbname)

    def arm(self, mode, then_refuse=False):
        """The next COMMIT is cut as mode says ("drop_commit" or "drop_ack"); then_refuse:
        from that moment new connections are refused, until refuse(False)."""
        assert mode in ("drop_commit", "drop_ack")
        with self.lock:
            self.fired.clear()
            self.mode = mode
            self.then_refuse = then_refuse

    def refuse(self, on):
        self.refusing = on

    def close(self):
        self.closed = True
        self.listener.close()
        try:
            os.unlink(self.path)
            os.rmdir(self.dir)
        except OSError:
            pass

    def _accept(self):
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.refusing:
                client.close()
                continue
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                server.connect(self.target)
            except OSError:
                client.close()
                continue
            link = {"swallow": False, "done": threading.Event()}
            threading.Thread(target=self._client_side, args=(client, server, link),
                             daemon=True).start()
            threading.Thread(target=self._server_side, args=(client, server, link),
                             daemon=True).start()

    @staticmethod
    def _close(client, server):
        for s in (client, server):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _client_side(self, client, server, link):
        commits = set()
        try:
            # The startup message has no type byte; every later message has one.
            head = _read_exact(client, 4)
            server.sendall(head + _read_exact(client, struct.unpack("!I", head)[0] - 4))
            while True:
                kind = _read_exact(client, 1)
                head = _read_exact(client, 4)
                body = _read_exact(client, struct.unpack("!I", head)[0] - 4)
                if kind == b"P":  # Parse: statement name, query text, ...
                    name, rest = body.split(b"\0", 1)
                    if rest.split(b"\0", 1)[0].strip().upper() == b"COMMIT":
                        commits.add(name)
                elif kind == b"B":  # Bind: portal name, statement name, ...
                    statement = body.split(b"\0", 2)[1]
                    with self.lock:
                        mode = self.mode if statement in commits else None
                        if mode is not None:
                            self.mode = None
                    if mode == "drop_commit":
                        self.refusing = self.then_refuse
                        self._close(client, server)
                        self.fired.set()
                        return
                    if mode == "drop_ack":
                        link["swallow"] = True
                server.sendall(kind + head + body)
        except (EOFError, OSError):
            self._close(client, server)

    def _server_side(self, client, server, link):
        try:
            while True:
                kind = _read_exact(server, 1)
                head = _read_exact(server, 4)
                body = _read_exact(server, struct.unpack("!I", head)[0] - 4)
                if link["swallow"]:
                    if kind == b"Z":  # ReadyForQuery: the COMMIT is done on the server.
                        self.refusing = self.then_refuse
                        self._close(client, server)
                        self.fired.set()
                        return
                    continue
                client.sendall(kind + head + body)
        except (EOFError, OSError):
            self._close(client, server)
