"""The project-wide numba helpers.

Every numba kernel of the package is compiled through :func:`jit`, so compile options live in
one place: ``cache=True`` (a warm cache makes ``import`` plus a first small ``simulate`` fast),
``fastmath=False`` (float64 results must be reproducible to the last bit across runs, thread
counts and chunkings) and ``error_model='numpy'`` (no Python-style ZeroDivisionError checks in
hot loops).

Kernels that must call a *target's gradient* reference a module-global name ``grad_point``
instead of taking the gradient as an argument: numba cannot cache a function that receives
another jitted function as a value (the dispatcher becomes a "dynamic global"). :func:`specialise`
rebinds that global and returns a compiled copy of the kernel: cached for the built-in targets
(one switch-dispatch gradient serves all of them), uncached for user-defined targets.
"""
from __future__ import annotations

import hashlib
import pathlib
import types

import numba
from llvmlite import ir
from numba.core import cgutils
from numba.core import types as nbtypes
from numba.extending import intrinsic

__all__ = ["jit", "hot", "specialise", "stack_array", "stack_array_uint64",
           "int64_bits_to_float64"]


def _kernel_source_hash() -> str:
    """Hash of every kernel source file of the package.

    numba invalidates a cached function only when *its own* file changes, but a cached driver
    embeds the code of the step kernels it calls from other files. Putting this hash into the
    names of specialised kernels makes any kernel edit produce fresh cache entries.
    """
    root = pathlib.Path(__file__).parent
    # every private module (kernels live in _*.py files, here and in subpackages), the tree
    # and the schemes
    files = sorted({*root.rglob("_*.py"), root / "brownian.py", *root.glob("schemes/*.py")})
    h = hashlib.sha1()
    for f in files:
        h.update(f.read_bytes())
    return h.hexdigest()[:10]


_SOURCE_HASH = _kernel_source_hash()


def jit(*args, **kwargs):
    """``numba.njit`` with the project's options (``cache=True``, no fastmath).

    A cached function's qualified name gets the hash of all kernel sources appended, so that a
    change to *any* kernel file gives every cached function a fresh cache entry (numba itself
    only checks the function's own file, while compiled code embeds callees from other files).
    """
    options = dict(cache=True, fastmath=False, error_model="numpy")
    options.update(kwargs)

    signature = args if args and not callable(args[0]) else ()

    def wrap(fn):
        if options["cache"] and not fn.__qualname__.endswith(_SOURCE_HASH):
            fn.__qualname__ = f"{fn.__qualname__}_{_SOURCE_HASH}"
        return numba.njit(*signature, **options)(fn)

    if args and callable(args[0]) and len(args) == 1:
        return wrap(args[0])
    return wrap


def hot(*args, **kwargs):
    """:func:`jit` for hot-path helpers that take arrays and allocate nothing: compiled without
    numba's reference-counting runtime (``_nrt=False``).

    Why: an NRT function increfs every array argument on entry and decrefs it on exit, two
    atomic operations through calls into the runtime (~5 ns each on this machine class). LLVM
    removes such pairs only when no loop or opaque call lies between them, so a helper with a
    loop inside (a gradient summing over components, the ziggurat's rejection loop, the tree
    descent) paid ~10 ns per array argument per call: more than the arithmetic of a 1-D step.
    Without NRT the arrays are borrowed for the call, which is safe because such helpers only
    read and write elements of arrays their caller owns. A helper compiled this way cannot
    allocate (numba refuses at compile time, so the rule cannot be broken silently).
    """
    return jit(*args, _nrt=False, **kwargs)


_SPECIALISED: dict = {}


#: longest binding list spelled out in a specialised kernel's name (see :func:`specialise`)
_BOUND_NAME_MAX = 64


