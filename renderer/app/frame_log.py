"""The frame log (`--frame-log CSV`), headless and in the window: one row per frame, the host's times of the
front end, then the GPU time of each span of the frames' timeline (frame/timeline.py) and of the whole frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import OutputError
from ..files import output_failure, write_text

ELSEWHERE = "choose another --frame-log file"


def gpu_column(name: str) -> str:
    """The CSV column of a span: `render pass` -> `gpu_render_pass_ms`."""
    return "gpu_" + "_".join(name.split()) + "_ms"


def write_frame_log(path: Path, host_columns: list[str], host_ms: list, timeline) -> None:
    """Row i: frame i (as the frame target numbers them: submission order from 0), its `host_ms` values under
    `host_columns`, then one column per span of `timeline` (None: none) and `gpu_frame_ms`, empty where the
    frame had no such figure (a span of another scene, a frame not timed). Whole or not at all; OutputError if
    the file cannot be written."""
    gpu_names, gpu = [], {}
    if timeline is not None and timeline.supported:
        history = timeline.history()
        gpu_names = [*history.names, "frame"]
        values = np.column_stack([history.gpu_ms, history.gpu_frame_ms])
        gpu = dict(zip(history.frames.tolist(), values, strict=True))
    missing = [np.nan] * len(gpu_names)
    rows = [",".join(["frame", *host_columns, *(gpu_column(n) for n in gpu_names)])]
    for i, host in enumerate(host_ms):
        cells = [f"{v:.3f}" for v in host]
        cells += ["" if np.isnan(v) else f"{v:.3f}" for v in gpu.get(i, missing)]
        rows.append(",".join([str(i), *cells]))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(output_failure(path.parent, exc, ELSEWHERE)) from None
    write_text(path, "\n".join(rows) + "\n", ELSEWHERE)
