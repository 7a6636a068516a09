#!/usr/bin/env bash
# The whole diffusion reproduction, resumable. ~30 min (exact score) + digits on 2 idle cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
python validation/diffusion_linear_gaussian.py
python paper_repro/diffusion/run_study.py exact --datasets 1d_sharp,16d &
python paper_repro/diffusion/run_study.py exact --datasets 2d_ring &
wait
python paper_repro/diffusion/train_digits.py
python paper_repro/diffusion/run_study.py digits
python paper_repro/diffusion/make_report.py
