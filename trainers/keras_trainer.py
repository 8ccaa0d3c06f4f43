#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""hposync trainer: Keras 3 on the JAX backend (CPU; keras and jax from PyPI, group main).
Runs `mlp:` specs with sgd / momentum / nesterov / adam and weight decay; one
train_on_batch per batch, so every parameter update gives one (t, loss) row. Contract:
docs/PROTOCOL.md, "Trainer contract".

    hpo-worker --dir D --trainer keras=trainers/keras_trainer.py

Same seed -> same initial weights (seeded initialisers: He normal for layers followed by
ReLU, Glorot uniform for the last, zero biases: the engine's scheme). init_weights =
hposync loads the engine's initial weights instead (ht.initial_weights; Keras kernels
are [in][out], the engine's [out][in]). Weight decay is the engine's coupled L2
(g += weight_decay * w on kernels, not biases): an L2 regulariser of weight_decay / 2,
so the loss per update, as train_on_batch returns it, includes that penalty (as
scikit-learn's does). Keras' own `weight_decay` is decoupled (AdamW's) and not used.

One clock: JAX compiles the training step on its first call (about a second). That is
done in setup, on the first batch (and the shorter last batch of an epoch), and undone
(weights and optimizer state restored), so the budget counts training, not compiling.

Threads: HPOSYNC_THREADS = 1 turns off XLA's multi-threaded CPU kernels; other values
leave XLA's own thread pool (it has no exact thread-count setting).

Checkpoint, written when asked to stop: data only (ht.save_checkpoint, an .npz of
model.get_weights(), the optimizer's variables, the shuffle generator's state and the
position, with the job's identity); an existing HPOSYNC_CHECKPOINT of this job is
resumed, anything else there (torn, foreign, not ours) means starting over.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hposync_trainer as ht  # noqa: E402  (first: it starts the budget clock)

# Before keras is imported: it picks its backend (and XLA its flags) once, at import.
os.environ["KERAS_BACKEND"] = "jax"
if os.environ.get("HPOSYNC_THREADS") == "1":
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

np = ht.require("numpy")
ht.require("jax")  # a failed result naming the package when the environment lacks it
keras = ht.require("keras")


def build_model(job, features, classes, seed):
    """A keras.Sequential for an `mlp:` spec, with the engine's initialisation scheme."""
    if not job.model.startswith("mlp:"):
        raise ValueError(f"model {job.model!r}: the Keras trainer runs mlp: specs only")
    reg = keras.regularizers.L2(job.weight_decay / 2) if job.weight_decay > 0 else None
    layers = [keras.Input((features,))]
    for i, units in enumerate(job.hidden_layers()):
        layers.append(keras.layers.Dense(units, activation="relu", kernel_regularizer=reg,
                                         kernel_initializer=keras.initializers.HeNormal(seed=seed + i)))
    layers.append(keras.layers.Dense(classes, kernel_regularizer=reg,
                                     kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1000)))
    return keras.Sequential(layers)


def make_optimizer(job):
    if job.optimizer == "adam":
        return keras.optimizers.Adam(job.lr, beta_1=job.beta1, beta_2=job.beta2, epsilon=job.eps)
    return keras.optimizers.SGD(job.lr, momentum=0.0 if job.optimizer == "sgd" else job.momentum,
                                nesterov=job.optimizer == "nesterov")


def load_engine_weights(model, tensors):
    """The engine's initial weights (ht.read_weights): dense [out][in] -> Keras [in][out]."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if len(tensors) != 2 * len(dense):
        raise ValueError(f"init weights: {len(tensors)} tensors for an MLP with {len(dense)} layers")
    for layer, (wname, w), (bname, b) in zip(dense, tensors[0::2], tensors[1::2]):
        n_in, n_out = layer.kernel.shape
        if w.size != n_in * n_out or b.size != n_out:
            raise ValueError(f"init weights: {wname} / {bname} do not fit layer {layer.name} ({n_in} -> {n_out})")
        layer.set_weights([w.reshape(n_out, n_in).T.copy(), b.copy()])


def state_arrays(model, opt, rng):
    out = {f"weight{i}": w for i, w in enumerate(model.get_weights())}
    out.update({f"opt{i}": np.asarray(v.numpy()) for i, v in enumerate(opt.variables)})
    out.update(ht.rng_arrays(rng))
    return out


def restore(model, opt, rng, arrays):
    """Loads state_arrays, every array checked against the model's and optimizer's own."""
    own = model.get_weights()
    model.set_weights([ht.expect_shape(arrays, f"weight{i}", w.shape, w.dtype) for i, w in enumerate(own)])
    for i, v in enumerate(opt.variables):
        v.assign(ht.expect_shape(arrays, f"opt{i}", tuple(v.shape), np.dtype(v.dtype)))
    extra = [k for k in arrays if (k.startswith("weight") and int(k[6:]) >= len(own))
             or (k.startswith("opt") and int(k[3:]) >= len(opt.variables))]
    if extra:
        raise ValueError(f"arrays the model does not have: {extra[:3]}")
    ht.set_rng(rng, arrays)


def compile_now(model, opt, batches):
    """Compiles the training step for each batch shape in `batches` and undoes those
    updates: setup time, not budget (see the module's text)."""
    weights = model.get_weights()
    state = [np.asarray(v.numpy()) for v in opt.variables]
    for x, y in batches:
        model.train_on_batch(x, y)
    model.set_weights(weights)
    for v, a in zip(opt.variables, state):
        v.assign(a)


def evaluate(model, x, y, batch=1000):
    if len(y) == 0:
        return 0.0, 1.0
    loss, wrong = 0.0, 0
    for i in range(0, len(y), batch):
        logits = np.asarray(model.predict_on_batch(x[i:i + batch]), dtype=np.float64)
        logits -= logits.max(1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        yb = y[i:i + batch]
        loss -= logp[np.arange(len(yb)), yb].sum()
        wrong += int((logits.argmax(1) != yb).sum())
    return float(loss / len(y)), wrong / len(y)


def main():
    run = ht.Run()
    job = run.job
    try:
        xtr, ytr, xva, yva, xte, yte = ht.load_splits(run)
        classes = int(max(ytr.max(), yte.max())) + 1
        init = ht.initial_weights(run)
        if not job.model.startswith("mlp:"):
            raise ValueError(f"model {job.model!r}: the Keras trainer runs mlp: specs only")
    except (ValueError, OSError) as e:
        return ht.fail(run, e)
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    xtr, xva, xte = flat(xtr), flat(xva), flat(xte)
    ytr, yva, yte = (a.astype(np.int32) for a in (ytr, yva, yte))
    n = len(ytr)

    # Keras seeds are 32-bit; job seeds are 64-bit (room for the initialisers' offsets).
    seed = run.seed % (2 ** 31 - 2000)

    def fresh():
        """Model (compiled, optimizer built) and shuffle generator as a new run starts them."""
        keras.utils.set_random_seed(seed)
        m = build_model(job, xtr.shape[1], classes, seed)
        if init is not None:
            load_engine_weights(m, init)
        o = make_optimizer(job)
        m.compile(optimizer=o, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        o.build(m.trainable_variables)
        return m, o, np.random.RandomState((run.seed + 1) % (2 ** 32))

    try:
        model, opt, rng = fresh()
    except ValueError as e:
        return ht.fail(run, e)
    position = None
    saved = ht.load_checkpoint(run, "keras", n)
    if saved is not None:
        try:
            restore(model, opt, rng, saved[0])
            position = saved[1]
        except (ValueError, KeyError) as e:  # shapes of another model: start over
            ht.discard_checkpoint(run, f"it does not fit this model ({e})")
            model, opt, rng = fresh()
    bs = job.batch_size
    shapes = [(xtr[:bs], ytr[:bs])] + ([(xtr[:n % bs], ytr[:n % bs])] if n > bs and n % bs else [])
    if n:
        compile_now(model, opt, shapes)

    def forward(idx):  # train_on_batch computes the loss, then applies the update
        return float(model.train_on_batch(xtr[idx], ytr[idx])), ""

    def save_state(pos):
        ht.save_checkpoint(run, "keras", state_arrays(model, opt, rng), pos)

    status, reason = ht.train_epochs(
        run, n, lambda: rng.permutation(n) if job.shuffle else np.arange(n), forward, None,
        lambda: evaluate(model, xva, yva), save_state, position)
    resumed = position is not None
    tl, te = 0.0, 1.0
    if status == "ok":
        with run.paused():
            tl, te = evaluate(model, xte, yte)
    run.finish(status=status, reason=reason, param_count=int(model.count_params()), test_loss=tl,
               test_accuracy=1 - te, resumed=resumed, segments=2 if resumed else 1)


if __name__ == "__main__":
    main()
    ht.exit_now()  # no interpreter teardown: see exit_now
