"""The device layer, lowest: the Vulkan instance and device (`context`), the one checked way to call Vulkan
(`vk`), memory, counted handles, GLSL shaders, render passes and pipelines, validation. Imports no other layer."""
