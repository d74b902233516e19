"""Float64 NumPy reference implementations with Keras 3 semantics.

Used by the gradient and loss tests as the ground truth.  Everything here is
computed in float64 from the (float32) values handed to gradstep, so the
reference is exact up to float64 rounding.

Semantics follow Keras 3 (keras/src/activations/activations.py,
keras/src/backend/{numpy,jax}/nn.py, keras/src/losses/losses.py,
keras/src/losses/loss.py):

* activations: leaky_relu = max(x, 0.2 x); elu = x if x >= 0 else expm1(x);
  gelu is the exact erf form (keras.activations.gelu has approximate=False);
  swish = silu = x * sigmoid(x); softplus = logaddexp(x, 0); softmax over the
  last axis.
* per-sample losses: mean over the last axis (MSE, MAE, Huber, BCE, Hinge) or
  sum over classes (CCE, SCCE); the batch loss is "sum_over_batch_size":
  sum(sample_weight * per_sample) / N.
* probabilities (from_logits=False) are clipped to [1e-7, 1 - 1e-7]; CCE/SCCE
  first renormalise each row of y_pred to sum 1.  BCE with from_logits=True is
  the stable log-sigmoid form (JAX/TF/torch backends; no clipping).
* Hinge converts labels to {-1, 1} when ALL labels are in {0, 1}.
"""

import math

import numpy as np

EPSILON = 1e-7  # keras.backend.epsilon()


# --------------------------------------------------------------------------
# activations
# --------------------------------------------------------------------------


def _f64(a):
    return np.asarray(a, dtype=np.float64)


def linear(x):
    return _f64(x).copy()


def relu(x):
    x = _f64(x)
    return np.maximum(x, 0.0)


def leaky_relu(x, negative_slope=0.2):
    x = _f64(x)
    return np.maximum(x, negative_slope * x)


