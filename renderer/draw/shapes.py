"""The built-in meshes that instances draw, made once on the host: (positions, normals, indices) as float32
(n, 3), float32 (n, 3) and uint32 (3 per triangle).

- "sphere": radius 0.5 about the origin (smooth normals).
- "cube": side 1 about the origin (flat faces: four vertices each).
- "arrow": from the origin (its tail) along +Z to its tip at z = 1; a shaft of radius 0.04 to z = 0.7, a cone
  of radius 0.1 from there to the tip, both ends closed.
"""

from __future__ import annotations

import numpy as np

SEGMENTS = 12  # around the sphere and the arrow


def _pack(positions, normals, indices) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.asarray(positions, np.float32).reshape(-1, 3),
        np.asarray(normals, np.float32).reshape(-1, 3),
        np.asarray(indices, np.uint32).reshape(-1),
    )


def sphere(rings: int = 8, segments: int = SEGMENTS):
    """A UV sphere of radius 0.5."""
    theta = np.linspace(0.0, np.pi, rings + 1)[:, None]  # from +Z down
    phi = np.linspace(0.0, 2 * np.pi, segments + 1)[None, :]
    unit = np.stack(
        np.broadcast_arrays(np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)), axis=-1
    ).reshape(-1, 3)
    row = segments + 1
    quads = [
        (r * row + s, (r + 1) * row + s, (r + 1) * row + s + 1, r * row + s + 1)
        for r in range(rings)
        for s in range(segments)
    ]
    indices = [t for a, b, c, d in quads for t in (a, b, c, a, c, d)]
    return _pack(unit * 0.5, unit, indices)


def cube():
    """A cube of side 1, flat-shaded."""
    positions, normals, indices = [], [], []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            n = np.zeros(3)
            n[axis] = sign
            u, v = np.zeros(3), np.zeros(3)
            u[(axis + 1) % 3], v[(axis + 2) % 3] = 0.5, 0.5
            base = len(positions)
            for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                positions.append(n * 0.5 + a * u + b * v)
                normals.append(n)
            indices += [base, base + 1, base + 2, base, base + 2, base + 3]
    return _pack(positions, normals, indices)


def arrow(segments: int = SEGMENTS, shaft: float = 0.04, head: float = 0.1, neck: float = 0.7):
    """An arrow from the origin to (0, 0, 1)."""
    angles = np.linspace(0.0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([np.cos(angles), np.sin(angles), np.zeros(segments)], axis=-1)
    z = np.array([0.0, 0.0, 1.0])
    positions, normals, indices = [], [], []

    def add(points, norms):
        base = len(positions)
        positions.extend(points)
        normals.extend(norms)
        return base

    def disk(radius, height, normal):  # a cap facing `normal`: centre, then the ring
        base = add([z * height, *(ring * radius + z * height)], [normal] * (segments + 1))
        for i in range(segments):
            indices.extend((base, base + 1 + i, base + 1 + (i + 1) % segments))

    disk(shaft, 0.0, -z)
    # the shaft: two rings with outward normals
    low = add(ring * shaft, ring)
    high = add(ring * shaft + z * neck, ring)
    for i in range(segments):
        j = (i + 1) % segments
        indices.extend((low + i, low + j, high + j, low + i, high + j, high + i))
    disk(head, neck, -z)
    # the cone: its base ring, and a tip per segment (the normal between its two base vertices)
    length = 1.0 - neck
    slant = ring * length + z * head
    slant /= np.linalg.norm(slant[0])
    base = add(ring * head + z * neck, slant)
    mid = angles + np.pi / segments
    mid_normal = np.stack([np.cos(mid) * length, np.sin(mid) * length, np.full(segments, head)], axis=-1)
    tips = add([z] * segments, mid_normal / np.linalg.norm(mid_normal[0]))
    for i in range(segments):
        indices.extend((base + i, base + (i + 1) % segments, tips + i))
    return _pack(positions, normals, indices)


BUILTIN = {"arrow": arrow, "cube": cube, "sphere": sphere}
