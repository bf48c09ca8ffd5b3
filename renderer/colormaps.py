"""Named colormaps for the scene API's `scalars=` (particles, meshes, lines), and colour bars for a UI.

Each colormap is a table of 256 RGB entries (8 bits each: matplotlib's own tables for viridis, magma, turbo,
coolwarm and gray, sampled at 256 points). A scalar `s` mapped with the range (lo, hi) takes `t = (s - lo) /
(hi - lo)`, clamped to 0..1, and the colour interpolated linearly between entries `t * 255`: at `s = lo + k /
255 * (hi - lo)` it is exactly entry `k`; a NaN scalar takes entry 0, and with an empty range (lo == hi: "auto"
over equal scalars) every scalar the middle of the map. The GPU does the same in float32 (shaders/colormap.comp),
with the halves of the distances, so that a range may span all of float32; `sample()` here gives the colours it
should give, `colorbar()` an image of a colormap to show beside the scene.

This module is numpy only: it opens no device and may be used anywhere (a UI, a test, a plot).
"""

from __future__ import annotations

import numbers

import numpy as np

from .checks import checked_flag, checked_int
from .errors import ArgumentError

# name -> 256 RGB entries, as hex of 768 bytes (made from matplotlib 3.11's tables; tests/test_colors.py
# compares them with samples of matplotlib's, tests/matplotlib_colormaps.py)
_TABLES = {
    "viridis": (
        "44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748166848176948186a481a6c"
        "481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a472d7b472e7c472f7d46307e"
        "46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85424086424186414287414487404588404688"
        "3f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c"
        "375b8d365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e"
        "2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e"
        "277e8e277f8e27808e26818e26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d"
        "218f8d21908d21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88"
        "1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae8029af7f"
        "2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc743fbc7340bd7242be7144bf70"
        "46c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b"
        "6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d840"
        "98d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021"
        "c8e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61e"
        "f6e620f8e621fbe723fde725"
    ),
    "magma": (
        "00000401000501010601010802010902020b02020d03030f03031204041405041606051806051a07061c08071e0907200a08220b0924"
        "0c09260d0a290e0b2b100b2d110c2f120d31130d34140e36150e38160f3b180f3d19103f1a10421c10441d11471e114920114b21114e"
        "22115024125325125527125829115a2a115c2c115f2d11612f116331116533106734106936106b38106c390f6e3b0f703d0f713f0f72"
        "400f74420f75440f764510774710784910784a10794c117a4e117b4f127b51127c52137c54137d56147d57157e59157e5a167e5c167f"
        "5d177f5f187f601880621980641a80651a80671b80681c816a1c816b1d816d1d816e1e81701f81721f81732081752181762181782281"
        "7922827b23827c23827e24828025828125818326818426818627818827818928818b29818c29818e2a81902a81912b81932b80942c80"
        "962c80982d80992d809b2e7f9c2e7f9e2f7fa02f7fa1307ea3307ea5317ea6317da8327daa337dab337cad347cae347bb0357bb2357b"
        "b3367ab5367ab73779b83779ba3878bc3978bd3977bf3a77c03a76c23b75c43c75c53c74c73d73c83e73ca3e72cc3f71cd4071cf4070"
        "d0416fd2426fd3436ed5446dd6456cd8456cd9466bdb476adc4869de4968df4a68e04c67e24d66e34e65e44f64e55064e75263e85362"
        "e95462ea5661eb5760ec5860ed5a5fee5b5eef5d5ef05f5ef1605df2625df2645cf3655cf4675cf4695cf56b5cf66c5cf66e5cf7705c"
        "f7725cf8745cf8765cf9785df9795df97b5dfa7d5efa7f5efa815ffb835ffb8560fb8761fc8961fc8a62fc8c63fc8e64fc9065fd9266"
        "fd9467fd9668fd9869fd9a6afd9b6bfe9d6cfe9f6dfea16efea36ffea571fea772fea973feaa74feac76feae77feb078feb27afeb47b"
        "feb67cfeb77efeb97ffebb81febd82febf84fec185fec287fec488fec68afec88cfeca8dfecc8ffecd90fecf92fed194fed395fed597"
        "fed799fed89afdda9cfddc9efddea0fde0a1fde2a3fde3a5fde5a7fde7a9fde9aafdebacfcecaefceeb0fcf0b2fcf2b4fcf4b6fcf6b8"
        "fcf7b9fcf9bbfcfbbdfcfdbf"
    ),
    "coolwarm": (
        "3b4cc03c4ec23d50c33e51c53f53c64055c84257c94358cb445acc455cce465ecf485fd14961d24a63d34b64d54c66d64e68d84f69d9"
        "506bda516ddb536edd5470de5572df5673e05875e15977e35a78e45b7ae55d7ce65e7de75f7fe86180e96282ea6384eb6485ec6687ed"
        "6788ee688aef6a8bef6b8df06c8ff16e90f26f92f37093f37295f47396f57597f67699f6779af7799cf87a9df87b9ff97da0f97ea1fa"
        "80a3fa81a4fb82a6fb84a7fc85a8fc86a9fc88abfd89acfd8badfd8caffe8db0fe8fb1fe90b2fe92b4fe93b5fe94b6ff96b7ff97b8ff"
        "98b9ff9abbff9bbcff9dbdff9ebeff9fbfffa1c0ffa2c1ffa3c2fea5c3fea6c4fea7c5fea9c6fdaac7fdabc8fdadc9fdaec9fcafcafc"
        "b1cbfcb2ccfbb3cdfbb5cdfab6cefab7cff9b9d0f9bad0f8bbd1f8bcd2f7bed2f6bfd3f6c0d4f5c1d4f4c3d5f4c4d5f3c5d6f2c6d6f1"
        "c7d7f0c9d7f0cad8efcbd8eeccd9edcdd9eccedaebcfdaead1dae9d2dbe8d3dbe7d4dbe6d5dbe5d6dce4d7dce3d8dce2d9dce1dadce0"
        "dbdcdedcdddddddcdcdedcdbdfdbd9e0dbd8e1dad6e2dad5e3d9d3e4d9d2e5d8d1e6d7cfe7d7cee8d6cce9d5cbead5c9ead4c8ebd3c6"
        "ecd3c5edd2c3edd1c2eed0c0efcfbfefcebdf0cdbbf1cdbaf1ccb8f2cbb7f2cab5f2c9b4f3c8b2f3c7b1f4c6aff4c5adf5c4acf5c2aa"
        "f5c1a9f5c0a7f6bfa6f6bea4f6bda2f7bca1f7ba9ff7b99ef7b89cf7b79bf7b599f7b497f7b396f7b194f7b093f7af91f7ad90f7ac8e"
        "f7aa8cf7a98bf7a889f7a688f6a586f6a385f6a283f5a081f59f80f59d7ef59c7df49a7bf4987af39778f39577f39475f29274f29072"
        "f18f71f18d6ff08b6ef08a6cef886bee8669ee8468ed8366ec8165ec7f63eb7d62ea7b60e97a5fe9785de8765ce7745be67259e57058"
        "e46e56e36c55e36b54e26952e16751e0654fdf634ede614ddd5f4bdc5d4ada5a49d95847d85646d75445d65244d55042d44e41d24b40"
        "d1493fd0473dcf453ccd423bcc403acb3e38ca3b37c83836c73635c53334c43032c32e31c12b30c0282fbe242ebd1f2dbb1b2cba162b"
        "b8122ab70d28b50927b40426"
    ),
    "turbo": (
        "30123b32154333184a341b51351e5836215f37246638276d392a733a2d793b2f803c32863d358b3e38913f3b973f3e9c4040a24143a7"
        "4146ac4249b1424bb5434eba4451bf4454c34456c74559cb455ccf455ed34661d64664da4666dd4669e0466be3476ee64771e94773eb"
        "4776ee4778f0477bf2467df44680f64682f84685fa4687fb458afc458cfd448ffe4391fe4294ff4196ff4099ff3e9bfe3d9efe3ba0fd"
        "3aa3fc38a5fb37a8fa35abf833adf731aff52fb2f42eb4f22cb7f02ab9ee28bceb27bee925c0e723c3e422c5e220c7df1fc9dd1ecbda"
        "1ccdd81bd0d51ad2d21ad4d019d5cd18d7ca18d9c818dbc518ddc218dec018e0bd19e2bb19e3b91ae4b61ce6b41de7b21fe9af20eaac"
        "22ebaa25eca727eea42aefa12cf09e2ff19b32f29835f39438f4913cf58e3ff68a43f78746f8844af8804ef97d52fa7a55fa7659fb73"
        "5dfc6f61fc6c65fd6969fd666dfe6271fe5f75fe5c79fe597dff5680ff5384ff5188ff4e8bff4b8fff4992ff4796fe4499fe429cfe40"
        "9ffd3fa1fd3da4fc3ca7fc3aa9fb39acfb38affa37b1f936b4f836b7f735b9f635bcf534bef434c1f334c3f134c6f034c8ef34cbed34"
        "cdec34d0ea34d2e935d4e735d7e535d9e436dbe236dde037dfdf37e1dd37e3db38e5d938e7d739e9d539ebd339ecd13aeecf3aefcd3a"
        "f1cb3af2c93af4c73af5c53af6c33af7c13af8be39f9bc39faba39fbb838fbb637fcb336fcb136fdae35fdac34fea933fea732fea431"
        "fea130fe9e2ffe9b2dfe992cfe962bfe932afe9029fd8d27fd8a26fc8725fc8423fb8122fb7e21fa7b1ff9781ef9751df8721cf76f1a"
        "f66c19f56918f46617f36315f26014f15d13f05b12ef5811ed5510ec530feb500eea4e0de84b0ce7490ce5470be4450ae2430ae14109"
        "df3f08dd3d08dc3b07da3907d83706d63506d43305d23105d02f05ce2d04cc2b04ca2a04c82803c52603c32503c12302be2102bc2002"
        "b91e02b71d02b41b01b21a01af1801ac1701a91601a71401a41301a112019e10019b0f01980e01950d01920b018e0a018b0902880802"
        "8507028106027e05027a0403"
    ),
    "grey": (
        "0000000101010202020303030404040505050606060707070808080909090a0a0a0b0b0b0c0c0c0d0d0d0e0e0e0f0f0f101010111111"
        "1212121313131414141515151616161717171818181919191a1a1a1b1b1b1c1c1c1d1d1d1e1e1e1f1f1f202020212121222222232323"
        "2424242525252626262727272828282929292a2a2a2b2b2b2c2c2c2d2d2d2e2e2e2f2f2f303030313131323232333333343434353535"
        "3636363737373838383939393a3a3a3b3b3b3c3c3c3d3d3d3e3e3e3f3f3f404040414141424242434343444444454545464646474747"
        "4848484949494a4a4a4b4b4b4c4c4c4d4d4d4e4e4e4f4f4f505050515151525252535353545454555555565656575757585858595959"
        "5a5a5a5b5b5b5c5c5c5d5d5d5e5e5e5f5f5f6060606161616262626363636464646565656666666767676868686969696a6a6a6b6b6b"
        "6c6c6c6d6d6d6e6e6e6f6f6f7070707171717272727373737474747575757676767777777878787979797a7a7a7b7b7b7c7c7c7d7d7d"
        "7e7e7e7f7f7f8080808181818282828383838484848585858686868787878888888989898a8a8a8b8b8b8c8c8c8d8d8d8e8e8e8f8f8f"
        "9090909191919292929393939494949595959696969797979898989999999a9a9a9b9b9b9c9c9c9d9d9d9e9e9e9f9f9fa0a0a0a1a1a1"
        "a2a2a2a3a3a3a4a4a4a5a5a5a6a6a6a7a7a7a8a8a8a9a9a9aaaaaaabababacacacadadadaeaeaeafafafb0b0b0b1b1b1b2b2b2b3b3b3"
        "b4b4b4b5b5b5b6b6b6b7b7b7b8b8b8b9b9b9babababbbbbbbcbcbcbdbdbdbebebebfbfbfc0c0c0c1c1c1c2c2c2c3c3c3c4c4c4c5c5c5"
        "c6c6c6c7c7c7c8c8c8c9c9c9cacacacbcbcbcccccccdcdcdcecececfcfcfd0d0d0d1d1d1d2d2d2d3d3d3d4d4d4d5d5d5d6d6d6d7d7d7"
        "d8d8d8d9d9d9dadadadbdbdbdcdcdcdddddddedededfdfdfe0e0e0e1e1e1e2e2e2e3e3e3e4e4e4e5e5e5e6e6e6e7e7e7e8e8e8e9e9e9"
        "eaeaeaebebebecececedededeeeeeeefefeff0f0f0f1f1f1f2f2f2f3f3f3f4f4f4f5f5f5f6f6f6f7f7f7f8f8f8f9f9f9fafafafbfbfb"
        "fcfcfcfdfdfdfefefeffffff"
    ),
}
NAMES = tuple(_TABLES)  # the colormaps `colormap=` takes
SIZE = 256  # entries per table


