"""The compile helpers of ``langevin_theory._jit``."""
import types

from langevin_theory import _jit


def _offset_kernel(x):
    return x + OFFSET  # noqa: F821 (bound by specialise)


def test_specialise_spells_long_binding_lists_as_a_digest():
    """numba's cache file names carry a specialised kernel's qualified name, and a file name
    may not exceed 255 bytes (a driver binding helpers that bind helpers exceeded it, and
    saving its cache entry raised OSError). A long binding list therefore enters the name as
    a digest: the kernel compiles and saves its cache entry, its name stays short, and two
    binding lists that differ only in a value get different names (they must not share a
    cache entry) while the same list gets the same name (so the cache serves it)."""
    long_names = {f"UNUSED_CONSTANT_WITH_A_DELIBERATELY_LONG_NAME_{i}": i for i in range(12)}
    one = _jit.specialise(_offset_kernel, {"OFFSET": 1, **long_names}, cache=True)
    two = _jit.specialise(_offset_kernel, {"OFFSET": 2, **long_names}, cache=True)
    assert one(1.0) == 2.0 and two(1.0) == 3.0  # compiled, and the cache entries saved
    full = "_".join(f"{k}-{v}" for k, v in sorted({"OFFSET": 1, **long_names}.items()))
    assert len(full) > 255
    assert len(one.py_func.__qualname__) < 160
    assert one.py_func.__qualname__ != two.py_func.__qualname__
    # a short list is spelled out as before
    short = _jit.specialise(_offset_kernel, {"OFFSET": 3}, cache=False, tag="short")
    assert short(1.0) == 4.0 and "OFFSET-3" in short.py_func.__qualname__
    # the same long list in a new specialisation (as in a new process: a fresh copy of the
    # kernel misses specialise's in-process memo) gets the same name
    fresh = types.FunctionType(_offset_kernel.__code__, _offset_kernel.__globals__,
                               _offset_kernel.__name__)
    fresh.__qualname__ = _offset_kernel.__qualname__
    again = _jit.specialise(fresh, {"OFFSET": 1, **long_names}, cache=True)
    assert again is not one
    assert again.py_func.__qualname__ == one.py_func.__qualname__
    assert again(5.0) == 6.0
