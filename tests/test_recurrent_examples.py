"""The recurrent examples (examples/sequence_memory.py, digits_rows.py, sequence_tagging.py) meet
the claims their docstrings make, with their default arguments."""

import importlib.util
import os

import numpy as np
import pytest

# Whole training runs (tens of seconds each): under the sanitizers (GRADSTEP_SANITIZED=1, ~20x
# slower) they would dominate CI; the layers they use are tested there by tests/test_recurrent.py.
full_training = pytest.mark.skipif(
    os.environ.get("GRADSTEP_SANITIZED") == "1", reason="a full training run; too slow under ASan/UBSan"
)


def _example(name):
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@full_training
def test_sequence_memory_lstm_and_gru_solve_the_adding_problem_and_simple_rnn_does_not():
    example = _example("sequence_memory")
    results = example.main([])
    assert abs(results["baseline"] - 1 / 6) < 0.02, results  # Var(a + b), a, b ~ U(0, 1)
    assert results["LSTM"] < 0.01, results
    assert results["GRU"] < 0.01, results
    assert results["SimpleRNN"] > 0.8 * results["baseline"], results  # near the baseline: nothing carried


def test_sequence_memory_data_marks_one_step_in_each_half():
    example = _example("sequence_memory")
    x, y = example.adding_problem(200, np.random.default_rng(0))
    assert x.shape == (200, example.TIMESTEPS, 2) and y.shape == (200, 1)
    half = example.TIMESTEPS // 2
    marks = x[:, :, 1]
    np.testing.assert_array_equal(marks[:, :half].sum(axis=1), 1)
    np.testing.assert_array_equal(marks[:, half:].sum(axis=1), 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * marks).sum(axis=1), rtol=1e-6)


@full_training
def test_digits_rows_lstm_reaches_095():
    results = _example("digits_rows").main([])
    assert results["accuracy"] >= 0.95, results
    assert (results["num_train"], results["num_validation"], results["num_test"]) == (1437, 144, 360)


@full_training
def test_sequence_tagging_bidirectional_lstm_reaches_098_and_the_forward_one_cannot():
    example = _example("sequence_tagging")
    results = example.main([])
    bidirectional, forward = results["Bidirectional LSTM"], results["forward LSTM"]
    assert bidirectional["accuracy"] >= 0.98, results
    # gradstep's masked accuracy is the NumPy one over the non-padded tokens
    assert abs(bidirectional["reported_accuracy"] - bidirectional["accuracy"]) < 1e-6, results
    assert abs(forward["reported_accuracy"] - forward["accuracy"]) < 1e-6, results
    # without the right-hand context the "equals the last token" half of the tag is a guess
    assert forward["accuracy"] < 0.9, results


def test_sequence_tagging_data_tags_matches_of_the_first_and_last_tokens():
    example = _example("sequence_tagging")
    x, y = example.tagging_data(300, np.random.default_rng(1))
    lengths = (x != 0).sum(axis=1)
    assert lengths.min() >= example.MIN_LENGTH and lengths.max() <= example.MAX_LENGTH
    for tokens, tags, length in zip(x, y, lengths):
        assert np.all(tokens[:length] != 0) and np.all(tokens[length:] == 0) and np.all(tags[length:] == 0)
        expected = (tokens[:length] == tokens[0]) + 2 * (tokens[:length] == tokens[length - 1])
        np.testing.assert_array_equal(tags[:length], expected)
