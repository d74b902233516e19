"""Tests of the float32 GEMM kernel (gradstep._core._gemm) against a float64 NumPy reference.

Every test runs once per kernel path ("generic", "avx2", "avx512"); paths the CPU lacks are
skipped. Accuracy is checked element-wise against the scale of the products actually summed:
|C - ref| <= REL_TOL * (|alpha| * |op(A)| @ |op(B)| + |beta * C0|), which is tight for every
element (a bound relative to max|ref| would hide errors in small elements).

REL_TOL = 2e-6 (~17 float32 epsilons): the kernels measure <= 2.5 eps on these inputs, while
1e-5 let a deliberately planted 1e-4 relative error (C scaled by 0.9999 between K slices) pass,
because for random data the sum of |products| grows like K but the result only like sqrt(K).
"""

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")
core = gs._core

ISA_ORDER = ["generic", "avx2", "avx512"]
REL_TOL = 2e-6


@pytest.fixture(params=ISA_ORDER)
def isa(request):
    wanted = request.param
    if ISA_ORDER.index(wanted) > ISA_ORDER.index(core._detected_isa()):
        pytest.skip(f"CPU does not support {wanted} (detected {core._detected_isa()})")
    previous = core._active_isa()
    assert core._set_isa(wanted) == wanted
    try:
        yield wanted
    finally:
        core._set_isa(previous)


@pytest.fixture
def restore_threads():
    previous = gs.get_num_threads()
    try:
        yield
    finally:
        gs.set_num_threads(previous)


def make_operands(rng, m, n, k, trans_a, trans_b):
    a = rng.uniform(-1, 1, size=(k, m) if trans_a else (m, k)).astype(np.float32)
    b = rng.uniform(-1, 1, size=(n, k) if trans_b else (k, n)).astype(np.float32)
    return a, b


def check_result(out, a, b, trans_a, trans_b, alpha, beta, c0=None):
    op_a = (a.T if trans_a else a).astype(np.float64)
    op_b = (b.T if trans_b else b).astype(np.float64)
    ref = alpha * (op_a @ op_b)
    scale = abs(alpha) * (np.abs(op_a) @ np.abs(op_b))
    if c0 is not None and beta != 0.0:
        ref += beta * c0.astype(np.float64)
        scale += np.abs(beta * c0.astype(np.float64))
    assert out.shape == ref.shape
    assert out.dtype == np.float32
    err = np.abs(out.astype(np.float64) - ref)
    bound = REL_TOL * scale + 1e-30
    bad = ~(err <= bound)  # NaN counts as bad
    assert not bad.any(), (
        f"{bad.sum()} of {bad.size} elements off; worst err {np.nanmax(err):.3g} "
        f"(trans_a={trans_a}, trans_b={trans_b}, alpha={alpha}, beta={beta})"
    )


def run_case(rng, m, n, k, trans_a, trans_b, alpha=1.0, beta=0.0):
    a, b = make_operands(rng, m, n, k, trans_a, trans_b)
    if beta == 0.0:
        c0 = np.full((m, n), np.nan, np.float32)  # beta == 0: C is write-only
    else:
        c0 = rng.uniform(-1, 1, size=(m, n)).astype(np.float32)
    c = c0.copy()
    out = core._gemm(a, b, trans_a=trans_a, trans_b=trans_b, alpha=alpha, beta=beta, c=c)
    assert out is c
    check_result(c, a, b, trans_a, trans_b, alpha, beta, c0)


TRANSPOSES = [(False, False), (True, False), (False, True), (True, True)]

