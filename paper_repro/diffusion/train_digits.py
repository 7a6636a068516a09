"""Train the digits eps-model and the CNN feature classifier; write checkpoints + manifest.

Usage:  python paper_repro/diffusion/train_digits.py [--steps 5000] [--out DIR]

Skips a model whose checkpoint already exists in the manifest unless --force.
"""
import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from langevin_theory.diffusion import digits  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5_000)  # the shipped checkpoint
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--out", default=str(digits.CHECKPOINT_DIR))
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    man = json.loads((out / "manifest.json").read_text()) if (out / "manifest.json").exists() else {}
    if a.force or "digits_cnn" not in man:
        clf, info = digits.train_classifier(epochs=a.epochs)
        e = digits.save_checkpoint(clf, "digits_cnn", info, out)
        print("classifier", json.dumps(e), flush=True)
    if a.force or "digits_eps_mlp" not in man:
        model, info = digits.train_eps_model(steps=a.steps, progress=False)
        info["n_params"] = sum(p.numel() for p in model.parameters())
        e = digits.save_checkpoint(model, "digits_eps_mlp", info, out)
        print("eps-model", json.dumps({k: v for k, v in e.items() if k != "info"}),
              "train_seconds", info["train_seconds"], flush=True)


if __name__ == "__main__":
    main()
