"""model.summary(), the fit progress display (verbose 0/1/2/"auto") and History.plot()."""

import re
import sys

import numpy as np
import pytest

import gradstep as gs
from gradstep.callbacks import History, ProgbarLogger


def _dense_model(name=None):
    return gs.Sequential(
        [gs.Input((64,)), gs.layers.Dense(32, activation="relu"), gs.layers.Dense(10, activation="softmax")], name=name
    )


def _data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 64)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    return x, y


def _compiled_model(name=None):
    gs.set_seed(1)
    model = _dense_model(name)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return lines


# ----------------------------------------------------------------------------- summary
def test_summary_dense_model_rows_and_totals():
    model = _dense_model(name="digits_mlp")
    lines = _summary(model, line_length=88)
    assert all(isinstance(line, str) and "\n" not in line for line in lines)
    assert lines[0] == 'Model: "digits_mlp"'
    header = next(line for line in lines if "Layer (type)" in line)
    assert "Output Shape" in header and "Param #" in header
    first, second = model.layers
    row1 = next(line for line in lines if f"{first.name} (Dense)" in line)
    row2 = next(line for line in lines if f"{second.name} (Dense)" in line)
    assert "(None, 32)" in row1 and row1.rstrip(" |").endswith("2,080")  # 64*32 + 32
    assert "(None, 10)" in row2 and row2.rstrip(" |").endswith("330")  # 32*10 + 10
    # every table line has the requested width; columns line up
    table = lines[1 : lines.index(next(line for line in lines if "Total params" in line))]
    assert {len(line) for line in table} == {88}
    assert row1.index("(None, 32)") == row2.index("(None, 10)") == header.index("Output Shape")
    assert row1.rindex("2,080") + 5 == row2.rindex("330") + 3
    assert " Total params: 2,410 (9.41 KB)" in lines
    assert " Trainable params: 2,410 (9.41 KB)" in lines
    assert " Non-trainable params: 0 (0.00 B)" in lines
    assert model.count_params() == 2410


def test_summary_prints_to_stdout_by_default(capsys):
    model = _dense_model()
    model.summary(line_length=70)
    out = capsys.readouterr().out
    assert out.startswith(f'Model: "{model.name}"\n')
    assert "Total params: 2,410" in out
    assert all(len(line) == 70 for line in out.splitlines()[1:-3])


def test_summary_positions_absolute_and_relative_agree():
    model = _dense_model()
    assert _summary(model, line_length=80, positions=[0.5, 0.8, 1.0]) == _summary(
        model, line_length=80, positions=[40, 64, 80]
    )


def test_summary_layers_without_weights_and_non_trainable_state():
    layers = [gs.Input((8,)), gs.layers.Dense(4), gs.layers.Activation("relu")]
    has_bn = hasattr(gs.layers, "BatchNormalization")
    if has_bn:
        layers.append(gs.layers.BatchNormalization())
    model = gs.Sequential(layers)
    lines = _summary(model, line_length=100)
    activation_row = next(line for line in lines if "(Activation)" in line)
    assert "(None, 4)" in activation_row and activation_row.rstrip(" |").endswith(" 0")
    if has_bn:
        # gamma, beta trainable (8); moving mean and variance not (8)
        assert " Total params: 52 (208.00 B)" in lines
        assert " Trainable params: 44 (176.00 B)" in lines
        assert " Non-trainable params: 8 (32.00 B)" in lines
    else:
        assert " Total params: 36 (144.00 B)" in lines


def test_summary_after_fit_shows_optimizer_state_like_keras():
    model = _compiled_model()
    x, y = _data(20)
    model.fit(x, y, epochs=1, verbose=0)
    lines = _summary(model)
    assert " Trainable params: 2,410 (9.41 KB)" in lines
    assert " Optimizer params: 4,820 (18.83 KB)" in lines  # Adam: momentum + velocity
    assert " Total params: 7,230 (28.24 KB)" in lines


def test_summary_unbuilt_model_raises():
    model = gs.Sequential([gs.layers.Dense(3)])
    with pytest.raises(ValueError, match=r"not built.*gradstep\.Input"):
        model.summary()


def test_summary_rejects_bad_arguments():
    model = _dense_model()
    with pytest.raises(ValueError, match="line_length"):
        model.summary(line_length=0)
    with pytest.raises(ValueError, match="positions"):
        model.summary(positions=[0.5, 1.0])
    with pytest.raises(TypeError, match="print_fn"):
        model.summary(print_fn="print")


# ----------------------------------------------------------------------------- progress
_LOG = r"\d+\.\d{4}(e[+-]\d+)?"


def test_verbose_2_prints_one_line_per_epoch(capsys):
    model = _compiled_model()
    x, y = _data(100)
    model.fit(x, y, epochs=3, batch_size=32, validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for epoch, line in enumerate(lines, start=1):
        pattern = (
            rf"Epoch {epoch}/3 - 3/3 steps - \d+\.\d\ds - \d+(us|ms|s)/step - loss: {_LOG} - "
            rf"accuracy: {_LOG} - val_loss: {_LOG} - val_accuracy: {_LOG}"
        )
        assert re.fullmatch(pattern, line), line


def test_verbose_2_values_match_history(capsys):
    model = _compiled_model()
    x, y = _data(64)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    for line, loss in zip(lines, history.history["loss"]):
        assert f"loss: {loss:.4f}" in line


def test_verbose_auto_without_terminal_is_2(capsys):
    model = _compiled_model()
    x, y = _data(40)
    model.fit(x, y, epochs=2, batch_size=20)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]


