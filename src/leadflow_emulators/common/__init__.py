"""The emulator kit, shared by every emulator (guide: docs/emulators.md).

``backend`` (the ``EmulatorBackend`` protocol, ``LimitSettings``), ``control`` (the ``/_emulator/`` control
plane), ``routes`` (``api_route``, ``PathParam``), ``app`` (``emulator_app``), ``cli`` (``EmulatorCommand``,
``serve``), ``jobs`` (``JobRunner``), and the small parts: ``clock``, ``faults``, ``ids``, ``jsonresp``.
"""
