#!/usr/bin/python3
"""Start Apertium APy bound to 127.0.0.1 only.

APy 0.11.x binds every interface and has no option for it; make
tornado.tcpserver.TCPServer.bind (and listen) default to 127.0.0.1, then run
apertium_apy.apy.main() with the given arguments (modes folder, -p PORT).
Usage: apy_wrapper.py [apy options] MODES_DIR
"""
import sys

import tornado.tcpserver

_bind = tornado.tcpserver.TCPServer.bind
_listen = tornado.tcpserver.TCPServer.listen


def _bind_lo(self, port, address=None, *args, **kwargs):
    return _bind(self, port, address or "127.0.0.1", *args, **kwargs)


def _listen_lo(self, port, address=None, *args, **kwargs):
    return _listen(self, port, address or "127.0.0.1", *args, **kwargs)


tornado.tcpserver.TCPServer.bind = _bind_lo
tornado.tcpserver.TCPServer.listen = _listen_lo

from apertium_apy import apy  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "apertium-apy"
    apy.main()
