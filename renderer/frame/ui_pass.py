"""The window's panel: Dear ImGui's draw data drawn over the frame, in a small command buffer of its own.

The scene's command buffers are recorded once (windowed.py); the panel changes every frame, so it is the one
per-frame recording: a render pass that loads the frame's colour image (the scene's pass and the drawables'
work after it leave it in PRESENT_SRC) and draws ImGui's triangles with one pipeline, a scissor rectangle and a
texture per draw command. It is submitted after the scene's command buffer in the same VkSubmitInfo, so the
frame's semaphores and fence cover it, and its render pass's external dependency orders it after the scene.

Textures follow ImGui 1.92's protocol (`ImGuiBackendFlags_RendererHasTextures`): ImGui asks, through
`draw_data.textures`, for each to be created, updated or destroyed. A texture is a device-local RGBA8 image
with its own descriptor set; ImGui's `ImTextureID` is our key for it. An upload waits for its own submission,
which runs after the frames in flight (rare: the font atlas at start, and when new glyphs are rasterized).

Vertex and index data are copied each frame from ImGui's buffers (`data_address()`, no Python per vertex) into
one host-visible buffer per frame in flight, grown by half again when too small.
"""

from __future__ import annotations

import ctypes

import numpy as np

from ..device import shaders, vk
from ..device.handles import create_sampler, vk_create, vk_destroy
from ..device.memory import Buffer, Image, copy_region, layout_barrier, pipeline_barrier, run_once
from ..device.pipelines import RenderPass, create_framebuffer, create_pipeline, create_set_layout
from ..errors import RendererError

VERTEX_SIZE = 20  # ImDrawVert: vec2 position, vec2 uv, RGBA8 colour
INDEX_SIZE = 4  # ImDrawIdx is 32-bit in imgui-bundle
INDEX_TYPE = vk.VK_INDEX_TYPE_UINT32
MAX_TEXTURES = 64
SAMPLER = vk.VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER
READ_ONLY = vk.VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL
# ImTextureStatus values (imgui.h): asked of the backend through draw_data.textures
WANT_CREATE, WANT_UPDATES, WANT_DESTROY, DESTROYED, OK = 2, 3, 4, 1, 0


def create_ui_render_pass(device, color_format: int, layout: int) -> RenderPass:
    """One subpass drawing over the colour image as it is (`layout` before and after: PRESENT_SRC for a
    window), after whatever wrote it earlier in submission order."""
    color = vk.VkAttachmentDescription(
        format=color_format,
        samples=vk.VK_SAMPLE_COUNT_1_BIT,
        loadOp=vk.VK_ATTACHMENT_LOAD_OP_LOAD,
        storeOp=vk.VK_ATTACHMENT_STORE_OP_STORE,
        stencilLoadOp=vk.VK_ATTACHMENT_LOAD_OP_DONT_CARE,
        stencilStoreOp=vk.VK_ATTACHMENT_STORE_OP_DONT_CARE,
        initialLayout=layout,
        finalLayout=layout,
    )
    ref = vk.VkAttachmentReference(attachment=0, layout=vk.VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL)
    subpass = vk.VkSubpassDescription(
        pipelineBindPoint=vk.VK_PIPELINE_BIND_POINT_GRAPHICS, pColorAttachments=[ref]
    )
    output = vk.VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT
    writes = vk.VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT
    dependencies = [
        # the scene's render pass, the drawables' compute work after it and a copy out of the image (a
        # screenshot) before the panel loads and writes it
        vk.VkSubpassDependency(
            srcSubpass=vk.VK_SUBPASS_EXTERNAL,
            dstSubpass=0,
            srcStageMask=output | vk.VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            dstStageMask=output,
            srcAccessMask=writes | vk.VK_ACCESS_SHADER_WRITE_BIT,
            dstAccessMask=writes | vk.VK_ACCESS_COLOR_ATTACHMENT_READ_BIT,
        ),
        # the panel's writes before a copy of the frame that follows it (a screenshot with the panel)
        vk.VkSubpassDependency(
            srcSubpass=0,
            dstSubpass=vk.VK_SUBPASS_EXTERNAL,
            srcStageMask=output,
            dstStageMask=vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
            srcAccessMask=writes,
            dstAccessMask=vk.VK_ACCESS_TRANSFER_READ_BIT,
        ),
    ]
    info = vk.VkRenderPassCreateInfo(pAttachments=[color], pSubpasses=[subpass], pDependencies=dependencies)
    handle = vk_create("RenderPass", vk.vkCreateRenderPass, device, info, None)
    return RenderPass(device, handle, (color_format,))


