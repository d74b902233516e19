"""Float64 NumPy references for the Keras 3 recurrent layers (SimpleRNN, LSTM, GRU,
Bidirectional) and the Embedding / Masking layers, written from the Keras definitions and
independent of gradstep's C++ code. Slow and obvious on purpose: small shapes only. Gradients
are checked by central differences of these forward functions.

Conventions (Keras 3, keras/src/layers/rnn/*.py and keras/src/backend/*/rnn.py):
  x is (N, T, F); mask is bool (N, T), True = step is used; initial state is zeros.
  Kernels are (F, G*u) and (u, G*u) with the G gate blocks side by side in the columns.
  Masked step: every state is carried unchanged; the step's output is the previous output
  (states[0], zeros before the first step) or zeros when zero_output_for_mask=True.
  go_backwards: the time axis of x and of the mask is reversed before the loop, and a returned
  sequence stays in processing (reversed) order. return_sequences=False returns the output of
  the last processed step, i.e. with zero_output_for_mask=False the final h.
"""

import numpy as np

_ACTIVATIONS = {
    "tanh": np.tanh,
    "sigmoid": lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)),  # = 1 / (1 + exp(-z)), overflow-free
    "relu": lambda z: np.maximum(z, 0.0),
    "linear": lambda z: z,
    None: lambda z: z,
    "hard_sigmoid": lambda z: np.clip(z / 6.0 + 0.5, 0.0, 1.0),  # Keras 3: relu6(z + 3) / 6
}


def get_activation(name):
    """The Keras activation `name` ("tanh", "sigmoid", "relu", "linear"/None, "hard_sigmoid")."""
    return name if callable(name) else _ACTIVATIONS[name]


def _f64(a):
    return None if a is None else np.asarray(a, np.float64)


def rnn_loop(
    cell,
    x,
    states,
    return_sequences=False,
    go_backwards=False,
    mask=None,
    zero_output_for_mask=False,
    return_state=False,
):
    """Keras' generic RNN loop (backend.rnn) over a step `cell(x_t, states) -> (out, states)`.

    For each processed step t (T-1..0 when go_backwards):
        out_t, new = cell(x[:, t], states)
        if mask[:, t]: states = new                       else: states unchanged,
                       y_t = out_t                              y_t = 0 if zero_output_for_mask
                                                                      else states[0] (previous h)
    Returns Y = stack(y_t) in processing order (N, T, u) if return_sequences else y of the last
    processed step (N, u); with return_state, (output, *final_states).
    """
    x = _f64(x)
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    mask = None if mask is None else np.asarray(mask, bool)
    states = tuple(states)
    outputs = []
    for t in steps:
        out, new = cell(x[:, t], states)
        if mask is not None:
            m = mask[:, t][:, None]
            out = np.where(m, out, 0.0 if zero_output_for_mask else states[0])
            new = tuple(np.where(m, n, s) for n, s in zip(new, states))
        states = tuple(new)
        outputs.append(out)
    y = np.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return (y, *states) if return_state else y


def simple_rnn(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    activation="tanh",
    return_sequences=False,
    go_backwards=False,
    mask=None,
    zero_output_for_mask=False,
    return_state=False,
):
    """Keras SimpleRNN: h_t = act(x_t @ W + h_{t-1} @ U + b); output = state = h_t.

    kernel W (F, u), recurrent_kernel U (u, u), bias b (u,) or None.
    """
    w, u, b = _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    act = get_activation(activation)

    def cell(xt, states):
        z = xt @ w + states[0] @ u
        h = act(z if b is None else z + b)
        return h, (h,)

    h0 = np.zeros((np.shape(x)[0], u.shape[0]))
    return rnn_loop(cell, x, (h0,), return_sequences, go_backwards, mask, zero_output_for_mask, return_state)