def elu(x, alpha=1.0):
    x = _f64(x)
    return np.where(x >= 0.0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def sigmoid(x):
    x = _f64(x)
    # numerically stable for both signs
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def tanh(x):
    return np.tanh(_f64(x))


def softmax(x, axis=-1):
    x = _f64(x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    x = _f64(x)
    m = np.max(x, axis=axis, keepdims=True)
    s = x - m
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def softplus(x):
    return np.logaddexp(_f64(x), 0.0)


def log_sigmoid(x):
    return -softplus(-_f64(x))


_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x):
    """Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2)))."""
    x = _f64(x)
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def swish(x):
    x = _f64(x)
    return x * sigmoid(x)


ACTIVATIONS = {
    "linear": linear,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "softmax": softmax,
    "softplus": softplus,
    "gelu": gelu,
    "swish": swish,
}

# Activations with a kink at 0 (tests keep pre-activations away from it).
KINKED_ACTIVATIONS = ("relu", "leaky_relu", "elu")


def activation(name):
    if name is None:
        return linear
    return ACTIVATIONS[name]


def dense_forward(x, kernel, bias=None, activation_name=None):
    """Keras Dense: activation(x @ kernel + bias), all in float64."""
    z = _f64(x) @ _f64(kernel)
    if bias is not None:
        z = z + _f64(bias)
    return activation(activation_name)(z)


def dense_preactivation(x, kernel, bias=None):
    z = _f64(x) @ _f64(kernel)
    if bias is not None:
        z = z + _f64(bias)
    return z


# --------------------------------------------------------------------------
# losses: per-sample values (shape (N,)) and the reduced batch loss
# --------------------------------------------------------------------------


def mse_per_sample(y_true, y_pred):
    return np.mean((_f64(y_true) - _f64(y_pred)) ** 2, axis=-1)


def mae_per_sample(y_true, y_pred):
    return np.mean(np.abs(_f64(y_true) - _f64(y_pred)), axis=-1)


def huber_per_sample(y_true, y_pred, delta=1.0):
    err = _f64(y_pred) - _f64(y_true)
    a = np.abs(err)
    per = np.where(a <= delta, 0.5 * err * err, delta * a - 0.5 * delta * delta)
    return np.mean(per, axis=-1)


def bce_per_sample(y_true, y_pred, from_logits=False):
    t = _f64(y_true)
    p = _f64(y_pred)
    if from_logits:
        # stable: -t*log_sigmoid(z) - (1-t)*log_sigmoid(-z)
        el = -t * log_sigmoid(p) - (1.0 - t) * log_sigmoid(-p)
    else:
        p = np.clip(p, EPSILON, 1.0 - EPSILON)
        el = -(t * np.log(p) + (1.0 - t) * np.log(1.0 - p))
    return np.mean(el, axis=-1)


def cce_per_sample(y_true, y_pred, from_logits=False):
    t = _f64(y_true)
    p = _f64(y_pred)
    if from_logits:
        logp = log_softmax(p, axis=-1)
    else:
        p = p / np.sum(p, axis=-1, keepdims=True)
        p = np.clip(p, EPSILON, 1.0 - EPSILON)
        logp = np.log(p)
    return -np.sum(t * logp, axis=-1)


def one_hot(labels, num_classes):
    labels = np.asarray(labels).astype(np.int64).reshape(-1)
    out = np.zeros((labels.shape[0], num_classes), dtype=np.float64)
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def scce_per_sample(y_true, y_pred, from_logits=False):
    p = _f64(y_pred)
    return cce_per_sample(one_hot(y_true, p.shape[-1]), p, from_logits=from_logits)


def hinge_labels(y_true):
    t = _f64(y_true)
    if np.all((t == 0.0) | (t == 1.0)):
        return 2.0 * t - 1.0
    return t


def hinge_per_sample(y_true, y_pred):
    t = hinge_labels(y_true)
    return np.mean(np.maximum(1.0 - t * _f64(y_pred), 0.0), axis=-1)


PER_SAMPLE = {
    "mean_squared_error": mse_per_sample,
    "mean_absolute_error": mae_per_sample,
    "huber": huber_per_sample,
    "binary_crossentropy": bce_per_sample,
    "categorical_crossentropy": cce_per_sample,
    "sparse_categorical_crossentropy": scce_per_sample,
    "hinge": hinge_per_sample,
}


def reduce_sum_over_batch_size(per_sample, sample_weight=None):
    per_sample = _f64(per_sample)
    if sample_weight is not None:
        per_sample = per_sample * _f64(sample_weight).reshape(per_sample.shape)
    return float(np.sum(per_sample) / per_sample.size)


def loss_value(name, y_true, y_pred, sample_weight=None, **kwargs):
    """Batch loss with Keras 3 'sum_over_batch_size' reduction."""
    per = PER_SAMPLE[name](y_true, y_pred, **kwargs)
    return reduce_sum_over_batch_size(per, sample_weight)


# Closed-form gradients of the *batch* loss for the logit-based losses; used
# where central differences are unsuitable (logits of magnitude 1e4).


def cce_from_logits_grad(y_true, logits):
    z = _f64(logits)
    return (softmax(z) - _f64(y_true)) / z.shape[0]


def bce_from_logits_grad(y_true, logits):
    z = _f64(logits)
    n = z.shape[0]
    k = int(np.prod(z.shape[1:])) if z.ndim > 1 else 1
    return (sigmoid(z) - _f64(y_true)) / (n * k)


# --------------------------------------------------------------------------
# numerics
# --------------------------------------------------------------------------


def numeric_grad(f, x, eps=1e-6):
    """Central-difference gradient of scalar f at x (float64 copy)."""
    x = np.array(x, dtype=np.float64, copy=True)
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gflat = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        fp = f(x)
        flat[i] = old - eps
        fm = f(x)
        flat[i] = old
        gflat[i] = (fp - fm) / (2.0 * eps)
    return g


def rel_err(analytic, numeric, floor=1e-6):
    """Whole-array relative error.

    rel_err = ||a - n||_2 / max(||a||_2 + ||n||_2, floor)
    (0 when both are exactly zero; bounded by 1 unless below the floor).
    """
    a = _f64(analytic).reshape(-1)
    n = _f64(numeric).reshape(-1)
    num = np.linalg.norm(a - n)
    den = max(np.linalg.norm(a) + np.linalg.norm(n), floor)
    return float(num / den)


# --------------------------------------------------------------------------
# self-check (run `python tests/reference.py`)
# --------------------------------------------------------------------------


def _self_check():
    rng = np.random.default_rng(0)
    # spot values by hand
    assert np.allclose(leaky_relu([-1.0, 2.0]), [-0.2, 2.0])
    assert np.allclose(elu([-1.0, 0.5]), [math.exp(-1) - 1, 0.5])
    assert abs(gelu([1.0])[0] - 0.8413447460685429) < 1e-12
    assert abs(swish([1.0])[0] - 0.7310585786300049) < 1e-12
    assert abs(softplus([0.0])[0] - math.log(2.0)) < 1e-15
    assert np.allclose(softmax([[0.0, 0.0]]), [[0.5, 0.5]])
    assert np.allclose(sigmoid([-800.0, 0.0, 800.0]), [0.0, 0.5, 1.0])
    # Keras docstring examples
    assert abs(loss_value("huber", [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) - 0.155) < 1e-12
    bce = bce_per_sample([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    assert np.allclose(bce, [0.916, 0.714], atol=1e-3), bce
    cce = cce_per_sample([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    assert np.allclose(cce, [0.0513, 2.303], atol=1e-3), cce
    assert np.allclose(hinge_per_sample([[0, 1]], [[0.3, 0.2]]), [(1.3 + 0.8) / 2])
    assert np.allclose(hinge_per_sample([[-1, 1]], [[0.3, 0.2]]), [(1.3 + 0.8) / 2])
    # sample weights
    v = loss_value("mean_squared_error", [[0.0], [0.0]], [[1.0], [2.0]], sample_weight=[2.0, 0.5])
    assert abs(v - (2.0 * 1 + 0.5 * 4) / 2) < 1e-12
    # from_logits agree with probabilities where nothing is clipped
    z = rng.normal(size=(4, 3))
    t = one_hot([0, 2, 1, 1], 3)
    assert np.allclose(cce_per_sample(t, z, True), cce_per_sample(t, softmax(z)))
    tb = (rng.random((4, 3)) > 0.5).astype(float)
    assert np.allclose(bce_per_sample(tb, z, True), bce_per_sample(tb, sigmoid(z)))
    # closed-form gradients agree with central differences
    g = numeric_grad(lambda q: loss_value("categorical_crossentropy", t, q, from_logits=True), z)
    assert rel_err(cce_from_logits_grad(t, z), g) < 1e-7
    g = numeric_grad(lambda q: loss_value("binary_crossentropy", tb, q, from_logits=True), z)
    assert rel_err(bce_from_logits_grad(tb, z), g) < 1e-7
    # extreme logits stay finite
    big = np.array([[1e4, -1e4, 0.0]])
    assert np.isfinite(cce_per_sample([[0, 1, 0]], big, True)).all()
    assert abs(cce_per_sample([[0, 1, 0]], big, True)[0] - 2e4) < 1e-6
    assert np.isfinite(bce_per_sample([[0, 1, 1]], big, True)).all()
    # activation derivatives by central differences vs closed forms
    x = rng.normal(size=(50,))
    x = x[np.abs(x) > 1e-2]
    closed = {
        "sigmoid": lambda x: sigmoid(x) * (1 - sigmoid(x)),
        "tanh": lambda x: 1 - np.tanh(x) ** 2,
        "softplus": sigmoid,
        "relu": lambda x: (x > 0).astype(float),
        "leaky_relu": lambda x: np.where(x > 0, 1.0, 0.2),
        "elu": lambda x: np.where(x > 0, 1.0, np.exp(x)),
        "gelu": lambda x: 0.5 * (1 + _erf(x / math.sqrt(2))) + x * np.exp(-x * x / 2) / math.sqrt(2 * math.pi),
        "swish": lambda x: sigmoid(x) * (1 + x * (1 - sigmoid(x))),
        "linear": np.ones_like,
    }
    for name, d in closed.items():
        f = ACTIVATIONS[name]
        g = np.array([numeric_grad(lambda q: float(f(q)[0]), [xi])[0] for xi in x])
        assert rel_err(d(x), g) < 1e-7, name
    print("reference self-check OK")


if __name__ == "__main__":
    _self_check()
