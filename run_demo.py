#!/usr/bin/env python3
"""Run the renderer demo: sets up the environment (Debian packages, .venv) on first use, then runs
renderer.app.demo.main with this script's arguments inside .venv."""

import sys

from _setup import ensure_environment

ensure_environment(__file__)

from renderer.errors import plain_warnings  # noqa: E402

plain_warnings()

from renderer.interrupts import deferred  # noqa: E402  (standard library only)

try:
    with deferred():  # Ctrl-C inside a C extension's initialisation would become an ImportError
        from renderer.app.demo import main
except KeyboardInterrupt:  # Ctrl-C while numpy, the Vulkan bindings... load: nothing was started yet
    print("interrupted; shutting down", file=sys.stderr)
    sys.exit(0)

sys.exit(main(sys.argv[1:]))
