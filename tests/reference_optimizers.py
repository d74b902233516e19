"""Float64 NumPy reference implementations of the Keras 3 optimizer update rules.

Used by tests/test_optimizers.py to check gradstep's float32 C++ optimizers.
Each rule below follows Keras 3 (keras/src/optimizers/{base_optimizer,sgd,
rmsprop,adam,adamw,adagrad}.py) and is written out independently here in plain
NumPy so the tests depend on nothing but NumPy.

One optimizer step (``RefOptimizer.apply``) does, in this order, exactly what
Keras 3's ``BaseOptimizer.apply`` does for plain float variables:

1. gradient clipping (at most one of the three is set):
     clipnorm c         -> per variable:   g <- g * c / max(||g||_2, c)
     global_clipnorm c  -> over all grads: g <- g * c / max(sqrt(sum_i ||g_i||^2), c)
     clipvalue c        -> elementwise:    g <- clip(g, -c, c)
   Keras only clips when the value is truthy and > 0 (``if self.clipnorm and
   self.clipnorm > 0``), so 0 / None mean "no clipping".
2. decoupled weight decay on every variable (when weight_decay is not None):
     w <- w - w * weight_decay * learning_rate
3. the optimizer's own ``update_step`` on each (gradient, variable) pair, using
   ``t = iterations + 1`` as the step number where needed (Adam);
4. iterations += 1.

The rules in step 3:

SGD (momentum slot m starts at 0, only used if momentum != 0):
    m <- momentum * m - lr * g
    w <- w + m                              (nesterov=False)
    w <- w + momentum * m - lr * g          (nesterov=True, m already updated)
    without momentum: w <- w - lr * g

RMSprop (velocity v, optional momentum slot mom, optional average gradient a):
    v <- rho * v + (1 - rho) * g^2
    centered: a <- rho * a + (1 - rho) * g ;  denom = v - a^2 + eps
    else:                                      denom = v + eps
    inc = lr * g / sqrt(denom)                 (epsilon INSIDE the sqrt)
    momentum > 0: mom <- momentum * mom + inc ; w <- w - mom
    else:         w <- w - inc

Adam / AdamW (Keras 3 "epsilon hat" form), t = iterations + 1:
    alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
    m <- m + (g - m) * (1 - beta_1)
    v <- v + (g^2 - v) * (1 - beta_2)
    amsgrad: v_hat <- max(v_hat, v) and v_hat is used in place of v below
    w <- w - m * alpha / (sqrt(v) + eps)
  AdamW is Adam with weight_decay defaulting to 0.004 (applied by step 2).

Adagrad (accumulator starts at initial_accumulator_value):
    acc <- acc + g^2
    w <- w - lr * g / sqrt(acc + eps)        (epsilon INSIDE the sqrt)
"""

import numpy as np

__all__ = [
    "REFERENCES",
    "RefAdagrad",
    "RefAdam",
    "RefAdamW",
    "RefOptimizer",
    "RefRMSprop",
    "RefSGD",
    "clip_gradients",
    "make_reference",
]


def clip_gradients(grads, clipnorm=None, clipvalue=None, global_clipnorm=None):
    """Keras 3 ``BaseOptimizer._clip_gradients`` in float64 (returns new arrays)."""
    grads = [np.asarray(g, dtype=np.float64) for g in grads]
    if clipnorm and clipnorm > 0:
        out = []
        for g in grads:
            norm = np.sqrt(np.sum(g * g))
            out.append(g * clipnorm / max(norm, clipnorm))
        return out
    if global_clipnorm and global_clipnorm > 0:
        gnorm = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
        # Keras: scale = c * min(1/norm, 1/c) == c / max(norm, c)
        scale = global_clipnorm / max(gnorm, global_clipnorm)
        return [g * scale for g in grads]
    if clipvalue and clipvalue > 0:
        return [np.clip(g, -clipvalue, clipvalue) for g in grads]
    return grads


