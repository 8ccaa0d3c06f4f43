#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""hposync trainer: scikit-learn MLPClassifier (scikit-learn from PyPI). Runs `mlp:` specs
with sgd / momentum / nesterov / adam; one partial_fit per batch, so every parameter
update gives one (t, loss) row. Contract: docs/PROTOCOL.md, "Trainer contract".

    hpo-worker --dir D --trainer sklearn=trainers/sklearn_trainer.py

Same seed -> same initial weights (random_state = seed; scikit-learn's Glorot-uniform
init). Weight decay: scikit-learn's `alpha` is an L2 penalty divided by the batch size,
so alpha = weight_decay * batch_size gives the engine's g += weight_decay * w.
The loss per update is `loss_` after that partial_fit (the batch's cross-entropy plus the
L2 term). Checkpoint, written when asked to stop: data only (ht.save_checkpoint, an .npz
of the weights, the optimizer's state arrays, the shuffle generator's state and the
position, with the job's identity); an existing HPOSYNC_CHECKPOINT of this job is
resumed, anything else there (torn, foreign, not ours) means starting over.
"""

import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hposync_trainer as ht  # noqa: E402  (first: it starts the budget clock)

np = ht.require("numpy")  # a failed result naming the package when the environment lacks it
ConvergenceWarning = ht.require("sklearn.exceptions").ConvergenceWarning
MLPClassifier = ht.require("sklearn.neural_network").MLPClassifier


def make_classifier(job, seed):
    kw = dict(hidden_layer_sizes=tuple(job.hidden_layers()), activation="relu", batch_size=job.batch_size,
              learning_rate_init=job.lr, alpha=job.weight_decay * job.batch_size, random_state=seed % (2 ** 32),
              shuffle=False, max_iter=1, tol=0.0)
    if job.optimizer == "adam":
        return MLPClassifier(solver="adam", beta_1=job.beta1, beta_2=job.beta2, epsilon=job.eps, **kw)
    return MLPClassifier(solver="sgd", learning_rate="constant", momentum=0.0 if job.optimizer == "sgd" else job.momentum,
                         nesterovs_momentum=job.optimizer == "nesterov", **kw)


def prime(clf, x, y, classes):
    """MLPClassifier makes its weights, its optimizer and every attribute it needs on its
    first partial_fit: one call on the first batch creates them, to be overwritten by the
    caller (engine weights, or a checkpoint), so that call's update never counts."""
    clf.partial_fit(x, y, classes=classes)
    clf.t_, clf.n_iter_, clf.loss_curve_ = 0, 0, []


def load_engine_weights(clf, tensors, x, y, classes):
    """Starts the classifier from the engine's initial weights (ht.read_weights),
    engine [out][in] -> scikit-learn [in][out]; the priming call's optimizer state is
    dropped, so the first counted update starts exactly from the engine's weights."""
    prime(clf, x, y, classes)
    if len(tensors) != 2 * len(clf.coefs_):
        raise ValueError(f"init weights: {len(tensors)} tensors for an MLP with {len(clf.coefs_)} layers")
    for i, ((wname, w), (bname, b)) in enumerate(zip(tensors[0::2], tensors[1::2])):
        n_in, n_out = clf.coefs_[i].shape
        if w.size != n_in * n_out or b.size != n_out:
            raise ValueError(f"init weights: {wname} / {bname} do not fit layer {i + 1} ({n_in} -> {n_out})")
        clf.coefs_[i][...] = w.reshape(n_out, n_in).T
        clf.intercepts_[i][...] = b
    if hasattr(clf, "_optimizer"):
        del clf._optimizer  # made again, fresh, by the next partial_fit


# The optimizer's state arrays, one per parameter (coefs_ then intercepts_, its order).
def _optimizer_slots(clf):
    opt = clf._optimizer
    return {"m": opt.ms, "v": opt.vs} if hasattr(opt, "ms") else {"velocity": opt.velocities}


def state_arrays(clf, rng):
    """Everything a resume needs, as plain arrays."""
    params = clf.coefs_ + clf.intercepts_
    out = {f"param{k}": p for k, p in enumerate(params)}
    for slot, values in _optimizer_slots(clf).items():
        out.update({f"opt.{slot}{k}": v for k, v in enumerate(values)})
    out["counters"] = np.array([clf.t_, clf.n_iter_, getattr(clf._optimizer, "t", 0)], dtype=np.int64)
    out.update(ht.rng_arrays(rng))
    return out


def restore(clf, rng, arrays, x, y, classes):
    """The classifier and generator of a checkpoint (state_arrays), every array checked
    against the classifier's own shapes."""
    prime(clf, x, y, classes)
    params = clf.coefs_ + clf.intercepts_
    for k, p in enumerate(params):
        p[...] = ht.expect_shape(arrays, f"param{k}", p.shape, p.dtype)
    for slot, values in _optimizer_slots(clf).items():
        for k, p in enumerate(params):
            values[k] = ht.expect_shape(arrays, f"opt.{slot}{k}", p.shape, p.dtype).copy()
    t_, n_iter, opt_t = (int(v) for v in ht.expect_shape(arrays, "counters", (3,), np.int64))
    clf.t_, clf.n_iter_ = t_, n_iter
    if hasattr(clf._optimizer, "t"):
        clf._optimizer.t = opt_t
    ht.set_rng(rng, arrays)


def evaluate(clf, x, y, classes):
    if len(y) == 0:
        return 0.0, 1.0
    p = np.clip(clf.predict_proba(x), 1e-12, 1.0)
    loss = float(-np.mean(np.log(p[np.arange(len(y)), np.searchsorted(classes, y)])))
    err = float(np.mean(classes[p.argmax(1)] != y))
    return loss, err


def main():
    run = ht.Run()
    job = run.job
    limiter = None
    if run.threads > 0:
        try:
            from threadpoolctl import threadpool_limits
            limiter = threadpool_limits(run.threads)  # BLAS threads (OMP_NUM_THREADS is set too)
        except ImportError:
            pass
    try:
        xtr, ytr, xva, yva, xte, yte = ht.load_splits(run)
        make_classifier(job, run.seed)  # an unsupported setting fails here, before any work
    except (ValueError, OSError) as e:
        return ht.fail(run, e)
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    xtr, xva, xte = flat(xtr), flat(xva), flat(xte)
    classes = np.unique(np.concatenate([ytr, yte]))
    first = (xtr[:job.batch_size], ytr[:job.batch_size])
    n = len(ytr)

    def fresh():
        return make_classifier(job, run.seed), np.random.RandomState((run.seed + 1) % (2 ** 32))

    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message="Got `batch_size`")  # the last, shorter batch of an epoch
    clf, rng = fresh()
    position = None
    saved = ht.load_checkpoint(run, "sklearn", n)
    if saved is not None:
        try:
            restore(clf, rng, saved[0], *first, classes)
            position = saved[1]
        except (ValueError, KeyError) as e:  # shapes of another model: start over
            ht.discard_checkpoint(run, f"it does not fit this model ({e})")
            clf, rng = fresh()
    if position is None:
        try:
            init = ht.initial_weights(run)
            if init is not None:
                load_engine_weights(clf, init, *first, classes)
        except (ValueError, OSError) as e:
            return ht.fail(run, e)

    def forward(idx):  # partial_fit applies the update itself
        try:
            clf.partial_fit(xtr[idx], ytr[idx], classes=classes)
            return float(clf.loss_), ""
        except ValueError as e:  # scikit-learn refuses NaN weights
            return float("nan"), str(e)

    def save_state(pos):
        if hasattr(clf, "_optimizer"):  # made by the first update
            ht.save_checkpoint(run, "sklearn", state_arrays(clf, rng), pos)

    status, reason = ht.train_epochs(
        run, n, lambda: rng.permutation(n) if job.shuffle else np.arange(n), forward, None,
        lambda: evaluate(clf, xva, yva, classes), save_state, position)
    resumed = position is not None
    tl, te, ta = 0.0, 1.0, float("nan")
    if status == "ok":
        with run.paused():
            tl, te = evaluate(clf, xte, yte, classes)
            ta = 1 - evaluate(clf, xtr, ytr, classes)[1]  # the final model on the training split
    params = sum(w.size for w in clf.coefs_) + sum(b.size for b in clf.intercepts_) if hasattr(clf, "coefs_") else 0
    run.finish(status=status, reason=reason, param_count=params, test_loss=tl, test_accuracy=1 - te,
               train_accuracy=ta, resumed=resumed, segments=2 if resumed else 1)
    del limiter


if __name__ == "__main__":
    main()
    ht.exit_now()  # no interpreter teardown: see exit_now
