"""The NumPy baseline of the benchmark workloads: the same networks as gradstep trains, with
forward, backward and the Adam update written in plain NumPy (float32), as a careful user
would write them. It is what gradstep's speed is compared against.

Network: Dense layers with ReLU (optionally BatchNormalization + Dropout after each hidden
Dense), a linear output layer, softmax cross-entropy from logits, Adam (Keras 3 rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray


class NumpyMLP:
    def __init__(
        self,
        sizes: Sequence[int],
        batchnorm: bool = False,
        dropout: float = 0.0,
        learning_rate: float = 1e-3,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.sizes = sizes
        self.batchnorm = batchnorm
        self.dropout = dropout
        self.lr = learning_rate
        self.rng = rng
        self.params = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            self.params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
            self.params.append(np.zeros(fan_out, np.float32))
        hidden = len(sizes) - 2
        self.gammas = [np.ones(sizes[i + 1], np.float32) for i in range(hidden)] if batchnorm else []
        self.betas = [np.zeros(sizes[i + 1], np.float32) for i in range(hidden)] if batchnorm else []
        self.moving = (
            [[np.zeros(sizes[i + 1], np.float32), np.ones(sizes[i + 1], np.float32)] for i in range(hidden)]
            if batchnorm
            else []
        )
        self.all_params = self.params + self.gammas + self.betas
        self.m = [np.zeros_like(p) for p in self.all_params]
        self.v = [np.zeros_like(p) for p in self.all_params]
        self.t = 0

    def train_batch(self, x: NDArray[np.float32], labels: NDArray[np.int64]) -> float:
        hidden = len(self.sizes) - 2
        caches: list[dict[str, NDArray[Any]]] = []
        h = x
        for i in range(hidden):
            W, b = self.params[2 * i], self.params[2 * i + 1]
            z = h @ W + b
            cache: dict[str, NDArray[Any]] = {"input": h}
            if self.batchnorm:
                mean = z.mean(axis=0)
                var = z.var(axis=0)
                inv_std = 1.0 / np.sqrt(var + 1e-3)
                xhat = (z - mean) * inv_std
                cache.update(xhat=xhat, inv_std=inv_std)
                z = self.gammas[i] * xhat + self.betas[i]
                mm, mv = self.moving[i]
                mm *= 0.99
                mm += 0.01 * mean
                mv *= 0.99
                mv += 0.01 * var
            a = np.maximum(z, 0.0)
            cache["relu_mask"] = z > 0
            if self.dropout > 0.0:
                keep = (self.rng.random(a.shape, dtype=np.float32) >= self.dropout) / np.float32(1.0 - self.dropout)
                a = a * keep
                cache["keep"] = keep
            caches.append(cache)
            h = a
        W, b = self.params[-2], self.params[-1]
        logits = h @ W + b
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        probs = exp / exp.sum(axis=1, keepdims=True)
        n = len(x)
        loss = -np.log(probs[np.arange(n), labels] + 1e-12).mean()
        dz = probs
        dz[np.arange(n), labels] -= 1.0
        dz /= n
        grads: list[Any] = [None] * len(self.params)  # arrays: every entry is set below
        grads[-2] = h.T @ dz
        grads[-1] = dz.sum(axis=0)
        dh = dz @ W.T
        bn_grads_gamma: list[Any] = [None] * hidden  # arrays, set below with batchnorm
        bn_grads_beta: list[Any] = [None] * hidden
        for i in reversed(range(hidden)):
            cache = caches[i]
            if self.dropout > 0.0:
                dh = dh * cache["keep"]
            dz = dh * cache["relu_mask"]
            if self.batchnorm:
                xhat, inv_std = cache["xhat"], cache["inv_std"]
                dbeta = dz.sum(axis=0)
                dgamma = (dz * xhat).sum(axis=0)
                bn_grads_gamma[i], bn_grads_beta[i] = dgamma, dbeta
                dz = self.gammas[i] * inv_std / n * (n * dz - dbeta - xhat * dgamma)
            W = self.params[2 * i]
            grads[2 * i] = cache["input"].T @ dz
            grads[2 * i + 1] = dz.sum(axis=0)
            if i > 0:
                dh = dz @ W.T
        all_grads = grads + (bn_grads_gamma + bn_grads_beta if self.batchnorm else [])
        self._adam(all_grads)
        return float(loss)

    def _adam(self, grads: list[NDArray[Any]], beta_1: float = 0.9, beta_2: float = 0.999, eps: float = 1e-7) -> None:
        self.t += 1
        alpha = self.lr * np.sqrt(1 - beta_2**self.t) / (1 - beta_1**self.t)
        for p, g, m, v in zip(self.all_params, grads, self.m, self.v):
            m += (g - m) * (1 - beta_1)
            v += (g * g - v) * (1 - beta_2)
            p -= (alpha * m / (np.sqrt(v) + eps)).astype(np.float32)

    def fit_epoch(self, x: NDArray[np.float32], y: NDArray[np.int64], batch_size: int, seed: int = 0) -> None:
        order = np.random.default_rng(seed).permutation(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            self.train_batch(x[idx], y[idx])
