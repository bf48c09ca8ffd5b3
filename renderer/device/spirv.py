"""A small SPIR-V reader: what a shader module takes and gives (its interface), read from the words.

`reflect(spirv)` returns a `Module`: its entry points (execution model, name, interface variables) and, per
variable, the storage class, the type and the decorations (Location, Component, Binding, DescriptorSet,
BuiltIn, Flat, ...). From these `EntryPoint` derives what the pipeline must provide: `inputs()` and
`outputs()` (user-defined locations, flattened to (location, component) slots), `descriptors()` ((set,
binding), kind and count, a block's size), `push_constant_size()`, and `writes_builtin("PointSize")`.

Only what an interface check needs is read; the rest of the module is skipped word by word. Names come from
OpName/OpMemberName when the module has them (glslc -g); an optimised module without them gives "".
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..errors import RendererError

MAGIC = 0x07230203
MAX_LOCATIONS = 1024  # of one interface variable: devices have 32-128 (maxFragmentInputComponents / 4)

# SPIR-V's Image Format operand, by the names renderer/device/memory.py's IMAGE_FORMATS gives the renderer's own
IMAGE_FORMATS = {0: "", 1: "rgba32f", 2: "rgba16f", 3: "r32f", 4: "rgba8", 5: "rgba8snorm", 15: "r16f"}
EXECUTION_MODELS = {
    0: "vertex",
    1: "tessellation control",
    2: "tessellation evaluation",
    3: "geometry",
    4: "fragment",
    5: "compute",
    6: "kernel",
    5267: "task",
    5268: "mesh",
    5313: "ray generation",
    5314: "intersection",
    5315: "any hit",
    5316: "closest hit",
    5317: "miss",
    5318: "callable",
    5364: "task",
    5365: "mesh",
}
STORAGE_CLASSES = {
    0: "UniformConstant",
    1: "Input",
    2: "Uniform",
    3: "Output",
    4: "Workgroup",
    5: "CrossWorkgroup",
    6: "Private",
    7: "Function",
    8: "Generic",
    9: "PushConstant",
    10: "AtomicCounter",
    11: "Image",
    12: "StorageBuffer",
    5328: "CallableDataKHR",
    5329: "IncomingCallableDataKHR",
    5338: "RayPayloadKHR",
    5339: "HitAttributeKHR",
    5342: "IncomingRayPayloadKHR",
    5343: "ShaderRecordBufferKHR",
    5349: "PhysicalStorageBuffer",
}
BUILTINS = {
    0: "Position",
    1: "PointSize",
    3: "ClipDistance",
    4: "CullDistance",
    5: "VertexId",
    6: "InstanceId",
    7: "PrimitiveId",
    9: "Layer",
    10: "ViewportIndex",
    15: "FragCoord",
    16: "PointCoord",
    17: "FrontFacing",
    18: "SampleId",
    19: "SamplePosition",
    20: "SampleMask",
    22: "FragDepth",
    24: "NumWorkgroups",
    25: "WorkgroupSize",
    26: "WorkgroupId",
    27: "LocalInvocationId",
    28: "GlobalInvocationId",
    29: "LocalInvocationIndex",
    42: "VertexIndex",
    43: "InstanceIndex",
    4424: "BaseVertex",
    4425: "BaseInstance",
    4426: "DrawIndex",
    4440: "DeviceIndex",
    4438: "ViewIndex",
}
# decorations read (others are kept by number)
DECORATIONS = {
    1: "SpecId",
    2: "Block",
    3: "BufferBlock",
    4: "RowMajor",
    5: "ColMajor",
    6: "ArrayStride",
    7: "MatrixStride",
    11: "BuiltIn",
    13: "NoPerspective",
    14: "Flat",
    15: "Patch",
    16: "Centroid",
    17: "Sample",
    30: "Location",
    31: "Component",
    32: "Index",
    33: "Binding",
    34: "DescriptorSet",
    35: "Offset",
}
IMAGE_DIMS = {0: "1D", 1: "2D", 2: "3D", 3: "Cube", 4: "Rect", 5: "Buffer", 6: "SubpassData"}

# opcodes
OP_NAME, OP_MEMBER_NAME, OP_ENTRY_POINT = 5, 6, 15
OP_TYPE_VOID, OP_TYPE_BOOL, OP_TYPE_INT, OP_TYPE_FLOAT, OP_TYPE_VECTOR, OP_TYPE_MATRIX = (
    19,
    20,
    21,
    22,
    23,
    24,
)
OP_TYPE_IMAGE, OP_TYPE_SAMPLER, OP_TYPE_SAMPLED_IMAGE, OP_TYPE_ARRAY, OP_TYPE_RUNTIME_ARRAY = (
    25,
    26,
    27,
    28,
    29,
)
OP_TYPE_STRUCT, OP_TYPE_POINTER = 30, 32
OP_TYPE_ACCELERATION_STRUCTURE = 5341
OP_CONSTANT, OP_SPEC_CONSTANT = 43, 50
OP_VARIABLE, OP_STORE, OP_ACCESS_CHAIN, OP_IN_BOUNDS_ACCESS_CHAIN = 59, 62, 65, 66
OP_DECORATE, OP_MEMBER_DECORATE = 71, 72


class SpirvError(RendererError):
    """Words that are not a SPIR-V module this reader understands."""


@dataclass
class Type:
    """A SPIR-V type. `kind`: "void", "bool", "int", "float", "vector", "matrix", "array", "runtime_array",
    "struct", "image", "sampler", "sampled_image", "pointer", "acceleration_structure" or "other".
    Scalars have `width` (and `signed` for int); vectors and matrices `element` and `count` (components or
    columns); arrays `element` and `length` (None for a runtime array); structs `members`; images `dim` and
    `sampled` (1: with a sampler, 2: storage) and `format` (IMAGE_FORMATS' name; "" for Unknown); pointers `storage` and `element`. `decorations` are the type's
    own (Block, ArrayStride, ...), `member_decorations` per member index; `name` and `member_names` from the
    module's debug names, if any."""

    kind: str
    width: int = 0
    signed: bool = False
    element: Type | None = None
    count: int = 0
    length: int | None = None
    members: list = field(default_factory=list)
    dim: str = ""
    sampled: int = 0
    format: str = ""
    storage: str = ""
    decorations: dict = field(default_factory=dict)
    member_decorations: dict = field(default_factory=dict)
    name: str = ""
    member_names: dict = field(default_factory=dict)

    # -- what a check needs of a type

    def scalar(self) -> Type:
        """The scalar type at the bottom of vectors, matrices and arrays (self for a scalar or a struct)."""
        t = self
        while t.kind in ("vector", "matrix", "array", "runtime_array"):
            t = t.element
        return t

    def scalar_name(self) -> str:
        """GLSL's name of the scalar type: float, double, int, uint, int64_t, float16_t, bool, ..."""
        s = self.scalar()
        if s.kind == "float":
            return {32: "float", 64: "double", 16: "float16_t"}.get(s.width, f"float{s.width}_t")
        if s.kind == "int":
            if s.width == 32:
                return "int" if s.signed else "uint"
            return f"{'' if s.signed else 'u'}int{s.width}_t"
        return s.kind

    def glsl(self) -> str:
        """The type as GLSL writes it: vec3, ivec2, mat4, dvec2, float[4], struct Block, sampler2D, ..."""
        if self.kind in ("float", "int", "bool"):
            return self.scalar_name()
        if self.kind == "vector":
            prefix = {"float": "", "double": "d", "int": "i", "uint": "u", "bool": "b"}.get(
                self.scalar_name()
            )
            if prefix is None:
                return f"{self.scalar_name()}vec{self.count}"  # f16vec3, i64vec2, ...
            return f"{prefix}vec{self.count}"
        if self.kind == "matrix":
            rows = self.element.count
            prefix = "d" if self.scalar_name() == "double" else ""
            return f"{prefix}mat{self.count}" + ("" if rows == self.count else f"x{rows}")
        if self.kind == "array":
            return f"{self.element.glsl()}[{self.length}]"
        if self.kind == "runtime_array":
            return f"{self.element.glsl()}[]"
        if self.kind == "struct":
            kind = "block" if "Block" in self.decorations or "BufferBlock" in self.decorations else "struct"
            return f"{kind} {self.name}" if self.name else kind
        if self.kind == "image":
            kind = {1: "texture", 2: "image"}.get(self.sampled, "image")
            return f"{kind}{self.dim}"
        if self.kind == "sampled_image":
            return f"sampler{self.element.dim}"
        return self.kind

    def locations(self) -> int:
        """Interface locations a variable of this type takes (64-bit vec3/vec4 take two per element)."""
        if self.kind in ("float", "int", "bool"):
            return 1
        if self.kind == "vector":
            return 2 if self.element.width == 64 and self.count > 2 else 1
        if self.kind == "matrix":
            return self.count * self.element.locations()
        if self.kind == "array":
            return (self.length or 0) * self.element.locations()
        if self.kind == "struct":
            return sum(m.locations() for m in self.members)
        return 1

    def size(self) -> int:
        """Bytes a value of this type takes in a buffer or push-constant block, by its explicit layout
        (Offset, ArrayStride, MatrixStride); a runtime array counts as empty."""
        if self.kind in ("float", "int", "bool"):
            return max(self.width, 32) // 8
        if self.kind == "vector":
            return self.count * self.element.size()
        if self.kind == "matrix":  # column-major unless a member decoration says otherwise (see member_size)
            return self.count * self.element.size()
        if self.kind == "array":
            stride = self.decorations.get("ArrayStride", self.element.size())
            return (self.length or 0) * stride
        if self.kind == "runtime_array":
            return 0
        if self.kind == "pointer":  # a PhysicalStorageBuffer address
            return 8
        if self.kind == "struct":
            end = 0
            for i in range(len(self.members)):
                offset = self.member_decorations.get(i, {}).get("Offset", end)
                end = max(end, offset + self.member_size(i))
            return end
        return 0

    def member_size(self, i: int) -> int:
        """Bytes struct member `i` takes, its matrix stride and majorness counted."""
        member, decorations = self.members[i], self.member_decorations.get(i, {})
        if member.kind == "matrix" and "MatrixStride" in decorations:
            vectors = member.element.count if "RowMajor" in decorations else member.count
            return vectors * decorations["MatrixStride"]
        return member.size()


@dataclass
class Variable:
    """A module-scope variable: its id, storage class, the type it points to, its decorations and name."""

    id: int
    storage: str
    type: Type
    decorations: dict
    name: str = ""

    @property
    def builtin(self) -> str | None:
        """The BuiltIn it is (gl_FragCoord, ...), or that its block's members are (gl_PerVertex), or None."""
        if "BuiltIn" in self.decorations:
            return self.decorations["BuiltIn"]
        t = self.type
        while t.kind == "array":
            t = t.element
        for decorations in t.member_decorations.values():
            if "BuiltIn" in decorations:
                return decorations["BuiltIn"]
        return None

    def label(self) -> str:
        """`vec3 'v_normal'`, or just the type when the module has no names."""
        return f"{self.type.glsl()} '{self.name}'" if self.name else self.type.glsl()


@dataclass(frozen=True)
class Slot:
    """One 32-bit component of one interface location, and what fills it: the scalar type (float, int, uint,
    double, ...), the variable, the name of the part of it (a block's member) and its interpolation."""

    location: int
    component: int
    scalar: str
    variable: Variable = field(compare=False)
    part: str = field(default="", compare=False)
    flat: bool = field(default=False, compare=False)


@dataclass
class Descriptor:
    """A descriptor a shader uses: (set, binding), its kind (as Vulkan's descriptor types are named: "uniform
    buffer", "storage buffer", "combined image sampler", "sampled image", "sampler", "storage image", "uniform
    texel buffer", "storage texel buffer", "input attachment", "acceleration structure"), the array count
    (None: a runtime array), a buffer block's size in bytes, and the variable."""

    set: int
    binding: int
    kind: str
    count: int | None
    size: int
    variable: Variable


@dataclass
class EntryPoint:
    """An entry point: its execution model ("vertex", "fragment", "compute", ...), its name and the
    module-scope variables it uses (its interface list, and every resource variable of the module)."""

    model: str
    name: str
    variables: list
    module: Module = field(repr=False)

    def _slots(self, storage: str) -> list[Slot]:
        slots: list[Slot] = []
        for v in self.variables:
            if v.storage != storage or v.builtin is not None:
                continue
            t = v.type
            if (
                self.model in ("tessellation control", "tessellation evaluation", "geometry")
                and "Patch" not in v.decorations
            ):
                if t.kind == "array":  # per-vertex arrays of these stages: one element is the interface
                    t = t.element
            if t.locations() > MAX_LOCATIONS:
                raise SpirvError(
                    f"{storage.lower()} {v.label()} takes {t.locations()} locations; no device has more "
                    f"than {MAX_LOCATIONS}"
                )
            location = v.decorations.get("Location")
            component = v.decorations.get("Component", 0) % 4  # larger is invalid SPIR-V
            flat = "Flat" in v.decorations
            if t.kind == "struct":
                slots += self._struct_slots(v, t, location, flat)
            elif location is not None:
                slots += _flatten(v, t, location, component, v.name, flat)
        return slots

    def _struct_slots(self, v: Variable, t: Type, location: int | None, flat: bool) -> list[Slot]:
        slots: list[Slot] = []
        next_location = location
        for i, member in enumerate(t.members):
            decorations = t.member_decorations.get(i, {})
            loc = decorations.get("Location", next_location)
            if loc is None:
                continue
            part = t.member_names.get(i, "") or f"member {i}"
            part = f"{v.name}.{part}" if v.name else part
            slots += _flatten(
                v, member, loc, decorations.get("Component", 0), part, flat or "Flat" in decorations
            )
            next_location = loc + member.locations()
        return slots

    def inputs(self) -> list[Slot]:
        """The user-defined inputs (Location-decorated, built-ins left out), one Slot per component."""
        return self._slots("Input")

    def outputs(self) -> list[Slot]:
        """The user-defined outputs, one Slot per component."""
        return self._slots("Output")

    def descriptors(self) -> list[Descriptor]:
        """The descriptors the entry point's module declares (sorted by set and binding)."""
        found = []
        for v in self.variables:
            kind = _descriptor_kind(v)
            if kind is None:
                continue
            t, count = v.type, 1
            if t.kind in ("array", "runtime_array"):
                count, t = t.length, t.element
            size = t.size() if kind in ("uniform buffer", "storage buffer") else 0
            found.append(
                Descriptor(
                    v.decorations.get("DescriptorSet", 0),
                    v.decorations.get("Binding", 0),
                    kind,
                    count,
                    size,
                    v,
                )
            )
        return sorted(found, key=lambda d: (d.set, d.binding))

    def push_constant_size(self) -> int:
        """Bytes of push constants the entry point's block spans (from offset 0); 0 without one."""
        return max((v.type.size() for v in self.variables if v.storage == "PushConstant"), default=0)

    def writes_builtin(self, builtin: str) -> bool:
        """Whether the module stores to output built-in `builtin` (a variable of it, or a member of gl_PerVertex)."""
        return self.module.stores_builtin(builtin)


class Module:
    """The parsed module: `entry_points`, `variables` (id -> Variable) and `types` (id -> Type)."""

    def __init__(self, words: list[int]):
        self.version = ((words[1] >> 16) & 0xFF, (words[1] >> 8) & 0xFF)
        self.types: dict[int, Type] = {}
        self.variables: dict[int, Variable] = {}
        self.entry_points: list[EntryPoint] = []
        self._constants: dict[int, int] = {}
        self._access_chains: dict[int, tuple[int, list[int]]] = {}  # result -> (base, indices)
        self._stored: list[int] = []  # pointers stored to
        names: dict[int, str] = {}
        member_names: dict[int, dict[int, str]] = {}
        decorations: dict[int, dict] = {}
        member_decorations: dict[int, dict[int, dict]] = {}
        entries = []
        i, n = 5, len(words)
        while i < n:
            count, op = words[i] >> 16, words[i] & 0xFFFF
            if count == 0 or i + count > n:
                raise SpirvError(f"an instruction at word {i} runs past the end of the module")
            args = words[i + 1 : i + count]
            try:
                self._instruction(op, args, names, member_names, decorations, member_decorations, entries)
            except IndexError as exc:
                raise SpirvError(f"the instruction at word {i} (opcode {op}) lacks operands") from exc
            i += count
        self._finish(names, member_names, decorations, member_decorations, entries)

    def _instruction(self, op, args, names, member_names, decorations, member_decorations, entries) -> None:
        """Read one instruction of the few this reader needs (the debug names and decorations into the dicts
        given, kept until `_finish`)."""
        if op == OP_NAME:
            names[args[0]] = _string(args[1:])[0]
        elif op == OP_MEMBER_NAME:
            member_names.setdefault(args[0], {})[args[1]] = _string(args[2:])[0]
        elif op == OP_ENTRY_POINT:
            name, rest = _string(args[2:])
            entries.append((EXECUTION_MODELS.get(args[0], f"model {args[0]}"), name, rest))
        elif op == OP_DECORATE:
            _decorate(decorations.setdefault(args[0], {}), args[1], args[2:])
        elif op == OP_MEMBER_DECORATE:
            _decorate(member_decorations.setdefault(args[0], {}).setdefault(args[1], {}), args[2], args[3:])
        elif OP_TYPE_VOID <= op <= OP_TYPE_POINTER or op == OP_TYPE_ACCELERATION_STRUCTURE:
            self._type(op, args)
        elif op in (OP_CONSTANT, OP_SPEC_CONSTANT) and len(args) >= 3:
            self._constants[args[1]] = args[2]
        elif op == OP_VARIABLE:
            pointer = self.types.get(args[0])
            if pointer is None or pointer.kind != "pointer":
                raise SpirvError(f"variable %{args[1]} has no pointer type")
            storage = STORAGE_CLASSES.get(args[2], f"storage class {args[2]}")
            if storage != "Function":
                self.variables[args[1]] = Variable(args[1], storage, pointer.element, {})
        elif op in (OP_ACCESS_CHAIN, OP_IN_BOUNDS_ACCESS_CHAIN):
            self._access_chains[args[1]] = (args[2], list(args[3:]))
        elif op == OP_STORE:
            self._stored.append(args[0])

    def _finish(self, names, member_names, decorations, member_decorations, entries) -> None:
        for type_id, t in self.types.items():
            t.decorations = decorations.get(type_id, {})
            t.member_decorations = member_decorations.get(type_id, {})
            t.name, t.member_names = names.get(type_id, ""), member_names.get(type_id, {})
        for var_id, v in self.variables.items():
            v.decorations, v.name = decorations.get(var_id, {}), names.get(var_id, "")
        resources = [v for v in self.variables.values() if _descriptor_kind(v) or v.storage == "PushConstant"]
        for model, name, interface in entries:
            used = [self.variables[j] for j in interface if j in self.variables]
            if self.version < (
                1,
                4,
            ):  # the interface listed only Input and Output: resources are the module's
                used += [v for v in resources if v not in used]
            self.entry_points.append(EntryPoint(model, name, used, self))

    def _type(self, op: int, args: list[int]) -> None:
        result = args[0]

        def get(type_id: int) -> Type:
            if type_id not in self.types:
                raise SpirvError(
                    f"type %{result} is made of %{type_id}, which is not a type defined before it"
                )
            return self.types[type_id]

        if op == OP_TYPE_VOID:
            t = Type("void")
        elif op == OP_TYPE_BOOL:
            t = Type("bool", width=32)
        elif op == OP_TYPE_INT:
            t = Type("int", width=args[1], signed=bool(args[2]))
        elif op == OP_TYPE_FLOAT:
            t = Type("float", width=args[1])
        elif op in (OP_TYPE_VECTOR, OP_TYPE_MATRIX):
            kind = "vector" if op == OP_TYPE_VECTOR else "matrix"
            if not 2 <= args[2] <= 16:
                raise SpirvError(f"type %{result} is a {kind} of {args[2]} components")
            t = Type(kind, element=get(args[1]), count=args[2])
        elif op == OP_TYPE_IMAGE:
            t = Type(
                "image",
                element=get(args[1]),
                dim=IMAGE_DIMS.get(args[2], str(args[2])),
                sampled=args[6],
                format=IMAGE_FORMATS.get(args[7], f"format {args[7]}"),
            )
        elif op == OP_TYPE_SAMPLER:
            t = Type("sampler")
        elif op == OP_TYPE_SAMPLED_IMAGE:
            t = Type("sampled_image", element=get(args[1]))
        elif op == OP_TYPE_ARRAY:
            t = Type("array", element=get(args[1]), length=self._constants.get(args[2]))
        elif op == OP_TYPE_RUNTIME_ARRAY:
            t = Type("runtime_array", element=get(args[1]))
        elif op == OP_TYPE_STRUCT:
            t = Type("struct", members=[get(m) for m in args[1:]])
        elif op == OP_TYPE_POINTER:
            # a pointer declared by OpTypeForwardPointer points to a type defined after it
            element = self.types.get(args[2]) or Type("other")
            t = Type("pointer", storage=STORAGE_CLASSES.get(args[1], str(args[1])), element=element)
        elif op == OP_TYPE_ACCELERATION_STRUCTURE:
            t = Type("acceleration_structure")
        else:  # OpTypeOpaque, OpTypeFunction, events, pipes, ...
            t = Type("other")
        self.types[result] = t

    def entry_point(self, name: str = "main") -> EntryPoint | None:
        return next((e for e in self.entry_points if e.name == name), None)

    def stores_builtin(self, builtin: str) -> bool:
        for pointer in self._stored:
            if pointer in self.variables:
                v = self.variables[pointer]
                if v.storage == "Output" and v.decorations.get("BuiltIn") == builtin:
                    return True
                continue
            chain = self._access_chains.get(pointer)
            if chain is None or chain[0] not in self.variables:
                continue
            base, indices = self.variables[chain[0]], chain[1]
            t = base.type
            if base.storage != "Output":
                continue
            if base.decorations.get("BuiltIn") == builtin:
                return True
            if t.kind == "array" and indices:  # gl_out[] of a tessellation control shader
                t, indices = t.element, indices[1:]
            if t.kind == "struct" and indices:
                member = self._constants.get(indices[0])
                if t.member_decorations.get(member, {}).get("BuiltIn") == builtin:
                    return True
        return False


def _string(words: list[int]) -> tuple[str, list[int]]:
    """A literal string (nul-terminated, packed little-endian) and the words after it."""
    raw = b"".join(struct.pack("<I", w) for w in words)
    end = raw.find(b"\0")
    if end < 0:
        raise SpirvError("a literal string has no terminating nul")
    return raw[:end].decode("utf-8", errors="replace"), words[end // 4 + 1 :]


def _decorate(target: dict, decoration: int, operands: list[int]) -> None:
    name = DECORATIONS.get(decoration, decoration)
    if name == "BuiltIn":
        target[name] = BUILTINS.get(operands[0], f"BuiltIn {operands[0]}")
    else:
        target[name] = operands[0] if operands else True


def _descriptor_kind(v: Variable) -> str | None:
    t = v.type
    while t.kind in ("array", "runtime_array"):
        t = t.element
    if v.storage == "StorageBuffer":
        return "storage buffer"
    if v.storage == "Uniform":
        return "storage buffer" if "BufferBlock" in t.decorations else "uniform buffer"
    if v.storage != "UniformConstant":
        return None
    if t.kind == "sampled_image":
        return "uniform texel buffer" if t.element.dim == "Buffer" else "combined image sampler"
    if t.kind == "sampler":
        return "sampler"
    if t.kind == "acceleration_structure":
        return "acceleration structure"
    if t.kind == "image":
        if t.dim == "SubpassData":
            return "input attachment"
        if t.dim == "Buffer":
            return "storage texel buffer" if t.sampled == 2 else "uniform texel buffer"
        return "storage image" if t.sampled == 2 else "sampled image"
    return None


def _flatten(v: Variable, t: Type, location: int, component: int, part: str, flat: bool) -> list[Slot]:
    """The slots a value of type `t` at (`location`, `component`) fills."""
    if t.kind in ("float", "int", "bool"):
        words = 2 if t.width == 64 else 1
        return [Slot(location, component + w, t.scalar_name(), v, part, flat) for w in range(words)]
    if t.kind == "vector":
        words = t.count * (2 if t.element.width == 64 else 1)
        name = t.scalar_name()
        return [
            Slot(location + (component + w) // 4, (component + w) % 4, name, v, part, flat)
            for w in range(words)
        ]
    if t.kind in ("matrix", "array"):
        step, slots = t.element.locations(), []
        for k in range(t.count if t.kind == "matrix" else (t.length or 0)):
            slots += _flatten(v, t.element, location + k * step, component, part, flat)
        return slots
    if t.kind == "struct":
        slots = []
        for i, member in enumerate(t.members):
            name = t.member_names.get(i, "") or f"member {i}"
            slots += _flatten(v, member, location, 0, f"{part}.{name}", flat)
            location += member.locations()
        return slots
    return []


def reflect(spirv: bytes) -> Module:
    """Parse a SPIR-V binary (either byte order)."""
    if len(spirv) < 20 or len(spirv) % 4:
        raise SpirvError(
            f"{len(spirv)} bytes are not a SPIR-V module (a header of 5 words, then whole words)"
        )
    words = list(struct.unpack(f"<{len(spirv) // 4}I", spirv))
    if words[0] != MAGIC:
        if words[0] == 0x03022307:
            words = list(struct.unpack(f">{len(spirv) // 4}I", spirv))
        else:
            raise SpirvError(
                f"not SPIR-V: the first word is {words[0]:#010x}, not the magic number {MAGIC:#010x}"
            )
    return Module(words)
