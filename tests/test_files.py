"""Files the renderer writes or reads back, and the environment it finds them in: the SPIR-V and compiled-module
caches (renderer/cache.py, device/shaders.py, compute/aot.py), the PNG files of a headless run (app/demo.py),
atomic writes (renderer/files.py), and a missing or read-only home (Taichi's library aborts without a cache
folder: compute/taichi_api.py).

Runs of the command line share one warm cache (copied per test); only the cold-cache tests compile."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from renderer import cache, files
from renderer.cache import CACHE_ENV, CacheWarning
from renderer.compute import aot
from renderer.device import shaders
from renderer.errors import OutputError

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parent.parent
DEMO = ["--headless", "--scene", "particles", "--frames", "3", "--size", "32x32", "--param", "count=100"]
SHADER = "#version 450\nlayout(location = 0) out vec4 color;\nvoid main() {{ color = vec4({}); }}\n"


def demo(out: Path, env: dict, *extra: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`python -m renderer --headless ...` in a child process."""
    return subprocess.run(
        [*prefix, sys.executable, "-m", "renderer", *DEMO, "--out", str(out), *extra],
        cwd=out.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def child_env(**changes: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ENABLE_TAICHI_HEADER_PRINT="0")
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def assert_clean_exit(proc: subprocess.CompletedProcess, code: int) -> None:
    assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr and "Assertion failure" not in proc.stderr, proc.stderr


def frames(folder: Path) -> dict[str, np.ndarray]:
    return {p.name: np.asarray(Image.open(p)) for p in sorted(folder.glob("frame_*.png"))}


def leftovers(folder: Path) -> list[str]:
    """Temporary or partial files under `folder`."""
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.name.endswith(files.TEMP_SUFFIX) or ".partial" in p.name or p.name.startswith(".")
    )


def entries(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def verify_entries(root: Path) -> None:
    """Every entry of the cache at `root` verifies (a SPIR-V one is SPIR-V; a module one is a module)."""
    assert sorted(p.name for p in root.iterdir()) == ["aot", "spirv"]
    for path in sorted((root / "spirv").iterdir()) + sorted((root / "aot").iterdir()):
        assert path.suffix in (".spv", ".tcm"), path
        check = shaders.check_spirv if path.suffix == ".spv" else None
        with warnings.catch_warnings():
            warnings.simplefilter("error", CacheWarning)
            content = cache.read_entry(path, path.stem, check)
        assert content, path
        if path.suffix == ".tcm":
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                assert json.loads(archive.read("metadata.json"))["kernels"]


@contextlib.contextmanager
def read_only(*folders: Path):
    """Folders nobody can add to, remove from or rename in: without write permission for a user, immutable
    (chattr +i) for root, whom permission bits do not stop."""
    done = []
    try:
        for folder in folders:
            if os.geteuid() == 0:
                proc = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True)
                if proc.returncode:
                    pytest.skip(f"cannot make {folder} read-only as root: {proc.stderr.strip()}")
            else:
                folder.chmod(0o555)
            done.append(folder)
            with pytest.raises(OSError):
                (folder / "probe").write_bytes(b"")
        yield
    finally:
        for folder in reversed(done):
            if os.geteuid() == 0:
                subprocess.run(["chattr", "-i", str(folder)], check=True)
            else:
                folder.chmod(0o700)


