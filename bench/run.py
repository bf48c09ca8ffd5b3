#!/usr/bin/env python3
"""The benchmark: our renderer against Taichi GGUI and Taichi + ModernGL on the particle spiral scene.

    python3 bench/run.py                      # 10k, 100k, 1M particles (and 10M with --sizes on a GPU)
    python3 bench/run.py --sizes 10000,100000 --frames 100,40 --warmup 10,5
    python3 bench/run.py --no-setup ...          # this interpreter as it is: no apt, no .venv, no pip
    python3 bench/run.py --from-json bench/results_lavapipe.json   # RESULTS.md and plot again from a saved run

For each N, each contender runs in its own child process (bench/contenders.py), on the same machine, one after
the other: warm-up frames, then timed frames, every frame read back to host memory. It prints a table per N and
writes bench/RESULTS.md (the text between the ANALYSIS markers there is kept) and a plot of ms/frame against N.
Sets up like run_demo.py on first use (Debian packages, .venv), plus the `bench` extra of pyproject.toml and
the EGL packages ModernGL needs; `--no-setup` skips that and runs with the interpreter that runs this file.
"""

import argparse
import datetime
import importlib.util
import json
import os
import platform
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
EGL_PACKAGES = ["libegl1", "libgl1-mesa-dri", "libegl-mesa0"]
DEFAULT_SIZES = "10000,100000,1000000"
# timed frames and warm-up frames per N (1M frames are slow on lavapipe: a few hundred ms each)
DEFAULT_FRAMES = {10_000: 300, 100_000: 100, 1_000_000: 25, 10_000_000: 10}
DEFAULT_WARMUP = {10_000: 20, 100_000: 10, 1_000_000: 3, 10_000_000: 2}
CONTENDERS = {
    "ours": "ours (HeadlessRenderer)",
    "ggui": "Taichi GGUI",
    "moderngl": "Taichi + ModernGL",
    "polyscope": "Taichi + Polyscope",
    "pygfx": "Taichi + pygfx",
}
# the mesh benchmark (bench/mesh_scene.py): its contenders, and the child each runs as
MESH_CONTENDERS = {
    "ours": "ours (gpu.mesh)",
    "ggui": "Taichi GGUI (scene.mesh)",
    "moderngl": "Taichi + ModernGL",
}
MESH_CHILDREN = {"ours": "ours", "ggui": "mesh-ggui", "moderngl": "mesh-moderngl"}
DEFAULT_MESH_SIZES = "100000,1000000"  # triangles (10M too on a GPU)
DEFAULT_MESH_FRAMES = {100_000: 60, 1_000_000: 20, 10_000_000: 10}
DEFAULT_MESH_WARMUP = {100_000: 5, 1_000_000: 3, 10_000_000: 2}
# what each contender's child imports beyond numpy, Pillow and Taichi
PEER_MODULES = {"moderngl": ["moderngl", "glcontext"], "polyscope": ["polyscope"], "pygfx": ["pygfx", "wgpu"]}
# set in the environment, these change how Mesa and glibc behave; the report names them
ENV_OF_NOTE = (
    "GLIBC_TUNABLES",
    "LP_NUM_THREADS",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "OPENBLAS_NUM_THREADS",
    "MESA_LOADER_DRIVER_OVERRIDE",
    "VK_ICD_FILENAMES",
)
MARK_BEGIN, MARK_END = "<!-- ANALYSIS:BEGIN (kept by bench/run.py) -->", "<!-- ANALYSIS:END -->"


# ------------------------------------------------------------------------------------------------ set-up


def bench_extra() -> list[str]:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project.get("optional-dependencies", {}).get("bench", [])


def bootstrap() -> None:
    """Packages and .venv as run_demo.py does it (_setup.py), the bench extra, then re-run in .venv."""
    venv = ROOT / ".venv"
    if Path(sys.prefix).resolve() != venv.resolve():
        sys.path.insert(0, str(ROOT))
        import _setup

        _setup.ensure_packages()
        _setup.ensure_packages(EGL_PACKAGES)
        python = _setup.ensure_venv(ROOT)
        sys.stdout.flush()
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *sys.argv[1:]])
    probe = subprocess.run(
        [sys.executable, "-c", "import moderngl, glcontext, matplotlib, polyscope, pygfx, wgpu"],
        capture_output=True,
    )
    if probe.returncode != 0:
        print("[setup] installing the bench extra: " + " ".join(bench_extra()), file=sys.stderr, flush=True)
        cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *bench_extra()]
        if subprocess.run(cmd).returncode != 0:
            # a peer whose package is missing is reported as not run; the others still run
            print("[setup] pip install of the bench extra failed (see above)", file=sys.stderr, flush=True)


