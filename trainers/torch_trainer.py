#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../tools/py" "$0" "$@" # '''
"""hposync trainer: PyTorch (PyTorch 2.x from PyPI, group torch). Runs the job's `mlp:` and `cnn:` model
specs (engine/model_spec.hpp) with sgd / momentum / nesterov / adam and weight decay, on
HPOSYNC_THREADS threads. Contract: docs/PROTOCOL.md, "Trainer contract".

    hpo-worker --dir D --trainer torch=trainers/torch_trainer.py

Same seed -> same initial weights (torch.manual_seed before the model is built; He
normal for layers followed by ReLU, Glorot uniform for the last, zero biases: the
engine's scheme). Checkpoint, written when asked to stop: data only (ht.save_checkpoint,
an .npz of the model's state_dict, the optimizer's per-parameter state, the shuffle
generator's state and the position, with the job's identity), read with numpy's
allow_pickle=False reader. Not torch.save/torch.load: even with weights_only=True,
torch.load runs a (restricted) unpickler over the file, which has had bypasses
(CVE-2025-32434), and one format and one reader serve every shipped trainer. An
existing HPOSYNC_CHECKPOINT of this job is resumed; anything else there (torn, foreign,
not ours) means starting over.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hposync_trainer as ht  # noqa: E402  (first: it starts the budget clock)

np = ht.require("numpy")
torch = ht.require("torch")  # a failed result naming the package when the environment lacks it
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def build_model(spec, in_shape, classes):
    """A torch.nn.Sequential for an engine model spec; layers followed by ReLU are marked
    for He init."""
    c, h, w = in_shape
    layers, he = [], []
    if spec.startswith("mlp:"):
        tokens = ["fc" + t for t in spec[4:].split("-") if t]
    elif spec.startswith("cnn:"):
        tokens = [t for t in spec[4:].split("-") if t]
    else:
        raise ValueError(f"model {spec!r}: the torch trainer runs mlp: and cnn: specs")
    flat = None
    for tok in tokens:
        if m := re.fullmatch(r"conv(\d+)x(\d+)(?:s(\d+))?(?:p(\d+))?", tok):
            n, k = int(m[1]), int(m[2])
            s = int(m[3] or 1)
            p = int(m[4]) if m[4] is not None else k // 2
            layers += [nn.Conv2d(c, n, k, stride=s, padding=p), nn.ReLU()]
            he.append(layers[-2])
            c, h, w = n, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif m := re.fullmatch(r"pool(\d+)", tok):
            k = int(m[1])
            layers.append(nn.MaxPool2d(k))
            h, w = h // k, w // k
        elif m := re.fullmatch(r"fc(\d+)", tok):
            if flat is None:
                layers.append(nn.Flatten())
                flat = c * h * w
            layers += [nn.Linear(flat, int(m[1])), nn.ReLU()]
            he.append(layers[-2])
            flat = int(m[1])
        elif tok == "bn":
            prev = layers[-2]  # the conv/fc before its ReLU
            bn = nn.BatchNorm2d(prev.out_channels) if isinstance(prev, nn.Conv2d) else nn.BatchNorm1d(prev.out_features)
            layers.insert(len(layers) - 1, bn)
        elif m := re.fullmatch(r"drop(0?\.\d+|0|1)", tok):
            layers.append(nn.Dropout(float(m[1])))
        else:
            raise ValueError(f"model {spec!r}: unknown token {tok!r}")
        if h <= 0 or w <= 0:
            raise ValueError(f"model {spec!r}: {tok!r} shrinks the image to nothing")
    if flat is None:
        layers.append(nn.Flatten())
        flat = c * h * w
    last = nn.Linear(flat, classes)
    layers.append(last)
    model = nn.Sequential(*layers)
    for mod in model.modules():
        if isinstance(mod, (nn.Linear, nn.Conv2d)):
            if mod in he:
                nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(mod.weight)
            nn.init.zeros_(mod.bias)
    return model


def load_engine_weights(model, tensors):
    """Copies the engine's initial weights (ht.read_weights) into the model: dense and
    convolution weight and bias, batch-norm gamma and beta, in layer order. The layouts
    are PyTorch's own ([out][in], [out][in][kh][kw])."""
    targets = []
    for mod in model.modules():
        if isinstance(mod, (nn.Linear, nn.Conv2d, nn.BatchNorm1d, nn.BatchNorm2d)):
            targets += [mod.weight, mod.bias]
    if len(targets) != len(tensors):
        raise ValueError(f"init weights: {len(tensors)} tensors for a model with {len(targets)}")
    with torch.no_grad():
        for p, (name, values) in zip(targets, tensors):
            if p.numel() != values.size:
                raise ValueError(f"init weights: {name} has {values.size} floats, the model's tensor {p.numel()}")
            p.copy_(torch.from_numpy(values.copy()).reshape(p.shape))


