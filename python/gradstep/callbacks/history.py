"""History: records the epoch-end logs; `fit` returns it (history.history["loss"], ...)."""
from .callback import Callback


class History(Callback):
    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        # Keras keeps the same History across fit calls of one model only via model.history;
        # each fit gets a fresh record.
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