def specialise(kernel, bindings: dict, *, cache: bool, tag: str = "", parallel: bool = False,
               inline: str = "never", nrt: bool = True):
    """Compile ``kernel`` (a plain Python function) with some of its globals rebound.

    Parameters
    ----------
    kernel : function
        Pure-Python kernel source calling globals such as ``grad_point(x, params, out)``.
    bindings : dict
        Global name -> compiled function (e.g. ``{"grad_point": target._grad_point}``) or a
        plain int/bool constant, which numba then folds into the code as a compile-time
        constant (e.g. the number of state blocks, so the overdamped kernel has no
        underdamped branches left in it).
    cache : bool
        Whether numba may cache the result on disk. Only for the built-in gradient: two
        different gradients bound to the same kernel would otherwise share one cache entry.
    tag : str
        Distinguishes uncached specialisations.
    parallel : bool
        Compile with ``parallel=True`` (``prange`` over chains).
    inline : {"never", "always"}
        numba IR inlining into callers (used for step kernels, so the refcount and call
        overhead of their many array arguments disappears from the hot loop).
    nrt : bool
        ``False`` compiles like :func:`hot`: no reference counting, no allocation.
    """
    def ident(v):
        # compiled functions by identity; plain constants (ints, bools) by value
        return v if isinstance(v, (int, float, bool)) else id(v)

    def name(v):
        return repr(v) if isinstance(v, (int, float, bool)) else getattr(v, "__name__",
                                                                         type(v).__name__)

    key = (kernel, tuple(sorted((k, ident(v)) for k, v in bindings.items())), cache, parallel,
           inline, nrt)
    if key in _SPECIALISED:
        return _SPECIALISED[key]
    glb = dict(kernel.__globals__)
    glb.update(bindings)
    fn = types.FunctionType(kernel.__code__, glb, kernel.__name__, kernel.__defaults__,
                            kernel.__closure__)
    # the cache is keyed by qualname and signature: the bound functions must enter the name,
    # or two specialisations of one kernel would share (and overwrite) one cache entry
    bound = "_".join(f"{k}-{name(v)}" for k, v in sorted(bindings.items()))
    if len(bound) > _BOUND_NAME_MAX:
        # numba's cache file names carry the qualname, and a file name may not exceed 255
        # bytes: a long binding list (a driver binding helpers that bind helpers) goes in as
        # a digest, the same in every process, so the cache still serves it
        bound = bound[:_BOUND_NAME_MAX // 2] + "_" + hashlib.sha1(bound.encode()).hexdigest()[:12]
    suffix = (("_par" if parallel else "") + ("" if nrt else "_hot") + "_" + bound
              + ("" if cache else "_" + (tag or "custom")))
    fn.__qualname__ = kernel.__qualname__ + suffix
    # and into the plain name, which is what a kernel binding this one puts into its own
    # cache name (two drivers binding differently specialised helpers must differ)
    fn.__name__ = kernel.__name__ + "__" + bound
    fn.__doc__ = kernel.__doc__
    extra = {} if nrt else {"_nrt": False}
    compiled = jit(fn, cache=cache, parallel=parallel, inline=inline, **extra)
    _SPECIALISED[key] = compiled
    return compiled


def _stack_array_typing(n, nb_dtype, ir_dtype):
    """Signature and codegen of a stack array of literal length ``n`` (8-byte items)."""
    if not isinstance(n, nbtypes.IntegerLiteral) or n.literal_value < 1:
        return None
    size = n.literal_value
    aryty = nbtypes.Array(nb_dtype, 1, "C")

    def codegen(context, builder, signature, args):
        from numba.np.arrayobj import make_array, populate_array

        data = cgutils.alloca_once(builder, ir_dtype, size=size)
        ary = make_array(aryty)(context, builder)
        intp = context.get_value_type(nbtypes.intp)
        populate_array(ary, data=data, shape=[ir.Constant(intp, size)],
                       strides=[ir.Constant(intp, 8)], itemsize=ir.Constant(intp, 8),
                       meminfo=None)
        return ary._getvalue()

    return aryty(n), codegen


@intrinsic
def stack_array(typingctx, n):
    """A float64 scratch array of literal length ``n`` on the stack of the compiled function.

    For allocation-free kernels (:func:`hot`) that need a few doubles of scratch whose count is
    only bounded, not fixed by an argument: ``buf = stack_array(32)``. The memory is an LLVM
    ``alloca`` in the entry block of the function the call is compiled into (after numba's
    inlining), so it costs nothing per call, and it is uninitialised. The array has no
    meminfo: it must not be returned or stored beyond the call, which numba's no-NRT mode
    already refuses for ``hot`` kernels.
    """
    return _stack_array_typing(n, nbtypes.float64, ir.DoubleType())


@intrinsic
def stack_array_uint64(typingctx, n):
    """:func:`stack_array` of uint64 (per-lane generator states in ``benchmarks/``)."""
    return _stack_array_typing(n, nbtypes.uint64, ir.IntType(64))


@intrinsic
def int64_bits_to_float64(typingctx, i):
    """The float64 whose IEEE-754 bit pattern is the int64 ``i`` (a bit cast, no conversion).

    For building powers of two in vectorisable code: ``(n + 1023) << 52`` is the pattern of
    2.0**n for -1022 <= n <= 1023. LLVM vectorises the cast (``math.ldexp`` is a libm call).
    """
    if not isinstance(i, nbtypes.Integer) or i.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return nbtypes.float64(i), codegen