def check_modules() -> None:
    """With --no-setup: say which modules this interpreter lacks (the contenders that need them will fail);
    stop if every contender needs one of them."""
    needs = {
        "numpy": "all",
        "PIL": "all",
        "taichi": "all",
        "vulkan": "ours",
        "cffi": "ours",
        "platformdirs": "ours",
        "moderngl": "moderngl",
        "glcontext": "moderngl",
        "polyscope": "polyscope",
        "pygfx": "pygfx",
        "wgpu": "pygfx",
        "matplotlib": "the plot",
    }
    missing = {m: what for m, what in needs.items() if importlib.util.find_spec(m) is None}
    if missing:
        text = f"[no-setup] {sys.executable} lacks: {', '.join(f'{m} ({w})' for m, w in missing.items())}"
        if "all" in missing.values():  # every contender would fail, one child after another
            sys.exit(f"{text}; run it with an interpreter that has them, or without --no-setup")
        print(text, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ running


def cpu_busy_s() -> float:
    """Busy CPU seconds of the whole machine so far (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields) - fields[3] - (fields[4] if len(fields) > 4 else 0)  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def missing_modules(name: str) -> list[str]:
    """The modules a peer's child needs that this interpreter lacks."""
    return [m for m in PEER_MODULES.get(name, []) if importlib.util.find_spec(m) is None]


def run_child(name: str, spec: dict, timeout: float, env_extra: dict | None = None) -> dict:
    """One contender in its own process; adds its wall time and the CPU that other processes used meanwhile.
    A peer whose packages are missing is not started: its result says which (one line)."""
    missing = missing_modules(name)
    if missing:
        return {
            "error": f"not run: {', '.join(missing)} not installed",
            "process_wall_s": 0.0,
            "others_cores": 0.0,
        }
    # cwd: a scratch folder (GGUI writes imgui.ini into its working directory)
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "ENABLE_TAICHI_HEADER_PRINT": "0", "PYTHONPATH": path, **(env_extra or {})}
    busy0, own0, t0 = cpu_busy_s(), children_cpu_s(), time.perf_counter()
    if name.startswith("startup-"):
        spec = {**spec, "t_spawn": time.time()}  # the child's first frame is timed from here
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as cwd:
            proc = subprocess.run(
                [sys.executable, "-m", "bench.contenders", name, json.dumps(spec)],
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        out, err, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        out, err, code = exc.stdout or "", (exc.stderr or "") + f"\n(timed out after {timeout:.0f} s)", -1
        out, err = (x.decode() if isinstance(x, bytes) else x for x in (out, err))
    wall = time.perf_counter() - t0
    others = max(0.0, (cpu_busy_s() - busy0) - (children_cpu_s() - own0))
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    if code != 0 or not lines:
        lines = (err or out).strip().splitlines()
        reason = next(
            (x for x in reversed(lines) if "Error" in x or "error" in x), lines[-1] if lines else ""
        )
        result = {"error": f"exit status {code}: {reason.strip()}"}
    else:
        result = json.loads(lines[-1][len("RESULT ") :])
    result["process_wall_s"] = wall
    result["others_cores"] = others / wall  # mean number of cores other processes kept busy during this run
    return result


def pick(runs: list[dict]) -> dict:
    """Of a contender's repeats, the middle one by median (of an even number, the faster of the two in the
    middle): this machine's speed drifts by 20-30% within minutes without other processes to show for it,
    so neither the least disturbed nor the fastest run is the typical one. Every repeat's median is kept."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[-1]
    best = dict(sorted(ok, key=lambda r: r["median_ms"])[(len(ok) - 1) // 2])
    best["repeat_medians_ms"] = [r.get("median_ms") for r in runs]
    best["repeat_others_cores"] = [r["others_cores"] for r in runs]
    return best


def grid_for_triangles(triangles: int) -> int:
    """The mesh scene's grid side whose 2 (grid-1)^2 triangles come nearest to `triangles`."""
    return max(2, round((triangles / 2) ** 0.5) + 1)


def per_size(text: str | None, sizes: list[int], defaults: dict, what: str) -> dict:
    if text is None:
        return {n: defaults.get(n, min(defaults.values())) for n in sizes}
    values = [int(v) for v in text.split(",")]
    if len(values) == 1:
        values *= len(sizes)
    if len(values) != len(sizes) or min(values) < 1:
        sys.exit(f"--{what} takes one positive number or one per size ({len(sizes)}), not {text!r}")
    return dict(zip(sizes, values, strict=True))


# ------------------------------------------------------------------------------------------------ reporting


def fmt(x, digits=1) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}f}" if x >= 10 or digits == 0 else f"{x:.{max(digits, 2)}f}"


def ratio_text(ours: dict, peer: dict) -> str:
    if "median_ms" not in ours or "median_ms" not in peer:
        return "-"
    r = ours["median_ms"] / peer["median_ms"]
    if 0.95 <= r <= 1.05:
        return f"{r:.2f} (even, within 5%)"
    return f"{r:.2f} (ours {1 / r:.1f}x faster)" if r < 1 else f"{r:.2f} (ours {r:.1f}x slower)"


def turn_ratios(res: dict, labels: dict = CONTENDERS) -> list[str]:
    """Ours' median over each peer's, turn by turn (the contenders run in turns, so a turn's runs share the
    machine's speed of those minutes)."""
    ours = res.get("ours", {}).get("repeat_medians_ms", [])
    texts = []
    for key, r in res.items():
        peer = r.get("repeat_medians_ms", [])
        pairs = [(a, b) for a, b in zip(ours, peer, strict=False) if a and b]
        if key == "ours" or len(pairs) < 2:
            continue
        ratios = [a / b for a, b in pairs]
        texts.append(
            f"{labels[key]} " + " / ".join(f"{x:.2f}" for x in ratios) + f" ({statistics.median(ratios):.2f})"
        )
    return texts


def table_rows(n: int, res: dict, labels: dict = CONTENDERS) -> list[list[str]]:
    """Rows: what, median, min, mean, ours/peer (median), main-thread CPU, others' CPU load."""
    rows = []
    ours = res.get("ours", {})
    for key, label in labels.items():
        r = res.get(key)
        if r is None:
            continue
        if "error" in r:
            what = "not run" if r["error"].startswith("not run") else "failed"
            rows.append([label, what, "", "", "", "", fmt(r.get("others_cores"), 2)])
            continue
        ratio = "1" if key == "ours" else ratio_text(ours, r)
        rows.append(
            [
                label,
                fmt(r["median_ms"], 2),
                fmt(r["min_ms"], 2),
                fmt(r["mean_ms"], 2),
                ratio,
                fmt(r["main_thread_cpu_ms"], 2),
                fmt(r["others_cores"], 2),
            ]
        )
    if "error" not in ours and ours:
        # the same scene without readback, and in a window (runs of their own in ours' child)
        others = [("no_readback", "ours, no readback (frames stay on the GPU)")]
        window = ours.get("window", {})
        others.append(("window", f"ours, in a window with its panel ({window.get('present_mode', '')})"))
        for key, label in others:
            o = ours.get(key, {})
            if "median_ms" in o:
                cpu = fmt(o["main_thread_cpu_ms"], 2) if "main_thread_cpu_ms" in o else ""
                rows.append(
                    [label, fmt(o["median_ms"], 2), fmt(o["min_ms"], 2), fmt(o["mean_ms"], 2), "", cpu, ""]
                )
        s = ours["static"]
        rows.append(
            [
                "ours, floor: render+readback, static buffer",
                fmt(s["median_ms"], 2),
                fmt(s["min_ms"], 2),
                fmt(s["mean_ms"], 2),
                "",
                fmt(s["main_thread_cpu_ms"], 2),
                "",
            ]
        )
        k = ours["kernel_alone"]
        rows.append(
            [
                f"ours, floor: kernel alone ({k['launches']} launches+ti_flush, 1 ti_wait)",
                "",
                "",
                fmt(k["mean_ms"], 2),
                "",
                "",
                "",
            ]
        )
    return rows


