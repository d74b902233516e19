"""Tests for gradstep.optimizers.schedules (Keras 3 learning-rate schedules + StepDecay).

* every schedule against its formula, written out independently here in float64 NumPy, at
  steps 0, 1, k, decay_steps and beyond (2 * decay_steps, ...), including staircase / cycle /
  warmup / restart variants and hand-worked golden values;
* get_config / from_config / serialize / deserialize round trips (JSON-serialisable configs);
* argument validation (ValueError / TypeError naming the argument);
* optimizer integration: the learning rate is schedule(iterations) before each step (Keras),
  through opt.apply (trajectory vs a float64 reference) and through model.fit / train_on_batch;
  a float cannot be assigned to an optimizer created with a schedule (TypeError, as Keras).
"""

import json

import numpy as np
import pytest

import gradstep as gs

S = gs.optimizers.schedules

STEPS = [0, 1, 3, 7, 10, 11, 15, 20, 25, 30, 47, 100]  # decay_steps is 10 below: 0, 1, k, ds, 2*ds, beyond


# ---------------------------------------------------------------------------------------------
# Independent float64 references (NumPy, vectorised over steps; written from the formulas)
# ---------------------------------------------------------------------------------------------


def ref_exponential(t, lr0, ds, rate, staircase):
    p = np.asarray(t, np.float64) / ds
    return lr0 * np.power(rate, np.floor(p) if staircase else p)


def ref_inverse_time(t, lr0, ds, rate, staircase):
    p = np.asarray(t, np.float64) / ds
    return lr0 / (1.0 + rate * (np.floor(p) if staircase else p))


def ref_piecewise(t, boundaries, values):
    t = np.asarray(t, np.float64)
    out = np.full(t.shape, values[-1], np.float64)
    for i in range(len(boundaries) - 1, -1, -1):  # first interval whose inclusive upper end is >= t
        out = np.where(t <= boundaries[i], values[i], out)
    return out


def ref_polynomial(t, lr0, ds, end, power, cycle):
    t = np.asarray(t, np.float64)
    if cycle:
        horizon = ds * np.maximum(1.0, np.ceil(t / ds))
    else:
        horizon = np.full(t.shape, float(ds))
        t = np.minimum(t, ds)
    return (lr0 - end) * (1.0 - t / horizon) ** power + end


def ref_cosine(t, lr0, ds, alpha, warmup_target=None, warmup_steps=0):
    t = np.asarray(t, np.float64)
    peak = lr0 if warmup_target is None else warmup_target
    after = np.minimum(np.maximum(t - warmup_steps, 0.0), ds)
    decayed = peak * ((1 - alpha) * 0.5 * (1 + np.cos(np.pi * after / ds)) + alpha)
    if warmup_target is None:
        return decayed
    ramp = lr0 + (warmup_target - lr0) * t / max(warmup_steps, 1)
    return np.where(t < warmup_steps, ramp, decayed)


def ref_restarts(t, lr0, first, t_mul, m_mul, alpha):
    """Walk the periods one by one (no closed form): period i has length first*t_mul**i."""
    out = []
    for step in np.asarray(t, np.float64).ravel():
        start, length, i = 0.0, float(first), 0
        while step >= start + length:
            start += length
            length *= t_mul
            i += 1
        frac = (step - start) / length
        out.append(lr0 * ((1 - alpha) * 0.5 * m_mul**i * (1 + np.cos(np.pi * frac)) + alpha))
    return np.array(out)


def ref_step(t, lr0, drop, size):
    return lr0 * drop ** np.floor(np.asarray(t, np.float64) / size)


