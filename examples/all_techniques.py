"""BatchNormalization, Dropout, L2, EarlyStopping and a cosine learning-rate schedule together on
the bundled digits (the README's complete example)."""

import gradstep as gs

gs.set_seed(0)
(x_train, y_train), (x_test, y_test) = gs.datasets.load_digits()

model = gs.Sequential(
    [
        gs.Input((64,)),
        gs.layers.Dense(128, kernel_regularizer=gs.regularizers.L2(1e-4)),
        gs.layers.BatchNormalization(),
        gs.layers.Activation("relu"),
        gs.layers.Dropout(0.2),
        gs.layers.Dense(64, kernel_regularizer=gs.regularizers.L2(1e-4)),
        gs.layers.BatchNormalization(),
        gs.layers.Activation("relu"),
        gs.layers.Dropout(0.2),
        gs.layers.Dense(10, activation="softmax"),
    ]
)
steps_per_epoch = -(-int(len(x_train) * 0.9) // 32)
schedule = gs.optimizers.schedules.CosineDecay(initial_learning_rate=3e-3, decay_steps=60 * steps_per_epoch, alpha=0.01)
model.compile(
    optimizer=gs.optimizers.Adam(learning_rate=schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
)
model.summary()
history = model.fit(
    x_train,
    y_train,
    batch_size=32,
    epochs=60,
    validation_split=0.1,
    verbose=0,
    callbacks=[gs.callbacks.EarlyStopping(monitor="val_loss", patience=8, restore_best_weights=True)],
)
best = min(range(len(history.history["val_loss"])), key=history.history["val_loss"].__getitem__)
print(
    f"stopped after {len(history.epoch)} epochs; best epoch {best + 1}: "
    f"val_loss {history.history['val_loss'][best]:.4f}, val_accuracy {history.history['val_accuracy'][best]:.4f}"
)
print("test:", {k: round(v, 4) for k, v in model.evaluate(x_test, y_test, verbose=0, return_dict=True).items()})