def lstm(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    activation="tanh",
    recurrent_activation="sigmoid",
    return_sequences=False,
    go_backwards=False,
    mask=None,
    zero_output_for_mask=False,
    return_state=False,
):
    """Keras LSTM, gate blocks [i | f | c | o] in the columns of W (F, 4u), U (u, 4u), b (4u,).

        z = x_t @ W + h_{t-1} @ U + b,  split into z_i, z_f, z_c, z_o
        i = ract(z_i), f = ract(z_f), o = ract(z_o)        (ract = recurrent_activation)
        c_t = f * c_{t-1} + i * act(z_c)
        h_t = o * act(c_t)
    Output = h_t; states (h, c). With return_state: (output, h_T, c_T).
    """
    w, u, b = _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    act, ract = get_activation(activation), get_activation(recurrent_activation)
    n = u.shape[0]

    def cell(xt, states):
        h_prev, c_prev = states
        z = xt @ w + h_prev @ u
        if b is not None:
            z = z + b
        i, f, cbar, o = (z[:, k * n : (k + 1) * n] for k in range(4))
        c = ract(f) * c_prev + ract(i) * act(cbar)
        h = ract(o) * act(c)
        return h, (h, c)

    zeros = np.zeros((np.shape(x)[0], n))
    return rnn_loop(cell, x, (zeros, zeros), return_sequences, go_backwards, mask, zero_output_for_mask, return_state)


def gru(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    activation="tanh",
    recurrent_activation="sigmoid",
    reset_after=True,
    return_sequences=False,
    go_backwards=False,
    mask=None,
    zero_output_for_mask=False,
    return_state=False,
):
    """Keras GRU, gate blocks [z | r | h] in the columns of W (F, 3u) and U (u, 3u).

    reset_after=True (default): bias (2, 3u), row 0 = input bias b_x, row 1 = recurrent bias b_h.
        gx = x_t @ W + b_x,  gh = h_{t-1} @ U + b_h
        z = ract(gx_z + gh_z),  r = ract(gx_r + gh_r)
        hh = act(gx_h + r * gh_h)                    (reset applied after the matmul)
    reset_after=False: bias (3u,) on the input side only.
        gx = x_t @ W + b,  z = ract(gx_z + h_{t-1} @ U_z),  r = ract(gx_r + h_{t-1} @ U_r)
        hh = act(gx_h + (r * h_{t-1}) @ U_h)         (reset applied before the matmul)
    h_t = z * h_{t-1} + (1 - z) * hh;  output = state = h_t.
    """
    w, u, b = _f64(kernel), _f64(recurrent_kernel), _f64(bias)
    act, ract = get_activation(activation), get_activation(recurrent_activation)
    n = u.shape[0]
    if b is None:
        b_x = b_h = np.zeros(3 * n)
    elif reset_after:
        b_x, b_h = b[0], b[1]
    else:
        b_x, b_h = b, np.zeros(3 * n)
    blk = lambda a, k: a[:, k * n : (k + 1) * n]  # gate block k of a (N, 3u) array

    def cell(xt, states):
        h_prev = states[0]
        gx = xt @ w + b_x
        if reset_after:
            gh = h_prev @ u + b_h
        else:
            gh = np.concatenate([h_prev @ u[:, : 2 * n], np.zeros_like(h_prev)], axis=1)
        z = ract(blk(gx, 0) + blk(gh, 0))
        r = ract(blk(gx, 1) + blk(gh, 1))
        if reset_after:
            hh = act(blk(gx, 2) + r * blk(gh, 2))
        else:
            hh = act(blk(gx, 2) + (r * h_prev) @ u[:, 2 * n :])
        h = z * h_prev + (1.0 - z) * hh
        return h, (h,)

    h0 = np.zeros((np.shape(x)[0], n))
    return rnn_loop(cell, x, (h0,), return_sequences, go_backwards, mask, zero_output_for_mask, return_state)