def start_demo(out: Path, env: dict) -> subprocess.Popen:
    out.mkdir(parents=True)
    return subprocess.Popen(
        [sys.executable, "-m", "renderer", *DEMO, "--out", str(out)],
        cwd=out.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


CONCURRENT_RUNS = 2


@pytest.fixture(scope="module")
def cold_runs(tmp_path_factory):
    """Runs started at the same time on one empty cache: they all compile every shader and the module, and
    write the same entries at about the same time."""
    base = tmp_path_factory.mktemp("cold")
    env = child_env(**{CACHE_ENV: str(base / "cache")})
    procs = [start_demo(base / f"out{i}", env) for i in range(CONCURRENT_RUNS)]
    results = [(proc.wait(120), *proc.communicate()) for proc in procs]
    return base, results


@pytest.fixture(scope="module")
def reference(cold_runs):
    """The cache the cold runs filled (to copy) and their frames (what every other run must give)."""
    base, results = cold_runs
    assert results[0][0] == 0, results[0][2]
    shots = frames(base / "out0" / "particles")
    assert len(shots) == 3 and shots["frame_00002.png"].max() > 0
    return base / "cache", shots


@pytest.fixture
def warm_cache(reference, tmp_path):
    path = tmp_path / "cache"
    shutil.copytree(reference[0], path)
    return path


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache"


# ------------------------------------------------------------------------------------------------------------
# The SPIR-V cache


def compile_one(value: str = "1.0") -> tuple[bytes, Path]:
    source = SHADER.format(value)
    spirv = shaders.compile_glsl(source, "frag", "test.frag")
    return spirv, shaders.cache_dir(
        "spirv"
    ) / f"{shaders.cache_key(source, 'frag', (shaders.SHADER_DIR,))}.spv"


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda entry: entry[:-5] + bytes([entry[-5] ^ 0x40]) + entry[-4:], "checksum"),  # one bit
        (lambda entry: entry[: len(entry) // 2], "checksum"),  # truncated
        (lambda entry: b"", "no valid header"),  # empty
        (lambda entry: entry.partition(b"\n")[2], "no valid header"),  # the bare SPIR-V of an older cache
    ],
    ids=["flipped-bit", "truncated", "empty", "no-header"],
)
def test_damaged_spirv_entry_is_rebuilt(fresh_cache, damage, problem):
    good, entry = compile_one()
    assert shaders.check_spirv(good) is None
    entry.write_bytes(damage(entry.read_bytes()))
    with pytest.warns(CacheWarning, match=f"cache entry {entry} was damaged .*{problem}.*; rebuilt"):
        assert compile_one()[0] == good
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert compile_one()[0] == good  # rebuilt on disk: no second warning
    assert leftovers(fresh_cache) == []


def test_swapped_spirv_entries_are_rebuilt_not_used(fresh_cache):
    red, red_entry = compile_one("1.0, 0.0, 0.0, 1.0")
    blue, blue_entry = compile_one("0.0, 0.0, 1.0, 1.0")
    assert red != blue
    red_bytes, blue_bytes = red_entry.read_bytes(), blue_entry.read_bytes()
    red_entry.write_bytes(blue_bytes)
    blue_entry.write_bytes(red_bytes)
    with pytest.warns(CacheWarning, match="checksum does not match its key"):
        assert compile_one("1.0, 0.0, 0.0, 1.0")[0] == red
    with pytest.warns(CacheWarning, match="checksum does not match its key"):
        assert compile_one("0.0, 0.0, 1.0, 1.0")[0] == blue


def test_garbage_spirv_with_a_matching_checksum_is_rebuilt(fresh_cache):
    good, entry = compile_one()
    cache.write_entry(entry, entry.stem, b"not SPIR-V at all, but its checksum is right")
    with pytest.warns(CacheWarning, match="was damaged \\(not a SPIR-V module\\)"):
        assert compile_one()[0] == good


# ------------------------------------------------------------------------------------------------------------
# The compiled-module cache (a stand-in compiler: these tests are about the cache, not Taichi)


class FakeCompiler:
    def __init__(self):
        self.calls = 0

    def __call__(self, kernels, capabilities, out):
        self.calls += 1
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("metadata.json", json.dumps({"kernels": [{"name": k.name} for k in kernels]}))
            archive.writestr("compile", str(self.calls))
        Path(out).write_bytes(buffer.getvalue())
        return buffer.getvalue()


def fake_refs(*names: str) -> list[aot.KernelRef]:
    return [aot.KernelRef("tests.kernels_src", str(ROOT / "tests" / "kernels_src.py"), n) for n in names]


CAPS = {"spirv_version": 0x10500}


@pytest.mark.parametrize(
    "garbage, problem",
    [
        (b"garbage that is no zip", "not a compiled module"),
        (None, "the module lacks kernel\\(s\\) \\['accumulate'\\]"),  # a real module, of other kernels
    ],
    ids=["not-a-module", "other-kernels"],
)
def test_garbage_module_with_a_matching_checksum_is_rebuilt(fresh_cache, monkeypatch, garbage, problem):
    compiler = FakeCompiler()
    monkeypatch.setattr(aot, "run_compiler", compiler)
    refs = fake_refs("fill", "accumulate")
    key = aot.cache_key(refs, CAPS)
    if garbage is None:
        garbage = aot.compile_kernels(fake_refs("fill"), CAPS)
    cache.write_entry(aot.entry_path(key), key, garbage)  # a right checksum over the wrong content
    before = compiler.calls
    with pytest.warns(CacheWarning, match=f"was damaged \\({problem}"):
        module = aot.compile_kernels(refs, CAPS)
    assert compiler.calls == before + 1
    with zipfile.ZipFile(io.BytesIO(module)) as archive:
        assert [k["name"] for k in json.loads(archive.read("metadata.json"))["kernels"]] == [
            "fill",
            "accumulate",
        ]
    assert aot.compile_kernels(refs, CAPS) == module and compiler.calls == before + 1  # cached again


