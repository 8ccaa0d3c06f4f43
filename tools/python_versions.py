"""Prints the versions of the key packages of the installed groups (make deps calls it)."""
import importlib
import importlib.metadata as md
import sys

KEY = {"main": ["numpy", "scikit-learn", "keras", "jax"],
       "torch": ["torch"],
       "bench": ["optuna", "smac", "dehb", "hebo"]}

line = [f"python {sys.version.split()[0]}"]
for group in sys.argv[1:]:
    for dist in KEY.get(group, []):
        try:
            line.append(f"{dist} {md.version(dist)}")
        except md.PackageNotFoundError:
            line.append(f"{dist} MISSING")
print("python-env: " + ", ".join(line))