class RefOptimizer:
    """Base class: clipping, decoupled weight decay, iterations counter.

    ``apply(grads, variables)`` updates the float64 arrays in ``variables`` in
    place (like gradstep's ``opt.apply``) and returns them.
    """

    def __init__(
        self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None
    ):
        self.learning_rate = float(learning_rate)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.iterations = 0
        self._slots = None

    # -- subclass hooks ---------------------------------------------------
    def _make_slots(self, var):
        return {}

    def _update_step(self, g, w, slots):
        raise NotImplementedError

    # -- public -------------------------------------------------------------
    def apply(self, grads, variables):
        assert len(grads) == len(variables)
        for w in variables:
            assert isinstance(w, np.ndarray) and w.dtype == np.float64
        if self._slots is None:
            self._slots = [self._make_slots(w) for w in variables]
        grads = clip_gradients(grads, self.clipnorm, self.clipvalue, self.global_clipnorm)
        lr = self.learning_rate
        if self.weight_decay is not None:
            for w in variables:
                w -= w * self.weight_decay * lr
        for g, w, slots in zip(grads, variables, self._slots):
            self._update_step(g.reshape(w.shape), w, slots)
        self.iterations += 1
        return variables


class RefSGD(RefOptimizer):
    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kw):
        super().__init__(learning_rate, **kw)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _make_slots(self, var):
        return {"m": np.zeros_like(var)} if self.momentum != 0 else {}

    def _update_step(self, g, w, s):
        lr = self.learning_rate
        if self.momentum != 0:
            m = s["m"]
            m *= self.momentum
            m -= lr * g
            if self.nesterov:
                w += self.momentum * m - lr * g
            else:
                w += m
        else:
            w -= lr * g


class RefRMSprop(RefOptimizer):
    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kw):
        super().__init__(learning_rate, **kw)
        self.rho = float(rho)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)

    def _make_slots(self, var):
        s = {"v": np.zeros_like(var)}
        if self.momentum > 0:
            s["mom"] = np.zeros_like(var)
        if self.centered:
            s["a"] = np.zeros_like(var)
        return s

    def _update_step(self, g, w, s):
        rho, lr = self.rho, self.learning_rate
        v = s["v"]
        v[...] = rho * v + (1.0 - rho) * g * g
        if self.centered:
            a = s["a"]
            a[...] = rho * a + (1.0 - rho) * g
            denom = v - a * a + self.epsilon
        else:
            denom = v + self.epsilon
        inc = lr * g / np.sqrt(denom)
        if self.momentum > 0:
            mom = s["mom"]
            mom[...] = self.momentum * mom + inc
            w -= mom
        else:
            w -= inc


class RefAdam(RefOptimizer):
    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kw):
        super().__init__(learning_rate, **kw)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def _make_slots(self, var):
        s = {"m": np.zeros_like(var), "v": np.zeros_like(var)}
        if self.amsgrad:
            s["v_hat"] = np.zeros_like(var)
        return s

    def _update_step(self, g, w, s):
        t = self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        alpha = self.learning_rate * np.sqrt(1.0 - b2**t) / (1.0 - b1**t)
        m, v = s["m"], s["v"]
        m += (g - m) * (1.0 - b1)
        v += (g * g - v) * (1.0 - b2)
        if self.amsgrad:
            vh = s["v_hat"]
            np.maximum(vh, v, out=vh)
            v = vh
        w -= m * alpha / (np.sqrt(v) + self.epsilon)


class RefAdamW(RefAdam):
    def __init__(
        self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kw
    ):
        super().__init__(
            learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kw,
        )


class RefAdagrad(RefOptimizer):
    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kw):
        super().__init__(learning_rate, **kw)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _make_slots(self, var):
        return {"acc": np.full_like(var, self.initial_accumulator_value)}

    def _update_step(self, g, w, s):
        acc = s["acc"]
        acc += g * g
        w -= self.learning_rate * g / np.sqrt(acc + self.epsilon)


REFERENCES = {
    "SGD": RefSGD,
    "RMSprop": RefRMSprop,
    "Adam": RefAdam,
    "AdamW": RefAdamW,
    "Adagrad": RefAdagrad,
}


def make_reference(class_name, **kwargs):
    """Reference optimizer for the gradstep class named ``class_name``."""
    return REFERENCES[class_name](**kwargs)


if __name__ == "__main__":  # quick self-check of the first steps
    w = [np.array([1.0, -2.0])]
    g = [np.array([0.5, 0.25])]
    for name, kw in [
        ("SGD", {"learning_rate": 0.1}),
        ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
        ("RMSprop", {"learning_rate": 0.1}),
        ("Adam", {"learning_rate": 0.1}),
        ("AdamW", {"learning_rate": 0.1}),
        ("Adagrad", {"learning_rate": 0.1}),
    ]:
        opt = make_reference(name, **kw)
        ws = [x.copy() for x in w]
        opt.apply(g, ws)
        step1 = ws[0].copy()
        opt.apply(g, ws)
        print(f"{name:8s} {kw}: step1={step1} step2={ws[0]}")
