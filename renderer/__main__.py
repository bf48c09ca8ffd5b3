"""`python -m renderer`: the demo, with the same options as `python3 run_demo.py`, from any folder."""

import sys
from pathlib import Path

from .errors import plain_warnings
from .interrupts import deferred

plain_warnings()

try:
    with deferred():  # Ctrl-C inside a C extension's initialisation would become an ImportError
        from .app.demo import main
except KeyboardInterrupt:  # Ctrl-C while numpy, the Vulkan bindings... load: nothing was started yet
    print("interrupted; shutting down", file=sys.stderr)
    sys.exit(0)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], prog=f"{Path(sys.executable).name} -m renderer"))