def values(schedule, steps=STEPS):
    out = [schedule(s) for s in steps]
    assert all(type(v) is float for v in out)
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# Formulas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    sch = S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=staircase)
    np.testing.assert_allclose(values(sch), ref_exponential(STEPS, 0.1, 10, 0.5, staircase), rtol=1e-12)
    # golden: at decay_steps exactly one factor; beyond, two
    assert sch(0) == pytest.approx(0.1)
    assert sch(10) == pytest.approx(0.05)
    assert sch(20) == pytest.approx(0.025)
    assert sch(15) == pytest.approx(0.05 if staircase else 0.1 * 0.5**1.5)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    sch = S.InverseTimeDecay(0.2, decay_steps=10, decay_rate=0.5, staircase=staircase)
    np.testing.assert_allclose(values(sch), ref_inverse_time(STEPS, 0.2, 10, 0.5, staircase), rtol=1e-12)
    assert sch(10) == pytest.approx(0.2 / 1.5)
    assert sch(25) == pytest.approx(0.2 / 2.0 if staircase else 0.2 / 2.25)


def test_piecewise_constant_decay():
    boundaries, vals = [10, 20], [1.0, 0.5, 0.1]
    sch = S.PiecewiseConstantDecay(boundaries, vals)
    np.testing.assert_allclose(values(sch), ref_piecewise(STEPS, boundaries, vals), rtol=0)
    # boundaries are inclusive upper ends (Keras): step == boundary still uses the earlier value
    assert [sch(s) for s in (0, 9, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    assert S.PiecewiseConstantDecay([5], [0.3, 0.2])(5) == 0.3
    assert S.PiecewiseConstantDecay([], [0.3])(1000) == 0.3  # no boundary: a constant


@pytest.mark.parametrize("cycle", [False, True])
@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
def test_polynomial_decay(cycle, power):
    sch = S.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=power, cycle=cycle)
    np.testing.assert_allclose(values(sch), ref_polynomial(STEPS, 0.1, 10, 0.01, power, cycle), rtol=1e-12)
    assert sch(0) == pytest.approx(0.1)
    assert sch(10) == pytest.approx(0.01)  # the end rate at decay_steps, cycle or not
    if cycle:  # restart: step 15 lies in the horizon 20, 1 - 15/20 = 0.25
        assert sch(15) == pytest.approx(0.09 * 0.25**power + 0.01)
    else:
        assert sch(15) == pytest.approx(0.01) and sch(1000) == pytest.approx(0.01)


def test_polynomial_decay_defaults_linear():
    sch = S.PolynomialDecay(1.0, 4)
    assert (sch.end_learning_rate, sch.power, sch.cycle) == (0.0001, 1.0, False)
    assert sch(2) == pytest.approx((1.0 - 0.0001) * 0.5 + 0.0001)


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay(alpha):
    sch = S.CosineDecay(0.1, decay_steps=10, alpha=alpha)
    np.testing.assert_allclose(values(sch), ref_cosine(STEPS, 0.1, 10, alpha), rtol=1e-12, atol=1e-15)
    assert sch(0) == pytest.approx(0.1)
    assert sch(5) == pytest.approx(0.1 * ((1 - alpha) * 0.5 + alpha))  # half way: cos(pi/2) = 0
    assert sch(10) == pytest.approx(0.1 * alpha, abs=1e-15)
    assert sch(30) == pytest.approx(0.1 * alpha, abs=1e-15)  # constant after decay_steps


@pytest.mark.parametrize("initial", [0.0, 0.01])
def test_cosine_decay_warmup(initial):
    sch = S.CosineDecay(initial, decay_steps=10, alpha=0.1, warmup_target=0.1, warmup_steps=5)
    steps = [0, 1, 2, 4, 5, 6, 10, 15, 16, 40]
    np.testing.assert_allclose(values(sch, steps), ref_cosine(steps, initial, 10, 0.1, 0.1, 5), rtol=1e-12)
    assert sch(0) == pytest.approx(initial)  # warmup starts at initial_learning_rate
    assert sch(2) == pytest.approx(initial + (0.1 - initial) * 2 / 5)  # linear ramp
    assert sch(5) == pytest.approx(0.1)  # the peak: warmup_target
    assert sch(15) == pytest.approx(0.01)  # warmup_steps + decay_steps: alpha * warmup_target
    assert sch(100) == pytest.approx(0.01)


def test_cosine_decay_warmup_target_without_warmup_steps():
    # warmup_target with warmup_steps=0: the cosine decay starts from warmup_target (Keras)
    sch = S.CosineDecay(0.5, 10, warmup_target=0.1)
    assert sch(0) == pytest.approx(0.1)
    assert sch(5) == pytest.approx(0.05)


@pytest.mark.parametrize(
    "t_mul,m_mul,alpha", [(2.0, 1.0, 0.0), (2.0, 0.5, 0.1), (1.0, 0.8, 0.0), (1.5, 0.9, 0.05), (3.0, 1.0, 0.0)]
)
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    sch = S.CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    steps = list(range(0, 160)) + [1000, 12345]
    np.testing.assert_allclose(
        values(sch, steps), ref_restarts(steps, 0.1, 10, t_mul, m_mul, alpha), rtol=1e-10, atol=1e-15
    )


def test_cosine_decay_restarts_golden():
    # first_decay_steps=10, t_mul=2: periods [0,10), [10,30), [30,70); peaks 1, m_mul, m_mul^2
    sch = S.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5)
    assert sch(0) == pytest.approx(1.0)
    assert sch(5) == pytest.approx(0.5)
    assert sch(10) == pytest.approx(0.5)  # restart exactly at first_decay_steps: peak m_mul
    assert sch(20) == pytest.approx(0.25)  # middle of the 20-step second period
    assert sch(30) == pytest.approx(0.25)  # second restart: peak m_mul^2
    assert sch(29.999) < 1e-6  # end of the second period
    d = S.CosineDecayRestarts(1.0, 10)
    assert (d.t_mul, d.m_mul, d.alpha) == (2.0, 1.0, 0.0)


