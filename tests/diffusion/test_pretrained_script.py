"""The GPU-side script ``paper_repro/diffusion/run_pretrained.py``, run on the CPU on a tiny
randomly initialised diffusers UNet saved to (and loaded from) a local folder."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

SCRIPT = Path(__file__).resolve().parents[2] / "paper_repro" / "diffusion" / "run_pretrained.py"


def _load_script():
    spec = importlib.util.spec_from_file_location("run_pretrained", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory):
    d = tmp_path_factory.mktemp("ddpm_tiny")
    torch.manual_seed(0)
    unet = diffusers.UNet2DModel(sample_size=8, in_channels=1, out_channels=1,
                                 block_out_channels=(8, 16), layers_per_block=1,
                                 norm_num_groups=4,
                                 down_block_types=("DownBlock2D", "DownBlock2D"),
                                 up_block_types=("UpBlock2D", "UpBlock2D"))
    unet.save_pretrained(d / "unet")
    # a 40-step training schedule keeps the full-DDPM reference cheap on a CPU
    (d / "scheduler").mkdir()
    (d / "scheduler" / "scheduler_config.json").write_text(json.dumps(
        {"num_train_timesteps": 40, "beta_start": 1e-3, "beta_end": 0.2,
         "beta_schedule": "linear", "prediction_type": "epsilon"}))
    return d


def test_loads_local_checkpoint_and_schedule(tiny_pipeline):
    mod = _load_script()
    model, schedule, info = mod.load_local(tiny_pipeline, "cpu")
    assert schedule.n_steps == 40 and info["shape"] == (1, 8, 8)
    np.testing.assert_allclose(schedule.betas, np.linspace(1e-3, 0.2, 40), rtol=1e-15)
    x = torch.randn(3, 1, 8, 8, dtype=torch.float64)
    eps = model(x, torch.full((3,), 5, dtype=torch.int64))
    assert eps.dtype == torch.float64 and eps.shape == x.shape


def test_study_rows_nfe_and_resume(tiny_pipeline, tmp_path):
    mod = _load_script()
    out = tmp_path / "pretrained.csv"
    args = ["--model-dir", str(tiny_pipeline), "--device", "cpu", "--n-samples", "12",
            "--batch", "5", "--seeds", "0", "--nfe", "10,20", "--pmm-K", "4",
            "--pmm-variants", "1a", "--out", str(out)]
    df = mod.main(args)
    # reference + DDPM(10, 20) + DDIM(10, 20) + PMM K=4 x 2 options + DPM-Solver(10, 20)
    assert len(df) == 9
    ref = df[df.key == "ddpm|s40|v2|K0|o0|r0|"].iloc[0]
    assert ref.nfe == 40
    # exact counts: DDPM/DDIM = steps; PMM OPTION 2 = 2N/K exactly; OPTION 1 averages
    # (N/K)(2 - 1/K) only in expectation, so it is bounded by its support [N/K, 2N/K]
    for _, r in df[df.sampler.isin(["ddpm", "ddim"])].iterrows():
        assert r.nfe == r.steps
    o2 = df[(df.sampler == "pmm") & (df.option == 2)].iloc[0]
    assert o2.nfe == 2 * 40 / 4
    o1 = df[(df.sampler == "pmm") & (df.option == 1)].iloc[0]
    assert 40 / 4 <= o1.nfe <= 2 * 40 / 4
    assert np.all(np.isfinite(df.fd_pool8_vs_ddpm_full)) and np.all(df.fd_pool8_vs_ddpm_full >= 0)
    # a rerun finds every cell done and adds nothing
    again = mod.main(args)
    assert len(again) == len(df)
    assert again.fd_pool8_vs_ddpm_full.tolist() == df.fd_pool8_vs_ddpm_full.tolist()
