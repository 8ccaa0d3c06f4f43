#!/bin/sh
# Starts itself with the project's Python environment (tools/py; README, "Python environment"):
''''exec "$(dirname "$0")/../../tools/py" "$0" "$@" # '''
"""A user's own trainer with its own hyperparameters (docs/PROTOCOL.md, "Trainer
parameters"): `alpha` (a number) and `kernel` (a choice), declared by the study's
trainer_params and read here from the job file's `param.<name>` lines. Standard library
only, no data: its "loss" is a function of alpha, so the study's objective depends on it.
tests/e2e/trainer_e2e_test.cpp runs it through hpo-master and hpo-worker."""
import os
import sys

job_path, out = sys.argv[sys.argv.index("--job") + 1], sys.argv[sys.argv.index("--out") + 1]
job = {}
for line in open(job_path, encoding="utf-8"):
    if "=" in line and not line.lstrip().startswith("#"):
        key, value = line.split("=", 1)
        job[key.strip()] = value.strip()
params = {k[len("param."):]: v for k, v in job.items() if k.startswith("param.")}
alpha = float(params.get("alpha", "0.5"))
kernel = params.get("kernel", "rbf")
with open(os.path.join(out, "curves.csv"), "w", encoding="ascii") as f:
    f.write("kind,index,t,metric,value\n")
    for step in range(1, 4):
        f.write(f"update,{step},{0.01 * step},loss,{1.0 + alpha / step}\n")
    f.write(f"epoch,1,0.03,train_loss,{1.0 + alpha}\nepoch,1,0.03,val_loss,{1.0 + alpha}\nepoch,1,0.03,val_error,{alpha}\n")
with open(os.path.join(out, "metrics.txt"), "w", encoding="ascii") as f:
    f.write(f"format = hposync-metrics 1\nstatus = ok\nsteps = 3\nepochs_done = 1\nfinal_val_error = {alpha}\n"
            f"test_loss = {alpha}\ntest_accuracy = {1 - alpha}\nnote = got alpha={params.get('alpha')} kernel={kernel} "
            f"format={job['format']}\n")
