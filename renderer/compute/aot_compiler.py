"""Child process that compiles Taichi kernels into a .tcm module (run by aot.run_compiler, not by users).

Argument: a JSON spec {"out": path, "caps": ["name=level", ...], "kernels": [{"module", "file", "name"}]}.
Taichi's own errors go to stderr unchanged, so the parent can show them.
"""

import importlib
import importlib.util
import json
import sys

import taichi as ti

# the name a script run as __main__ is imported under here: as "__main__" its `if __name__ == "__main__":` block
# would run in this child, which renders, compiles its kernels in another child, and so on
SCRIPT_MODULE = "__renderer_script__"


def load_module(module: str, file: str):
    if module == "__main__":
        module = SCRIPT_MODULE
    try:
        loaded = importlib.import_module(module)
        if getattr(loaded, "__file__", None) and str(loaded.__file__) == file:
            return loaded
    except ImportError:
        pass
    spec = importlib.util.spec_from_file_location(module, file)
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[module] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def main(spec_text: str) -> None:
    spec = json.loads(spec_text)
    ti.init(arch=ti.vulkan, offline_cache=False, log_level=ti.WARN, print_preprocessed_ir=False)
    # a kernels' file that calls ti.init itself (a Taichi habit) would reset Taichi under the module being
    # built (the compiler died of SIGSEGV): imported here, it finds Taichi initialised for the compile
    ti.init = lambda *args, **kwargs: None
    module = ti.aot.Module(arch=ti.vulkan, caps=spec["caps"])
    for ref in spec["kernels"]:
        kernel = getattr(load_module(ref["module"], ref["file"]), ref["name"], None)
        if kernel is None:
            sys.exit(f"{ref['file']} has no kernel named {ref['name']!r}")
        module.add_kernel(kernel)
    module.archive(spec["out"])


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as exc:  # Taichi's own message (it names the kernel's file and line), not our traceback
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