def test_a_compiler_that_gives_no_module_is_an_error_not_an_entry(fresh_cache, monkeypatch):
    def broken(kernels, capabilities, out):
        return b"not a module"

    monkeypatch.setattr(aot, "run_compiler", broken)
    with pytest.raises(aot.KernelCompileError, match="no usable module for fill"):
        aot.compile_kernels(fake_refs("fill"), CAPS)
    assert list(aot.cache_dir().iterdir()) == []


# ------------------------------------------------------------------------------------------------------------
# Writes that fail, and what they leave


class FullDisk(io.FileIO):
    """A file on a disk that fills up: half of the first write goes in, then ENOSPC."""

    def write(self, data) -> int:
        data = bytes(data)
        super().write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def full_disk(monkeypatch):
    """Every atomic write fails as on a full disk, after some data went into its temporary file."""
    monkeypatch.setattr(
        files,
        "open_new",
        lambda path, mode: FullDisk(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode), "wb"),
    )


def test_full_disk_leaves_no_partial_cache_entry(fresh_cache, monkeypatch):
    full_disk(monkeypatch)
    folder = fresh_cache / "spirv"
    with pytest.warns(
        CacheWarning, match=f"the disk of the cache folder {folder} is full .*\\(ENOSPC\\)\\): what"
    ):
        spirv, entry = compile_one("0.5")
    assert shaders.check_spirv(spirv) is None
    assert entries(fresh_cache) == {}  # no entry, no zero-byte or partial file
    compiler = FakeCompiler()
    monkeypatch.setattr(aot, "run_compiler", compiler)
    with pytest.warns(CacheWarning, match=f"the disk of the cache folder {fresh_cache / 'aot'} is full"):
        module = aot.compile_kernels(fake_refs("fill"), CAPS)
    assert entries(fresh_cache) == {}
    assert aot.compile_kernels(fake_refs("fill"), CAPS) == module and compiler.calls == 1  # kept in memory
    monkeypatch.undo()


