#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""hposync trainer: Keras 3 on the JAX backend (CPU; keras and jax from PyPI, group main).
Runs the job's `mlp:` and `cnn:` model specs (engine/model_spec.hpp: convNxK[sS][pP],
poolK, fcN, bn, dropP; the same network as the engine and the torch trainer) with sgd /
momentum / nesterov / adam and weight decay; one train_on_batch per batch, so every
parameter update gives one (t, loss) row. Contract: docs/PROTOCOL.md, "Trainer contract".

    hpo-worker --dir D --trainer keras=trainers/keras_trainer.py

CNNs run channels-first (the data's NCHW, the engine's layout): a padding P is a
ZeroPadding2D before a 'valid' Conv2D, as PyTorch's Conv2d(padding=P); the flatten
before the first fc keeps the [c][h][w] order. Batch norm: momentum 0.1 in PyTorch's
sense (Keras' 0.9), epsilon 1e-5, the engine's; its running variance is Keras' biased
one (the engine's and PyTorch's are unbiased), which only evaluation uses.

Same seed -> same initial weights (seeded initialisers: He normal for layers followed by
ReLU, Glorot uniform for the last, zero biases: the engine's scheme). init_weights =
hposync loads the engine's initial weights instead (ht.initial_weights; Keras kernels
are dense [in][out] and convolution [kh][kw][in][out], the engine's [out][in] and
[out][in][kh][kw]). Weight decay is the engine's coupled L2
(g += weight_decay * w on kernels, not biases): an L2 regulariser of weight_decay / 2,
so the loss per update, as train_on_batch returns it, includes that penalty (as
scikit-learn's does). Keras' own `weight_decay` is decoupled (AdamW's) and not used.

One clock: JAX compiles the training step on its first call (about a second). That is
done in setup, on the first batch (and the shorter last batch of an epoch), and undone
(weights, batch-norm statistics and optimizer state restored), so the budget counts
training, not compiling.

Threads: HPOSYNC_THREADS = 1 turns off XLA's multi-threaded CPU kernels; other values
leave XLA's own thread pool (it has no exact thread-count setting).

Checkpoint, written when asked to stop: data only (ht.save_checkpoint, an .npz of
model.get_weights() (batch-norm running statistics included), the optimizer's variables,
the shuffle generator's state and the position, with the job's identity); an existing
HPOSYNC_CHECKPOINT of this job is resumed, anything else there (torn, foreign, not
ours) means starting over. Not in it: the dropout layers' random streams, so a resumed
run with dropP draws other masks than an uninterrupted one (as in the torch trainer);
without dropout a resume continues exactly.
"""

import os
import re
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


def _tokens(spec):
    if spec.startswith("mlp:"):
        return ["fc" + t for t in spec[4:].split("-") if t]
    if spec.startswith("cnn:"):
        return [t for t in spec[4:].split("-") if t]
    raise ValueError(f"model {spec!r}: the Keras trainer runs mlp: and cnn: specs")


def build_model(job, in_shape, classes, seed):
    """A keras.Sequential for an engine model spec (channels-first), with the engine's
    initialisation scheme. `in_shape` is (c, h, w)."""
    spec = job.model
    reg = keras.regularizers.L2(job.weight_decay / 2) if job.weight_decay > 0 else None
    he = lambda: keras.initializers.HeNormal(seed=seed + len(layers))  # noqa: E731
    c, h, w = in_shape
    flat = None
    layers = [keras.Input((c, h, w))]
    for tok in _tokens(spec):
        if m := re.fullmatch(r"conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?", tok):
            n, k = int(m[1]), int(m[2])
            s = int(m[3] or 1)
            p = int(m[4]) if m[4] is not None else k // 2
            if flat is not None:
                raise ValueError(f"model {spec!r}: {tok!r} after fc")
            if p:
                layers.append(keras.layers.ZeroPadding2D(p, data_format="channels_first"))
            layers += [keras.layers.Conv2D(n, k, strides=s, padding="valid", data_format="channels_first",
                                           kernel_regularizer=reg, kernel_initializer=he()),
                       keras.layers.ReLU()]
            c, h, w = n, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif m := re.fullmatch(r"pool(\d+)", tok):
            k = int(m[1])
            layers.append(keras.layers.MaxPooling2D(k, strides=k, data_format="channels_first"))
            h, w = h // k, w // k
        elif m := re.fullmatch(r"fc(\d+)", tok):
            if flat is None:
                layers.append(keras.layers.Flatten(data_format="channels_last"))  # as stored: [c][h][w]
                flat = c * h * w
            layers += [keras.layers.Dense(int(m[1]), kernel_regularizer=reg, kernel_initializer=he()),
                       keras.layers.ReLU()]
            flat = int(m[1])
        elif tok == "bn":
            if not isinstance(layers[-1], keras.layers.ReLU):
                raise ValueError(f"model {spec!r}: 'bn' must follow a conv or fc token")
            layers.insert(len(layers) - 1, keras.layers.BatchNormalization(
                axis=1 if flat is None else -1, momentum=0.9, epsilon=1e-5))
        elif m := re.fullmatch(r"drop(0?\.\d+|0|1)", tok):
            layers.append(keras.layers.Dropout(float(m[1]), seed=seed + 2000 + len(layers)))
        else:
            raise ValueError(f"model {spec!r}: unknown token {tok!r}")
        if h <= 0 or w <= 0:
            raise ValueError(f"model {spec!r}: {tok!r} shrinks the image to nothing")
    if flat is None:
        layers.append(keras.layers.Flatten(data_format="channels_last"))
    layers.append(keras.layers.Dense(classes, kernel_regularizer=reg,
                                     kernel_initializer=keras.initializers.GlorotUniform(seed=seed + 1000)))
    return keras.Sequential(layers)


def make_optimizer(job):
    if job.optimizer == "adam":
        return keras.optimizers.Adam(job.lr, beta_1=job.beta1, beta_2=job.beta2, epsilon=job.eps)
    return keras.optimizers.SGD(job.lr, momentum=0.0 if job.optimizer == "sgd" else job.momentum,
                                nesterov=job.optimizer == "nesterov")


def load_engine_weights(model, tensors):
    """The engine's initial weights (ht.read_weights), layer by layer: dense [out][in] ->
    Keras [in][out], convolution [out][in][kh][kw] -> [kh][kw][in][out], batch norm gamma
    and beta (its running statistics stay at their start, 0 and 1)."""
    layers = [la for la in model.layers
              if isinstance(la, (keras.layers.Dense, keras.layers.Conv2D, keras.layers.BatchNormalization))]
    if len(tensors) != 2 * len(layers):
        raise ValueError(f"init weights: {len(tensors)} tensors for a model with {len(layers)} weighted layers")
    for layer, (wname, w), (bname, b) in zip(layers, tensors[0::2], tensors[1::2]):
        own = layer.get_weights()
        if w.size != own[0].size or b.size != own[1].size:
            raise ValueError(f"init weights: {wname} / {bname} do not fit layer {layer.name} {own[0].shape}")
        if isinstance(layer, keras.layers.Dense):
            n_in, n_out = own[0].shape
            w = w.reshape(n_out, n_in).T
        elif isinstance(layer, keras.layers.Conv2D):
            kh, kw, n_in, n_out = own[0].shape
            w = w.reshape(n_out, n_in, kh, kw).transpose(2, 3, 1, 0)
        layer.set_weights([np.ascontiguousarray(w), b.copy()] + own[2:])


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
    updates (weights and batch-norm statistics: get_weights has both): setup time, not
    budget (see the module's text)."""
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
        _tokens(job.model)  # an unsupported spec fails here, before any work
    except (ValueError, OSError) as e:
        return ht.fail(run, e)
    ytr, yva, yte = (a.astype(np.int32) for a in (ytr, yva, yte))
    n = len(ytr)

    # Keras seeds are 32-bit; job seeds are 64-bit (room for the initialisers' offsets).
    seed = run.seed % (2 ** 31 - 2000)

    def fresh():
        """Model (compiled, optimizer built) and shuffle generator as a new run starts them."""
        keras.utils.set_random_seed(seed)
        m = build_model(job, xtr.shape[1:], classes, seed)
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
    ta = float("nan")
    if status == "ok":
        with run.paused():
            tl, te = evaluate(model, xte, yte)
            ta = 1 - evaluate(model, xtr, ytr)[1]
    params = sum(int(np.prod(v.shape)) for v in model.trainable_weights)  # not BN's running statistics
    run.finish(status=status, reason=reason, param_count=params, test_loss=tl, test_accuracy=1 - te,
               train_accuracy=ta, resumed=resumed, segments=2 if resumed else 1)


if __name__ == "__main__":
    main()
    ht.exit_now()  # no interpreter teardown: see exit_now
