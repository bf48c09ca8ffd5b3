#!/usr/bin/env python3
"""Run the renderer demo: sets up the environment (Debian packages, .venv) on first use, then runs
renderer.app.demo.main with this script's arguments inside .venv."""

import sys

from _setup import ensure_environment

ensure_environment(__file__)

from renderer.errors import plain_warnings  # noqa: E402

plain_warnings()

from renderer.app.demo import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