HEADER = [
    "contender",
    "median ms",
    "min ms",
    "mean ms",
    "ours/peer (median)",
    "main-thread CPU ms/frame",
    "others' CPU (cores)",
]


def text_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(r):
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )

    return "\n".join([line(HEADER), line(["-" * w for w in widths]), *map(line, rows)])


def md_table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def wait_cpu_text(r: dict) -> str:
    """The main thread's CPU inside the fence waits (runs before this figure existed have none)."""
    cpu = r["host_waits"].get("per_frame_ms", {}).get("fence_wait_cpu")
    if cpu is None:
        return ""
    rest = r["main_thread_cpu_ms"] - cpu
    return f"; of it {cpu:.2f} ms inside the fence waits (the driver's), {rest:.2f} ms outside them"


def waits_text(r: dict) -> str:
    w, f = r["host_waits"], r["frames"]
    pf = w["per_frame_ms"]
    return (
        f"{w['fence_waits_blocking']} of {w['fence_waits']} vkWaitForFences calls blocked "
        f"({w['fence_waits_blocking'] / f:.2f}/frame, {pf['fence_wait']:.2f} ms/frame waiting), "
        f"vkQueueWaitIdle {w['queue_wait_idle']}, vkDeviceWaitIdle {w['device_wait_idle']}, ti_wait "
        f"{w['ti_wait']} ({pf['ti_wait']:.2f} ms/frame; by design one per {r['reclaim_interval']} frames, "
        "counted from the renderer's first frame, to let Taichi 1.7.4 free what it submitted)"
    )


def splits_text(r: dict) -> str:
    pf = r["host_waits"]["per_frame_ms"]
    parts = [f"scene.update {pf['update']:.3f}"]
    if "ti_launch_kernel" in pf:  # older JSON has no finer split
        parts[0] += f" (of it ti_launch_kernel {pf['ti_launch_kernel']:.3f})"
    parts += [f"ti_flush {pf['ti_flush']:.3f}"]
    if "write_uniforms" in pf:
        parts += [f"write_uniforms {pf['write_uniforms']:.3f}", f"vkResetFences {pf['reset_fences']:.3f}"]
    parts += [
        f"vkQueueSubmit {pf['queue_submit']:.3f}",
        f"fence wait {pf['fence_wait']:.3f}",
        f"read_pixels (a view of the frame in host memory) {pf['read_pixels']:.3f}",
    ]
    # ti_launch_kernel is within update; fence_wait_cpu is CPU time within fence_wait
    rest = r["mean_ms"] - sum(v for k, v in pf.items() if k not in ("ti_launch_kernel", "fence_wait_cpu"))
    return (
        ", ".join(parts) + f" ms/frame; the rest of the mean frame (Python between the calls) {rest:.3f} ms"
    )


