"""Float64 NumPy direct-loop references for the convolutional layers (channels_last), written
from the Keras definitions and independent of gradstep's im2col code. Slow and obvious on
purpose: used on small shapes only.
"""

import math

import numpy as np


def axis_geometry(size, kernel, stride, dilation, padding):
    """(output length, padding before) of one axis, Keras/TensorFlow rules."""
    span = dilation * (kernel - 1) + 1
    if padding == "valid":
        return (size - span) // stride + 1 if size >= span else 0, 0
    if padding == "same":
        out = math.ceil(size / stride)
        return out, max((out - 1) * stride + span - size, 0) // 2
    if padding == "causal":
        return (size - 1) // stride + 1, span - 1
    raise ValueError(padding)


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilation=(1, 1)):
    """x (N, H, W, C), kernel (kh, kw, C, F) -> (N, OH, OW, F): cross-correlation as Keras."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    oh, top = axis_geometry(h, kh, strides[0], dilation[0], padding)
    ow, left = axis_geometry(w, kw, strides[1], dilation[1], padding)
    y = np.zeros((n, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for b in range(kw):
                    r = i * strides[0] - top + a * dilation[0]
                    s = j * strides[1] - left + b * dilation[1]
                    if 0 <= r < h and 0 <= s < w:
                        y[:, i, j, :] += x[:, r, s, :] @ kernel[a, b]
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return y


def conv1d(x, kernel, bias=None, stride=1, padding="valid", dilation=1):
    """x (N, T, C), kernel (k, C, F): a Conv2D over a height-1 image (causal padding included)."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    n, t, c = x.shape
    k, _, f = kernel.shape
    out, before = axis_geometry(t, k, stride, dilation, padding)
    y = np.zeros((n, out, f))
    for i in range(out):
        for a in range(k):
            s = i * stride - before + a * dilation
            if 0 <= s < t:
                y[:, i, :] += x[:, s, :] @ kernel[a]
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return y


def conv2d_transpose(x, kernel, bias=None, strides=(1, 1), padding="valid"):
    """x (N, H, W, C), kernel (kh, kw, F, C) -> (N, OH, OW, F): each input pixel scatters
    x[h, w] @ kernel[a, b].T onto output pixel (h * s - pad + a, w * s - pad + b), as the input
    gradient of the Conv2D that maps (OH, OW) to (H, W) (Keras/TensorFlow)."""
    x = np.asarray(x, np.float64)
    kernel = np.asarray(kernel, np.float64)
    n, h, w, c = x.shape
    kh, kw, f, _ = kernel.shape
    sizes = []
    for size, k, s in ((h, kh, strides[0]), (w, kw, strides[1])):
        out = size * s if padding == "same" else size * s + max(k - s, 0)
        _, before = axis_geometry(out, k, s, 1, padding)
        sizes.append((out, before))
    (oh, top), (ow, left) = sizes
    y = np.zeros((n, oh, ow, f))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    r = i * strides[0] - top + a
                    s = j * strides[1] - left + b
                    if 0 <= r < oh and 0 <= s < ow:
                        y[:, r, s, :] += x[:, i, j, :] @ kernel[a, b].T
    if bias is not None:
        y += np.asarray(bias, np.float64)
    return y


def pool2d(x, pool, strides, padding, mode):
    """Max or average pooling of (N, H, W, C); averages count only input pixels (Keras)."""
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    oh, top = axis_geometry(h, pool[0], strides[0], 1, padding)
    ow, left = axis_geometry(w, pool[1], strides[1], 1, padding)
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, s0 = i * strides[0] - top, j * strides[1] - left
            window = x[:, max(r0, 0) : min(r0 + pool[0], h), max(s0, 0) : min(s0 + pool[1], w), :]
            y[:, i, j, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return y


def upsample2d(x, size):
    return np.repeat(np.repeat(np.asarray(x, np.float64), size[0], axis=1), size[1], axis=2)


def zero_pad2d(x, padding):
    (top, bottom), (left, right) = padding
    return np.pad(np.asarray(x, np.float64), ((0, 0), (top, bottom), (left, right), (0, 0)))