def test_step_decay():
    sch = S.StepDecay(0.1, drop_rate=0.5, step_size=10)
    np.testing.assert_allclose(values(sch), ref_step(STEPS, 0.1, 0.5, 10), rtol=1e-12)
    assert [sch(s) for s in (0, 9, 10, 19, 20, 30)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.0125])
    # the same as a staircase ExponentialDecay
    same = S.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert values(sch) == pytest.approx(values(same), rel=1e-15)


def test_numpy_steps_accepted():
    sch = S.ExponentialDecay(0.1, 10, 0.5)
    assert sch(np.int64(10)) == pytest.approx(0.05)
    assert sch(np.array(10)) == pytest.approx(0.05)
    assert sch(np.float32(10.0)) == pytest.approx(0.05)


# ---------------------------------------------------------------------------------------------
# Serialisation
# ---------------------------------------------------------------------------------------------

ALL_SCHEDULES = [
    S.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    S.InverseTimeDecay(0.1, 10, 0.5),
    S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1]),
    S.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
    S.CosineDecay(0.0, 10, alpha=0.1, warmup_target=0.1, warmup_steps=5),
    S.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.05),
    S.StepDecay(0.1, 0.5, 10),
]


@pytest.mark.parametrize("schedule", ALL_SCHEDULES, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    assert "name" in config
    json.dumps(config)  # JSON-serialisable
    clone = type(schedule).from_config(config)
    assert clone.get_config() == config
    assert values(clone) == pytest.approx(values(schedule), rel=0)
    blob = json.loads(json.dumps(S.serialize(schedule)))
    assert blob["class_name"] == type(schedule).__name__
    again = S.deserialize(blob)
    assert type(again) is type(schedule) and again.get_config() == config


def test_keras_config_keys():
    assert set(S.ExponentialDecay(0.1, 10, 0.5).get_config()) == {
        "initial_learning_rate",
        "decay_steps",
        "decay_rate",
        "staircase",
        "name",
    }
    assert set(S.CosineDecay(0.1, 10).get_config()) == {
        "initial_learning_rate",
        "decay_steps",
        "alpha",
        "name",
        "warmup_target",
        "warmup_steps",
    }
    assert set(S.CosineDecayRestarts(0.1, 10).get_config()) == {
        "initial_learning_rate",
        "first_decay_steps",
        "t_mul",
        "m_mul",
        "alpha",
        "name",
    }
    assert set(S.PolynomialDecay(0.1, 10).get_config()) == {
        "initial_learning_rate",
        "decay_steps",
        "end_learning_rate",
        "power",
        "cycle",
        "name",
    }
    assert S.PiecewiseConstantDecay([1], [1.0, 0.5]).get_config()["name"] == "PiecewiseConstant"
    assert S.CosineDecayRestarts(0.1, 10).get_config()["name"] == "SGDRDecay"


class HalvingSchedule(S.LearningRateSchedule):
    """A user schedule, as in the Keras docs."""

    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / (step + 1)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_custom_schedule_and_deserialize_errors():
    sch = HalvingSchedule(1.0)
    assert S.deserialize(S.serialize(sch), custom_objects={"HalvingSchedule": HalvingSchedule})(1) == 0.5
    assert S.deserialize(S.serialize(sch))(3) == 0.25  # found among LearningRateSchedule subclasses
    with pytest.raises(ValueError, match="NoSuchSchedule"):
        S.deserialize({"class_name": "NoSuchSchedule", "config": {}})
    with pytest.raises(ValueError, match="config"):
        S.deserialize("ExponentialDecay")
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        S.serialize(0.1)
    with pytest.raises(NotImplementedError):
        S.LearningRateSchedule()(0)


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: S.ExponentialDecay(0.1, 0, 0.5), "decay_steps"),
        (lambda: S.ExponentialDecay(0.1, -5, 0.5), "decay_steps"),
        (lambda: S.ExponentialDecay(-0.1, 10, 0.5), "initial_learning_rate"),
        (lambda: S.ExponentialDecay(0.1, 10, -0.5), "decay_rate"),
        (lambda: S.ExponentialDecay(float("nan"), 10, 0.5), "initial_learning_rate"),
        (lambda: S.InverseTimeDecay(0.1, 0, 0.5), "decay_steps"),
        (lambda: S.InverseTimeDecay(0.1, 10, -1.0), "decay_rate"),
        (lambda: S.PolynomialDecay(0.1, 0), "decay_steps"),
        (lambda: S.PolynomialDecay(0.1, 10, end_learning_rate=-1.0), "end_learning_rate"),
        (lambda: S.PolynomialDecay(0.1, 10, power=-1.0), "power"),
        (lambda: S.CosineDecay(0.1, 0), "decay_steps"),
        (lambda: S.CosineDecay(0.1, 10, alpha=1.5), "alpha"),
        (lambda: S.CosineDecay(0.1, 10, alpha=-0.1), "alpha"),
        (lambda: S.CosineDecay(0.1, 10, warmup_target=-1.0, warmup_steps=5), "warmup_target"),
        (lambda: S.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), "warmup_steps"),
        (lambda: S.CosineDecayRestarts(0.1, 0), "first_decay_steps"),
        (lambda: S.CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul"),
        (lambda: S.CosineDecayRestarts(0.1, 10, m_mul=-1.0), "m_mul"),
        (lambda: S.CosineDecayRestarts(0.1, 10, alpha=2.0), "alpha"),
        (lambda: S.StepDecay(0.1, 0.5, 0), "step_size"),
        (lambda: S.StepDecay(0.1, -0.5, 10), "drop_rate"),
        (lambda: S.PiecewiseConstantDecay([10, 20], [1.0, 0.5]), "values"),
        (lambda: S.PiecewiseConstantDecay([10], [1.0, 0.5, 0.1]), "values"),
        (lambda: S.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1]), "strictly increasing"),
        (lambda: S.PiecewiseConstantDecay([10, 10], [1.0, 0.5, 0.1]), "strictly increasing"),
        (lambda: S.PiecewiseConstantDecay([10], [1.0, -0.5]), r"values\[1\]"),
    ],
)
def test_invalid_arguments_raise_value_error(make, name):
    with pytest.raises(ValueError, match=name):
        make()


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: S.ExponentialDecay("0.1", 10, 0.5), "initial_learning_rate"),
        (lambda: S.ExponentialDecay(0.1, None, 0.5), "decay_steps"),
        (lambda: S.ExponentialDecay(0.1, 10, 0.5, staircase="yes"), "staircase"),
        (lambda: S.PolynomialDecay(0.1, 10, cycle=1), "cycle"),
        (lambda: S.PiecewiseConstantDecay(10, [1.0]), "boundaries"),
        (lambda: S.PiecewiseConstantDecay([10], ["a", 0.5]), r"values\[0\]"),
        (lambda: S.CosineDecay(0.1, 10, name=3), "name"),
    ],
)
def test_invalid_argument_types_raise_type_error(make, name):
    with pytest.raises(TypeError, match=name):
        make()