def check_name(name) -> str:
    """`name` if it names a colormap, else ArgumentError listing the ones there are."""
    if not (isinstance(name, str) and name in _TABLES):
        raise ArgumentError(f"unknown colormap {name!r}; the colormaps are {', '.join(NAMES)}")
    return name


def table(name: str) -> np.ndarray:
    """The colormap's 256 entries as a (256, 3) float32 array of RGB in 0..1 (entry k is byte value / 255)."""
    raw = np.frombuffer(bytes.fromhex("".join(_TABLES[check_name(name)])), np.uint8)
    return (raw.reshape(SIZE, 3).astype(np.float32) / np.float32(255)).astype(np.float32)


def _float32(value):
    """`value` as a float32 if it is a real number finite there (the GPU maps in float32), else None."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):  # not "0", "1"
        return None
    try:
        with np.errstate(over="ignore"):
            number = np.float32(value)
    except OverflowError:  # an int beyond float's range
        return None
    return number if np.isfinite(number) else None


def check_range(value) -> tuple | str:
    """`value` as (lo, hi) floats, finite in float32 with lo < hi, or "auto"; ArgumentError otherwise."""
    if isinstance(value, str) and value == "auto":
        return "auto"
    bounds = tuple(_float32(v) for v in value) if isinstance(value, (tuple, list)) and len(value) == 2 else ()
    if len(bounds) != 2 or None in bounds:
        raise ArgumentError(
            f'a colormap range is (lo, hi), two finite numbers, or "auto" (within float32, 3.4e38); not {value!r}'
        )
    if not bounds[0] < bounds[1]:  # also in float32, where the GPU divides by hi - lo
        raise ArgumentError(f"a colormap range (lo, hi) needs lo < hi, not {value!r}")
    return tuple(float(v) for v in value)


def sample(name: str, scalars, lo: float, hi: float) -> np.ndarray:
    """The colours (..., 3) float32 that scalars map to with the range (lo, hi), as the GPU maps them (to the
    bit on a CPU driver; a GPU's division may differ in the last bit): a NaN
    scalar to the first entry, every scalar to the middle of the map where lo == hi (or lo > hi), as "auto"
    does for scalars all equal. lo and hi are finite in float32 (ArgumentError)."""
    entries = table(name)
    lo32, hi32 = _float32(lo), _float32(hi)
    if lo32 is None or hi32 is None:
        raise ArgumentError(
            f"a colormap range's lo and hi must be finite numbers (within float32, 3.4e38), not {lo!r}, {hi!r}"
        )
    raw = np.asarray(scalars)
    if raw.dtype.kind not in "iuf":  # not "1" (numpy would convert it), None or a bool
        raise ArgumentError(f"sample's scalars must be numbers, not {scalars!r}"[:200])
    with np.errstate(all="ignore"):  # inf and NaN scalars map as on the GPU: clamped, and NaN to 0
        s = raw.astype(np.float32)
        half = np.float32(0.5)  # as the GPU: halves of the distances, which cannot overflow
        t = (s * half - lo32 * half) / (hi32 * half - lo32 * half) if lo32 < hi32 else np.full(s.shape, half)
    t = np.clip(np.where(np.isnan(t), np.float32(0), t), 0, 1) * np.float32(SIZE - 1)
    k = np.minimum(np.floor(t).astype(np.int64), SIZE - 2)
    f = (t - k)[..., None].astype(np.float32)
    return (entries[k] * (1 - f) + entries[k + 1] * f).astype(np.float32)


MAX_COLORBAR = 16384  # pixels along either side of a colorbar(), like a frame's


def colorbar(name: str, width: int = 256, height: int = 16, vertical: bool = False) -> np.ndarray:
    """An image of the colormap: (height, width, 4) RGBA uint8, low values on the left (at the bottom when
    `vertical`), for a UI or a legend beside a frame; each side at most MAX_COLORBAR pixels. Label it with the
    draw's range (`range_now()` of a particles, mesh or lines draw that maps scalars)."""
    for what, value in (("width", width), ("height", height)):
        if checked_int(f"colorbar {what}", value, least=1) > MAX_COLORBAR:
            raise ArgumentError(f"colorbar {what} must be at most {MAX_COLORBAR}, not {value!r}")
    vertical = checked_flag("colorbar vertical", vertical)
    length = height if vertical else width
    ramp = np.linspace(0.0, 1.0, length, dtype=np.float32)  # the ends: the first and last entries
    rgb = np.round(sample(name, ramp, 0.0, 1.0) * 255).astype(np.uint8)
    rgba = np.concatenate([rgb, np.full((length, 1), 255, np.uint8)], axis=1)
    if vertical:
        return np.ascontiguousarray(np.broadcast_to(rgba[::-1, None, :], (height, width, 4)))
    return np.ascontiguousarray(np.broadcast_to(rgba[None, :, :], (height, width, 4)))


__all__ = ["MAX_COLORBAR", "NAMES", "colorbar", "sample", "table"]