def plot(
    path: Path,
    results: dict,
    device: str,
    kind: str,
    labels: dict = CONTENDERS,
    what: str = "Particle spiral",
    unit: str = "particles N",
) -> bool:
    """ms/frame against N as a PNG; False (and a message) where matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        print(
            f"no plot: matplotlib is not installed; make it later with --from-json {path.with_suffix('.json')}",
            file=sys.stderr,
        )
        return False

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    sizes = sorted(results)
    for key, label in labels.items():
        pts = [(n, results[n][key]["median_ms"]) for n in sizes if "median_ms" in results[n].get(key, {})]
        if pts:
            ax.plot(*zip(*pts, strict=True), "o-", label=f"{label}, median")
    floors = [(n, results[n]["ours"]) for n in sizes if "static" in results[n].get("ours", {})]
    if floors:
        xs, rs = zip(*floors, strict=True)
        ax.plot(
            xs,
            [r["static"]["median_ms"] for r in rs],
            "s--",
            color="gray",
            label="ours, render+readback alone (static buffer), median",
        )
        ax.plot(
            xs,
            [r["kernel_alone"]["mean_ms"] for r in rs],
            "^:",
            color="gray",
            label="ours, kernel alone, mean",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("ms per frame (1280x720, read back)")
    where = f"lavapipe ({device}); peers' GL on llvmpipe" if kind == "lavapipe" else device
    ax.set_title(f"{what}, every frame read back\n{where}", fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def image_check(frames_dir: Path, n: int, keys, labels: dict = CONTENDERS, prefix: str = "") -> list[str]:
    """Lit-pixel counts and mean colour of the saved frames: a numeric check that they show the same thing."""
    import numpy as np
    from PIL import Image

    lines = []
    for key in keys:
        label = labels[key]
        path = frames_dir / f"{prefix}{key}_{n}.png"
        if path.exists():
            a = np.asarray(Image.open(path).convert("RGB")).astype(np.int32)
            lit = int((a.sum(-1) > 40).sum())
            lines.append(f"{label}: {path} ({lit} pixels brighter than the background)")
    return lines


def frames_strip(frames_dir: Path, n: int, keys, path: Path, prefix: str = "") -> bool:
    """The centre 300x300 of each contender's saved frame, side by side and labelled (a small PNG)."""
    from PIL import Image, ImageDraw

    tiles = []
    for key in keys:
        frame = frames_dir / f"{prefix}{key}_{n}.png"
        if frame.exists():
            image = Image.open(frame).convert("RGB")
            w, h = image.size
            tile = image.crop((w // 2 - 150, h // 2 - 150, w // 2 + 150, h // 2 + 150))
            ImageDraw.Draw(tile).text((6, 4), key, fill=(255, 255, 255))
            tiles.append(tile)
    if not tiles:
        return False
    strip = Image.new("RGB", (300 * len(tiles), 300))
    for i, tile in enumerate(tiles):
        strip.paste(tile, (300 * i, 0))
    strip.save(path, optimize=True)
    return True


def frames_check(
    frames_dir: Path | None, results: dict, plot_path: Path, labels: dict = CONTENDERS, prefix: str = ""
) -> dict | None:
    """The saved frames of the smallest N: a line per contender (lit pixels) and a strip of their centres
    beside the plot (frames_<device>.png); kept in the JSON, so that --from-json can report them again."""
    if not frames_dir or not results:
        return None
    n0 = min(results)
    keys = [k for k in labels if "error" not in results[n0].get(k, {"error": "not run"})]
    lines = image_check(frames_dir, n0, keys, labels, prefix)
    if not lines:
        return None
    strip = plot_path.with_name("frames_" + plot_path.name.removeprefix("results_"))
    made = frames_strip(frames_dir, n0, keys, strip, prefix)
    return {"n": n0, "keys": keys, "lines": lines, "strip": strip.name if made else None}


def size_sections(
    results: dict, frames: dict, warmup: dict, repeat: int, labels: dict = CONTENDERS, title: str = "N"
) -> list[str]:
    """A section per size: the table, the repeats, ours' waits and splits, the peers' splits."""
    out = []
    for n in sorted(results):
        res = results[n]
        out += [
            f"## {title} = {n:,}",
            "",
            f"{frames[n]} timed frames after {warmup[n]} warm-up frames; each contender run "
            f"{repeat} time(s), in turns.",
            "",
            md_table(HEADER, table_rows(n, res, labels)),
            "",
        ]
        reps = [
            f"{labels[k]} " + " / ".join(fmt(m, 2) for m in r["repeat_medians_ms"])
            for k, r in res.items()
            if len(r.get("repeat_medians_ms", [])) > 1
        ]
        if reps:
            out += [f"- median ms/frame of each repeat (the table shows the middle one): {'; '.join(reps)}."]
        turns = turn_ratios(res, labels)
        if turns:
            out += [f"- ours/peer in each turn (median of the turns): {'; '.join(turns)}."]
        ours = res.get("ours", {})
        if "error" not in ours and ours:
            out += [
                f"- ours, host waits in the timed frames: {waits_text(ours)}.",
                f"- ours, static floor, host waits: {waits_text(ours['static'])}.",
                f"- ours, time per frame in the renderer's calls (wall): {splits_text(ours)}.",
                f"- ours, CPU per frame: main thread {ours['main_thread_cpu_ms']:.2f} ms (`time.thread_time`: "
                f"Python plus the C calls it makes){wait_cpu_text(ours)}, whole process "
                f"{ours['process_cpu_ms']:.2f} ms (`time.process_time`: lavapipe's worker threads too).",
                f"- ours, kernel alone: {ours['kernel_alone']['mean_ms']:.2f} ms per launch "
                f"({ours['kernel_alone']['host_submit_ms']:.3f} ms of it on the host to set t, launch and "
                "flush); measured as wall time of the launches + ti_flush, then one ti_wait, divided by the "
                "number of launches.",
            ]
            gpu = ours.get("gpu_ms")
            out += [
                "- ours, GPU time per frame by span (timestamps; median / 95th percentile ms): "
                + "; ".join(f"{span} {med:.3f} / {p95:.3f}" for span, (med, p95) in gpu.items())
                + "."
                if gpu
                else "- ours, GPU time per span: not measured (the GPU timeline is off on a CPU driver)."
            ]
            nr, win = ours.get("no_readback"), ours.get("window", {})
            if nr:
                out += [f"- ours, no readback, host waits: {waits_text(nr)}."]
            if "median_ms" in win:
                out += [
                    f"- ours, in a window: {win['extent'][0]}x{win['extent'][1]}, present mode "
                    f"{win['present_mode']}; each frame from waiting for a free frame and swapchain "
                    "image to present (run_demo.py's window loop, its panel shown: on a CPU driver the panel "
                    "is rasterized on the CPU too, see bench/panel_cost.py)."
                ]
            elif win:
                out += [f"- ours, in a window: not measured, {win['skipped']}."]
        for key in [k for k in labels if k != "ours"]:
            r = res.get(key, {})
            if "error" in r:
                out.append(f"- {labels[key]}: `{r['error']}`")
            elif r:
                sp = ", ".join(f"{k} {v:.2f}" for k, v in r["splits_ms"].items())
                out.append(
                    f"- {labels[key]}: per frame (wall) {sp} ms; main-thread CPU "
                    f"{r['main_thread_cpu_ms']:.2f} ms, process CPU {r['process_cpu_ms']:.2f} ms; its kernel "
                    f"alone (Python Taichi, launches then ti.sync) {r['kernel_alone']['mean_ms']:.2f} ms."
                )
        out.append("")
    return out


STARTUP_PARTS = ("first_frame_s", "interpreter_and_imports_s", "set_up_s", "first_frame_after_set_up_s")


def write_results(
    path: Path,
    meta: dict,
    results: dict,
    check: dict,
    plot_path: Path | None,
    mesh: dict | None = None,
    mesh_plot: Path | None = None,
    startup: dict | None = None,
) -> None:
    keep = "\n".join([MARK_BEGIN, "(No analysis written yet.)", MARK_END])
    if path.exists():
        old = path.read_text()
        if MARK_BEGIN in old and MARK_END in old:
            keep = old[old.index(MARK_BEGIN) : old.index(MARK_END) + len(MARK_END)]
    gpu = "lavapipe" not in meta["device"].lower() and "llvmpipe" not in meta["device"].lower()
    out = [
        "# Benchmark: particle spiral, ours vs Taichi GGUI, Taichi + ModernGL, Polyscope and pygfx",
        "",
        "Written by `python3 bench/run.py` (see bench/README.md); the analysis section at the end is kept across runs.",
        "",
        f"- date: {meta['date']}",
        f"- command: `{meta['command']}`",
        f"- code: {meta['code']}",
        f"- environment that changes the drivers' behaviour: {meta['env'] or 'none set'}",
        f"- device (ours): {meta['device']}",
        f"- peers: {meta['peer_devices']}",
        f"- machine: {meta['machine']}",
        f"- whole run: {meta['total_s']:.0f} s wall",
        "- scene: N particles moved by the `spiral` kernel each frame, spheres of radius 0.002, 1280x720, camera "
        "at (0, 0, 2.5), every frame read back to host memory; each contender in its own child process.",
        "- ms/frame: per-frame intervals of the timed frames (ours: between consecutive read-back frames, 2 frames "
        "in flight; peers: one synchronous loop iteration each). ours/peer < 1 means ours is faster.",
        "- others' CPU: cores kept busy by processes outside the benchmark during that contender's child "
        "(/proc/stat minus the child's own CPU); well above 0 means the figures are disturbed by other load.",
        f"- kernel check: the peers' field kernel and scenes/particles.py's `spiral` agree to "
        f"{check.get('max_abs_diff', float('nan')):.2g} (max |difference| of positions, N={check.get('n')})"
        if "error" not in check
        else f"- kernel check failed: {check['error']}",
        "",
    ]
    if not gpu:
        out += ["**H100 (GPU) figures: not measured yet.** This run is CPU only (lavapipe / llvmpipe).", ""]
    out += size_sections(results, meta["frames"], meta["warmup"], meta["repeat"])
    if results:  # none with --sizes ''
        out += ["## Summary (median ms/frame)", "", *summary_table(results), ""]
    if plot_path:
        out += [f"![ms/frame against N]({plot_path.name})", ""]
    out += saved_frames_text(meta.get("frames_check"), path)
    if mesh:
        out += mesh_text(mesh, meta, mesh_plot, path)
    if startup:
        out += startup_text(startup)
    prof = next((r["ours"]["profile"] for r in results.values() if "profile" in r.get("ours", {})), None)
    if prof:
        out += [
            f"CPU profile of ours at N = {prof['n']:,} (cProfile over {prof['frames']} frames, a separate pass "
            f"after the measured ones; {prof['wall_ms']:.2f} ms/frame wall under the profiler): "
            f"`{Path(prof['path']).name}`.",
            "",
        ]
    out += [keep, ""]
    path.write_text("\n".join(out))


def summary_table(results: dict, labels: dict = CONTENDERS, title: str = "N") -> list[str]:
    """Median ms/frame of every contender per size, with ours' floors."""
    rows = []
    for n in sorted(results):
        res = results[n]
        o = res.get("ours", {})
        cells = [fmt(res.get(k, {}).get("median_ms"), 2) for k in labels]
        rows.append(
            [
                f"{n:,}",
                *cells,
                fmt(o.get("static", {}).get("median_ms"), 2),
                fmt(o.get("kernel_alone", {}).get("mean_ms"), 2),
            ]
        )
    short = [label.split(" (")[0].removeprefix("Taichi + ") for label in labels.values()]
    return [md_table([title, *short, "ours static floor", "ours kernel alone (mean)"], rows)]


def saved_frames_text(saved: dict | None, path: Path) -> list[str]:
    if not saved:
        return []
    out = [f"Frames saved for {saved['n']:,} (the last timed frame, the same t for all):", ""]
    out += [f"- {line}" for line in saved["lines"]] + [""]
    if saved["strip"] and (path.parent / saved["strip"]).exists():
        out += [f"![the centre of each contender's frame: {', '.join(saved['keys'])}]({saved['strip']})", ""]
    return out


def mesh_text(mesh: dict, meta: dict, mesh_plot: Path | None, path: Path) -> list[str]:
    """The mesh benchmark's part of the report."""
    results = {int(n): r for n, r in mesh["results"].items()}
    sizes = sorted((int(n), g) for n, g in mesh["grids"].items())  # string keys in a JSON read back
    grids = ", ".join(f"{n:,} triangles: {g} x {g} vertices" for n, g in sizes)
    out = [
        "# Mesh benchmark: a grid mesh written by a kernel every frame",
        "",
        "bench/mesh_scene.py's sheet: positions and normals written by one kernel (`wave`) every frame, indices "
        f"once (`weave`), lit (two-sided Lambert with an ambient share), 1280x720, read back; {grids}. Ours "
        "draws it through the scene API (`gpu.mesh`); GGUI with `scene.mesh(pos, indices, normals)`; ModernGL "
        "uploads `to_numpy()` of positions and normals each frame. Sizes are counted in triangles.",
        "",
    ]
    frames, warmup = ({int(n): v for n, v in mesh[k].items()} for k in ("frames", "warmup"))
    out += size_sections(results, frames, warmup, meta["repeat"], MESH_CONTENDERS, "triangles")
    out += [
        "## Mesh summary (median ms/frame)",
        "",
        *summary_table(results, MESH_CONTENDERS, "triangles"),
        "",
    ]
    if mesh_plot:
        out += [f"![mesh ms/frame against triangles]({mesh_plot.name})", ""]
    return out + saved_frames_text(mesh.get("frames_check"), path)


def startup_text(startup: dict) -> list[str]:
    """Process start to the first frame read back, warm and cold caches."""
    out = [
        "# Start-up: process start to the first frame in host memory",
        "",
        f"The particle scene at N = {startup['n']:,}, 1280x720, one frame read back; each run a fresh process "
        "(`python -m bench.contenders startup-ours|startup-ggui`), timed from just before the parent starts it. "
        "Warm: the caches a previous run filled. Cold: fresh empty cache folders (`RENDERER_CACHE_DIR` for ours, "
        "`TI_OFFLINE_CACHE_FILE_PATH`, Taichi's offline cache, for both). Seconds, the median of the runs "
        "(every run listed).",
        "",
    ]
    rows = []
    for key, cache in [(k, c) for k in ("ours", "ggui") for c in ("warm", "cold")]:
        runs = [r for r in startup["runs"].get(f"{key}-{cache}", []) if "error" not in r]
        if not runs:
            errors = [r["error"] for r in startup["runs"].get(f"{key}-{cache}", [])]
            rows.append([CONTENDERS[key], cache, "failed" if errors else "not run", "", "", "", ""])
            continue
        med = {k: statistics.median(r[k] for r in runs) for k in STARTUP_PARTS}
        rows.append(
            [
                CONTENDERS[key],
                cache,
                f"{med['first_frame_s']:.2f}",
                " / ".join(f"{r['first_frame_s']:.2f}" for r in runs),
                f"{med['interpreter_and_imports_s']:.2f}",
                f"{med['set_up_s']:.2f}",
                f"{med['first_frame_after_set_up_s']:.2f}",
            ]
        )
    header = [
        "contender",
        "cache",
        "first frame (s)",
        "runs",
        "interpreter + imports",
        "set-up",
        "first frame",
    ]
    out += [md_table(header, rows), ""]
    demo = startup.get("demo")
    if demo:
        out += [
            f"- `{demo['command']}`, warm cache: {' / '.join(f'{x:.2f}' for x in demo['wall_s'])} s wall "
            f"(median {statistics.median(demo['wall_s']):.2f} s; the goal is 1 s on lavapipe).",
            "",
        ]
    return out


# ------------------------------------------------------------------------------------------------ main


def code_version() -> str:
    """The commit measured, and whether the renderer's files differ from it."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "renderer", "scenes", "shaders"], capture_output=True, text=True
    ).stdout.strip()
    if not head:
        return "not a git checkout"
    return f"commit {head}" + (" with uncommitted changes in renderer/, scenes/ or shaders/" if dirty else "")


def device_kind(device: str) -> str:
    """A file-name part for the device: "lavapipe", or e.g. "nvidia_h100_80gb_hbm3"."""
    if "llvmpipe" in device.lower() or "lavapipe" in device.lower():
        return "lavapipe"
    return "".join(c if c.isalnum() else "_" for c in device.split("(")[0].strip().lower())


def mesh_plot_path(plot_path: Path) -> Path:
    return plot_path.with_name("results_mesh_" + plot_path.name.removeprefix("results_"))


def report(
    results: dict,
    check: dict,
    meta: dict,
    plot_path: Path,
    results_path: Path | None,
    mesh: dict | None = None,
    startup: dict | None = None,
) -> None:
    """The plots, the JSON beside them (every figure, and what the report needs to be written again),
    RESULTS.md. `mesh`: the mesh benchmark's results, sizes and frames; `startup`: the start-up runs."""
    kind = device_kind(meta["device"])
    plotted = bool(results) and plot(plot_path, results, meta["device"], kind)
    if plotted:
        print(f"plot: {plot_path}")
    mesh_plot = None
    if mesh and mesh["results"]:
        mesh_results = {int(n): r for n, r in mesh["results"].items()}
        mesh_plot = mesh_plot_path(plot_path)
        if plot(mesh_plot, mesh_results, meta["device"], kind, MESH_CONTENDERS, "Wave mesh", "triangles"):
            print(f"mesh plot: {mesh_plot}")
        else:
            mesh_plot = None
    raw = plot_path.with_suffix(".json")
    if not meta.get("from_json"):
        data = {"check": check, "results": results, "meta": meta, "mesh": mesh, "startup": startup}
        raw.write_text(json.dumps(data, indent=1) + "\n")
        print(f"raw results: {raw}")
    if results_path:
        write_results(
            results_path, meta, results, check, plot_path if plotted else None, mesh, mesh_plot, startup
        )
        print(f"results: {results_path}")


def from_json(path: Path, plot_arg: str | None, results_arg: str) -> int:
    """RESULTS.md and the plot again from a run's JSON (e.g. one made on another machine). The plot goes beside
    the JSON (same name, .png) unless --plot says otherwise."""
    data = json.loads(path.read_text())
    results = {int(n): r for n, r in data["results"].items()}
    meta = data.get("meta")
    if meta is None:  # a JSON written before the report's facts were saved in it
        first = next(iter(results.values()))
        meta = {
            "code": "unknown",
            "env": "",
            "date": "unknown",
            "command": "unknown",
            "device": next(
                (r["ours"]["device"] for r in results.values() if "device" in r.get("ours", {})), "?"
            ),
            "peer_devices": "-",
            "machine": "unknown",
            "total_s": float("nan"),
            "frames": {n: r.get("ours", {}).get("frames", "?") for n, r in results.items()},
            "warmup": dict.fromkeys(results, "?"),
            "repeat": max(len(r.get("repeat_medians_ms", [1])) for r in first.values()),
        }
    for key in ("frames", "warmup"):
        meta[key] = {int(n): v for n, v in meta[key].items()}
    meta["from_json"] = str(path)
    for folder in {Path(plot_arg).parent if plot_arg else path.parent, Path(results_arg or ".").parent}:
        folder.mkdir(parents=True, exist_ok=True)
    report(
        results,
        data["check"],
        meta,
        Path(plot_arg) if plot_arg else path.with_suffix(".png"),
        Path(results_arg) if results_arg else None,
        data.get("mesh"),
        data.get("startup"),
    )
    return 0


def run_sizes(
    args, sizes, chosen, frames, warmup, frames_dir, labels: dict, spec_of, title: str, prefix: str = ""
) -> dict:
    """Each size: every chosen contender in its own child, `--repeat` times in turns; prints a table per size
    and returns {size: {contender: the picked run}}. `spec_of(size, key)`: the child's scene arguments."""
    results: dict[int, dict] = {}
    for n in sizes:
        runs: dict[str, list[dict]] = {key: [] for key in chosen}
        skipped: set[str] = set()
        for rep in range(args.repeat):  # the contenders take turns, so slow drifts of the machine hit all
            for key in [k for k in chosen if k not in skipped]:
                spec = {
                    **spec_of(n, key),
                    "warmup": warmup[n],
                    "frames": frames[n],
                    "kernel_launches": frames[n],
                    "arch": args.arch,
                    "budget_s": args.budget,
                }
                if frames_dir and n == min(sizes) and rep == 0:
                    spec["save"] = str(frames_dir / f"{prefix}{key}_{n}.png")
                    if key == "ours":
                        spec["save_static"] = str(frames_dir / f"{prefix}ours-static_{n}.png")
                if args.profile and key == "ours" and n == min(sizes) and rep == 0 and not prefix:
                    spec["profile"] = str(Path(args.profile).resolve())
                child = MESH_CHILDREN[key] if prefix else key
                print(
                    f"{title}={n:,}: {labels[key]} (run {rep + 1} of {args.repeat}) ...", end=" ", flush=True
                )
                if key != "ours" and args.peers_up_to and n > args.peers_up_to:
                    r = {"error": f"not run: above --peers-up-to {args.peers_up_to:,} (a slow peer's time)"}
                else:
                    r = run_child(child, spec, args.timeout)
                runs[key].append(r)
                print(
                    f"{r['median_ms']:.2f} ms median ({r['process_wall_s']:.1f} s, others' CPU "
                    f"{r['others_cores']:.2f} cores)"
                    if "error" not in r
                    else f"FAILED: {r['error']}",
                    flush=True,
                )
                if "profile" in r:
                    print(f"profile of ours' frame loop: {r['profile']['path']}", flush=True)
                if r.get("error", "").startswith("not run"):
                    skipped.add(key)  # a missing package: the later turns would say the same
        # the profiled run (if any) is the first repeat: keep its profile whichever repeat is reported
        prof = next((r["profile"] for r in runs.get("ours", []) if "profile" in r), None)
        results[n] = {key: pick(rs) for key, rs in runs.items()}
        if prof and "error" not in results[n]["ours"]:
            results[n]["ours"]["profile"] = prof
        print(f"\n{title} = {n:,}: {frames[n]} timed frames after {warmup[n]} warm-up frames")
        print(text_table(table_rows(n, results[n], labels)))
        ours = results[n].get("ours", {})
        if ours and "error" not in ours:
            print(f"ours, host waits: {waits_text(ours)}")
            print(f"ours, per frame: {splits_text(ours)}")
        print(flush=True)
    return results


def run_startup(args) -> dict:
    """Process start to the first frame, ours and GGUI, warm and cold caches (`--startup-repeat` runs each, in
    turns), and run_demo.py's first frame with a warm cache."""
    n = 100_000  # the demo's particle count
    runs: dict[str, list[dict]] = {}
    for key in ("ours", "ggui"):  # fill the warm caches first (not counted)
        run_child(f"startup-{key}", {"n": n, "arch": args.arch}, args.timeout)
    for rep in range(args.startup_repeat):
        for key in ("ours", "ggui"):
            for cache in ("warm", "cold"):
                with tempfile.TemporaryDirectory(prefix="bench-cold-") as empty:
                    env = (
                        {
                            "RENDERER_CACHE_DIR": f"{empty}/renderer",
                            "TI_OFFLINE_CACHE_FILE_PATH": f"{empty}/ti",
                        }
                        if cache == "cold"
                        else {}
                    )
                    print(
                        f"start-up: {CONTENDERS[key]}, {cache} cache (run {rep + 1}) ...", end=" ", flush=True
                    )
                    r = run_child(f"startup-{key}", {"n": n, "arch": args.arch}, args.timeout, env)
                runs.setdefault(f"{key}-{cache}", []).append(r)
                print(
                    f"{r['first_frame_s']:.2f} s" if "error" not in r else f"FAILED: {r['error']}", flush=True
                )
    # as a user starts it (python3 sets up or enters .venv first); with --no-setup, this interpreter and the
    # demo's module (run_demo.py would set up packages first)
    if args.no_setup or not shutil.which("python3"):
        python, demo_cmd = sys.executable, [sys.executable, "-m", "renderer", "--headless", "--frames", "1"]
    else:
        python = shutil.which("python3")
        demo_cmd = [python, str(ROOT / "run_demo.py"), "--headless", "--frames", "1"]
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    demo_env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}  # the module from this checkout
    walls = []
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as cwd:
        for _ in range(max(3, args.startup_repeat)):
            t0 = time.perf_counter()
            done = subprocess.run(
                demo_cmd, cwd=cwd, capture_output=True, text=True, timeout=args.timeout, env=demo_env
            )
            if done.returncode == 0:
                walls.append(time.perf_counter() - t0)
    label = (
        f"{python} -m renderer --headless --frames 1"
        if "-m" in demo_cmd
        else f"{'python3' if python != sys.executable else python} run_demo.py --headless --frames 1"
    )
    print(f"start-up: {label}, warm: {' / '.join(f'{w:.2f}' for w in walls)} s", flush=True)
    demo = {"command": label, "wall_s": walls} if walls else None
    return {"n": n, "runs": runs, "demo": demo}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes", default=DEFAULT_SIZES, help="particle counts, comma-separated (default %(default)s)"
    )
    ap.add_argument(
        "--frames", help="timed frames: one number, or one per size (default 300,100,25 for 10k,100k,1M)"
    )
    ap.add_argument("--warmup", help="warm-up frames: one number, or one per size (default 20,10,3)")
    ap.add_argument("--contenders", default=",".join(CONTENDERS), help="which to run (default %(default)s)")
    ap.add_argument(
        "--mesh-sizes",
        default=DEFAULT_MESH_SIZES,
        help="the mesh benchmark's triangle counts, comma-separated ('' for none; default %(default)s)",
    )
    ap.add_argument("--mesh-frames", help="its timed frames: one number, or one per mesh size")
    ap.add_argument("--mesh-warmup", help="its warm-up frames: one number, or one per mesh size")
    ap.add_argument(
        "--startup-repeat",
        type=int,
        default=2,
        help="start-up runs per contender and cache, warm and cold (0 for none; default %(default)s)",
    )
    ap.add_argument(
        "--peers-up-to",
        type=int,
        default=0,
        help="run the peers only up to this size (particles or triangles); above it ours alone (default: all)",
    )
    ap.add_argument(
        "--budget",
        type=float,
        default=30.0,
        help="seconds of timed frames per child at most (at least 5 frames): a slow peer stops early "
        "(default %(default)s)",
    )
    ap.add_argument("--arch", default="vulkan", help="Python Taichi arch of the peers (default %(default)s)")
    ap.add_argument(
        "--frames-dir",
        default="/tmp/bench-frames",
        help="where to save one frame per contender for the smallest N ('' for none)",
    )
    ap.add_argument("--results", default=str(BENCH / "RESULTS.md"), help="Markdown report ('' for none)")
    ap.add_argument(
        "--plot",
        help="PNG plot (default results_<device>.png beside --results); the run's JSON is written beside it",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each contender per N, in turns; the report uses the middle one by median "
        "(default %(default)s)",
    )
    ap.add_argument(
        "--code-label", help="what the measured code is, when not this git checkout (e.g. a snapshot)"
    )
    ap.add_argument("--timeout", type=float, default=600, help="seconds per child process")
    ap.add_argument(
        "--profile",
        metavar="FILE",
        help="also profile ours' frame loop at the smallest N (cProfile, a separate pass after the measured "
        "frames) and write the statistics to FILE",
    )
    ap.add_argument(
        "--no-setup",
        action="store_true",
        help="run with this interpreter as it is: no Debian packages, no .venv, no pip (the packages of "
        "pyproject.toml and its bench extra must be importable)",
    )
    ap.add_argument(
        "--from-json",
        metavar="FILE",
        help="run nothing: write RESULTS.md (--results) and the plot (beside FILE, or --plot) from a run's JSON",
    )
    args = ap.parse_args(argv)
    if args.from_json:
        return from_json(Path(args.from_json), args.plot, args.results)
    if args.no_setup:
        check_modules()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    frames = per_size(args.frames, sizes, DEFAULT_FRAMES, "frames")
    warmup = per_size(args.warmup, sizes, DEFAULT_WARMUP, "warmup")
    mesh_sizes = [int(s.replace("_", "")) for s in args.mesh_sizes.split(",") if s.strip()]
    mesh_frames = per_size(args.mesh_frames, mesh_sizes, DEFAULT_MESH_FRAMES, "mesh-frames")
    mesh_warmup = per_size(args.mesh_warmup, mesh_sizes, DEFAULT_MESH_WARMUP, "mesh-warmup")
    chosen = [c.strip() for c in args.contenders.split(",")]
    unknown = set(chosen) - set(CONTENDERS)
    if unknown:
        ap.error(f"unknown contenders {sorted(unknown)}; choose from {list(CONTENDERS)}")
    frames_dir = Path(args.frames_dir) if args.frames_dir else None
    if frames_dir:
        frames_dir.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    print(
        f"load average before the run: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores", flush=True
    )
    check = (
        run_child("check", {"n": min(sizes), "arch": args.arch}, args.timeout)
        if sizes
        else {"error": "not run (no particle sizes)"}
    )
    print(f"kernel check (peers' field kernel vs scenes/particles.py spiral): {check}", flush=True)

    def particle_spec(n: int, key: str) -> dict:
        return {"n": n}

    results = run_sizes(args, sizes, chosen, frames, warmup, frames_dir, CONTENDERS, particle_spec, "N")
    mesh = None
    if mesh_sizes:
        grids = {n: grid_for_triangles(n) for n in mesh_sizes}

        def mesh_spec(n: int, key: str) -> dict:
            return {"scene": "mesh", "grid": grids[n], "window": False}

        mesh_chosen = [k for k in chosen if k in MESH_CONTENDERS]
        mesh_results = run_sizes(
            args,
            mesh_sizes,
            mesh_chosen,
            mesh_frames,
            mesh_warmup,
            frames_dir,
            MESH_CONTENDERS,
            mesh_spec,
            "triangles",
            prefix="mesh-",
        )
        mesh = {"results": mesh_results, "grids": grids, "frames": mesh_frames, "warmup": mesh_warmup}
    startup = run_startup(args) if args.startup_repeat > 0 else None
    total = time.perf_counter() - start
    print(f"whole run: {total:.0f} s")

    every = [*results.values(), *(mesh["results"].values() if mesh else [])]
    device = next((r["ours"]["device"] for r in every if "device" in r.get("ours", {})), "unknown")
    peers = sorted({v["device"] for r in every for k, v in r.items() if k != "ours" and "device" in v})
    beside = Path(args.results).parent if args.results else BENCH  # the plot and JSON go beside the report
    plot_path = Path(args.plot) if args.plot else beside / f"results_{device_kind(device)}.png"
    for folder in {plot_path.parent, beside}:
        folder.mkdir(parents=True, exist_ok=True)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    meta = {
        "code": args.code_label or code_version(),
        "env": ", ".join(f"{k}={os.environ[k]}" for k in ENV_OF_NOTE if k in os.environ),
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": shlex.join(["python3", "bench/run.py", *argv]),
        "device": device,
        "peer_devices": "; ".join(peers) or "-",
        "machine": f"{cpu}, {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        "total_s": total,
        "frames": frames,
        "warmup": warmup,
        "repeat": args.repeat,
        "frames_check": frames_check(frames_dir, results, plot_path),
    }
    if mesh:
        mesh["frames_check"] = frames_check(
            frames_dir, mesh["results"], mesh_plot_path(plot_path), MESH_CONTENDERS, "mesh-"
        )
    report(results, check, meta, plot_path, Path(args.results) if args.results else None, mesh, startup)
    # a peer whose package is missing is not a failure of the run (its row says "not run")
    failed = [
        f"{k} at {what}={n}"
        for what, res in (("N", results), ("triangles", mesh["results"] if mesh else {}))
        for n, r in res.items()
        for k, v in r.items()
        if "error" in v and not v["error"].startswith("not run")
    ]
    failed += ["the kernel check"] if sizes and "error" in check else []
    if failed:
        print("FAILED: " + ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if "--no-setup" not in sys.argv[1:]:
        bootstrap()
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
