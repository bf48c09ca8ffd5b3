"""What clearing a 1280x720 frame's images costs outside a render pass, on this device's queue.

The render pass costs ~0.066 ms per attachment it clears on the H100 (render_pass_probe.txt). This times, with
timestamps around each command (20 of each, a barrier between them, median), the transfer clears of the frame's
colour image (RGBA8) and depth image (D32), and a fill of a buffer as large as the colour image (which a
compute pass's write of every pixel may approach), and the depth image's copy from that buffer (of 1.0f), each at
1280x720 and 320x180.

    python3 bench/h100/clear_probe.py
"""

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from renderer.app.headless import HeadlessRenderer  # noqa: E402
from renderer.device import vk  # noqa: E402
from renderer.device.memory import (  # noqa: E402
    Buffer,
    Image,
    copy_region,
    layout_barrier,
    pipeline_barrier,
    run_once,
)
from renderer.device.pipelines import DEPTH_FORMAT  # noqa: E402
from renderer.frame.offscreen import COLOR_FORMAT  # noqa: E402
from scenes.particles import Particles  # noqa: E402

REPEAT = 20
ALL = vk.VK_PIPELINE_STAGE_ALL_COMMANDS_BIT
WRITE = vk.VK_ACCESS_TRANSFER_WRITE_BIT | vk.VK_ACCESS_MEMORY_WRITE_BIT


def probe(context, width: int, height: int) -> dict:
    device = context.device
    color = Image(
        context,
        width,
        height,
        COLOR_FORMAT,
        vk.VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT
        | vk.VK_IMAGE_USAGE_TRANSFER_SRC_BIT
        | vk.VK_IMAGE_USAGE_TRANSFER_DST_BIT
        | vk.VK_IMAGE_USAGE_STORAGE_BIT,
        name="colour",
    )
    depth = Image(
        context,
        width,
        height,
        DEPTH_FORMAT,
        vk.VK_IMAGE_USAGE_DEPTH_STENCIL_ATTACHMENT_BIT
        | vk.VK_IMAGE_USAGE_SAMPLED_BIT
        | vk.VK_IMAGE_USAGE_TRANSFER_DST_BIT,
        aspect=vk.VK_IMAGE_ASPECT_DEPTH_BIT,
        name="depth",
    )
    buffer = Buffer(
        context,
        4 * width * height,
        vk.VK_BUFFER_USAGE_TRANSFER_DST_BIT | vk.VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
        name="fill",
    )
    ops = ("colour clear", "depth clear", "buffer fill", "depth from buffer")
    pool = vk.vkCreateQueryPool(
        device,
        vk.VkQueryPoolCreateInfo(queryType=vk.VK_QUERY_TYPE_TIMESTAMP, queryCount=2 * REPEAT * len(ops)),
        None,
    )
    dst = vk.VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL

    def record(cb):
        vk.vkCmdResetQueryPool(cb, pool, 0, 2 * REPEAT * len(ops))
        to_dst = [
            layout_barrier(color.handle, vk.VK_IMAGE_LAYOUT_UNDEFINED, dst, 0, WRITE),
            layout_barrier(
                depth.handle, vk.VK_IMAGE_LAYOUT_UNDEFINED, dst, 0, WRITE, vk.VK_IMAGE_ASPECT_DEPTH_BIT
            ),
        ]
        pipeline_barrier(cb, ALL, ALL, images=to_dst)
        query = 0
        for op in ops:
            for _ in range(REPEAT):
                pipeline_barrier(cb, ALL, ALL, WRITE, WRITE)
                vk.vkCmdWriteTimestamp(cb, vk.VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool, query)
                if op == "colour clear":
                    value = vk.VkClearColorValue(float32=[0.02, 0.02, 0.03, 1.0])
                    vk.vkCmdClearColorImage(cb, color.handle, dst, value, 1, [color.subresource_range])
                elif op == "depth clear":
                    value = vk.VkClearDepthStencilValue(depth=1.0, stencil=0)
                    vk.vkCmdClearDepthStencilImage(cb, depth.handle, dst, value, 1, [depth.subresource_range])
                elif op == "buffer fill":
                    vk.vkCmdFillBuffer(cb, buffer.handle, 0, buffer.size, 0x3F800000)  # 1.0f
                else:  # the depth image from the buffer of 1.0f
                    region = copy_region(width, height, vk.VK_IMAGE_ASPECT_DEPTH_BIT)
                    vk.vkCmdCopyBufferToImage(cb, buffer.handle, depth.handle, dst, 1, [region])
                vk.vkCmdWriteTimestamp(cb, vk.VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pool, query + 1)
                query += 2

    try:
        run_once(context, record)
        data = vk.ffi.new("uint64_t[]", 2 * REPEAT * len(ops))
        vk.check(
            vk.lib.vkGetQueryPoolResults(
                device,
                pool,
                0,
                2 * REPEAT * len(ops),
                vk.ffi.sizeof(data),
                data,
                8,
                vk.VK_QUERY_RESULT_64_BIT | vk.VK_QUERY_RESULT_WAIT_BIT,
            ),
            "vkGetQueryPoolResults",
        )
        period_ms = (
            float(vk.vkGetPhysicalDeviceProperties(context.physical_device).limits.timestampPeriod) * 1e-6
        )
        out = {}
        for k, op in enumerate(ops):
            spans = [
                (data[2 * (k * REPEAT + j) + 1] - data[2 * (k * REPEAT + j)]) * period_ms
                for j in range(REPEAT)
            ]
            out[op] = round(statistics.median(spans), 4)
        return out
    finally:
        vk.vkDestroyQueryPool(device, pool, None)
        color.destroy()
        depth.destroy()
        buffer.destroy()


def main() -> None:
    with HeadlessRenderer(Particles(count=1), 64, 64) as r:
        print(r.context.describe())
        for size in ((1280, 720), (320, 180)):
            print(size, probe(r.context, *size), "ms (median of", REPEAT, "each)")


if __name__ == "__main__":
    main()
