"""Run by tools/build_wheel.sh inside a fresh virtual environment holding only the repaired wheel:
gradstep must import from site-packages (not a source tree), train, save, load and predict, and
threadpoolctl must see the OpenMP runtime bundled in the wheel (gradstep.libs)."""

import os
import sys
import tempfile

import numpy as np
import threadpoolctl

import gradstep as gs

site = os.path.dirname(os.path.dirname(gs.__file__))
assert "site-packages" in site, f"gradstep imported from {gs.__file__}, not from an installed wheel"

gs.set_seed(0)
(x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()
model = gs.Sequential(
    [gs.Input((64,)), gs.layers.Dense(32, activation="relu"), gs.layers.Dense(10, activation="softmax")]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
accuracy = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
assert accuracy > 0.9, accuracy
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.gstep")
    model.save(path)
    loaded = gs.models.load_model(path)
np.testing.assert_array_equal(loaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0))

openmp = [info for info in threadpoolctl.threadpool_info() if info["user_api"] == "openmp"]
# Where the wheel's repair step puts the OpenMP runtime: auditwheel (Linux) in gradstep.libs,
# delocate (macOS) in gradstep/.dylibs; on Windows it is MSVC's runtime (vcomp140.dll).
marker = {"linux": "gradstep.libs", "darwin": ".dylibs"}.get(sys.platform, "")
bundled = [info for info in openmp if marker in info["filepath"]]
assert bundled, f"threadpoolctl does not see gradstep's OpenMP ({marker or 'any'}): {openmp}"
with threadpoolctl.threadpool_limits(1, user_api="openmp"):
    assert gs.get_num_threads() == 1
print(
    f"wheel smoke test: OK (accuracy {accuracy:.4f}, OpenMP {bundled[0]['filepath']}, python {sys.version.split()[0]})"
)
