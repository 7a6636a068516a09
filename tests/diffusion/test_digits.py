import json

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")
pytestmark = pytest.mark.torch

from langevin_theory.diffusion import VPSchedule, ddim_sample, digits, pmm_sample  # noqa: E402
from langevin_theory.diffusion.digits import CHECKPOINT_DIR, MANIFEST  # noqa: E402

SHIPPED = MANIFEST.exists() and "digits_eps_mlp" in json.loads(MANIFEST.read_text())


def test_data_and_model_shapes():
    x, y = digits.load_digits_data()
    assert x.shape == (1797, 64) and x.min() >= -1 and x.max() <= 1 and y.max() == 9
    m = digits.EpsMLP()
    n_params = sum(p.numel() for p in m.parameters())
    assert 0.5e6 < n_params < 1.0e6
    out = m(x[:5], torch.tensor([0, 1, 500, 998, 999]))
    assert out.shape == (5, 64)


def test_checkpoint_roundtrip_and_hash_check(tmp_path):
    m = digits.DigitsCNN()
    e = digits.save_checkpoint(m, "digits_cnn", {"note": "test"}, tmp_path)
    assert e["sha256"] == digits.sha256_file(tmp_path / "digits_cnn.pt")
    m2 = digits.load_pretrained("digits_cnn", tmp_path)
    for a, b in zip(m.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    (tmp_path / "digits_cnn.pt").write_bytes(b"corrupt")
    with pytest.raises(RuntimeError, match="sha256"):
        digits.load_pretrained("digits_cnn", tmp_path)


@pytest.mark.skipif(not SHIPPED, reason="no shipped digits checkpoint")
def test_shipped_checkpoints_hash_size_and_quality():
    man = json.loads(MANIFEST.read_text())
    for name in ("digits_eps_mlp", "digits_cnn"):
        f = CHECKPOINT_DIR / man[name]["file"]
        assert f.stat().st_size <= 5 * 1024 * 1024
        assert digits.sha256_file(f) == man[name]["sha256"]
    assert man["digits_cnn"]["info"]["heldout_accuracy"] > 0.95
    torch.manual_seed(0)
    model = digits.load_pretrained("digits_eps_mlp")
    ff = digits.FeatureFrechet()
    sch = VPSchedule.linear()
    # Fréchet distances of real data to itself (a 600-image bootstrap) set the scale; a
    # 50-call DDIM sample of the trained model must be within 20x of it, and pure noise
    # (the model's starting point) must be far worse than the sample.
    x, _ = digits.load_digits_data()
    g = torch.Generator().manual_seed(0)
    real = ff(x[torch.randint(0, len(x), (600,), generator=g)])
    gen = ff(ddim_sample(model, (600, 64), sch, steps=50, generator=1,
                         dtype=torch.float32).samples)
    noise = ff(torch.randn(600, 64, generator=g))
    assert gen["fd_cnn"] < 20 * real["fd_cnn"] + 1.0
    assert noise["fd_cnn"] > 5 * gen["fd_cnn"]
    r = pmm_sample(model, (200, 64), sch, K=50, option=2, variant="1c", generator=2,
                   dtype=torch.float32)
    assert r.nfe == 40 and torch.isfinite(r.samples).all()
