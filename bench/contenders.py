"""The benchmark's contenders; each runs in a child process started by bench/run.py.

    python -m bench.contenders CONTENDER '{"n": 10000, "warmup": 5, "frames": 30, ...}'

prints one line `RESULT {json}` on stdout. CONTENDER is one of:

- `ours`: scenes/particles.py through HeadlessRenderer (kernel into the shared buffer, draw, readback), then in
  the same process the floors: render+readback with a static buffer, and the kernel alone; then the same
  frames without readback (`readback=False`), and in a window where a display exists.
- `ggui`: Taichi GGUI headless (`ti.ui.Window(show_window=False)`), `get_image_buffer_as_numpy()` each frame.
- `moderngl`: Python Taichi kernel, `field.to_numpy()` into a ModernGL buffer, drawn as shaded round points with
  a standalone EGL context, `fbo.read()` each frame.
- `check`: runs the peers' field kernel (`field_kernel`) and scenes/particles.py's own `spiral` (ndarray) in Python
  Taichi and reports the largest difference of their positions: the peers compute what ours computes.

All contenders render 1280x720 from a camera at (0, 0, 2.5) looking at the origin (fov 45), radius 0.002, and
frame f uses time t = f * dt, so equal frame numbers are comparable images.
"""

import ast
import atexit
import contextlib
import importlib.metadata
import importlib.util
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

WIDTH, HEIGHT = 1280, 720
RADIUS = 0.002
DT = 1 / 60
COLOR = (0.35, 0.65, 1.0)  # Particles' default colour
BACKGROUND = (0.02, 0.02, 0.03)  # Scene.background
LIGHT = (0.4, 0.6, 1.0)  # ParticleDraw's default light direction
EYE = (0.0, 0.0, 2.5)
SCENE_FILE = Path(__file__).resolve().parent.parent / "scenes" / "particles.py"
KERNEL_NAME = "spiral"
MIN_FRAMES = 5
CHECK_TOLERANCE = 1e-4  # positions are within [-1, 1]; the two compilations differ in the last bits only


def summary(intervals_s: list[float]) -> dict:
    ms = [1000 * s for s in intervals_s]
    return {
        "median_ms": statistics.median(ms),
        "min_ms": min(ms),
        "mean_ms": statistics.fmean(ms),
        "max_ms": max(ms),
        "frames": len(ms),
    }


def save_png(path: str | None, rgba) -> None:
    if path:
        from PIL import Image

        Image.fromarray(rgba[..., :3]).save(path)


# --------------------------------------------------------------------------------------------- Python Taichi


