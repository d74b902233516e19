"""The fused train step gives the same results on every kernel path and thread count.

Two properties, on W1/W2-like models (Dense+ReLU; Dense+BatchNorm+ReLU+Dropout) large enough
that the parallel paths actually run with 2 threads (the layer-1 GEMMs are above the per-thread
flop threshold, the Adam update above its grain, the fused ReLU-backward/bias-gradient pass
splits its columns):

* 1 thread vs 2 threads: bitwise identical weights, optimizer slots and losses. This holds by
  construction, not by luck: every reduction has a fixed order that does not depend on how the
  work is split. GEMM threads own disjoint rectangles of C and each element is summed over K in
  the same slices and order whatever the grid; column sums (bias gradients, BatchNorm
  statistics) give each thread whole columns and add rows in increasing order; element-wise
  passes (activations, Dropout masks from a counter-based RNG, the Adam update) have no
  cross-element arithmetic at all.

* GRADSTEP_ISA paths (generic vs avx2 vs avx512, switched with _core._set_isa): equal within
  1e-5, NOT bitwise. The AVX2/AVX-512 GEMM micro-kernels use fused multiply-add (one rounding
  per a*b+c instead of two) and accumulate in different register layouts, so the same dot
  product is rounded differently (~1 ulp per term); the portable kernel has no FMA at the
  x86-64 baseline. Those last-bit differences propagate through later layers and steps. (The
  Adam update itself is bitwise the same on all paths: optim_avx2.cpp spells out the scalar
  operations without FMA, and sqrt/division are correctly rounded.) SGD keeps the ISA
  comparison meaningful at a tight tolerance: Adam divides by sqrt(v), which turns a 1e-9
  absolute difference in a near-zero gradient into a visible change of the step.
"""

import numpy as np
import pytest

gs = pytest.importorskip("gradstep")
core = gs._core

ISA_ORDER = ["generic", "avx2", "avx512"]
ROWS, FEATURES, CLASSES, BATCH = 768, 300, 10, 256


def available_isas():
    detected = core._detected_isa()
    return ISA_ORDER[: ISA_ORDER.index(detected) + 1]


@pytest.fixture
def restore_isa_and_threads():
    isa, threads = core._active_isa(), gs.get_num_threads()
    try:
        yield
    finally:
        core._set_isa(isa)
        gs.set_num_threads(threads)


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((ROWS, FEATURES), dtype=np.float32)
    y = rng.integers(0, CLASSES, ROWS)
    return x, y


def build(kind, optimizer):
    gs.set_seed(3)
    layers = [gs.Input((FEATURES,))]
    for units in (256, 128):
        if kind == "W2":
            layers += [
                gs.layers.Dense(units),
                gs.layers.BatchNormalization(),
                gs.layers.Activation("relu"),
                gs.layers.Dropout(0.2),
            ]
        else:
            layers.append(gs.layers.Dense(units, activation="relu"))
    layers.append(gs.layers.Dense(CLASSES))
    model = gs.Sequential(layers)
    model.compile(optimizer=optimizer(), loss=gs.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def train(kind, optimizer, epochs=2):
    x, y = data()
    model = build(kind, optimizer)
    history = model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0)
    state = [np.array(w, copy=True) for w in model.get_weights()]  # incl. BatchNorm moving stats
    core_opt = model.optimizer._core
    state += [np.array(core_opt.get_slot(i), copy=True) for i in range(len(core_opt.slot_names))]
    return state, history.history["loss"]


def adam():
    return gs.optimizers.Adam(1e-3)


def sgd():
    return gs.optimizers.SGD(0.01, momentum=0.9)


@pytest.mark.parametrize("kind", ["W1", "W2"])
@pytest.mark.parametrize("isa", ISA_ORDER)
def test_one_and_two_threads_bitwise_identical(kind, isa, restore_isa_and_threads):
    if isa not in available_isas():
        pytest.skip(f"CPU does not support {isa} (detected {core._detected_isa()})")
    assert core._set_isa(isa) == isa
    results = []
    for threads in (1, 2):
        gs.set_num_threads(threads)
        results.append(train(kind, adam))
    (w1, loss1), (w2, loss2) = results
    assert loss1 == loss2
    assert len(w1) == len(w2)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))


@pytest.mark.parametrize("kind", ["W1", "W2"])
def test_isa_paths_agree(kind, restore_isa_and_threads):
    isas = available_isas()
    if len(isas) < 2:
        pytest.skip("only the generic kernels exist on this CPU")
    gs.set_num_threads(2)
    results = {}
    for isa in isas:
        assert core._set_isa(isa) == isa
        results[isa] = train(kind, sgd, epochs=1)  # 3 steps
    ref_weights, ref_loss = results["generic"]
    for isa in isas[1:]:
        weights, loss = results[isa]
        np.testing.assert_allclose(loss, ref_loss, rtol=1e-5, atol=1e-6)
        for a, b in zip(weights, ref_weights):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-5)


def test_adam_update_bitwise_identical_across_isas(restore_isa_and_threads):
    """The optimizer pass alone (same gradients in): every ISA gives the same bits."""
    isas = available_isas()
    if len(isas) < 2:
        pytest.skip("only the generic kernels exist on this CPU")
    rng = np.random.default_rng(11)
    params0 = rng.standard_normal(70_001).astype(np.float32)  # odd length: vector body + scalar tail
    grads = [
        rng.standard_normal(params0.size).astype(np.float32) * 10.0 ** rng.integers(-8, 1, params0.size)
        for _ in range(4)
    ]
    outcomes = []
    for isa in isas:
        core._set_isa(isa)
        for amsgrad in (False, True):
            opt = gs.optimizers.Adam(1e-2, amsgrad=amsgrad)
            p = params0.copy()
            for g in grads:
                opt.apply([g], [p])
            outcomes.append((isa, amsgrad, p))
    for amsgrad in (False, True):
        same = [p for _, a, p in outcomes if a == amsgrad]
        for p in same[1:]:
            np.testing.assert_array_equal(p.view(np.uint32), same[0].view(np.uint32))


@pytest.mark.parametrize("shape", [(7, 1001), (64, 256), (3, 5), (128, 389)])
def test_dropout_masks_bitwise_identical_across_isas_and_threads(shape, restore_isa_and_threads):
    """Dropout's AVX-512 Philox (3 x 16 blocks per step, then 8-block AVX2 steps) and AVX2 Philox
    (3 x 8 blocks, then 8) give the scalar path's masks bit for bit, for any length (vector
    bodies + scalar tail) and any split among threads."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    outputs = []
    for isa in available_isas():
        core._set_isa(isa)
        for threads in (1, 2):
            gs.set_num_threads(threads)
            gs.set_seed(9)
            model = gs.Sequential([gs.Input((shape[1],)), gs.layers.Dropout(0.3)])
            outputs.append(np.asarray(model(x, training=True)))
    assert 0.2 < float(np.mean(outputs[0] == 0)) < 0.4 or x.size < 100
    for out in outputs[1:]:
        np.testing.assert_array_equal(out.view(np.uint32), outputs[0].view(np.uint32))
