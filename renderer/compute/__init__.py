"""The compute layer: the only code that touches Taichi's C API (`taichi_api`, the cffi binding): the runtime on
the renderer's device (`runtime`), Vulkan functions handed to Taichi (`hooks`), memory and images shared with
Taichi (`interop`, `shared`), events, ahead-of-time kernels (`aot`, `aot_compiler`) and checked launches
(`kernels`). Imports only `device`."""
