"""``python -m leadflow_emulators <emulator> [options]``: start one emulator (``--help`` lists them).

Each emulator is registered in ``EMULATORS`` by name and the module that holds its ``COMMAND``
(a ``common.cli.EmulatorCommand``); modules are imported only when needed.
"""

from __future__ import annotations

import argparse
import importlib

from leadflow_emulators.common.cli import EmulatorCommand

EMULATORS: dict[str, str] = {
    "zoho": "leadflow_emulators.zoho.cli",
    "ghl": "leadflow_emulators.ghl.cli",
}


def command(name: str) -> EmulatorCommand:
    """The registered emulator ``name``'s command."""
    found: EmulatorCommand = importlib.import_module(EMULATORS[name]).COMMAND
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadflow_emulators", description="Local API emulators.")
    sub = parser.add_subparsers(dest="service", required=True)
    for name in EMULATORS:
        emulator = command(name)
        emulator.add_arguments(
            sub.add_parser(name, help=emulator.help, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
        )
    args = parser.parse_args(argv)
    return command(args.service).run(args)


if __name__ == "__main__":
    raise SystemExit(main())
