"""The frame layer: frames in flight and the targets they render into, behind one interface (`target`):
offscreen frames read back to the host (`offscreen`) and a window's swapchain frames (`windowed`, `swapchain`).
Imports `device`, `compute` (events, the runtime's flush) and `draw` (`RenderTarget`)."""
