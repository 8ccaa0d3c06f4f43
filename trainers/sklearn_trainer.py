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
L2 term). Checkpoint: a pickle of the classifier and the position, written when asked
to stop; an existing HPOSYNC_CHECKPOINT is resumed.
"""

import os
import pickle
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


def load_engine_weights(clf, tensors, x, y, classes):
    """Starts the classifier from the engine's initial weights (ht.read_weights).
    MLPClassifier makes its weights, and every attribute it needs, on its first
    partial_fit: one call on the first batch creates them, then they are overwritten
    (engine [out][in] -> scikit-learn [in][out]) and that call's optimizer state is
    dropped, so the first counted update starts exactly from the engine's weights."""
    clf.partial_fit(x, y, classes=classes)
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
    clf.t_, clf.n_iter_, clf.loss_curve_ = 0, 0, []


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
        clf = make_classifier(job, run.seed)
    except (ValueError, OSError) as e:
        return ht.fail(run, e)
    flat = lambda a: a.reshape(len(a), -1)  # noqa: E731
    xtr, xva, xte = flat(xtr), flat(xva), flat(xte)
    classes = np.unique(np.concatenate([ytr, yte]))
    rng = np.random.RandomState((run.seed + 1) % (2 ** 32))

    position = None
    if run.checkpoint and os.path.isfile(run.checkpoint):
        with open(run.checkpoint, "rb") as f:
            state = pickle.load(f)
        clf, rng = state["clf"], state["rng"]
        position = state
    else:
        try:
            init = ht.initial_weights(run)
            if init is not None:
                load_engine_weights(clf, init, xtr[:job.batch_size], ytr[:job.batch_size], classes)
        except (ValueError, OSError) as e:
            return ht.fail(run, e)

    n = len(ytr)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message="Got `batch_size`")  # the last, shorter batch of an epoch

    def forward(idx):  # partial_fit applies the update itself
        try:
            clf.partial_fit(xtr[idx], ytr[idx], classes=classes)
            return float(clf.loss_), ""
        except ValueError as e:  # scikit-learn refuses NaN weights
            return float("nan"), str(e)

    def save_state(pos):
        ht.write_atomic(run.checkpoint, pickle.dumps(dict(pos, clf=clf, rng=rng)), "wb")

    status, reason = ht.train_epochs(
        run, n, lambda: rng.permutation(n) if job.shuffle else np.arange(n), forward, None,
        lambda: evaluate(clf, xva, yva, classes), save_state, position)
    resumed = position is not None
    tl, te = (0.0, 1.0)
    if status == "ok":
        with run.paused():
            tl, te = evaluate(clf, xte, yte, classes)
    params = sum(w.size for w in clf.coefs_) + sum(b.size for b in clf.intercepts_) if hasattr(clf, "coefs_") else 0
    run.finish(status=status, reason=reason, param_count=params, test_loss=tl, test_accuracy=1 - te,
               resumed=resumed, segments=2 if resumed else 1)
    del limiter


if __name__ == "__main__":
    main()