EDGE_SHAPES = [
    (1, 1, 1),
    (1, 37, 53),  # M = 1 (a single row of C)
    (41, 1, 29),  # N = 1
    (23, 19, 1),  # K = 1
    (127, 131, 257),  # primes: ragged tiles everywhere, K over one AVX2 K slice
    (6, 16, 256),  # exactly one AVX2 register tile and K slice
    (12, 32, 192),  # exactly one AVX-512 register tile and K slice
    (4, 8, 600),  # several K slices
    (5, 4200, 9),  # wider than one NC column block
    (300, 3, 300),
    (131, 10, 300),  # one B sliver on every ISA: A read in place, ragged last rows packed
    (130, 32, 200),  # N = NR of AVX-512 (in place there), two slivers elsewhere
]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
@pytest.mark.parametrize("m,n,k", EDGE_SHAPES)
def test_edge_shapes(isa, m, n, k, trans_a, trans_b):
    rng = np.random.default_rng(m * 1_000_003 + n * 1009 + k)
    run_case(rng, m, n, k, trans_a, trans_b)
    run_case(rng, m, n, k, trans_a, trans_b, alpha=-0.75, beta=0.5)


def test_random_shapes(isa):
    rng = np.random.default_rng(1234)
    alphas = [1.0, -0.5, 2.5]
    betas = [0.0, 1.0, -0.7]
    for _ in range(40):
        m, n, k = (int(v) for v in rng.integers(1, 301, size=3))
        trans_a, trans_b = (bool(v) for v in rng.integers(0, 2, size=2))
        run_case(rng, m, n, k, trans_a, trans_b, alpha=float(rng.choice(alphas)), beta=float(rng.choice(betas)))


def test_new_array_when_c_is_none(isa):
    rng = np.random.default_rng(7)
    a, b = make_operands(rng, 33, 45, 57, False, False)
    out = core._gemm(a, b)
    assert isinstance(out, np.ndarray) and out.flags.c_contiguous
    check_result(out, a, b, False, False, 1.0, 0.0)
    out = core._gemm(a, b, alpha=-2.0, beta=5.0)  # no C to scale: beta has nothing to act on
    check_result(out, a, b, False, False, -2.0, 0.0)


def test_beta_zero_ignores_nan_and_inf(isa):
    rng = np.random.default_rng(8)
    for trans_a, trans_b in TRANSPOSES:
        a, b = make_operands(rng, 50, 70, 90, trans_a, trans_b)
        c = np.full((50, 70), np.nan, np.float32)
        c[::3] = np.inf
        core._gemm(a, b, trans_a, trans_b, 1.5, 0.0, c)
        assert np.isfinite(c).all()
        check_result(c, a, b, trans_a, trans_b, 1.5, 0.0)


def test_k_zero_and_alpha_zero_scale_c(isa):
    rng = np.random.default_rng(9)
    c0 = rng.uniform(-1, 1, size=(7, 5)).astype(np.float32)
    a = np.zeros((7, 0), np.float32)
    b = np.zeros((0, 5), np.float32)
    c = c0.copy()
    core._gemm(a, b, alpha=1.0, beta=0.5, c=c)
    np.testing.assert_array_equal(c, np.float32(0.5) * c0)
    out = core._gemm(a, b)
    np.testing.assert_array_equal(out, np.zeros((7, 5), np.float32))
    c = np.full((7, 5), np.nan, np.float32)
    core._gemm(a, b, beta=0.0, c=c)
    np.testing.assert_array_equal(c, np.zeros((7, 5), np.float32))
    # alpha == 0: op(A) @ op(B) is not evaluated at all (NaNs in A do not propagate).
    a_nan = np.full((7, 3), np.nan, np.float32)
    b3 = np.ones((3, 5), np.float32)
    c = c0.copy()
    core._gemm(a_nan, b3, alpha=0.0, beta=2.0, c=c)
    np.testing.assert_array_equal(c, np.float32(2.0) * c0)


def test_empty_results(isa):
    assert core._gemm(np.zeros((0, 4), np.float32), np.ones((4, 3), np.float32)).shape == (0, 3)
    assert core._gemm(np.ones((2, 4), np.float32), np.ones((4, 0), np.float32)).shape == (2, 0)