def bidirectional(fn_forward, fn_backward, x, merge_mode="concat", return_sequences=False, mask=None):
    """Keras Bidirectional around fn_*(x, go_backwards, mask) -> (N, T, u) or (N, u).

    y = fn_forward(x, False, mask),  y_rev = fn_backward(x, True, mask).
    return_sequences: y_rev is flipped back in time (y_rev[:, ::-1]); Bidirectional also sets
    zero_output_for_mask = return_sequences on both inner layers, so masked steps are zeros in
    both halves (here applied afterwards; identical since states never see the outputs).
    merge: concat -> [y, y_rev] on the last axis, sum -> y + y_rev, mul -> y * y_rev,
    ave -> (y + y_rev) / 2, None -> (y, y_rev).
    """
    x = _f64(x)
    y, y_rev = _f64(fn_forward(x, False, mask)), _f64(fn_backward(x, True, mask))
    assert y.ndim == y_rev.ndim == (3 if return_sequences else 2), "return_sequences mismatch"
    if return_sequences:
        y_rev = y_rev[:, ::-1]
        if mask is not None:
            keep = np.asarray(mask, bool)[:, :, None]
            y, y_rev = np.where(keep, y, 0.0), np.where(keep, y_rev, 0.0)
    merges = {
        "concat": lambda: np.concatenate([y, y_rev], axis=-1),
        "sum": lambda: y + y_rev,
        "mul": lambda: y * y_rev,
        "ave": lambda: (y + y_rev) / 2.0,
        None: lambda: (y, y_rev),
    }
    return merges[merge_mode]()


def embedding(indices, embeddings):
    """Keras Embedding: out[..., :] = embeddings[indices[...]], shape indices.shape + (d,)."""
    return _f64(embeddings)[np.asarray(indices, np.int64)]


def embedding_mask(indices):
    """Keras Embedding(mask_zero=True) mask: indices != 0 (bool, same shape as indices)."""
    return np.asarray(indices) != 0


def masking(x, mask_value=0.0):
    """Keras Masking: mask[n, t] = any(x[n, t, :] != mask_value); output = x * mask[..., None].

    Returns (output, mask).
    """
    x = _f64(x)
    mask = np.any(x != mask_value, axis=-1)
    return x * mask[..., None], mask


