"""`python -m renderer`: the demo, with the same options as `python3 run_demo.py`, from any folder."""

import sys
from pathlib import Path

from .errors import plain_warnings

plain_warnings()

from .app.demo import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog=f"{Path(sys.executable).name} -m renderer"))