def test_non_contiguous_and_converted_inputs(isa):
    rng = np.random.default_rng(10)
    big_a = rng.uniform(-1, 1, size=(120, 150)).astype(np.float32)
    big_b = rng.uniform(-1, 1, size=(160, 90)).astype(np.float32)
    a = big_a[::2, ::3]  # (60, 50), strided both ways: converted to a contiguous copy
    b = big_b[10:110:2, 1::2]  # (50, 45)
    check_result(core._gemm(a, b), a, b, False, False, 1.0, 0.0)
    # A transposed NumPy view passed with trans flags off, and the reverse.
    at = np.ascontiguousarray(a.T)  # (50, 60)
    check_result(core._gemm(at.T, b), at.T, b, False, False, 1.0, 0.0)
    check_result(core._gemm(at, b, trans_a=True), at, b, True, False, 1.0, 0.0)
    # Fortran order, float64 and integer inputs are converted to float32.
    af = np.asfortranarray(a)
    check_result(core._gemm(af, b), a, b, False, False, 1.0, 0.0)
    out = core._gemm(a.astype(np.float64), b.astype(np.float64))
    check_result(out, a, b, False, False, 1.0, 0.0)
    ai = np.arange(12).reshape(3, 4)
    bi = np.arange(8).reshape(4, 2)
    np.testing.assert_array_equal(core._gemm(ai, bi), (ai @ bi).astype(np.float32))
    # Read-only inputs are fine (they are only read).
    ro = a.copy()
    ro.flags.writeable = False
    check_result(core._gemm(ro, b), ro, b, False, False, 1.0, 0.0)


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_padded_leading_dimensions(isa, trans_a, trans_b):
    # Row-padded float32 views are passed without a copy, so lda/ldb/ldc exceed the column count.
    rng = np.random.default_rng(11)
    m, n, k = 67, 53, 141
    a_rows, a_cols = (k, m) if trans_a else (m, k)
    b_rows, b_cols = (n, k) if trans_b else (k, n)
    big_a = rng.uniform(-1, 1, size=(a_rows + 3, a_cols + 13)).astype(np.float32)
    big_b = rng.uniform(-1, 1, size=(b_rows + 2, b_cols + 7)).astype(np.float32)
    big_c = rng.uniform(-1, 1, size=(m + 4, n + 11)).astype(np.float32)
    a = big_a[2 : 2 + a_rows, 5 : 5 + a_cols]
    b = big_b[1 : 1 + b_rows, 3 : 3 + b_cols]
    c = big_c[1 : 1 + m, 2 : 2 + n]
    assert not a.flags.c_contiguous and not c.flags.c_contiguous
    c0 = c.copy()
    before = big_c.copy()
    out = core._gemm(a, b, trans_a, trans_b, 0.5, -1.25, c)
    assert out is c
    check_result(c, a, b, trans_a, trans_b, 0.5, -1.25, c0)
    # Nothing outside the view was written.
    mask = np.ones(big_c.shape, bool)
    mask[1 : 1 + m, 2 : 2 + n] = False
    np.testing.assert_array_equal(big_c[mask], before[mask])


# Besides W1's shapes: a column split over several M blocks and K slices (the shared packed A
# cycles through both halves of its double buffer), and a row split wider than one NC panel.
THREADED_SHAPES = [(333, 517, 701), (128, 10, 128), (784, 256, 128), (129, 785, 257), (150, 2000, 600), (4500, 4100, 8)]


@pytest.mark.parametrize("threads", [2, 3, 4])
def test_threads_give_bitwise_identical_results(isa, threads, restore_threads):
    rng = np.random.default_rng(12)
    for (m, n, k), (trans_a, trans_b) in zip(THREADED_SHAPES, TRANSPOSES + TRANSPOSES[:2]):
        a, b = make_operands(rng, m, n, k, trans_a, trans_b)
        c0 = rng.uniform(-1, 1, size=(m, n)).astype(np.float32)
        results = []
        for count in (1, threads):
            gs.set_num_threads(count)
            c = c0.copy()
            core._gemm(a, b, trans_a, trans_b, 0.5, 0.25, c)
            results.append(c)
        np.testing.assert_array_equal(results[0].view(np.uint32), results[1].view(np.uint32))