class _Texture:
    """An ImGui texture on the device: an RGBA8 image and the descriptor set that samples it."""

    def __init__(self, image: Image, descriptor_set):
        self.image, self.descriptor_set = image, descriptor_set


class UiPass:
    """Draws ImGui's draw data over frames of `color_format` images (`layout` before and after).

    `set_targets(views, extent)` (again after each swapchain recreation) makes its framebuffers;
    `record(slot, image, draw_data)` returns the slot's command buffer with this frame's panel, to submit after
    the scene's; `destroy()` once the GPU is done with it."""

    def __init__(self, context, color_format: int, frames_in_flight: int, layout: int):
        self.context = context
        device = context.device
        self.render_pass = self.set_layout = self.descriptor_pool = self.sampler = self.pool = None
        self.framebuffers: list = []
        self.extent = (0, 0)
        self.textures: dict[int, _Texture] = {}
        self._next_id = 1
        self.vertices: list[Buffer | None] = [None] * frames_in_flight
        self.indices: list[Buffer | None] = [None] * frames_in_flight
        self.cbs: list = []
        # what each frame's recording fills in and passes to the compiled functions (record)
        ffi = vk.ffi
        self._begin_info = ffi.new(
            "VkCommandBufferBeginInfo *",
            {
                "sType": vk.VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                "flags": vk.VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
            },
        )
        self._pass_info = ffi.new(
            "VkRenderPassBeginInfo *", {"sType": vk.VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO}
        )
        self._viewport = ffi.new("VkViewport *")
        self._scissor = ffi.new("VkRect2D *")
        self._sets = ffi.new("VkDescriptorSet[1]")
        self._buffers = ffi.new("VkBuffer[1]")
        self._offsets = ffi.new("VkDeviceSize[1]")
        self._transform = ffi.new("float[4]")
        try:
            self.render_pass = create_ui_render_pass(device, color_format, layout)
            self.set_layout = create_set_layout(device, {0: SAMPLER}, vk.VK_SHADER_STAGE_FRAGMENT_BIT)
            self.descriptor_pool = vk_create(
                "DescriptorPool",
                vk.vkCreateDescriptorPool,
                device,
                vk.VkDescriptorPoolCreateInfo(
                    flags=vk.VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
                    maxSets=MAX_TEXTURES,
                    pPoolSizes=[vk.VkDescriptorPoolSize(type=SAMPLER, descriptorCount=MAX_TEXTURES)],
                ),
                None,
            )
            self.sampler = create_sampler(device, vk.VK_FILTER_LINEAR)
            self._pass_info.renderPass = self.render_pass.handle
            vertex = vk.VK_SHADER_STAGE_VERTEX_BIT
            self.pipeline, self.layout = create_pipeline(
                device,
                self.render_pass,
                self.set_layout,
                ("ui", "sampler"),
                shaders.load_builtin("ui.vert"),
                shaders.load_builtin("ui.frag"),
                bindings=[(VERTEX_SIZE, vk.VK_VERTEX_INPUT_RATE_VERTEX)],
                attributes=[
                    (0, 0, vk.VK_FORMAT_R32G32_SFLOAT, 0),
                    (1, 0, vk.VK_FORMAT_R32G32_SFLOAT, 8),
                    (2, 0, vk.VK_FORMAT_R8G8B8A8_UNORM, 16),
                ],
                topology=vk.VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST,
                depth_write=False,
                depth_test=False,
                blend="alpha",
                push_constants=16,
                push_stages=vertex,
            )
            # its command buffers are recorded anew each frame: a pool whose buffers reset one by one
            self.pool = vk_create(
                "CommandPool",
                vk.vkCreateCommandPool,
                device,
                vk.VkCommandPoolCreateInfo(
                    flags=vk.VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                    queueFamilyIndex=context.queue_family,
                ),
                None,
            )
            self.cbs = vk.vkAllocateCommandBuffers(
                device,
                vk.VkCommandBufferAllocateInfo(
                    commandPool=self.pool,
                    level=vk.VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                    commandBufferCount=frames_in_flight,
                ),
            )
        except BaseException:
            self.destroy()
            raise

    # -- framebuffers

    def set_targets(self, views: list, extent: tuple[int, int]) -> None:
        """Framebuffers over these colour image views (the caller waited for the GPU)."""
        self._destroy_framebuffers()
        self.extent = width, height = tuple(extent)
        self._pass_info.renderArea.extent.width, self._pass_info.renderArea.extent.height = width, height
        self._viewport.width, self._viewport.height = float(width), float(height)
        self._viewport.maxDepth = 1.0
        self.framebuffers = [
            create_framebuffer(self.context.device, self.render_pass, [view], width, height) for view in views
        ]

    def _destroy_framebuffers(self) -> None:
        for fb in self.framebuffers:
            vk_destroy("Framebuffer", vk.vkDestroyFramebuffer, self.context.device, fb, None)
        self.framebuffers = []

    # -- textures (ImGui 1.92's protocol)

    def update_textures(self, draw_data) -> None:
        """Create, update or destroy the textures ImGui asks for this frame. Call after the slot's fence was
        waited: a texture destroyed here may have been drawn by the frames in flight, so they are waited for."""
        for tex in draw_data.textures:
            status = int(tex.status)
            if status == WANT_CREATE:
                self._create_texture(tex)
            elif status == WANT_UPDATES:
                self._upload(self.textures[int(tex.get_tex_id())].image, tex)
                tex.set_status(OK)
            elif status == WANT_DESTROY and tex.unused_frames > 0:
                self.context.wait_idle()
                self._destroy_texture(int(tex.get_tex_id()))
                tex.set_tex_id(0)
                tex.set_status(DESTROYED)

    def _create_texture(self, tex) -> None:
        if tex.bytes_per_pixel != 4:
            raise RendererError(
                f"ImGui asked for a {tex.bytes_per_pixel}-byte texture; this panel takes RGBA32"
            )
        if len(self.textures) >= MAX_TEXTURES:
            raise RendererError(f"ImGui asked for more than {MAX_TEXTURES} textures")
        device = self.context.device
        image = Image(
            self.context,
            tex.width,
            tex.height,
            vk.VK_FORMAT_R8G8B8A8_UNORM,
            vk.VK_IMAGE_USAGE_SAMPLED_BIT | vk.VK_IMAGE_USAGE_TRANSFER_DST_BIT,
            name="panel texture",
        )
        try:
            info = vk.VkDescriptorSetAllocateInfo(
                descriptorPool=self.descriptor_pool, pSetLayouts=[self.set_layout]
            )
            descriptor_set = vk.vkAllocateDescriptorSets(device, info)[0]
        except BaseException:
            image.destroy()
            raise
        write = vk.VkWriteDescriptorSet(
            dstSet=descriptor_set,
            dstBinding=0,
            descriptorType=SAMPLER,
            pImageInfo=[
                vk.VkDescriptorImageInfo(sampler=self.sampler, imageView=image.view, imageLayout=READ_ONLY)
            ],
        )
        vk.vkUpdateDescriptorSets(device, 1, [write], 0, None)
        key, self._next_id = self._next_id, self._next_id + 1
        self.textures[key] = _Texture(image, descriptor_set)
        self._upload(image, tex, fresh=True)
        tex.set_tex_id(key)
        tex.set_status(OK)

    def _upload(self, image: Image, tex, fresh: bool = False) -> None:
        """The whole texture's pixels into `image` (ImGui's update rectangles are small and rare)."""
        pixels = np.asarray(tex.get_pixels_array(), dtype=np.uint8)
        staging = Buffer(
            self.context, pixels.nbytes, vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT, host=True, name="panel upload"
        )
        try:
            staging.write(pixels)

            def record(cb):
                # after the frames in flight that sampled it (earlier in submission order)
                pipeline_barrier(
                    cb,
                    vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                    vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
                    images=[
                        layout_barrier(
                            image.handle,
                            vk.VK_IMAGE_LAYOUT_UNDEFINED if fresh else READ_ONLY,
                            vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                            0,
                            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
                        )
                    ],
                )
                region = copy_region(image.width, image.height)
                vk.vkCmdCopyBufferToImage(
                    cb, staging.handle, image.handle, vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, [region]
                )
                pipeline_barrier(
                    cb,
                    vk.VK_PIPELINE_STAGE_TRANSFER_BIT,
                    vk.VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT,
                    images=[
                        layout_barrier(
                            image.handle,
                            vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                            READ_ONLY,
                            vk.VK_ACCESS_TRANSFER_WRITE_BIT,
                            vk.VK_ACCESS_SHADER_READ_BIT,
                        )
                    ],
                )

            run_once(self.context, record)
        finally:
            staging.destroy()

    def _destroy_texture(self, key: int) -> None:
        texture = self.textures.pop(key, None)
        if texture is None:
            return
        vk.vkFreeDescriptorSets(self.context.device, self.descriptor_pool, 1, [texture.descriptor_set])
        texture.image.destroy()

    # -- per frame

    def _fill(self, slot: int, draw_data) -> bool:
        """This frame's vertices and indices into the slot's host buffers; False if there is nothing to draw."""
        vertex_bytes = draw_data.total_vtx_count * VERTEX_SIZE
        index_bytes = draw_data.total_idx_count * INDEX_SIZE
        if not vertex_bytes or not index_bytes:
            return False
        self.vertices[slot] = self._room(
            self.vertices[slot], vertex_bytes, vk.VK_BUFFER_USAGE_VERTEX_BUFFER_BIT
        )
        self.indices[slot] = self._room(self.indices[slot], index_bytes, vk.VK_BUFFER_USAGE_INDEX_BUFFER_BIT)
        vertex_at = _address(self.vertices[slot])
        index_at = _address(self.indices[slot])
        for cmd_list in draw_data.cmd_lists:
            n = cmd_list.vtx_buffer.size() * VERTEX_SIZE
            ctypes.memmove(vertex_at, cmd_list.vtx_buffer.data_address(), n)
            vertex_at += n
            n = cmd_list.idx_buffer.size() * INDEX_SIZE
            ctypes.memmove(index_at, cmd_list.idx_buffer.data_address(), n)
            index_at += n
        return True

    def _room(self, buffer: Buffer | None, size: int, usage: int) -> Buffer:
        """`buffer` if it holds `size` bytes, else a new one with half again as much room (the slot's fence was
        waited, so the old one is free)."""
        if buffer is not None and buffer.size >= size:
            return buffer
        if buffer is not None:
            buffer.destroy()
        return Buffer(self.context, max(size * 3 // 2, 64 * 1024), usage, host=True, name="panel vertices")

    def record(self, slot: int, image: int, draw_data, timeline):
        """The slot's command buffer with this frame's panel over swapchain image `image` (its fence was
        waited), timed as the span `ui` of the frames' `timeline`. The calls per draw command go to the compiled
        functions (`vk.lib`) with structures made once: the package's wrappers cost ~8 us a call."""
        cb, lib = self.cbs[slot], vk.lib
        vk.check(lib.vkBeginCommandBuffer(cb, self._begin_info), "vkBeginCommandBuffer")
        self._pass_info.framebuffer = self.framebuffers[image]
        with timeline.span(cb, slot, "ui"):
            lib.vkCmdBeginRenderPass(cb, self._pass_info, vk.VK_SUBPASS_CONTENTS_INLINE)
            if self._fill(slot, draw_data):
                self._record_draws(cb, slot, draw_data)
            lib.vkCmdEndRenderPass(cb)
        vk.check(lib.vkEndCommandBuffer(cb), "vkEndCommandBuffer")
        return cb

    def _record_draws(self, cb, slot: int, draw_data) -> None:
        width, height = self.extent
        lib, scissor, sets = vk.lib, self._scissor, self._sets
        lib.vkCmdBindPipeline(cb, vk.VK_PIPELINE_BIND_POINT_GRAPHICS, self.pipeline)
        self._buffers[0] = self.vertices[slot].handle
        lib.vkCmdBindVertexBuffers(cb, 0, 1, self._buffers, self._offsets)
        lib.vkCmdBindIndexBuffer(cb, self.indices[slot].handle, 0, INDEX_TYPE)
        lib.vkCmdSetViewport(cb, 0, 1, self._viewport)
        # ImGui's coordinates (display_pos + display_size, in points) to clip space; framebuffer_scale maps
        # points to pixels for the clip rectangles
        pos, size, scale = draw_data.display_pos, draw_data.display_size, draw_data.framebuffer_scale
        sx, sy = 2.0 / size.x, 2.0 / size.y
        self._transform[0:4] = (sx, sy, -1.0 - pos.x * sx, -1.0 - pos.y * sy)
        lib.vkCmdPushConstants(cb, self.layout, vk.VK_SHADER_STAGE_VERTEX_BIT, 0, 16, self._transform)
        bound = None
        vertex_base = index_base = 0
        for cmd_list in draw_data.cmd_lists:
            for cmd in cmd_list.cmd_buffer:
                clip = cmd.clip_rect
                x0 = max(int((clip.x - pos.x) * scale.x), 0)
                y0 = max(int((clip.y - pos.y) * scale.y), 0)
                x1 = min(int((clip.z - pos.x) * scale.x), width)
                y1 = min(int((clip.w - pos.y) * scale.y), height)
                count = cmd.elem_count
                if x1 <= x0 or y1 <= y0 or not count:
                    continue
                texture = self.textures.get(int(cmd.get_tex_id()))
                if texture is None:
                    continue  # a texture ImGui never asked to create (a user's ImTextureID): not ours to draw
                if texture is not bound:
                    sets[0] = texture.descriptor_set
                    bind = vk.VK_PIPELINE_BIND_POINT_GRAPHICS
                    lib.vkCmdBindDescriptorSets(cb, bind, self.layout, 0, 1, sets, 0, vk.ffi.NULL)
                    bound = texture
                scissor.offset.x, scissor.offset.y = x0, y0
                scissor.extent.width, scissor.extent.height = x1 - x0, y1 - y0
                lib.vkCmdSetScissor(cb, 0, 1, scissor)
                lib.vkCmdDrawIndexed(
                    cb, count, 1, index_base + cmd.idx_offset, vertex_base + cmd.vtx_offset, 0
                )
            vertex_base += cmd_list.vtx_buffer.size()
            index_base += cmd_list.idx_buffer.size()

    def destroy(self) -> None:
        """Everything made (idempotent; the GPU must be done with it)."""
        device = self.context.device
        if device is None:
            return
        for key in list(self.textures):
            self._destroy_texture(key)
        for buffers in (self.vertices, self.indices):
            for i, buffer in enumerate(buffers):
                if buffer is not None:
                    buffer.destroy()
                    buffers[i] = None
        if self.pool is not None:  # with its command buffers
            vk_destroy("CommandPool", vk.vkDestroyCommandPool, device, self.pool, None)
            self.pool, self.cbs = None, []
        self._destroy_framebuffers()
        if self.sampler is not None:
            vk_destroy("Sampler", vk.vkDestroySampler, device, self.sampler, None)
            self.sampler = None
        if self.descriptor_pool is not None:
            vk_destroy("DescriptorPool", vk.vkDestroyDescriptorPool, device, self.descriptor_pool, None)
            self.descriptor_pool = None
        if self.set_layout is not None:
            vk_destroy("DescriptorSetLayout", vk.vkDestroyDescriptorSetLayout, device, self.set_layout, None)
            self.set_layout = None
        if self.render_pass is not None:
            self.render_pass.destroy()
            self.render_pass = None


def _address(buffer: Buffer) -> int:
    """The host address of a mapped host buffer."""
    return int(vk.ffi.cast("uintptr_t", vk.ffi.from_buffer(buffer.map())))
