#!/usr/bin/env python3
"""A real FTP server for Wharf's transfer tests (pyftpdlib, installed by scripts/test).

Serves one user on 127.0.0.1 with plain FTP, explicit FTPS (AUTH TLS) or implicit FTPS
(TLS from the first byte), optionally throttled so a test can cut a transfer in the middle.
Prints "PORT <n>" once listening; logs every command to stderr.
"""
import argparse
import errno
import logging
import socket
import sys
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, ThrottledDTPHandler
from pyftpdlib.servers import FTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", default="wharf")
    ap.add_argument("--password", default="secret")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls", choices=["none", "explicit", "implicit"], default="none")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--perm", default="elradfmw", help="pyftpdlib permissions")
    ap.add_argument("--throttle", type=int, default=0, help="bytes per second per transfer")
    a = ap.parse_args()

    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(message)s")
    auth = DummyAuthorizer()
    auth.add_user(a.user, a.password, a.root, perm=a.perm)

    if a.tls == "none":
        handler = FTPHandler
    else:
        from pyftpdlib.handlers import TLS_FTPHandler

        class Tls(TLS_FTPHandler):
            certfile = a.cert
            keyfile = a.key
            tls_control_required = True
            tls_data_required = True

        if a.tls == "implicit":

            class Implicit(Tls):
                def handle(self):
                    # TLS from the first byte: the handshake before the 220 greeting, and
                    # data connections protected as after PBSZ 0 / PROT P.
                    self.secure_connection(self.ssl_context)
                    self._pbsz = True
                    self._prot = True
                    super().handle()

            handler = Implicit
        else:
            handler = Tls
    handler.authorizer = auth
    if a.throttle:
        class Slow(ThrottledDTPHandler):
            read_limit = a.throttle
            write_limit = a.throttle

        if a.tls != "none":
            from pyftpdlib.handlers import TLS_DTPHandler

            class SlowTls(TLS_DTPHandler, Slow):
                pass

            handler.dtp_handler = SlowTls
        else:
            handler.dtp_handler = Slow
    # SO_REUSEPORT: a test holds its server's port with a socket of its own that never
    # listens (connections refused while no server runs, the port kept from other processes
    # between a stop and a restart); the server binds beside it. A restart may still find the
    # port held for a moment by the killed server's sockets: try again for a few seconds.
    for attempt in range(50):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind(("127.0.0.1", a.port))
            break
        except OSError as e:
            sock.close()
            if e.errno != errno.EADDRINUSE or attempt == 49:
                raise
            time.sleep(0.1)
    server = FTPServer(sock, handler)
    print("PORT", server.socket.getsockname()[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