def test_shape_errors():
    a = np.ones((3, 4), np.float32)
    b = np.ones((5, 6), np.float32)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 6\)"):
        core._gemm(a, b)
    with pytest.raises(ValueError, match="c has shape"):
        core._gemm(a, np.ones((4, 6), np.float32), c=np.zeros((3, 5), np.float32))
    with pytest.raises(ValueError, match="2-D"):
        core._gemm(np.ones(4, np.float32), np.ones((4, 2), np.float32))


def test_bad_c_raises_type_error():
    a = np.ones((3, 4), np.float32)
    b = np.ones((4, 6), np.float32)
    with pytest.raises(TypeError, match="float32"):
        core._gemm(a, b, c=np.zeros((3, 6), np.float64))
    with pytest.raises(TypeError):
        core._gemm(a, b, c=np.zeros((3, 12), np.float32)[:, ::2])
    with pytest.raises(TypeError):
        core._gemm(a, b, c=np.asfortranarray(np.zeros((3, 6), np.float32)))
    ro = np.zeros((3, 6), np.float32)
    ro.flags.writeable = False
    with pytest.raises(TypeError, match="writable"):
        core._gemm(a, b, c=ro)
    with pytest.raises(TypeError):
        core._gemm(a, b, c=[[0.0] * 6] * 3)


def test_c_overlapping_input_is_rejected():
    buf = np.ones((4, 4), np.float32)
    with pytest.raises(ValueError, match="share memory"):
        core._gemm(buf, buf, c=buf)


def test_isa_switch():
    detected = core._detected_isa()
    assert detected in ISA_ORDER
    previous = core._active_isa()
    try:
        assert core._set_isa("generic") == "generic"
        assert core._active_isa() == "generic"
        # Asking for more than the CPU has clamps to the detected ISA.
        assert core._set_isa("avx512") == detected
        with pytest.raises(ValueError, match="unknown ISA"):
            core._set_isa("sse9")
    finally:
        core._set_isa(previous)


# The last four have N <= 16: gemm() takes its narrow path there (with trans_a on AVX-512/AVX2, lanes
# over rows of C for N <= 12), PackedB the blocked one, whose K slices the narrow path
# reproduces, so the bits must still agree.
PREPACKED_SHAPES = [
    (1, 1, 1),
    (32, 512, 128),
    (7, 130, 5),
    (64, 128, 512),
    (5, 9, 300),
    (33, 4100, 3),
    (128, 10, 784),
    (300, 16, 5),
    (13, 3, 600),
    (100, 5, 300),
]


@pytest.mark.parametrize("shape", PREPACKED_SHAPES)
@pytest.mark.parametrize("trans_a, trans_b", [(False, False), (True, False), (False, True), (True, True)])
def test_prepacked_b_gives_the_bits_of_gemm(isa, shape, trans_a, trans_b):
    """PackedB + gemm_prepacked (the recurrent layers' per-step product) == gemm, bit for bit."""
    M, N, K = shape
    rng = np.random.default_rng(M * 7 + N + K)
    a = rng.standard_normal((K, M) if trans_a else (M, K)).astype(np.float32)
    b = rng.standard_normal((N, K) if trans_b else (K, N)).astype(np.float32)
    c = rng.standard_normal((M, N)).astype(np.float32)
    for alpha, beta in ((1.0, 0.0), (0.5, 1.0)):
        expected = core._gemm(a, b, trans_a, trans_b, alpha, beta, c.copy())
        got = core._gemm_prepacked(a, b, trans_a, trans_b, alpha, beta, c.copy())
        np.testing.assert_array_equal(got, expected)
        np.testing.assert_allclose(
            got,
            alpha * (a.T if trans_a else a).astype(np.float64) @ (b.T if trans_b else b) + beta * c,
            rtol=1e-4,
            atol=1e-3,
        )


# Narrow outputs (N <= 16) take their own path in gemm() (kernels/gemm_narrow.hpp): one register
# block of rows of C at a time, op(A) read in place, op(B) copied to a padded K x 16 array.
NARROW_NS = [1, 2, 5, 8, 9, 10, 15, 16]
NARROW_MS = [1, 7, 13, 128, 300]
NARROW_KS = [1, 5, 128, 784]
NARROW_SCALARS = [(1.0, 0.0), (-0.75, 0.5), (2.0, 1.0)]


