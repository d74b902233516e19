"""gradstep.sklearn: scikit-learn's estimator checks, Pipeline and GridSearchCV, pickling."""

import pickle

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", minversion="1.6")

from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

import gradstep as gs  # noqa: E402
from gradstep.sklearn import GradstepClassifier, GradstepRegressor  # noqa: E402

# Checks that mini-batch training cannot pass, with the reason (the module docstring repeats it).
WAIVED = {
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch training on a sample weighted 2 differs from training on it twice (other batches)"
    ),
    "check_sample_weight_equivalence_on_sparse_data": "sparse input is refused (as documented)",
}


def _expected_failed_checks(estimator):
    return WAIVED


@parametrize_with_checks(
    [GradstepClassifier(epochs=30, random_state=0), GradstepRegressor(epochs=30, random_state=0)],
    expected_failed_checks=_expected_failed_checks,
)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


def _digits():
    x, y = load_digits(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def test_pipeline_and_grid_search_on_digits():
    x_train, x_test, y_train, y_test = _digits()
    pipeline = make_pipeline(StandardScaler(), GradstepClassifier(epochs=20, random_state=0))
    search = GridSearchCV(
        pipeline,
        {"gradstepclassifier__hidden_layer_sizes": [(16,), (64,)], "gradstepclassifier__learning_rate": [1e-3, 3e-3]},
        cv=3,
    )
    search.fit(x_train, y_train)
    assert set(search.cv_results_["params"][0]) == {
        "gradstepclassifier__hidden_layer_sizes",
        "gradstepclassifier__learning_rate",
    }
    assert len(search.cv_results_["mean_test_score"]) == 4
    assert search.score(x_test, y_test) > 0.95
    probabilities = search.predict_proba(x_test)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(search.best_estimator_.classes_, np.arange(10))


def _custom_network(n_features, n_outputs, units=32, dropout=0.1):
    return gs.Sequential(
        [
            gs.Input((n_features,)),
            gs.layers.Dense(units, activation="relu"),
            gs.layers.Dropout(dropout),
            gs.layers.Dense(n_outputs, activation="softmax"),
        ]
    )


def test_build_function_parameters_string_labels_and_pickle():
    x_train, x_test, y_train, y_test = _digits()
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    scaler = StandardScaler().fit(x_train)
    clf = GradstepClassifier(_custom_network, build_params={"units": 48}, epochs=25, random_state=1)
    assert clf.get_params()["build_params"] == {"units": 48}
    clf.fit(scaler.transform(x_train), names[y_train])
    assert clf.model_.layers[0].units == 48
    assert set(clf.classes_) == set(names)
    accuracy = clf.score(scaler.transform(x_test), names[y_test])
    assert accuracy > 0.95
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(
        restored.predict_proba(scaler.transform(x_test)), clf.predict_proba(scaler.transform(x_test))
    )
    assert "loss" in restored.history_
    # The same random_state gives the same network again.
    again = GradstepClassifier(_custom_network, build_params={"units": 48}, epochs=25, random_state=1)
    again.fit(scaler.transform(x_train), names[y_train])
    np.testing.assert_array_equal(
        again.predict_proba(scaler.transform(x_test)), clf.predict_proba(scaler.transform(x_test))
    )


def test_regressor_single_and_multi_target():
    x, y = make_regression(n_samples=300, n_features=6, n_targets=2, noise=0.1, random_state=0)
    y = y / y.std(axis=0)
    reg = GradstepRegressor(hidden_layer_sizes=(32,), epochs=60, learning_rate=3e-3, random_state=0)
    assert reg.fit(x, y).score(x, y) > 0.95
    assert reg.predict(x).shape == (300, 2)
    assert reg.fit(x, y[:, 0]).predict(x).shape == (300,)


def test_bad_arguments_raise():
    x, y = np.zeros((10, 3)), np.arange(10) % 2
    with pytest.raises(ValueError, match="epochs"):
        GradstepClassifier(epochs=0).fit(x, y)
    with pytest.raises(ValueError, match="unknown name"):
        GradstepClassifier(optimizer="nadam-x").fit(x, y)
    with pytest.raises(TypeError, match="build_fn must return a gradstep Sequential"):
        GradstepClassifier(lambda n, k: None).fit(x, y)
    with pytest.raises(ValueError, match="sample_weight"):
        GradstepClassifier().fit(x, y, sample_weight=np.ones(3))
