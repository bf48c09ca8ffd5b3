"""Which device features the renderer enables (for Taichi, and a few for its own draws), and which Taichi
capabilities they grant.

An imported Taichi runtime knows only the SPIR-V version until told more, and a kernel compiled for a
capability the device did not enable fails validation. So the three lists must agree: the features enabled
on the device, the capabilities declared to the runtime (`ti_set_runtime_capabilities_ext`), and the
capabilities the kernels are compiled for. All three come from the one `plan()` here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import vk

# (feature struct, extension that provides it or None for core, fields to enable where supported)
FEATURES = (
    (
        "VkPhysicalDeviceVulkan11Features",
        None,
        (
            "storageBuffer16BitAccess",
            "uniformAndStorageBuffer16BitAccess",
            "variablePointers",
            "variablePointersStorageBuffer",
        ),
    ),
    (
        "VkPhysicalDeviceVulkan12Features",
        None,
        (
            "shaderInt8",
            "shaderFloat16",
            "storageBuffer8BitAccess",
            "uniformAndStorageBuffer8BitAccess",
            "shaderBufferInt64Atomics",  # the renderer's own point splatting (not declared to Taichi)
            "shaderSubgroupExtendedTypes",  # the point splat's 64-bit subgroup minimum (not declared to Taichi)
        ),
    ),
    (  # the renderer's own: a frame skips the depth clear when its pass draws nothing (frame/offscreen.py)
        "VkPhysicalDeviceConditionalRenderingFeaturesEXT",
        "VK_EXT_conditional_rendering",
        ("conditionalRendering",),
    ),
    (
        "VkPhysicalDeviceShaderAtomicFloatFeaturesEXT",
        "VK_EXT_shader_atomic_float",
        (
            "shaderBufferFloat32Atomics",
            "shaderBufferFloat32AtomicAdd",
            "shaderBufferFloat64Atomics",
            "shaderBufferFloat64AtomicAdd",
        ),
    ),
    (
        "VkPhysicalDeviceShaderAtomicFloat2FeaturesEXT",
        "VK_EXT_shader_atomic_float2",
        (
            "shaderBufferFloat16Atomics",
            "shaderBufferFloat16AtomicAdd",
            "shaderBufferFloat16AtomicMinMax",
            "shaderBufferFloat32AtomicMinMax",
            "shaderBufferFloat64AtomicMinMax",
        ),
    ),
)
# large points: sprites; image writes without format: the point splat writes RGBA8 and BGRA8 frames alike;
# geometry shaders: gl_PrimitiveID in fragment shaders (a mesh's triangle in the id pass of picking)
CORE_FEATURES = (
    "shaderInt64",
    "shaderInt16",
    "shaderFloat64",
    "largePoints",
    "shaderStorageImageWriteWithoutFormat",
    "geometryShader",
)
# (extension, name in Plan.enabled): the renderer's own, enabled where the device has them
OPTIONAL_EXTENSIONS = (
    ("VK_KHR_push_descriptor", "pushDescriptor"),  # the point splat's frame target
    ("VK_NV_shader_subgroup_partitioned", "subgroupPartitioned"),  # the point splat's reduction per pixel
)

# Taichi capability name -> the enabled features it needs (all of them). Left out on purpose (Taichi 1.7.4's
# code generator, read from its source): the subgroup capabilities (it then emits GroupNonUniform operations
# without declaring the SPIR-V capabilities: invalid modules), atomic_int64 and atomic_float16_add (its own
# device never sets them), physical_storage_buffer (changes how ndarrays are bound).
# 8/16-bit scalars of kernel arguments live in a uniform block, hence the uniformAndStorage features.
CAPABILITY_FEATURES = {
    "spirv_has_int8": ("shaderInt8", "storageBuffer8BitAccess", "uniformAndStorageBuffer8BitAccess"),
    "spirv_has_int16": ("shaderInt16", "storageBuffer16BitAccess", "uniformAndStorageBuffer16BitAccess"),
    "spirv_has_int64": ("shaderInt64",),
    "spirv_has_float16": ("shaderFloat16", "storageBuffer16BitAccess", "uniformAndStorageBuffer16BitAccess"),
    "spirv_has_float64": ("shaderFloat64",),
    "spirv_has_atomic_float": ("shaderBufferFloat32Atomics",),
    "spirv_has_atomic_float_add": ("shaderBufferFloat32AtomicAdd",),
    "spirv_has_atomic_float_minmax": ("shaderBufferFloat32AtomicMinMax",),
    "spirv_has_atomic_float16": ("shaderFloat16", "shaderBufferFloat16Atomics"),
    "spirv_has_atomic_float16_minmax": ("shaderFloat16", "shaderBufferFloat16AtomicMinMax"),
    "spirv_has_atomic_float64": ("shaderFloat64", "shaderBufferFloat64Atomics"),
    # Taichi declares the f64 add capability's extension only together with the f32 one.
    "spirv_has_atomic_float64_add": (
        "shaderFloat64",
        "shaderBufferFloat64AtomicAdd",
        "shaderBufferFloat32AtomicAdd",
    ),
    "spirv_has_atomic_float64_minmax": ("shaderFloat64", "shaderBufferFloat64AtomicMinMax"),
    "spirv_has_variable_ptr": ("variablePointers", "variablePointersStorageBuffer"),
}


@dataclass
class Plan:
    enabled: dict[str, bool]
    taichi_capabilities: dict[str, int]
    extensions: list[str]
    features_chain: object = None
    keep_alive: list = field(default_factory=list)


def spirv_version(api_version: int) -> int:
    """The SPIR-V version Taichi targets for a Vulkan version (1.2 and later: SPIR-V 1.5)."""
    if api_version >= vk.VK_MAKE_VERSION(1, 2, 0):
        return 0x10500
    if api_version >= vk.VK_MAKE_VERSION(1, 1, 0):
        return 0x10300
    return 0x10000


def plan(physical_device, available_extensions: set[str], api_version: int) -> Plan:
    """Query the features Taichi can use, and build the chain that enables those the device has."""
    query, structs = None, []
    for struct_name, extension, _ in FEATURES:
        if extension is None or extension in available_extensions:
            query = getattr(vk, struct_name)(pNext=query)
            structs.append((struct_name, extension, query))
    features2 = vk.VkPhysicalDeviceFeatures2(pNext=query)
    vk.vkGetPhysicalDeviceFeatures2(physical_device, features2)

    enabled: dict[str, bool] = {}
    chain, keep = None, []
    extensions = []
    for struct_name, extension, supported in structs:
        fields = next(f for n, _, f in FEATURES if n == struct_name)
        on = {name: bool(getattr(supported, name)) for name in fields}
        enabled.update(on)
        if extension is not None:
            if not any(on.values()):
                continue
            extensions.append(extension)
        chain = getattr(vk, struct_name)(pNext=chain, **{k: vk.VK_TRUE for k, v in on.items() if v})
        keep.append(chain)
    core = {name: bool(getattr(features2.features, name)) for name in CORE_FEATURES}
    enabled.update(core)
    core_struct = vk.VkPhysicalDeviceFeatures(**{k: vk.VK_TRUE for k, v in core.items() if v})
    chain = vk.VkPhysicalDeviceFeatures2(pNext=chain, features=core_struct)
    keep += [core_struct, chain]

    for extension, name in OPTIONAL_EXTENSIONS:
        enabled[name] = extension in available_extensions
        if enabled[name]:
            extensions.append(extension)

    caps = {"spirv_version": spirv_version(api_version)}
    for cap, needs in CAPABILITY_FEATURES.items():
        if all(enabled.get(n) for n in needs):
            caps[cap] = 1
    return Plan(enabled, caps, extensions, chain, keep)