def make_optimizer(job, model):
    decay = [p for n, p in model.named_parameters() if p.dim() > 1]   # weights
    rest = [p for n, p in model.named_parameters() if p.dim() <= 1]   # biases, BN
    groups = [{"params": decay, "weight_decay": job.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if job.optimizer == "adam":
        return torch.optim.Adam(groups, lr=job.lr, betas=(job.beta1, job.beta2), eps=job.eps)
    momentum = 0.0 if job.optimizer == "sgd" else job.momentum
    return torch.optim.SGD(groups, lr=job.lr, momentum=momentum, nesterov=job.optimizer == "nesterov")


# Optimizer state keys per kind (torch.optim.SGD / Adam state_dict()["state"][i]).
_OPT_SLOTS = {"adam": ("step", "exp_avg", "exp_avg_sq")}


def state_arrays(model, opt, gen):
    """Everything a resume needs, as plain numpy arrays: the model's state_dict, each
    parameter's optimizer state (param_groups come from the job, not the file) and the
    shuffle generator's state."""
    out = {"model." + k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    for i, slots in opt.state_dict()["state"].items():
        for key, v in slots.items():
            if torch.is_tensor(v):
                out[f"opt.{i}.{key}"] = v.detach().cpu().numpy()
    out["gen"] = gen.get_state().numpy()
    return out


def restore(model, opt, gen, arrays, optimizer):
    """Loads state_arrays into a freshly built model, optimizer and generator, every array
    checked against the model's own shapes and types (ValueError otherwise)."""
    own = model.state_dict()
    state = {}
    for k, v in own.items():
        a = ht.expect_shape(arrays, "model." + k, tuple(v.shape), np.dtype(str(v.dtype).replace("torch.", "")))
        state[k] = torch.from_numpy(a.copy())
    model.load_state_dict(state)
    params = [p for g in opt.param_groups for p in g["params"]]
    slots = _OPT_SLOTS.get(optimizer, ("momentum_buffer",))
    opt_state = {}
    for i, p in enumerate(params):
        have = [s for s in slots if f"opt.{i}.{s}" in arrays]
        if not have:
            continue  # no update touched it yet
        if len(have) != len(slots):
            raise ValueError(f"optimizer state of parameter {i}: has {have}, needs {list(slots)}")
        opt_state[i] = {s: torch.from_numpy(ht.expect_shape(arrays, f"opt.{i}.{s}", () if s == "step" else tuple(p.shape),
                                                            np.float32).copy()) for s in slots}
    extra = [k for k in arrays if k.startswith("opt.") and int(k.split(".")[1]) >= len(params)]
    if extra:
        raise ValueError(f"optimizer state for parameters the model does not have: {extra[:3]}")
    opt.load_state_dict({"state": opt_state, "param_groups": opt.state_dict()["param_groups"]})
    gen.set_state(torch.from_numpy(ht.expect_shape(arrays, "gen", tuple(gen.get_state().shape), np.uint8).copy()))


def evaluate(model, x, y, batch=1000):
    if len(y) == 0:
        return 0.0, 1.0
    model.eval()
    loss, wrong = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(y), batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            wrong += (out.argmax(1) != y[i:i + batch]).sum().item()
    model.train()
    return loss / len(y), wrong / len(y)


def main():
    run = ht.Run()
    job = run.job
    if run.threads > 0:
        torch.set_num_threads(run.threads)
    try:
        xtr, ytr, xva, yva, xte, yte = ht.load_splits(run)
        classes = int(max(ytr.max(), yte.max())) + 1
        init = ht.initial_weights(run)
    except (ValueError, OSError) as e:
        return ht.fail(run, e)

    def fresh():
        """Model, optimizer and shuffle generator as a new run starts them (seeded)."""
        torch.manual_seed(run.seed)
        m = build_model(job.model, xtr.shape[1:], classes)
        if init is not None:
            load_engine_weights(m, init)
        return m, make_optimizer(job, m), torch.Generator().manual_seed(run.seed + 1)

    try:
        model, opt, gen = fresh()
    except ValueError as e:
        return ht.fail(run, e)
    n = len(ytr)
    position = None
    saved = ht.load_checkpoint(run, "torch", n)
    if saved is not None:
        try:
            restore(model, opt, gen, saved[0], job.optimizer)
            position = saved[1]
            if position["order"] is not None:
                position["order"] = torch.from_numpy(position["order"])
        except (ValueError, KeyError, RuntimeError) as e:  # shapes of another model: start over
            ht.discard_checkpoint(run, f"it does not fit this model ({e})")
            model, opt, gen = fresh()
    xtr, ytr = torch.from_numpy(xtr), torch.from_numpy(ytr)
    xva, yva = torch.from_numpy(xva), torch.from_numpy(yva)
    xte, yte = torch.from_numpy(xte), torch.from_numpy(yte)
    params = sum(p.numel() for p in model.parameters())

    batch_loss = []

    def forward(idx):
        opt.zero_grad(set_to_none=True)
        batch_loss[:] = [F.cross_entropy(model(xtr[idx]), ytr[idx])]
        return batch_loss[0].item(), ""

    def commit():  # only an accepted (finite) loss is applied
        batch_loss[0].backward()
        opt.step()

    def save_state(pos):
        ht.save_checkpoint(run, "torch", state_arrays(model, opt, gen), pos)

    status, reason = ht.train_epochs(
        run, n, lambda: torch.randperm(n, generator=gen) if job.shuffle else torch.arange(n), forward, commit,
        lambda: evaluate(model, xva, yva), save_state, position)
    resumed = position is not None
    ta = float("nan")  # the final model on the training split, like the engine (ok runs only)
    with run.paused():
        tl, te = evaluate(model, xte, yte)
        if status == "ok":
            ta = 1 - evaluate(model, xtr, ytr)[1]
    run.finish(status=status, reason=reason, param_count=params, test_loss=tl, test_accuracy=1 - te,
               train_accuracy=ta, resumed=resumed, segments=2 if resumed else 1)


if __name__ == "__main__":
    main()
    ht.exit_now()  # no interpreter teardown: see exit_now