def padded_view(rng, rows, cols, extra_rows, extra_cols):
    """A (rows, cols) float32 view into a larger random array: leading dimension > cols."""
    big = rng.uniform(-1, 1, size=(rows + extra_rows, cols + extra_cols)).astype(np.float32)
    return big, big[1 : 1 + rows, 2 : 2 + cols]


@pytest.mark.parametrize("trans_a,trans_b", TRANSPOSES)
def test_narrow_outputs_against_numpy(isa, trans_a, trans_b):
    rng = np.random.default_rng(13 + 2 * trans_a + trans_b)
    case = 0
    for n in NARROW_NS:
        for m in NARROW_MS:
            for k in NARROW_KS:
                alpha, beta = NARROW_SCALARS[case % len(NARROW_SCALARS)]
                case += 1
                # Leading dimensions larger than the minimum (views into larger arrays).
                _, a = padded_view(rng, *((k, m) if trans_a else (m, k)), 3, 5)
                _, b = padded_view(rng, *((n, k) if trans_b else (k, n)), 2, 3)
                big_c, c = padded_view(rng, m, n, 3, 7)
                if beta == 0.0:
                    c[...] = np.nan  # C is write-only: its NaNs must not reach the result
                c0 = c.copy()
                before = big_c.copy()
                out = core._gemm(a, b, trans_a, trans_b, alpha, beta, c)
                assert out is c
                check_result(c, a, b, trans_a, trans_b, alpha, beta, c0)
                # The masked stores wrote nothing outside the view (the padding columns of C).
                outside = np.ones(big_c.shape, bool)
                outside[1 : 1 + m, 2 : 2 + n] = False
                np.testing.assert_array_equal(big_c[outside], before[outside])


NARROW_THREADED_SHAPES = [(2000, 10, 300), (300, 16, 784), (4099, 3, 129), (777, 9, 500)]


@pytest.mark.parametrize("threads", [2, 3])
def test_narrow_threads_give_bitwise_identical_results(isa, threads, restore_threads):
    rng = np.random.default_rng(14)
    for m, n, k in NARROW_THREADED_SHAPES:  # each > 2 * 2^21 flops: large enough to be split
        for trans_a, trans_b in TRANSPOSES:
            a, b = make_operands(rng, m, n, k, trans_a, trans_b)
            c0 = rng.uniform(-1, 1, size=(m, n)).astype(np.float32)
            for beta in (0.0, 0.25):
                results = []
                for count in (1, threads):
                    gs.set_num_threads(count)
                    c = c0.copy()
                    core._gemm(a, b, trans_a, trans_b, 0.5, beta, c)
                    results.append(c)
                np.testing.assert_array_equal(results[0].view(np.uint32), results[1].view(np.uint32))
            check_result(results[0], a, b, trans_a, trans_b, 0.5, 0.25, c0)


# The epilogue (GemmEpilogue: C = f(C + bias), f identity or ReLU) runs on each tile after its
# last K slice. The shapes cover the narrow path (N <= 16, a separate pass in gemm.cpp), ragged
# edge tiles, several K slices (K > KC on every ISA), both 1-D team splits on 2 and 3 threads
# (128 x 256: by columns; 2000 x 40: by rows) and, on 4 threads, a 2 x 2 grid of independent
# rectangles (400 x 400).
# Narrow (N <= 16): (13, 10, 784); lanes over rows for a transposed A, M >= 32: (200, 10, 64); ragged
# row tails with 16 columns: (70, 16, 50). Blocked: the rest.
EPILOGUE_SHAPES = [
    (1, 1, 1),
    (13, 10, 784),
    (200, 10, 64),
    (70, 16, 50),
    (37, 45, 700),
    (128, 256, 784),
    (2000, 40, 300),
    (400, 400, 100),
]