def test_invalid_step():
    sch = S.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(ValueError, match="step"):
        sch(-1)
    with pytest.raises(TypeError, match="step"):
        sch("3")


# ---------------------------------------------------------------------------------------------
# Optimizer integration
# ---------------------------------------------------------------------------------------------


def test_sgd_apply_follows_schedule_trajectory():
    sch = S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = gs.optimizers.SGD(learning_rate=sch)
    rng = np.random.default_rng(0)
    w = np.ascontiguousarray(rng.uniform(1.0, 2.0, size=(3, 4)).astype(np.float32))
    b = np.ascontiguousarray(rng.uniform(-2.0, -1.0, size=(4,)).astype(np.float32))
    ref_w, ref_b = w.astype(np.float64), b.astype(np.float64)
    for t in range(5):
        assert opt.iterations == t
        assert opt.learning_rate == pytest.approx(0.1 * 0.5 ** (t / 2), rel=1e-12)  # schedule(iterations)
        gw, gb = rng.normal(size=w.shape), rng.normal(size=b.shape)
        opt.apply([gw, gb], [w, b])
        lr = 0.1 * 0.5 ** (t / 2)  # float64 reference: w_{t+1} = w_t - lr(t) * g
        ref_w -= lr * gw.astype(np.float32)
        ref_b -= lr * gb.astype(np.float32)
        np.testing.assert_allclose(w, ref_w, rtol=1e-6)
        np.testing.assert_allclose(b, ref_b, rtol=1e-6)
        assert np.float32(opt._core.learning_rate) == np.float32(lr)  # the rate the step used
    assert opt.iterations == 5


