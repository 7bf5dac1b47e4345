"""``workflowcore lsp``: run the language server (docs/editors.md).

pygls is imported only here, inside :func:`run`: it is an optional extra
(``workflowcore[lsp]``), and no other command may pay for it or fail without it.
"""

from __future__ import annotations

import argparse
import logging
import re

from ._common import EXIT_OK, UsageError

__all__ = ["add_parser", "run"]

_HOST_PORT = re.compile(r"^(.*):(\d{1,5})$")


def _host_port(text: str) -> tuple[str, int]:
    m = _HOST_PORT.match(text)
    if m is None or not 0 < int(m.group(2)) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT such as 127.0.0.1:2087, "
                                         f"got {text!r}")
    return (m.group(1) or "127.0.0.1").strip("[]"), int(m.group(2))


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected milliseconds (0 or more), got {text!r}")
    return value


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "lsp", help="run the language server for editors (LSP over stdio)",
        description="Serve the Language Server Protocol for .circleci/*.yml configs and orb "
                    "sources: diagnostics as 'validate' reports them, hover, go to "
                    "definition, references, completion, symbols and quick fixes. Editors "
                    "start it themselves (docs/editors.md). Needs the 'lsp' extra: pip "
                    "install 'workflowcore[lsp]'.")
    p.add_argument("--stdio", action="store_true",
                   help="talk over stdin/stdout (the default; accepted because many editor "
                        "clients pass it)")
    p.add_argument("--tcp", type=_host_port, default=None, metavar="HOST:PORT",
                   help="listen on a TCP port instead, for debugging (one client at a time)")
    p.add_argument("--orb-dir", default=None, metavar="DIR",
                   help="the orb store, as for 'validate --orb-dir' (searched after "
                        ".circleci/orbs beside the config)")
    p.add_argument("--debounce", type=_milliseconds, default=None, metavar="MS",
                   help="quiet time in milliseconds before an edit made while typing is "
                        "checked (default: 150; an edit after a pause is checked at once)")
    p.add_argument("--log-file", default=None, metavar="PATH",
                   help="write the server's log there (stdout is the protocol's)")
    p.add_argument("--verbose", "-v", action="store_true", help="log at debug level")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.stdio and args.tcp is not None:
        raise UsageError("lsp: give --stdio or --tcp, not both")
    try:
        from ..lsp.server import DEFAULT_DEBOUNCE, serve
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if missing not in ("pygls", "lsprotocol", "cattrs", "attrs"):
            raise
        raise UsageError(f"lsp: the language server needs the 'lsp' extra ({missing} is not "
                         "installed): pip install 'workflowcore[lsp]'") from None
    if args.log_file or args.verbose:
        logging.basicConfig(filename=args.log_file, level=logging.DEBUG if args.verbose
                            else logging.INFO,
                            format="%(asctime)s %(name)s %(levelname)s %(message)s")
    debounce = DEFAULT_DEBOUNCE if args.debounce is None else args.debounce / 1000
    serve(tcp=args.tcp, orb_dir=args.orb_dir, debounce=debounce)
    return EXIT_OK
