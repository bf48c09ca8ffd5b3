"""bench/run.py's new parts without running a benchmark: the mesh sizes, a peer whose package is missing, and
the mesh and start-up sections of the report written from a run's JSON."""

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_run():
    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT))
    spec.loader.exec_module(module)
    return module


def test_grid_for_triangles_comes_near_the_count():
    run = load_run()
    for triangles in (100_000, 1_000_000, 10_000_000):
        grid = run.grid_for_triangles(triangles)
        assert abs(2 * (grid - 1) ** 2 - triangles) / triangles < 0.01


def test_a_peer_without_its_package_is_reported_not_started(monkeypatch):
    run = load_run()
    monkeypatch.setitem(run.PEER_MODULES, "pygfx", ["no_such_module_for_the_bench"])
    result = run.run_child("pygfx", {"n": 10}, timeout=5)
    assert result["error"] == "not run: no_such_module_for_the_bench not installed"
    rows = run.table_rows(10, {"pygfx": {**result}})
    assert rows == [["Taichi + pygfx", "not run", "", "", "", "", "0.00"]]


def test_report_from_json_has_the_mesh_and_start_up_sections(tmp_path):
    run = load_run()
    peer = {
        "median_ms": 20.0,
        "min_ms": 18.0,
        "mean_ms": 21.0,
        "main_thread_cpu_ms": 3.0,
        "process_cpu_ms": 4.0,
        "others_cores": 0.1,
    }
    peer |= {"splits_ms": {"upload": 1.0}, "kernel_alone": {"mean_ms": 0.5}, "repeat_medians_ms": [20.0]}
    startup = {"first_frame_s": 0.8, "interpreter_and_imports_s": 0.5, "set_up_s": 0.2}
    startup["first_frame_after_set_up_s"] = 0.1
    data = {
        "check": {"n": 10, "max_abs_diff": 0.0},
        "results": {},
        "mesh": {
            "results": {
                "100000": {"ggui": peer, "ours": {"error": "exit status 1: boom", "others_cores": 0.0}}
            },
            "grids": {"100000": 225},
            "frames": {"100000": 5},
            "warmup": {"100000": 1},
        },
        "startup": {"n": 100, "runs": {"ours-warm": [startup]}, "demo": {"command": "x", "wall_s": [0.9]}},
        "meta": {
            "code": "c",
            "env": "",
            "date": "d",
            "command": "cmd",
            "device": "llvmpipe",
            "peer_devices": "-",
            "machine": "m",
            "total_s": 1.0,
            "frames": {},
            "warmup": {},
            "repeat": 1,
        },
    }
    source = tmp_path / "results_lavapipe.json"
    source.write_text(json.dumps(data))
    assert run.from_json(source, None, str(tmp_path / "RESULTS.md")) == 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## triangles = 100,000" in text
    assert "| Taichi GGUI (scene.mesh) | 20.00 |" in text
    assert "| ours (HeadlessRenderer) | warm | 0.80 | 0.80 | 0.50 | 0.20 | 0.10 |" in text
    assert "| ours (HeadlessRenderer) | cold | not run |" in text
    assert "median 0.90 s" in text