def test_writes_are_atomic_and_clean_up(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    files.write_bytes_atomically(target, b"old")
    full_disk(monkeypatch)
    with pytest.raises(OSError, match="No space"):
        files.write_bytes_atomically(target, b"new" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["file.bin"]
    (tmp_path / "folder.png").mkdir()
    with pytest.raises(OutputError, match=r"folder\.png: Is a directory \(EISDIR\); a folder has that name"):
        files.save_png(tmp_path / "folder.png", np.zeros((4, 4, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.bin", "folder.png"]


def test_stale_partial_files_are_removed(fresh_cache):
    _, entry = compile_one()
    stale, fresh = entry.with_name(f".{entry.name}.1-dead{files.TEMP_SUFFIX}"), entry.with_name(".x.tmp")
    stale.write_bytes(b"")
    fresh.write_bytes(b"")  # a writer at work right now: kept
    old = time.time() - 2 * files.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    compile_one("0.25")
    assert not stale.exists() and fresh.exists()


# ------------------------------------------------------------------------------------------------------------
# A cache folder that cannot be written or made


@pytest.mark.parametrize("has_folder", [True, False], ids=["empty-folder", "no-spirv-folder"])
def test_read_only_cache_missing_entries_is_used_in_memory(fresh_cache, has_folder):
    (fresh_cache / "spirv" if has_folder else fresh_cache).mkdir(parents=True)
    folder = fresh_cache / "spirv" if has_folder else fresh_cache
    with read_only(folder):
        with pytest.warns(
            CacheWarning, match="cannot be written .*: what it lacks is built in memory"
        ) as said:
            spirv, entry = compile_one("0.75")
            assert compile_one("0.75")[0] == spirv  # from memory
            assert compile_one("0.625")[0] != spirv
        assert len(said) == 1  # once, however many entries it lacks
        assert shaders.check_spirv(spirv) is None and not entry.exists()
    assert leftovers(fresh_cache) == [] and entries(fresh_cache) == {}


def test_cache_folder_that_cannot_be_made_falls_back(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cache.fallback_root.cache_clear()
    try:
        with pytest.warns(CacheWarning, match=f"cannot use {blocker / 'cache'} .*set {CACHE_ENV}"):
            spirv, entry = compile_one("0.125")
    finally:
        cache.fallback_root.cache_clear()
    assert entry.parent == tmp_path / "tmp" / f"taichi-vulkan-renderer-{os.geteuid()}" / "spirv"
    assert cache.read_entry(entry, entry.stem, shaders.check_spirv) == spirv


def test_read_only_cache_with_every_entry_works_without_writing(reference, warm_cache, tmp_path):
    before = entries(warm_cache)
    with read_only(warm_cache, warm_cache / "aot", warm_cache / "spirv"):
        proc = demo(tmp_path / "out", child_env(**{CACHE_ENV: str(warm_cache)}))
    assert_clean_exit(proc, 0)
    assert "warning" not in proc.stderr, proc.stderr
    assert entries(warm_cache) == before
    assert frames(tmp_path / "out" / "particles").keys() == reference[1].keys()
    for name, image in frames(tmp_path / "out" / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


def test_read_only_cache_missing_entries_runs_and_says_so_once(reference, warm_cache, tmp_path):
    """The SPIR-V entries are missing (the module's case is the next test's, without the slow compiler)."""
    for entry in (warm_cache / "spirv").iterdir():
        entry.unlink()
    before = entries(warm_cache)
    with read_only(warm_cache / "aot", warm_cache / "spirv", warm_cache):
        proc = demo(tmp_path / "out", child_env(**{CACHE_ENV: str(warm_cache)}))
    assert_clean_exit(proc, 0)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert lines == [
        f"warning: the cache folder {warm_cache / 'spirv'} cannot be written ("
        + ("Operation not permitted (EPERM)" if os.geteuid() == 0 else "Permission denied (EACCES)")
        + f"): what it lacks is built in memory in every run; set {CACHE_ENV} to a writable folder to keep it"
    ], proc.stderr  # once, however many entries it lacks
    assert entries(warm_cache) == before
    for name, image in frames(tmp_path / "out" / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


def test_read_only_cache_missing_a_module_compiles_it_in_memory(fresh_cache, monkeypatch):
    compiler = FakeCompiler()
    monkeypatch.setattr(aot, "run_compiler", compiler)
    (fresh_cache / "aot").mkdir(parents=True)
    with read_only(fresh_cache / "aot"):
        with pytest.warns(CacheWarning, match=f"the cache folder {fresh_cache / 'aot'} cannot be written"):
            module = aot.compile_kernels(fake_refs("fill"), CAPS)
        assert aot.compile_kernels(fake_refs("fill"), CAPS) == module and compiler.calls == 1
    assert list((fresh_cache / "aot").iterdir()) == []


# ------------------------------------------------------------------------------------------------------------
# Damaged entries in a real run


def test_swapped_and_damaged_entries_in_a_run_are_rebuilt(reference, warm_cache, tmp_path):
    spirv = sorted((warm_cache / "spirv").iterdir())
    contents = [p.read_bytes() for p in spirv]
    for path, content in zip(
        spirv, contents[1:] + contents[:1], strict=True
    ):  # every entry in another's place
        path.write_bytes(content)
    (tcm,) = (warm_cache / "aot").iterdir()
    cache.write_entry(tcm, tcm.stem, b"PK\x03\x04 garbage with a matching checksum")
    proc = demo(tmp_path / "out", child_env(**{CACHE_ENV: str(warm_cache)}))
    assert_clean_exit(proc, 0)
    damaged = [line for line in proc.stderr.splitlines() if "was damaged" in line]
    assert sorted(damaged) == sorted(
        [
            f"warning: cache entry {p} was damaged (its checksum does not match its key and content); rebuilt"
            for p in spirv
        ]
        + [f"warning: cache entry {tcm} was damaged (not a compiled module: File is not a zip file); rebuilt"]
    ), proc.stderr
    verify_entries(warm_cache)
    for name, image in frames(tmp_path / "out" / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


def test_concurrent_runs_on_a_cold_cache(cold_runs, reference):
    base, results = cold_runs
    for i, (code, stdout, stderr) in enumerate(results):
        assert code == 0 and "Traceback" not in stderr and "warning" not in stderr, stdout + stderr
        shots = frames(base / f"out{i}" / "particles")
        assert shots.keys() == reference[1].keys()
        for name, image in shots.items():
            np.testing.assert_array_equal(image, reference[1][name])
    verify_entries(base / "cache")
    assert leftovers(base / "cache") == []
    assert (
        len(list((base / "cache" / "aot").iterdir())) == 1
        and len(list((base / "cache" / "spirv").iterdir())) > 3
    )


# ------------------------------------------------------------------------------------------------------------
# PNG files that cannot be written


def test_png_path_that_is_a_folder_fails_the_run(warm_cache, tmp_path):
    out = tmp_path / "out"
    (out / "particles" / "frame_00001.png").mkdir(parents=True)
    proc = demo(out, child_env(**{CACHE_ENV: str(warm_cache)}))
    assert_clean_exit(proc, 1)
    folder = (out / "particles").resolve()
    assert (
        f"error: cannot write {out / 'particles' / 'frame_00001.png'}: Is a directory (EISDIR); a folder has that "
        f"name: remove it or choose another --out folder. The run stopped there: frame_00000.png, written before "
        f"it, is complete and kept in {folder}/; no partial file is left"
    ) in proc.stderr
    assert "wrote" not in proc.stdout
    assert sorted(p.name for p in (out / "particles").iterdir()) == ["frame_00000.png", "frame_00001.png"]
    assert Image.open(out / "particles" / "frame_00000.png").size == (32, 32)


def test_unwritable_png_folder_fails_the_run(warm_cache, tmp_path):
    """Refused before rendering, as a command-line value (the folder is checked with --out)."""
    out = tmp_path / "out"
    (out / "particles").mkdir(parents=True)
    with read_only(out / "particles"):
        proc = demo(out, child_env(**{CACHE_ENV: str(warm_cache)}))
    assert_clean_exit(proc, 2)
    assert f"argument --out: {out / 'particles'} cannot be written: no permission to write in" in proc.stderr
    assert list((out / "particles").iterdir()) == []


def can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


CHECK_PNGS = (
    "import sys; from PIL import Image; [Image.open(f).verify() for f in sys.argv[1:]]; print('PNGs ok')"
)


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs `unshare -m` and tmpfs mounts (root)")
def test_full_disk_fails_the_run_and_keeps_only_whole_pngs(warm_cache, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # a two-page tmpfs over --out, in a mount namespace of the run's own; what is left there is listed and
    # checked before the namespace (and the tmpfs) goes
    script = (
        f'mount -t tmpfs -o size=8k tmpfs "{out}" || exit 99; "$@"; code=$?; echo "left: $(ls -A {out}/particles)"; '
        f'"{sys.executable}" -c "{CHECK_PNGS}" {out}/particles/*; exit $code'
    )
    mount = ["unshare", "-m", "sh", "-c", script, "sh"]
    proc = demo(out, child_env(**{CACHE_ENV: str(warm_cache)}), "--frames", "6", prefix=tuple(mount))
    assert_clean_exit(proc, 1)
    assert f"error: cannot write {out / 'particles'}/frame_0000" in proc.stderr
    assert "No space left on device (ENOSPC); free space on that disk or choose another --out folder" in (
        proc.stderr
    )
    assert "complete and kept" in proc.stderr and "no partial file is left" in proc.stderr
    left = proc.stdout.split("left: ")[1].split()
    assert left and left[:-1] != [] and "PNGs ok" in proc.stdout, proc.stdout
    assert left[:-2] == [f"frame_{i:05d}.png" for i in range(len(left) - 2)], left  # whole files, in order


def test_full_disk_during_png_writes_fails_the_run(warm_cache, tmp_path, monkeypatch, capsys):
    """The same in this process, the full disk simulated (for machines where a tmpfs cannot be mounted)."""
    from renderer.app import demo as demo_module

    monkeypatch.setenv(CACHE_ENV, str(warm_cache))
    written = []
    real = files.write_atomically

    def disk_fills_after_two(path, write, mode=0o666):
        if len(written) == 2:
            full_disk(monkeypatch)
        real(path, write, mode)
        written.append(path)

    monkeypatch.setattr(files, "write_atomically", disk_fills_after_two)
    (tmp_path / "out" / "particles").mkdir(parents=True)
    stale = tmp_path / "out" / "particles" / f".frame_00004.png.1-dead{files.TEMP_SUFFIX}"  # a killed run's
    theirs = tmp_path / "out" / "particles" / f".notes{files.TEMP_SUFFIX}"  # not the renderer's
    for path in (stale, theirs):
        path.write_bytes(b"")
        os.utime(path, (time.time() - 2 * files.STALE_TEMP_SECONDS,) * 2)
    code = demo_module.main([*DEMO, "--frames", "5", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert (
        f"cannot write {tmp_path / 'out' / 'particles' / 'frame_00002.png'}: No space left on device (ENOSPC)"
        in err
    )
    assert "the 2 frames written before it (frame_00000.png to frame_00001.png) are complete and kept" in err
    assert sorted(p.name for p in (tmp_path / "out" / "particles").iterdir()) == [
        theirs.name,
        "frame_00000.png",
        "frame_00001.png",
    ]


# ------------------------------------------------------------------------------------------------------------
# The environment: no home, a read-only home


@pytest.mark.parametrize("home", [None, ""], ids=["unset", "empty"])
def test_no_home_runs(reference, warm_cache, tmp_path, home):
    """Taichi's library aborted the process as it loaded; the user's passwd entry gives the home instead."""
    proc = demo(tmp_path / "out", child_env(HOME=home, XDG_CACHE_HOME=None, **{CACHE_ENV: str(warm_cache)}))
    assert proc.returncode == 0, f"exit {proc.returncode} (a negative one is a signal)\n{proc.stderr}"
    assert_clean_exit(proc, 0)
    assert "warning" not in proc.stderr, proc.stderr
    for name, image in frames(tmp_path / "out" / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


NO_PASSWD = """
import pwd, runpy, sys
def no_entry(uid):
    raise KeyError(uid)
pwd.getpwuid = no_entry  # a user id without a passwd entry, as a container's --user gives
sys.argv = ["renderer", *sys.argv[1:]]
runpy.run_module("renderer", run_name="__main__", alter_sys=True)
"""


def test_no_home_and_no_passwd_entry_runs_and_says_what_to_set(reference, tmp_path):
    tmp = tmp_path / "tmp"
    fallback = tmp / f"taichi-vulkan-renderer-{os.geteuid()}"
    shutil.copytree(reference[0], fallback)  # found again by a later run (a warm start here)
    fallback.chmod(0o700)
    env = child_env(HOME=None, XDG_CACHE_HOME=None, TMPDIR=str(tmp), **{CACHE_ENV: None})
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-c", NO_PASSWD, *DEMO, "--out", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert_clean_exit(proc, 0)
    assert proc.stderr.splitlines() == [
        "warning: cannot use the user's cache folder for the renderer's cache (neither HOME nor the user's "
        f"passwd entry names a home folder): using {fallback} instead; set {CACHE_ENV} to a writable folder to "
        "choose where it goes",
        f"warning: HOME is not set (or empty): Taichi's cache folder is {fallback / 'xdg-cache'} for this run; "
        "set HOME (or XDG_CACHE_HOME) to a writable folder to choose it",
    ]
    for name, image in frames(out / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


@pytest.mark.parametrize("variable", ["HOME", "XDG_CACHE_HOME"])
def test_read_only_home_runs_with_a_cache_elsewhere_and_says_what_to_set(reference, tmp_path, variable):
    """With HOME, a cold start of the kernels: Python Taichi (the compiler's child process) aborted when it
    could not make its cache folder."""
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    fallback = tmp / f"taichi-vulkan-renderer-{os.geteuid()}"
    shutil.copytree(reference[0], fallback)
    if variable == "HOME":
        shutil.rmtree(fallback / "aot")
    fallback.chmod(0o700)
    env = child_env(**{"TMPDIR": str(tmp), "XDG_CACHE_HOME": None, CACHE_ENV: None, variable: str(home)})
    with read_only(home):
        proc = demo(tmp_path / "out", env)
    assert_clean_exit(proc, 0)
    cache_home = home / ".cache" if variable == "HOME" else home
    assert proc.stderr.splitlines() == [
        f"warning: cannot use {cache_home}/taichi-vulkan-renderer for the renderer's cache ("
        + ("Operation not permitted (EPERM)" if os.geteuid() == 0 else "Permission denied (EACCES)")
        + f"): using {fallback} instead; set {CACHE_ENV} to a writable folder to choose where it goes",
        f"warning: {variable} gives {cache_home}, which cannot be written: Taichi's cache folder is "
        f"{fallback / 'xdg-cache'} for this run; set HOME (or XDG_CACHE_HOME) to a writable folder to choose it",
    ]
    assert list(home.iterdir()) == []
    shutil.rmtree(fallback / "xdg-cache")
    verify_entries(fallback)
    for name, image in frames(tmp_path / "out" / "particles").items():
        np.testing.assert_array_equal(image, reference[1][name])


def test_window_outputs_that_cannot_be_written_are_output_errors(tmp_path):
    """The window's screenshot and frame log (the command line turns OutputError into exit status 1)."""
    from renderer.app.interactive import InteractiveApp

    app = SimpleNamespace(
        out_dir=tmp_path / "shots",
        loaded=SimpleNamespace(scene=SimpleNamespace(name="particles")),
        sim_frame=5,
        frame_times=[(0.004, 0.001, 0.002, 0.001)],
        timeline=None,  # no GPU columns
    )
    (tmp_path / "shots" / "screenshot_particles_00004.png").mkdir(parents=True)
    with pytest.raises(OutputError, match=r"screenshot_particles_00004\.png: Is a directory \(EISDIR\)"):
        InteractiveApp.save_screenshot(app, np.zeros((4, 4, 4), np.uint8))
    app.sim_frame = 6
    assert InteractiveApp.save_screenshot(app, np.zeros((4, 4, 4), np.uint8)).stat().st_size > 0
    (tmp_path / "log.csv").mkdir()
    with pytest.raises(OutputError, match=r"log\.csv: Is a directory .*choose another --frame-log file"):
        InteractiveApp.write_frame_log(app, tmp_path / "log.csv")
    InteractiveApp.write_frame_log(app, tmp_path / "times.csv")
    assert (tmp_path / "times.csv").read_text().splitlines()[1] == "0,4.000,1.000,2.000,1.000"
    assert leftovers(tmp_path) == []


def test_module_entry_that_fails_to_load_is_rebuilt(fresh_cache, runtime):
    """An entry with a right checksum and a module's shape whose tasks are not valid SPIR-V (spirv-val)."""
    from tests import kernels_src

    if shutil.which("spirv-val") is None:
        pytest.skip("spirv-val is not installed: an invalid module would reach the driver")
    refs = [aot.KernelRef.of(k) for k in (kernels_src.fill, kernels_src.accumulate)]
    caps = runtime.context.taichi_capabilities
    key = aot.cache_key(refs, caps)
    good = aot.compile_kernels(refs, caps)
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(damaged, "w") as archive:
        for item in source.namelist():
            data = source.read(item)
            if item.endswith(".spv"):  # the header kept (magic and all), every instruction word garbage
                data = data[:20] + b"\xff" * (len(data) - 20)
            archive.writestr(item, data)
    cache.write_entry(aot.entry_path(key), key, damaged.getvalue())
    aot._compiled_here.discard(key)  # as a later run finds it
    with pytest.warns(
        CacheWarning, match=f"cache entry {aot.entry_path(key)} could not be loaded .*spirv-val"
    ):
        module = aot.load_kernels(runtime, refs, caps, "test kernels")
    assert set(module.arguments) == {"fill", "accumulate"}
    rebuilt = cache.read_entry(aot.entry_path(key), key)
    assert rebuilt is not None and rebuilt != damaged.getvalue()


def test_folder_in_place_of_an_entry(fresh_cache):
    _, entry = compile_one("0.375")
    entry.unlink()
    entry.mkdir()
    with pytest.warns(CacheWarning) as said:
        spirv = compile_one("0.375")[0]
    assert shaders.check_spirv(spirv) is None
    assert [str(w.message) for w in said] == [
        f"cannot read cache entry {entry} (Is a directory (EISDIR)): it is built again",
        f"cannot write cache entry {entry} (Is a directory (EISDIR)): it is built in memory for this run",
    ]
    assert leftovers(fresh_cache) == []
