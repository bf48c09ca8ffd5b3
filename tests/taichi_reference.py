"""Child process: runs kernel programs in plain Python Taichi on its own Vulkan device, for the parity tests.

Argument: a JSON file {"out": folder, "programs": {name: {"arrays": {...}, "launches": [...]}}} as
tests/test_kernel_parity.py writes it; each program's arrays after its launches go to <out>/<name>.npz.
"""

import json
import sys
from pathlib import Path

import numpy as np
import taichi as ti

from renderer.compute.aot_compiler import load_module


def run(program: dict) -> dict[str, np.ndarray]:
    arrays = {}
    for name, a in program["arrays"].items():
        dtype = getattr(
            ti, np.dtype(a["dtype"]).name.replace("float", "f").replace("uint", "u").replace("int", "i")
        )
        if a["element_shape"]:
            dtype = ti.types.vector(a["element_shape"][0], dtype)
        array = ti.ndarray(dtype, tuple(a["shape"]))
        if a["init"] is not None:
            array.from_numpy(np.load(a["init"]))
        arrays[name] = array
    for launch in program["launches"]:
        ref = launch["kernel"]
        kernel = getattr(load_module(ref["module"], ref["file"]), ref["name"])
        args = []
        for arg in launch["args"]:
            if "array" in arg:
                args.append(arrays[arg["array"]])
            elif "vector" in arg:
                args.append(ti.Vector(arg["vector"]))
            else:
                args.append(arg["value"])
        kernel(*args)
    ti.sync()
    return {name: array.to_numpy() for name, array in arrays.items()}


def main(spec_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    ti.init(arch=ti.vulkan, offline_cache=False, log_level=ti.WARN)
    for name, program in spec["programs"].items():
        np.savez(Path(spec["out"]) / f"{name}.npz", **run(program))


if __name__ == "__main__":
    main(sys.argv[1])