def epilogue_reference(c, bias, relu):
    """The separate pass the epilogue replaces: bias_activation_forward's float32 expressions."""
    v = c + (bias if bias is not None else np.float32(0.0))
    return np.where(v > 0, v, np.float32(0.0)).astype(np.float32) if relu else v


@pytest.mark.parametrize("m,n,k", EPILOGUE_SHAPES)
@pytest.mark.parametrize("with_bias,relu", [(True, False), (True, True), (False, True)])
def test_epilogue_gives_the_bits_of_a_separate_pass(isa, m, n, k, with_bias, relu, restore_threads):
    rng = np.random.default_rng(m + n + k)
    bias = rng.standard_normal(n).astype(np.float32) if with_bias else None
    for trans_a, trans_b in TRANSPOSES:
        a, b = make_operands(rng, m, n, k, trans_a, trans_b)
        c0 = rng.uniform(-1, 1, size=(m, n)).astype(np.float32)
        c0[0, 0] = np.nan  # beta == 0 must not read C, with or without the epilogue
        for alpha, beta in ((1.0, 0.0), (-0.5, 0.75)):
            if beta != 0.0:
                c0[0, 0] = 0.25
            expected = epilogue_reference(core._gemm(a, b, trans_a, trans_b, alpha, beta, c0.copy()), bias, relu)
            for threads in (1, 2, 3, 4):
                gs.set_num_threads(threads)
                got = core._gemm(a, b, trans_a, trans_b, alpha, beta, c0.copy(), bias=bias, relu=relu)
                np.testing.assert_array_equal(got.view(np.uint32), expected.view(np.uint32))
            gs.set_num_threads(1)
            packed = core._gemm_prepacked(a, b, trans_a, trans_b, alpha, beta, c0.copy(), bias=bias, relu=relu)
            np.testing.assert_array_equal(packed.view(np.uint32), expected.view(np.uint32))
        if relu:
            assert (got >= 0).all() and (m * n == 1 or (got == 0).any())


def test_epilogue_signed_zero_nan_and_quick_exits(isa):
    """ReLU of a -0 product (alpha = -1 times a zero sum) is +0, and ReLU(NaN) is 0 (z > 0 is
    false), as in the separate pass; the quick exits (K == 0, alpha == 0) still apply the
    epilogue to beta * C."""
    a = np.array([[1.0, 0.0], [np.nan, 1.0]], np.float32)
    b = np.array([[0.0, 1.0], [0.0, -2.0]], np.float32)
    plain = core._gemm(a, b, alpha=-1.0)
    assert np.signbit(plain[0, 0]) and plain[0, 0] == 0.0  # -1 * (+0): a -0 for the epilogue
    out = core._gemm(a, b, alpha=-1.0, relu=True)
    expected = epilogue_reference(plain, None, True)
    np.testing.assert_array_equal(out.view(np.uint32), expected.view(np.uint32))
    assert out[0, 0] == 0.0 and not np.signbit(out[0, 0])
    assert out[1, 0] == 0.0
    c = np.array([[-1.0, 2.0], [3.0, -4.0]], np.float32)
    bias = np.array([0.5, 0.5], np.float32)
    for alpha, empty_k in ((0.0, False), (1.0, True)):
        ka = np.zeros((2, 0), np.float32) if empty_k else a
        kb = np.zeros((0, 2), np.float32) if empty_k else b
        got = core._gemm(ka, kb, alpha=alpha, beta=2.0, c=c.copy(), bias=bias, relu=True)
        np.testing.assert_array_equal(got, epilogue_reference(2.0 * c, bias, True))


def test_epilogue_bias_is_checked():
    a = np.ones((3, 4), np.float32)
    b = np.ones((4, 5), np.float32)
    c = np.zeros((3, 5), np.float32)
    with pytest.raises(ValueError, match="bias must not share memory with c"):
        core._gemm(a, b, c=c, bias=c[1])
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        core._gemm(a, b, bias=np.ones(4, np.float32))
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        core._gemm(a, b, bias=np.ones((1, 5), np.float32))
