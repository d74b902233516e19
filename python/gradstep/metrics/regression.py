"""MeanSquaredError and MeanAbsoluteError as metric classes: the mean over every element seen."""
import numpy as np

from .metric import Metric, _ratio


class _MeanError(Metric):
    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._arrays(y_true, y_pred, sample_weight)
        error = y_pred - y_true.reshape(y_pred.shape)
        self.total += float(np.sum(self._per_element(error)))
        self.count += float(error.size)

    def result(self):
        return _ratio(self.total, self.count)


class MeanSquaredError(_MeanError):
    _default_name = "mean_squared_error"

    @staticmethod
    def _per_element(error):
        return error * error


class MeanAbsoluteError(_MeanError):
    _default_name = "mean_absolute_error"

    @staticmethod
    def _per_element(error):
        return np.abs(error)