def test_verbose_0_is_silent(capsys):
    model = _compiled_model()
    x, y = _data(40)
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_1_without_terminal_prints_final_bar_per_epoch(capsys):
    model = _compiled_model()
    x, y = _data(50)
    model.fit(x, y, epochs=2, batch_size=10, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert re.match(r"5/5 \[=+\] \d+s \d+(us|ms|s)/step - loss: ", lines[1])


def test_verbose_1_on_a_terminal_draws_a_bar(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    model = _compiled_model()
    x, y = _data(200)
    # interval=0: redraw after every batch, so the test sees intermediate states
    progbar = ProgbarLogger(verbose=1, interval=0.0)
    history = model.fit(x, y, epochs=2, batch_size=10, validation_split=0.2, verbose=0, callbacks=[progbar])
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    frames = out.replace("\n", "\r").split("\r")
    assert any(frame.startswith("8/16 ") and "loss: " in frame for frame in frames)
    finals = [frame for frame in frames if frame.startswith("16/16 ") and "val_loss: " in frame]
    assert finals, out
    assert f"val_loss: {history.history['val_loss'][-1]:.4f}" in finals[-1]
    assert out.endswith("\n")


def test_verbose_auto_on_a_terminal_uses_the_bar(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    model = _compiled_model()
    x, y = _data(60)
    model.fit(x, y, epochs=1, batch_size=20)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1\n")
    assert "\r3/3 " in out and "loss: " in out


def test_progbar_stops_cleanly_when_training_stops_early(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)

    class StopAtBatch3(gs.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    model = _compiled_model()
    x, y = _data(100)
    model.fit(x, y, epochs=3, batch_size=10, verbose=1, callbacks=[StopAtBatch3()])
    out = capsys.readouterr().out
    assert "Epoch 2/3" not in out
    assert "\r3/10 " in out and out.endswith("\n")


def test_progbar_formats():
    from gradstep.callbacks import progbar_logger as pb

    assert pb.format_value(0.12345) == "0.1235"
    assert pb.format_value(0.0) == "0.0000"
    assert pb.format_value(1.5e-5) == "1.5000e-05"
    assert pb.format_value(float("nan")) == "nan"
    assert pb.format_duration(7.2) == "7s" and pb.format_duration(62) == "1:02"
    assert pb.format_duration(3662) == "1:01:02"
    assert pb.format_step_time(0.0031) == "3ms/step" and pb.format_step_time(2e-5) == "20us/step"
    with pytest.raises(ValueError, match="verbose"):
        ProgbarLogger(verbose=3)


# ----------------------------------------------------------------------------- History.plot
def _history(validation_every=1):
    history = History()
    history.on_train_begin()
    for epoch in range(4):
        logs = {"loss": 1.0 / (epoch + 1), "accuracy": 0.5 + 0.1 * epoch}
        if (epoch + 1) % validation_every == 0:
            logs.update({"val_loss": 1.2 / (epoch + 1), "val_accuracy": 0.45 + 0.1 * epoch})
        history.on_epoch_end(epoch, logs)
    return history


def test_history_plot_one_subplot_per_metric():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = _history().plot()
    try:
        assert len(axes) == 2
        assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
        for ax, _key in zip(axes, ["loss", "accuracy"]):
            lines = ax.get_lines()
            assert [line.get_label() for line in lines] == ["training", "validation"]
            np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3, 4])
        np.testing.assert_allclose(axes[0].get_lines()[0].get_ydata(), [1.0, 0.5, 1 / 3, 0.25])
        np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), [1.2, 0.6, 0.4, 0.3])
    finally:
        plt.close(axes[0].figure)


def test_history_plot_on_given_axes_and_selected_metrics():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        history = _history(validation_every=2)  # validation only at epochs 2 and 4
        assert history.plot(metrics="loss", ax=ax) is ax
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels == ["loss", "val_loss"]
        np.testing.assert_array_equal(ax.get_lines()[1].get_xdata(), [2, 4])
        ax.clear()
        history.plot(ax=ax)
        assert [line.get_label() for line in ax.get_lines()] == ["loss", "val_loss", "accuracy", "val_accuracy"]
        with pytest.raises(ValueError, match="'mae' was not recorded"):
            history.plot(metrics=["mae"], ax=ax)
    finally:
        plt.close(fig)


def test_history_plot_after_fit():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    model = _compiled_model()
    x, y = _data(40)
    history = model.fit(x, y, epochs=3, batch_size=20, validation_split=0.25, verbose=0)
    axes = history.plot(["accuracy"])
    try:
        assert len(axes) == 1
        assert len(axes[0].get_lines()) == 2
        np.testing.assert_array_equal(axes[0].get_lines()[0].get_xdata(), [1, 2, 3])
    finally:
        plt.close(axes[0].figure)


def test_history_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=re.escape("pip install gradstep[plot]")):
        _history().plot()


def test_history_plot_empty_history():
    with pytest.raises(ValueError, match="nothing to plot"):
        History().plot()


def test_history_recording_unchanged():
    history = _history(validation_every=2)
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["loss"] == [1.0, 0.5, 1 / 3, 0.25]
    assert history.history["val_loss"] == [0.6, 0.3]
