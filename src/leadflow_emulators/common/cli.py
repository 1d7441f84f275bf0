"""What ``python -m leadflow_emulators <name>`` needs from an emulator, and the server loop they all share.

An emulator registers by exposing ``COMMAND = EmulatorCommand(...)`` in its ``cli`` module and adding its
name and module path to ``leadflow_emulators.__main__.EMULATORS``. ``add_arguments`` adds its own options
to its sub-command (``add_server_arguments`` gives the usual ``--host/--port/--db/--log-level``), and
``run(args)`` builds the backend and app, then calls ``serve``.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_server_arguments(parser, default_port=8010)
    >>> args = parser.parse_args(["--port", "0"])
    >>> (args.host, args.port, args.db, args.log_level)
    ('127.0.0.1', 0, None, 'warning')
"""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class EmulatorCommand:
    """One emulator's sub-command: its help line, its options and what running it does (exit status)."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def add_server_arguments(parser: argparse.ArgumentParser, *, default_port: int) -> None:
    """``--host``, ``--port`` (0: any free port, printed), ``--db`` (SQLite file) and ``--log-level``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=default_port, help="port to bind (0: any free port, printed)")
    parser.add_argument("--db", default=None, help="SQLite file (in memory when omitted)")
    parser.add_argument("--log-level", default="warning", help="uvicorn log level")


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket; ``port`` 0 picks a free one (read it with ``getsockname``)."""
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets whose proto says TCP (else ~40 ms per
    # response while the client's delayed ACK waits).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve(app: Any, *, host: str, port: int, log_level: str, banner: Callable[[str], Iterable[str]]) -> None:
    """Bind, print ``banner(base_url)`` line by line (the real port included), then serve until stopped."""
    import uvicorn

    sock = bind(host, port)
    base = f"http://{host}:{sock.getsockname()[1]}"
    for line in banner(base):
        print(line)
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="off"))
    server.run(sockets=[sock])