@pytest.mark.parametrize("cls", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad"])
def test_every_optimizer_accepts_a_schedule(cls):
    sch = S.PiecewiseConstantDecay([1], [0.1, 0.0])
    opt = getattr(gs.optimizers, cls)(learning_rate=sch)
    w = np.ones(3, np.float32)
    opt.apply([np.ones(3)], [w])
    moved = w.copy()
    assert not np.allclose(moved, 1.0)
    opt.apply([np.ones(3)], [w])  # step 1: lr 0.1 still (boundary inclusive)
    after_two = w.copy()
    assert not np.allclose(after_two, moved)
    assert opt.learning_rate == 0.0  # schedule(2)
    opt.apply([np.ones(3)], [w])  # lr 0 (and weight decay lr*wd = 0): no change
    np.testing.assert_array_equal(w, after_two)
    # get_config / from_config with a serialized schedule
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    json.dumps(config)
    clone = type(opt).from_config(json.loads(json.dumps(config)))
    assert isinstance(clone._learning_rate_schedule, S.PiecewiseConstantDecay)
    assert clone.learning_rate == 0.1
    assert gs.optimizers.deserialize(gs.optimizers.serialize(opt)).get_config() == config


def test_learning_rate_setter_with_schedule():
    sch = S.StepDecay(0.1, 0.5, 1)
    opt = gs.optimizers.SGD(learning_rate=sch)
    with pytest.raises(TypeError, match="learning_rate"):
        opt.learning_rate = 0.01  # Keras 3: not settable when created with a schedule
    assert opt.learning_rate == pytest.approx(0.1)
    # a float optimizer still takes floats, and may be given a schedule (Keras allows it)
    plain = gs.optimizers.SGD(learning_rate=0.05)
    plain.learning_rate = 0.02
    assert plain.learning_rate == pytest.approx(0.02)
    assert plain.get_config()["learning_rate"] == pytest.approx(0.02)
    plain.learning_rate = sch
    assert plain.learning_rate == pytest.approx(0.1)
    assert plain.get_config()["learning_rate"]["class_name"] == "StepDecay"
    with pytest.raises(TypeError, match="learning_rate"):
        gs.optimizers.Adam(learning_rate="cosine")
    with pytest.raises(ValueError, match="learning_rate"):
        gs.optimizers.Adam(learning_rate=-1.0)


class _GoesNegative(S.LearningRateSchedule):
    def __call__(self, step):
        return 0.1 - step


def test_schedule_returning_invalid_value():
    with pytest.raises(ValueError, match="HalvingSchedule"):
        gs.optimizers.SGD(learning_rate=HalvingSchedule(-1.0))  # checked at step 0 already
    opt = gs.optimizers.SGD(learning_rate=_GoesNegative())
    w = np.ones(2, np.float32)
    opt.apply([np.ones(2)], [w])
    with pytest.raises(ValueError, match="_GoesNegative returned -0.9 at step 1"):
        opt.apply([np.ones(2)], [w])


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    y = (x @ rng.normal(size=(5, 1))).astype(np.float32)
    return x, y


def _model(optimizer):
    gs.set_seed(3)
    model = gs.Sequential([gs.Input((5,)), gs.layers.Dense(8, activation="tanh"), gs.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


class _RecordRate(gs.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.used = []

    def on_train_batch_end(self, batch, logs=None):
        opt = self.model.optimizer
        self.used.append((opt.iterations, float(opt._core.learning_rate)))


def test_fit_follows_schedule_per_step():
    sch = S.CosineDecay(0.05, decay_steps=12, alpha=0.1, warmup_target=0.1, warmup_steps=4)
    model = _model(gs.optimizers.SGD(learning_rate=sch))
    x, y = _data()
    record = _RecordRate()
    model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[record])  # 5 steps per epoch
    opt = model.optimizer
    assert opt.iterations == 15
    assert opt.learning_rate == pytest.approx(sch(opt.iterations), rel=1e-12)
    # the step that brought iterations to k used schedule(k - 1)
    assert [k for k, _ in record.used] == list(range(1, 16))
    for k, used in record.used:
        assert used == pytest.approx(sch(k - 1), rel=1e-6)


def test_fit_with_schedule_equals_manual_rate_per_step():
    """fit with a schedule == train_on_batch with the rate set by hand before every step (bitwise)."""
    sch = S.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.7, staircase=True)
    x, y = _data()
    scheduled = _model(gs.optimizers.SGD(learning_rate=sch, momentum=0.9))
    manual = _model(gs.optimizers.SGD(learning_rate=0.1, momentum=0.9))
    manual.set_weights(scheduled.get_weights())
    scheduled.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    for t in range(8):
        start = (t % 4) * 10
        manual.optimizer.learning_rate = sch(t)
        manual.train_on_batch(x[start : start + 10], y[start : start + 10])
    for a, b in zip(scheduled.get_weights(), manual.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_train_on_batch_uses_schedule():
    sch = S.PiecewiseConstantDecay([0], [0.1, 0.0])  # only step 0 has a non-zero rate
    model = _model(gs.optimizers.Adam(learning_rate=sch))
    x, y = _data()
    before = model.get_weights()
    model.train_on_batch(x, y)
    after_one = model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(before, after_one))
    model.train_on_batch(x, y)
    for a, b in zip(after_one, model.get_weights()):
        np.testing.assert_array_equal(a, b)