def field_kernel(ti, source: Path = SCENE_FILE, name: str = KERNEL_NAME):
    """The peers' kernel: `name` (scenes/particles.py's `spiral` by default), taken from `source`, with its
    ndarray parameters turned into fields (`ti.template()`). The body, i.e. the math, is the scene's own:
    nothing is copied by hand, so the peers follow any change to the scene's kernel (the `check` contender
    verifies that both give the same positions). The file is parsed, not imported, so the renderer (and the
    Taichi C API library it loads) stays out of the peers' processes. The scene module's constant
    assignments (e.g. ARMS) come along."""
    tree = ast.parse(source.read_text(), filename=str(source))
    constants = [
        node for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
    ]
    kernel = next(node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name)
    for arg in kernel.args.args:
        if "ndarray" in ast.unparse(arg.annotation):
            arg.annotation = ast.parse("ti.template()", mode="eval").body
    kernel.name = f"{name}_field"
    module = ast.Module(body=[*ast.parse("import taichi as ti").body, *constants, kernel], type_ignores=[])
    folder = tempfile.mkdtemp(prefix="bench-kernel-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / f"{kernel.name}.py"  # Taichi reads a kernel's source from its file
    path.write_text(ast.unparse(module) + "\n")
    spec = importlib.util.spec_from_file_location(kernel.name, path)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return getattr(loaded, kernel.name)


def init_taichi(arch: str):
    import taichi as ti

    # log_level WARN: GGUI otherwise logs a line for every image it reads back
    ti.init(arch=getattr(ti, arch), log_level=ti.WARN, offline_cache=True)
    return ti


def python_kernel_alone(ti, kernel, pos, launches: int) -> dict:
    """`launches` calls of the field kernel, then one ti.sync(): mean ms per launch."""
    kernel(pos, 0.0)
    ti.sync()
    t0 = time.perf_counter()
    for k in range(launches):
        kernel(pos, k * DT)
    submitted = time.perf_counter()
    ti.sync()
    t1 = time.perf_counter()
    return {
        "mean_ms": 1000 * (t1 - t0) / launches,
        "host_submit_ms": 1000 * (submitted - t0) / launches,
        "launches": launches,
    }


def run_frames(
    frame_fn, warmup: int, frames: int, splits: dict, budget_s: float | None = None
) -> tuple[dict, object]:
    """Call frame_fn(f) for warm-up then timed frames (synchronous contenders: one call = one finished,
    read-back frame); return the timing summary and the last frame's pixels. `budget_s`: stop the timed
    frames after that many seconds (and at least MIN_FRAMES of them), for a contender far slower than the
    others."""
    for f in range(warmup):
        frame_fn(f)
    for key in splits:
        splits[key] = 0.0
    intervals, pixels = [], None
    cpu0, proc0 = time.thread_time(), time.process_time()
    start = t_prev = time.perf_counter()
    for f in range(warmup, warmup + frames):
        pixels = frame_fn(f)
        now = time.perf_counter()
        intervals.append(now - t_prev)
        t_prev = now
        if budget_s and now - start > budget_s and len(intervals) >= MIN_FRAMES:
            break  # a slow contender: enough frames for a median within the run's time
    frames = len(intervals)
    wall = t_prev - start
    result = summary(intervals)
    result["main_thread_cpu_ms"] = 1000 * (time.thread_time() - cpu0) / frames
    result["process_cpu_ms"] = 1000 * (time.process_time() - proc0) / frames
    result["wall_s"] = wall
    result["splits_ms"] = {k: 1000 * v / frames for k, v in splits.items()}
    return result, pixels


def run_ggui(args: dict) -> dict:
    import numpy as np

    ti = init_taichi(args.get("arch", "vulkan"))
    n = args["n"]
    pos = ti.Vector.field(3, ti.f32, n)
    spiral_field = field_kernel(ti)
    window = ti.ui.Window("bench", (WIDTH, HEIGHT), show_window=False)
    canvas = window.get_canvas()
    canvas.set_background_color(BACKGROUND)
    scene = window.get_scene()
    camera = ti.ui.Camera()
    camera.position(*EYE)
    camera.lookat(0.0, 0.0, 0.0)
    camera.up(0.0, 1.0, 0.0)
    camera.fov(45)
    splits = {"kernel_launch": 0.0, "scene_and_canvas": 0.0, "get_image": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        spiral_field(pos, f * DT)
        t1 = time.perf_counter()
        scene.set_camera(camera)
        scene.ambient_light((0.25, 0.25, 0.25))
        scene.point_light(pos=tuple(10 * c for c in LIGHT), color=(0.75, 0.75, 0.75))
        scene.particles(pos, radius=RADIUS, color=COLOR)
        canvas.scene(scene)
        t2 = time.perf_counter()
        img = window.get_image_buffer_as_numpy()  # (W, H, 4) float32, row 0 at the bottom
        t3 = time.perf_counter()
        splits["kernel_launch"] += t1 - t0
        splits["scene_and_canvas"] += t2 - t1
        splits["get_image"] += t3 - t2
        return img

    result, img = run_frames(frame, args["warmup"], args["frames"], splits, args.get("budget_s"))
    if args.get("save"):
        rgba = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 0, 2)[::-1]
        save_png(args["save"], np.ascontiguousarray(rgba))
    result["kernel_alone"] = python_kernel_alone(ti, spiral_field, pos, args["kernel_launches"])
    result["device"] = f"Taichi {'.'.join(map(str, ti.__version__))} GGUI, arch={args.get('arch', 'vulkan')}"
    window.destroy()
    return result


# --------------------------------------------------------------------------------------------- ModernGL

VERTEX_GL = """
#version 330
// shaders/particles.vert in OpenGL terms: the sprite's diameter is the sphere's projected diameter
uniform mat4 view_proj;
uniform vec3 params;  // radius (world units), projection scale * viewport height (px), max point size
in vec3 position;
void main() {
    vec4 clip = view_proj * vec4(position, 1.0);
    gl_Position = clip;
    gl_PointSize = clamp(params.x * params.y / max(clip.w, 1e-6), 1.0, params.z);
}
"""
FRAGMENT_GL = """
#version 330
// shaders/particles.frag: a lit sphere on the point sprite (GL's gl_PointCoord has y down, as Vulkan's)
uniform vec3 color;
uniform vec3 light;
out vec4 out_color;
void main() {
    vec2 c = gl_PointCoord * 2.0 - 1.0;
    float r2 = dot(c, c);
    if (r2 > 1.0) discard;
    vec3 normal = vec3(c.x, -c.y, sqrt(1.0 - r2));
    float diffuse = max(dot(normal, normalize(light)), 0.0);
    float specular = pow(max(normal.z * diffuse, 0.0), 24.0) * 0.25;
    out_color = vec4(color * (0.25 + 0.75 * diffuse) + specular, 1.0);
}
"""


def gl_view_projection(eye=EYE, target=(0.0, 0.0, 0.0)):
    """The renderer's camera matrix, converted from Vulkan clip space (y down, z 0..1) to OpenGL's."""
    import numpy as np

    from renderer.camera import Camera  # numpy only: no Vulkan, no Taichi C API in this process

    camera = Camera(eye=eye, target=target)
    vk_to_gl = np.array([[1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 2, -1], [0, 0, 0, 1]], dtype=np.float64)
    return vk_to_gl @ camera.view_projection(WIDTH / HEIGHT), camera.projection_scale()


def finish_moderngl(ti, moderngl, ctx, frame, splits: dict, args: dict, kernel_alone) -> dict:
    """A ModernGL contender's timed frames (`frame(f)` returns the framebuffer's bytes, row 0 at the bottom), its
    last image saved, the kernel timed alone (`kernel_alone()`), and the device it ran on; releases `ctx`."""
    import numpy as np

    result, pixels = run_frames(frame, args["warmup"], args["frames"], splits, args.get("budget_s"))
    if args.get("save"):
        rgba = np.frombuffer(pixels, np.uint8).reshape(HEIGHT, WIDTH, 4)[::-1]
        save_png(args["save"], np.ascontiguousarray(rgba))
    result["kernel_alone"] = kernel_alone()
    result["device"] = (
        f"Taichi {'.'.join(map(str, ti.__version__))} arch={args.get('arch', 'vulkan')}; ModernGL {moderngl.__version__}"
        f" on {ctx.info['GL_RENDERER']} ({ctx.info['GL_VERSION']})"
    )
    ctx.release()
    return result


def run_moderngl(args: dict) -> dict:
    import moderngl

    ti = init_taichi(args.get("arch", "vulkan"))
    n = args["n"]
    pos = ti.Vector.field(3, ti.f32, n)
    spiral_field = field_kernel(ti)
    ctx = moderngl.create_standalone_context(backend="egl")
    prog = ctx.program(vertex_shader=VERTEX_GL, fragment_shader=FRAGMENT_GL)
    view_proj, projection_scale = gl_view_projection()
    max_point = float(ctx.info["GL_POINT_SIZE_RANGE"][1])
    prog["view_proj"].write(view_proj.T.astype("f4").tobytes())  # column-major
    prog["params"].value = (RADIUS, projection_scale * HEIGHT, max_point)
    prog["color"].value = COLOR
    prog["light"].value = LIGHT
    vbo = ctx.buffer(reserve=n * 12, dynamic=True)
    vao = ctx.vertex_array(prog, [(vbo, "3f", "position")])
    fbo = ctx.framebuffer(
        color_attachments=[ctx.renderbuffer((WIDTH, HEIGHT), 4)],
        depth_attachment=ctx.depth_renderbuffer((WIDTH, HEIGHT)),
    )
    ctx.enable(moderngl.PROGRAM_POINT_SIZE | moderngl.DEPTH_TEST)
    splits = {"kernel_and_to_numpy": 0.0, "upload": 0.0, "draw_and_read": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        spiral_field(pos, f * DT)
        data = pos.to_numpy()  # waits for the kernel, copies to host
        t1 = time.perf_counter()
        vbo.write(data)
        t2 = time.perf_counter()
        fbo.use()
        fbo.clear(*BACKGROUND, 1.0, depth=1.0)
        vao.render(moderngl.POINTS)
        pixels = fbo.read(components=4)  # bytes, row 0 at the bottom
        t3 = time.perf_counter()
        splits["kernel_and_to_numpy"] += t1 - t0
        splits["upload"] += t2 - t1
        splits["draw_and_read"] += t3 - t2
        return pixels

    return finish_moderngl(
        ti,
        moderngl,
        ctx,
        frame,
        splits,
        args,
        lambda: python_kernel_alone(ti, spiral_field, pos, args["kernel_launches"]),
    )


# --------------------------------------------------------------------------------------------- mesh peers

MESH_FILE = Path(__file__).resolve().parent / "mesh_scene.py"


def mesh_constants() -> dict:
    """bench/mesh_scene.py's camera, colour and light constants, read from its source (the peers' processes do
    not import the renderer)."""
    tree = ast.parse(MESH_FILE.read_text())
    wanted = {"EYE", "TARGET", "COLOR", "LIGHT", "AMBIENT"}
    return {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in wanted
    }


def mesh_fields(ti, grid: int):
    """The peers' sheet: position, normal and index fields, the indices written once by mesh_scene's `weave`."""
    pos = ti.Vector.field(3, ti.f32, grid * grid)
    nrm = ti.Vector.field(3, ti.f32, grid * grid)
    idx = ti.field(ti.u32, 6 * (grid - 1) ** 2)
    field_kernel(ti, MESH_FILE, "weave")(idx, grid)
    return pos, nrm, idx, field_kernel(ti, MESH_FILE, "wave")


def mesh_kernel_alone(ti, wave, pos, nrm, grid: int, launches: int) -> dict:
    return python_kernel_alone(ti, lambda p, t: wave(p, nrm, grid, t), pos, launches)


def run_mesh_ggui(args: dict) -> dict:
    """GGUI's `scene.mesh` with the position, normal and index fields, lit by an ambient and a point light
    (the renderer's ambient share and light direction), `get_image_buffer_as_numpy()` each frame."""
    import numpy as np

    ti = init_taichi(args.get("arch", "vulkan"))
    c, grid = mesh_constants(), args["grid"]
    pos, nrm, idx, wave = mesh_fields(ti, grid)
    window = ti.ui.Window("bench", (WIDTH, HEIGHT), show_window=False)
    canvas = window.get_canvas()
    canvas.set_background_color(BACKGROUND)
    scene = window.get_scene()
    camera = ti.ui.Camera()
    camera.position(*c["EYE"])
    camera.lookat(*c["TARGET"])
    camera.up(0.0, 1.0, 0.0)
    camera.fov(45)
    splits = {"kernel_launch": 0.0, "scene_and_canvas": 0.0, "get_image": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        wave(pos, nrm, grid, f * DT)
        t1 = time.perf_counter()
        scene.set_camera(camera)
        scene.ambient_light((c["AMBIENT"],) * 3)
        scene.point_light(pos=tuple(100 * x for x in c["LIGHT"]), color=(1 - c["AMBIENT"],) * 3)
        scene.mesh(pos, indices=idx, normals=nrm, color=c["COLOR"], two_sided=True)
        canvas.scene(scene)
        t2 = time.perf_counter()
        img = window.get_image_buffer_as_numpy()
        t3 = time.perf_counter()
        splits["kernel_launch"] += t1 - t0
        splits["scene_and_canvas"] += t2 - t1
        splits["get_image"] += t3 - t2
        return img

    result, img = run_frames(frame, args["warmup"], args["frames"], splits, args.get("budget_s"))
    if args.get("save"):
        rgba = (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8).transpose(1, 0, 2)[::-1]
        save_png(args["save"], np.ascontiguousarray(rgba))
    result["kernel_alone"] = mesh_kernel_alone(ti, wave, pos, nrm, grid, args["kernel_launches"])
    result["device"] = f"Taichi {'.'.join(map(str, ti.__version__))} GGUI, arch={args.get('arch', 'vulkan')}"
    window.destroy()
    return result


MESH_VERTEX_GL = """
#version 330
// shaders/mesh.vert in OpenGL terms (one colour, no model transform)
uniform mat4 view_proj;
in vec3 position;
in vec3 normal;
out vec3 v_normal;
void main() {
    gl_Position = view_proj * vec4(position, 1.0);
    v_normal = normal;
}
"""
MESH_FRAGMENT_GL = """
#version 330
// shaders/mesh.frag: two-sided Lambert with an ambient share
uniform vec3 color;
uniform vec3 light;
uniform float ambient;
in vec3 v_normal;
out vec4 out_color;
void main() {
    float len = length(v_normal);
    vec3 n = len > 1e-12 ? v_normal / len : vec3(0.0, 1.0, 0.0);
    float diffuse = abs(dot(n, normalize(light)));
    out_color = vec4(color * (ambient + (1.0 - ambient) * diffuse), 1.0);
}
"""


def run_mesh_moderngl(args: dict) -> dict:
    """The wave kernel on fields, positions and normals `to_numpy()` into two ModernGL buffers each frame (the
    indices uploaded once), drawn with mesh.frag's shading in a standalone EGL context, `fbo.read()`."""
    import moderngl
    import numpy as np

    ti = init_taichi(args.get("arch", "vulkan"))
    c, grid = mesh_constants(), args["grid"]
    pos, nrm, idx, wave = mesh_fields(ti, grid)
    ctx = moderngl.create_standalone_context(backend="egl")
    prog = ctx.program(vertex_shader=MESH_VERTEX_GL, fragment_shader=MESH_FRAGMENT_GL)
    view_proj, _ = gl_view_projection(c["EYE"], c["TARGET"])
    prog["view_proj"].write(view_proj.T.astype("f4").tobytes())
    prog["color"].value = c["COLOR"]
    prog["light"].value = c["LIGHT"]
    prog["ambient"].value = c["AMBIENT"]
    vbo_pos = ctx.buffer(reserve=grid * grid * 12, dynamic=True)
    vbo_nrm = ctx.buffer(reserve=grid * grid * 12, dynamic=True)
    ibo = ctx.buffer(idx.to_numpy().astype(np.uint32).tobytes())
    vao = ctx.vertex_array(
        prog, [(vbo_pos, "3f", "position"), (vbo_nrm, "3f", "normal")], index_buffer=ibo, index_element_size=4
    )
    fbo = ctx.framebuffer(
        color_attachments=[ctx.renderbuffer((WIDTH, HEIGHT), 4)],
        depth_attachment=ctx.depth_renderbuffer((WIDTH, HEIGHT)),
    )
    ctx.enable(moderngl.DEPTH_TEST)
    splits = {"kernel_and_to_numpy": 0.0, "upload": 0.0, "draw_and_read": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        wave(pos, nrm, grid, f * DT)
        p, n = pos.to_numpy(), nrm.to_numpy()
        t1 = time.perf_counter()
        vbo_pos.write(p)
        vbo_nrm.write(n)
        t2 = time.perf_counter()
        fbo.use()
        fbo.clear(*BACKGROUND, 1.0, depth=1.0)
        vao.render(moderngl.TRIANGLES)
        pixels = fbo.read(components=4)
        t3 = time.perf_counter()
        splits["kernel_and_to_numpy"] += t1 - t0
        splits["upload"] += t2 - t1
        splits["draw_and_read"] += t3 - t2
        return pixels

    return finish_moderngl(
        ti,
        moderngl,
        ctx,
        frame,
        splits,
        args,
        lambda: mesh_kernel_alone(ti, wave, pos, nrm, grid, args["kernel_launches"]),
    )


# --------------------------------------------------------------------------------------------- Polyscope


def run_polyscope(args: dict) -> dict:
    """Polyscope headless (its EGL backend): a point cloud drawn as spheres of radius RADIUS (absolute, not
    relative to the scene's length scale), its positions replaced from the field's to_numpy() every frame,
    then `screenshot_to_buffer()` (Polyscope's own readback of the rendered image)."""
    import numpy as np
    import polyscope as ps

    ti = init_taichi(args.get("arch", "vulkan"))
    n = args["n"]
    pos = ti.Vector.field(3, ti.f32, n)
    spiral_field = field_kernel(ti)
    ps.set_allow_headless_backends(True)
    ps.set_use_prefs_file(False)
    ps.set_window_size(WIDTH, HEIGHT)
    ps.init("openGL3_egl")
    ps.set_ground_plane_mode("none")
    ps.set_SSAA_factor(1)
    ps.set_background_color(BACKGROUND)
    ps.set_automatically_compute_scene_extents(False)
    ps.set_view_camera_parameters(
        ps.CameraParameters(
            ps.CameraIntrinsics(fov_vertical_deg=45, aspect=WIDTH / HEIGHT),
            ps.CameraExtrinsics(root=EYE, look_dir=(0.0, 0.0, -1.0), up_dir=(0.0, 1.0, 0.0)),
        )
    )
    spiral_field(pos, 0.0)
    cloud = ps.register_point_cloud("spiral", pos.to_numpy(), radius=RADIUS, point_render_mode="sphere")
    cloud.set_radius(RADIUS, relative=False)
    cloud.set_color(COLOR)
    splits = {"kernel_and_to_numpy": 0.0, "update_positions": 0.0, "draw_and_read": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        spiral_field(pos, f * DT)
        data = pos.to_numpy()
        t1 = time.perf_counter()
        cloud.update_point_positions(data)
        t2 = time.perf_counter()
        img = ps.screenshot_to_buffer(transparent_bg=False)  # renders the frame, reads it back
        t3 = time.perf_counter()
        splits["kernel_and_to_numpy"] += t1 - t0
        splits["update_positions"] += t2 - t1
        splits["draw_and_read"] += t3 - t2
        return img

    result, img = run_frames(frame, args["warmup"], args["frames"], splits, args.get("budget_s"))
    if args.get("save"):
        save_png(args["save"], np.ascontiguousarray(img))
    result["kernel_alone"] = python_kernel_alone(ti, spiral_field, pos, args["kernel_launches"])
    version = importlib.metadata.version("polyscope")
    result["device"] = (
        f"Taichi {'.'.join(map(str, ti.__version__))} arch={args.get('arch', 'vulkan')}; Polyscope {version} "
        f"(openGL3_egl) on {egl_renderer()}"
    )
    ps.shutdown()
    return result


def egl_renderer() -> str:
    """The GL renderer an EGL context gets on this machine (what Polyscope's EGL backend renders with)."""
    try:
        import moderngl

        ctx = moderngl.create_standalone_context(backend="egl")
        try:
            return f"{ctx.info['GL_RENDERER']} ({ctx.info['GL_VERSION']})"
        finally:
            ctx.release()
    except Exception as exc:  # the figure stands without the name
        return f"an EGL device (not named: {exc})"


# --------------------------------------------------------------------------------------------- pygfx


def wgpu_adapter(wgpu):
    """The wgpu adapter on the same device as ours: the renderer's choice (RENDERER_DEVICE, else a discrete
    GPU, else the first) among wgpu's Vulkan adapters, by name; wgpu's own pick where none matches."""
    adapters = [a for a in wgpu.gpu.enumerate_adapters_sync() if a.info.get("backend_type") == "Vulkan"]
    wanted = os.environ.get("RENDERER_DEVICE", "").lower()
    for test in (
        lambda a: wanted and wanted in a.info["device"].lower(),
        lambda a: a.info.get("adapter_type") == "DiscreteGPU",
        lambda a: True,
    ):
        chosen = next((a for a in adapters if test(a)), None)
        if chosen is not None:
            return chosen
    return None


def run_pygfx(args: dict) -> dict:
    """pygfx on wgpu (Vulkan), an offscreen canvas: `Points` of world-space diameter 2 RADIUS, their
    positions buffer replaced from the field's to_numpy() every frame, then the canvas' `draw()` (pygfx's
    readback of the rendered image)."""
    import numpy as np
    import pygfx as gfx
    import wgpu
    from rendercanvas.offscreen import RenderCanvas

    ti = init_taichi(args.get("arch", "vulkan"))
    n = args["n"]
    pos = ti.Vector.field(3, ti.f32, n)
    spiral_field = field_kernel(ti)
    adapter = wgpu_adapter(wgpu)
    if adapter is not None:
        gfx.renderers.wgpu.select_adapter(adapter)
    canvas = RenderCanvas(size=(WIDTH, HEIGHT), pixel_ratio=1)
    renderer = gfx.renderers.WgpuRenderer(canvas, pixel_ratio=1, pixel_filter="nearest")
    scene = gfx.Scene()
    scene.add(gfx.Background.from_color(BACKGROUND))
    spiral_field(pos, 0.0)
    geometry = gfx.Geometry(positions=pos.to_numpy())
    material = gfx.PointsMaterial(size=2 * RADIUS, size_space="world", color=COLOR, aa=False)
    scene.add(gfx.Points(geometry, material))
    # pygfx's fov spans the mean of the view's width and height; 45 degrees vertical is this much of it
    fov = math.degrees(2 * math.atan(math.tan(math.radians(45 / 2)) * (1 + WIDTH / HEIGHT) / 2))
    camera = gfx.PerspectiveCamera(fov, WIDTH / HEIGHT, depth_range=(0.1, 100.0))
    camera.local.position = EYE
    camera.look_at((0.0, 0.0, 0.0))
    canvas.request_draw(lambda: renderer.render(scene, camera))
    buffer = geometry.positions
    splits = {"kernel_and_to_numpy": 0.0, "update_positions": 0.0, "draw_and_read": 0.0}

    def frame(f):
        t0 = time.perf_counter()
        spiral_field(pos, f * DT)
        data = pos.to_numpy()
        t1 = time.perf_counter()
        buffer.data[:] = data
        buffer.update_full()
        t2 = time.perf_counter()
        img = np.asarray(canvas.draw())  # renders the frame, reads it back (H x W x 4 uint8)
        t3 = time.perf_counter()
        splits["kernel_and_to_numpy"] += t1 - t0
        splits["update_positions"] += t2 - t1
        splits["draw_and_read"] += t3 - t2
        return img

    result, img = run_frames(frame, args["warmup"], args["frames"], splits, args.get("budget_s"))
    if args.get("save"):
        save_png(args["save"], np.ascontiguousarray(img))
    result["kernel_alone"] = python_kernel_alone(ti, spiral_field, pos, args["kernel_launches"])
    info = renderer.device.adapter.info
    result["device"] = (
        f"Taichi {'.'.join(map(str, ti.__version__))} arch={args.get('arch', 'vulkan')}; pygfx "
        f"{gfx.__version__}, wgpu {wgpu.__version__} on {info['device']} ({info['backend_type']})"
    )
    return result


# --------------------------------------------------------------------------------------------- ours


class WaitCounter:
    """Host waits and call times during the timed frames, through the renderer's hook for the frame loop's
    calls: `calls` (a `renderer.frame.target.FrameCalls`) is handed to HeadlessRenderer and InteractiveApp
    (`calls=`), and sees every vkQueueSubmit, vkWaitForFences (counted as blocking when its fence was not yet
    signalled as the call began), vkResetFences, vkDeviceWaitIdle (a window's only idle wait), ti_flush and
    ti_wait the frames make. `attach(renderer)` also times the renderer's read_pixels, the scene's
    write_uniforms and the runtime's kernel launches (`TaichiRuntime.launch`, through which every launch goes),
    on those objects only. The renderer makes no vkQueueWaitIdle call (its count stays 0); waits inside
    Taichi's own C++ are not visible here."""

    NAMES = (
        "fence_waits",
        "fence_waits_blocking",
        "queue_wait_idle",
        "device_wait_idle",
        "ti_wait",
        "fence_wait_s",
        "fence_wait_cpu_s",  # main-thread CPU inside the frame loop's fence waits (a driver may spin there)
        "ti_wait_s",
        "ti_flush_s",
        "queue_submit_s",
        "read_pixels_s",
        "update_s",
        "ti_launch_kernel_s",
        "write_uniforms_s",
        "reset_fences_s",
    )

    def __init__(self):
        from renderer.device import vk
        from renderer.frame.target import FrameCalls

        self.active = False
        self.counts = dict.fromkeys(self.NAMES, 0)
        self._vk = vk
        counter = self

        class CountingCalls(FrameCalls):
            def vkQueueSubmit(self, *a):  # noqa: N802
                return counter.timed("queue_submit_s", super().vkQueueSubmit, *a)

            def vkWaitForFences(self, device, fences, timeout_ns):  # noqa: N802
                if not counter.active:
                    return super().vkWaitForFences(device, fences, timeout_ns)
                counter.counts["fence_waits"] += 1
                if any(not counter._signalled(device, f) for f in fences):
                    counter.counts["fence_waits_blocking"] += 1
                cpu0 = time.thread_time()
                try:
                    return counter.timed("fence_wait_s", super().vkWaitForFences, device, fences, timeout_ns)
                finally:
                    counter.counts["fence_wait_cpu_s"] += time.thread_time() - cpu0

            def vkResetFences(self, *a):  # noqa: N802
                return counter.timed("reset_fences_s", super().vkResetFences, *a)

            def vkDeviceWaitIdle(self, context):  # noqa: N802
                counter.counts["device_wait_idle"] += counter.active
                return super().vkDeviceWaitIdle(context)

            def ti_flush(self, runtime):
                return counter.timed("ti_flush_s", super().ti_flush, runtime)

            def ti_wait(self, runtime):
                counter.counts["ti_wait"] += counter.active
                return counter.timed("ti_wait_s", super().ti_wait, runtime)

        self.calls = CountingCalls()

    def timed(self, key, fn, *a):
        if not self.active:
            return fn(*a)
        t0 = time.perf_counter()
        try:
            return fn(*a)
        finally:
            self.counts[key] += time.perf_counter() - t0

    def attach(self, renderer) -> None:
        """Time `renderer`'s read_pixels, its scene's write_uniforms and its runtime's kernel launches (on these
        objects only)."""
        frames, loaded, runtime = renderer.frames, renderer.loaded, renderer.runtime
        read, write, launch = frames.read_pixels, loaded.write_uniforms, runtime.launch
        frames.read_pixels = lambda slot: self.timed("read_pixels_s", read, slot)
        loaded.write_uniforms = lambda *a: self.timed("write_uniforms_s", write, *a)
        runtime.launch = lambda *a: self.timed("ti_launch_kernel_s", launch, *a)

    def _signalled(self, device, fence) -> bool:
        return self._vk.lib.vkGetFenceStatus(device, fence) == self._vk.VK_SUCCESS

    def start(self):
        self.counts = dict.fromkeys(self.NAMES, 0)
        self.active = True

    def stop(self, frames: int) -> dict:
        self.active = False
        out = {k: v for k, v in self.counts.items() if not k.endswith("_s")}
        out["per_frame_ms"] = {k[:-2]: 1000 * v / frames for k, v in self.counts.items() if k.endswith("_s")}
        return out


def profile_frames(r, scene_frames, first: int, warmup: int, frames: int, path: str) -> dict:
    """The same frame loop once more under cProfile (warm-up frames outside it); writes the statistics, sorted
    by own time (tottime) and by cumulative time, to `path`. The C calls made through cffi (Vulkan, the Taichi C
    API) count in the Python function that makes them."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    last = first + warmup + frames - 1
    t0 = cpu0 = wall = cpu = 0.0
    for frame, _pixels in r.frames_iter(
        warmup + frames + r.frames.frames_in_flight, DT, first=first, copy=False
    ):
        if frame == first + warmup - 1:
            t0, cpu0 = time.perf_counter(), time.thread_time()
            profiler.enable()
        elif frame == last:
            profiler.disable()
            wall, cpu = time.perf_counter() - t0, time.thread_time() - cpu0
    text = io.StringIO()
    text.write(
        f"ours' frame loop (HeadlessRenderer.frames_iter), N = {scene_frames:,}, {frames} frames under cProfile: "
        f"{1000 * wall / frames:.3f} ms/frame wall, {1000 * cpu / frames:.3f} ms/frame main-thread CPU "
        "(the profiler's own cost included; the measured run without it is in the report)\n\n"
    )
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(30)
    Path(path).write_text(text.getvalue())
    return {
        "path": path,
        "n": scene_frames,
        "frames": frames,
        "wall_ms": 1000 * wall / frames,
        "main_thread_cpu_ms": 1000 * cpu / frames,
    }


def ours_scene(args: dict) -> tuple[type, dict]:
    """Ours' scene class and its parameters: the particle spiral, or (`"scene": "mesh"`) the mesh benchmark's
    sheet of `grid` x `grid` vertices."""
    if args.get("scene") == "mesh":
        from bench.mesh_scene import WaveMesh

        return WaveMesh, {"grid": args["grid"]}
    from scenes.particles import Particles

    return Particles, {"count": args["n"], "radius": RADIUS}


def run_ours(args: dict) -> dict:
    from renderer.app.headless import HeadlessRenderer

    counter = WaitCounter()  # its `calls` go to each renderer: the frame loop's calls pass through it
    base, params = ours_scene(args)

    class BenchScene(base):
        """The benchmark's scene; with `launching` off its update launches no kernel (the static floor)."""

        launching = True

        def update(self, frame, dt, input):
            if self.launching:
                t0 = time.perf_counter()
                super().update(frame, dt, input)
                if counter.active:
                    counter.counts["update_s"] += time.perf_counter() - t0

    n, warmup, frames = args.get("n", 0), args["warmup"], args["frames"]
    size = (args.get("width", WIDTH), args.get("height", HEIGHT))

    def timed_frames(r, first: int, save: str | None) -> dict:
        """Render warm-up + timed frames (+ frames_in_flight more, so that every timed frame arrives in the
        steady state); the timed intervals run from frame first+warmup-1's arrival to the last timed one's."""
        last = first + warmup + frames - 1
        stamps, cpu, proc, keep = [], None, None, None
        # the frames in place, in host memory (no copy; see HeadlessRenderer.frames_iter)
        count = warmup + frames + r.frames.frames_in_flight
        for frame, pixels in r.frames_iter(count, DT, first=first, copy=False):
            if first + warmup - 1 <= frame <= last:
                stamps.append(time.perf_counter())
                if frame == first + warmup - 1:
                    counter.start()
                    cpu, proc = time.thread_time(), time.process_time()
                elif frame == last:
                    cpu, proc = time.thread_time() - cpu, time.process_time() - proc
                    waits = counter.stop(frames)
                    keep = None if pixels is None else pixels.copy()
        result = summary([b - a for a, b in zip(stamps, stamps[1:], strict=False)])
        result["wall_s"] = stamps[-1] - stamps[0]
        result["main_thread_cpu_ms"] = 1000 * cpu / frames
        result["process_cpu_ms"] = 1000 * proc / frames
        result["host_waits"] = waits
        result["reclaim_interval"] = r.frames.reclaim_interval
        save_png(save, keep)
        return result

    scene = BenchScene(**params)
    with HeadlessRenderer(scene, *size, calls=counter.calls) as r:
        counter.attach(r)
        in_flight = r.frames.frames_in_flight
        # first=0 for the full scene, so its frame numbers (and t) match the peers'
        result = timed_frames(r, 0, args.get("save"))
        result["gpu_ms"] = r.gpu_times()  # per span, from timestamps; empty where the timeline is off
        scene.launching = False
        result["static"] = timed_frames(r, warmup + frames + in_flight, args.get("save_static"))

        # the kernel alone: `launches` x (set t, ti_launch_kernel, ti_flush), then one ti_wait; mean per launch
        launches = args["kernel_launches"]
        r.runtime.wait()
        t0 = time.perf_counter()
        for k in range(launches):
            scene.step.set("t", k * DT)
            scene.step()
            r.runtime.flush()
        submitted = time.perf_counter()
        r.runtime.wait()
        t1 = time.perf_counter()
        result["kernel_alone"] = {
            "mean_ms": 1000 * (t1 - t0) / launches,
            "host_submit_ms": 1000 * (submitted - t0) / launches,
            "launches": launches,
        }
        result["device"] = r.context.describe()
        if args.get("profile"):  # the measured figures above run without the profiler
            scene.launching = True
            first = 2 * (warmup + frames + in_flight)
            result["profile"] = profile_frames(r, n, first, warmup, frames, args["profile"])
    # the same frames left on the GPU (no copy to host memory), on a renderer of their own
    with HeadlessRenderer(BenchScene(**params), *size, readback=False, calls=counter.calls) as r:
        counter.attach(r)
        result["no_readback"] = timed_frames(r, 0, None)
    if args.get("window", True):
        result["window"] = window_frames(base, params, warmup, frames, size, counter.calls)
    return result


def window_frames(
    scene: type, params: dict, warmup: int, frames: int, size: tuple[int, int], calls=None
) -> dict:
    """Ours in a window, where a display exists: run_demo.py's window loop without vsync (the present mode
    closest to it the surface has), each frame's time from waiting for a free frame and image to present.
    `calls`: the frame loop's calls (WaitCounter.calls), as in the headless runs."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return {"skipped": "no display (DISPLAY and WAYLAND_DISPLAY unset)"}
    from renderer.app.interactive import InteractiveApp

    with (
        InteractiveApp([scene], 0, params=params, size=size, vsync=False, calls=calls) as app,
        contextlib.redirect_stdout(sys.stderr),
    ):  # its key help and present mode
        app.run(max_frames=warmup + frames)
        result = summary([total for total, *_ in app.frame_times[warmup:]])
        result["present_mode"] = app.frames.present_mode_name
        result["extent"] = list(app.frames.extent)
    return result


# --------------------------------------------------------------------------------------------- start-up


def run_startup_ours(args: dict) -> dict:
    """Process start to the first frame in host memory: the particle scene at `n` through HeadlessRenderer.
    `t_spawn`: the parent's time.time() just before it started this process. The cache (warm or cold) is the
    parent's choice, through RENDERER_CACHE_DIR."""
    t_spawn = args["t_spawn"]
    from renderer.app.headless import HeadlessRenderer
    from scenes.particles import Particles

    imported = time.time()
    with HeadlessRenderer(Particles(count=args["n"]), WIDTH, HEIGHT) as r:
        opened = time.time()
        _, pixels = next(iter(r.frames_iter(1, DT)))
        first = time.time()
    return startup_result(t_spawn, imported, opened, first, pixels)


def run_startup_ggui(args: dict) -> dict:
    """Process start to the first GGUI frame read back (ti.init, the field kernel, the window, one frame)."""
    t_spawn = args["t_spawn"]
    import taichi  # noqa: F401  (what importing costs, apart from ti.init)

    imported = time.time()
    ti = init_taichi(args.get("arch", "vulkan"))
    pos = ti.Vector.field(3, ti.f32, args["n"])
    spiral_field = field_kernel(ti)
    window = ti.ui.Window("bench", (WIDTH, HEIGHT), show_window=False)
    canvas, scene, camera = window.get_canvas(), window.get_scene(), ti.ui.Camera()
    camera.position(*EYE)
    camera.lookat(0.0, 0.0, 0.0)
    opened = time.time()
    spiral_field(pos, 0.0)
    scene.set_camera(camera)
    scene.particles(pos, radius=RADIUS, color=COLOR)
    canvas.scene(scene)
    pixels = window.get_image_buffer_as_numpy()
    first = time.time()
    window.destroy()
    return startup_result(t_spawn, imported, opened, first, pixels)


def startup_result(t_spawn, imported, opened, first, pixels) -> dict:
    return {
        "first_frame_s": first - t_spawn,
        "interpreter_and_imports_s": imported - t_spawn,
        "set_up_s": opened - imported,
        "first_frame_after_set_up_s": first - opened,
        "frame_shape": list(pixels.shape),
    }


# --------------------------------------------------------------------------------------------- check


def run_check(args: dict) -> dict:
    """Python Taichi runs both scenes/particles.py's `spiral` (ndarray) and the peers' field kernel."""
    import numpy as np

    ti = init_taichi(args.get("arch", "vulkan"))
    from scenes.particles import spiral

    n = args["n"]
    field = ti.Vector.field(3, ti.f32, n)
    array = ti.ndarray(ti.math.vec3, n)
    spiral_field = field_kernel(ti)
    worst = 0.0
    for t in (0.0, 0.5, 3.7):
        spiral(array, t)
        spiral_field(field, t)
        worst = max(worst, float(np.abs(array.to_numpy() - field.to_numpy()).max()))
    if not worst <= CHECK_TOLERANCE:
        sys.exit(
            f"the peers' field kernel differs from scenes/particles.py's spiral by {worst} (> {CHECK_TOLERANCE})"
        )
    return {"n": n, "max_abs_diff": worst, "times": [0.0, 0.5, 3.7]}


CONTENDERS = {
    "ours": run_ours,
    "ggui": run_ggui,
    "moderngl": run_moderngl,
    "polyscope": run_polyscope,
    "pygfx": run_pygfx,
    "mesh-ggui": run_mesh_ggui,
    "mesh-moderngl": run_mesh_moderngl,
    "startup-ours": run_startup_ours,
    "startup-ggui": run_startup_ggui,
    "check": run_check,
}

if __name__ == "__main__":
    name, spec = sys.argv[1], json.loads(sys.argv[2])
    out = CONTENDERS[name](spec)
    print("RESULT " + json.dumps(out), flush=True)