def _self_check():
    """Independent identities the functions above must satisfy."""
    rng = np.random.default_rng(0)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    close = lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    N, T, F, u = 3, 5, 4, 2
    x = rng.normal(size=(N, T, F))
    Wl, Ul, bl = rng.normal(size=(F, 4 * u)), rng.normal(size=(u, 4 * u)), rng.normal(size=4 * u)
    Wg, Ug, bg = rng.normal(size=(F, 3 * u)), rng.normal(size=(u, 3 * u)), rng.normal(size=(2, 3 * u))
    Ws, Us, bs = rng.normal(size=(F, u)), rng.normal(size=(u, u)), rng.normal(size=u)
    L = lambda xx, **k: lstm(xx, Wl, Ul, bl, **k)
    G = lambda xx, **k: gru(xx, Wg, Ug, bg, **k)
    S = lambda xx, **k: simple_rnn(xx, Ws, Us, bs, **k)

    # 1. LSTM, two steps by hand with separate per-gate matrices.
    g = lambda k: (Wl[:, k * u : (k + 1) * u], Ul[:, k * u : (k + 1) * u], bl[k * u : (k + 1) * u])
    h = c = np.zeros((N, u))
    for t in range(2):
        pre = [x[:, t] @ Wk + h @ Uk + bk for Wk, Uk, bk in map(g, range(4))]
        c = sig(pre[1]) * c + sig(pre[0]) * np.tanh(pre[2])
        h = sig(pre[3]) * np.tanh(c)
    out, hT, cT = L(x[:, :2], return_state=True)
    close(out, h), close(hT, h), close(cT, c)

    # 2. GRU: one step from h=0 with zero recurrent bias is the same for both reset conventions.
    b0 = np.stack([bg[0], np.zeros(3 * u)])
    close(gru(x[:, :1], Wg, Ug, b0), gru(x[:, :1], Wg, Ug, bg[0], reset_after=False))
    # and one step by hand: h = (1 - z) * tanh(x W_h + b_h) (reset_after=False).
    z = sig(x[:, 0] @ Wg[:, :u] + bg[0, :u])
    close(gru(x[:, :1], Wg, Ug, bg[0], reset_after=False), (1 - z) * np.tanh(x[:, 0] @ Wg[:, 2 * u :] + bg[0, 2 * u :]))

    # 3. SimpleRNN with linear activation and U = 0 is a per-step dense layer.
    close(simple_rnn(x, Ws, np.zeros((u, u)), bs, activation="linear", return_sequences=True), x @ Ws + bs)

    for f in (L, G, S):
        # 4. Masking the tail gives the final state of the truncated sequence; masked
        #    outputs repeat the last h, or are zeros with zero_output_for_mask.
        mask = np.ones((N, T), bool)
        mask[:, 3:] = False
        close(f(x, mask=mask), f(x[:, :3]))
        seq = f(x, mask=mask, return_sequences=True)
        close(seq[:, :3], f(x[:, :3], return_sequences=True))
        close(seq[:, 3:], np.repeat(seq[:, 2:3], T - 3, axis=1))
        close(f(x, mask=mask, return_sequences=True, zero_output_for_mask=True)[:, 3:], 0.0)
        # A masked step in the middle is skipped entirely.
        mid = np.ones((N, T), bool)
        mid[:, 1] = False
        close(f(x, mask=mid), f(np.delete(x, 1, axis=1)))
        # 5. go_backwards on the time-reversed input (and mask) equals the forward pass.
        close(f(x[:, ::-1], go_backwards=True, return_sequences=True), f(x, return_sequences=True))
        close(f(x[:, ::-1], go_backwards=True, mask=mid[:, ::-1]), f(x, mask=mid))

    # 6. Bidirectional: at step t the forward half is the run over x[:, :t+1] and the backward
    #    half the run over x[:, t:] reversed; masked steps are zeros.
    fn = lambda xx, go_backwards, mask: L(xx, return_sequences=True, go_backwards=go_backwards, mask=mask)
    y = bidirectional(fn, fn, x, "concat", return_sequences=True)
    for t in range(T):
        close(y[:, t, :u], L(x[:, : t + 1]))
        close(y[:, t, u:], L(x[:, t:][:, ::-1]))
    mask = np.ones((N, T), bool)
    mask[0, 3:] = False
    ym = bidirectional(fn, fn, x, "sum", return_sequences=True, mask=mask)
    close(ym[0, 3:], 0.0)
    close(ym[:1, 1], L(x[:1, :2]) + L(x[:1, 1:3][:, ::-1]))
    last = lambda xx, go_backwards, mask: L(xx, go_backwards=go_backwards, mask=mask)
    close(bidirectional(last, last, x, "ave", mask=mask), (L(x, mask=mask) + L(x[:, ::-1], mask=mask[:, ::-1])) / 2)

    # 7. Embedding / Masking.
    idx = np.array([[1, 0, 2], [0, 0, 3]])
    emb = rng.normal(size=(4, 2))
    close(embedding(idx, emb)[1, 2], emb[3])
    assert (embedding_mask(idx) == np.array([[1, 0, 1], [0, 0, 1]], bool)).all()
    xm = x.copy()
    xm[0, 1] = 0.0
    xm[2, 4] = 0.0
    xm[1, 2, 0] = 0.0  # a partially-zero step stays unmasked
    out, m = masking(xm)
    expected = np.ones((N, T), bool)
    expected[0, 1] = expected[2, 4] = False
    assert (m == expected).all()
    close(out, xm)
    out7, m7 = masking(np.full((1, 2, 3), 7.0), mask_value=7.0)
    assert not m7.any() and (out7 == 0).all()
    print("reference_rnn self-check passed")


if __name__ == "__main__":
    _self_check()
