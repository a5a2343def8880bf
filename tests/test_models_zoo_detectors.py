"""Backbone detectors (classifier, CAM, SuperSimpleNet): shapes, a few steps lower the loss, ONNX parity."""

import numpy as np
import onnxruntime
import pytest
import torch

from tinyctl.models.training.tasks import FitOptions, task_for
from tinyctl.models.zoo import build_model

SIZE = 32
SMALL_SSN = dict(backbone="mobilenet_v2", weights="random", seg_hidden=32, cls_hidden=8, generator_hidden=16,
                 noise_z=4, blur_sigma=1.0, input_size=SIZE)
DETECTORS = {
    "classifier-resnet8": ("classifier", dict(backbone="resnet8", input_size=SIZE)),
    "classifier-mobilenet_v2": ("classifier", dict(backbone="mobilenet_v2", input_size=SIZE)),
    "cam-resnet8": ("cam", dict(backbone="resnet8", input_size=SIZE)),
    "ssn-unsupervised": ("supersimplenet", SMALL_SSN),
    "ssn-supervised": ("supersimplenet", {**SMALL_SSN, "supervised": True, "freeze_backbone": False}),
    "ssn-learned-noise": ("supersimplenet", {**SMALL_SSN, "noise": "learned", "noise_beta": 0.5}),
}


def _model(key: str):
    torch.manual_seed(0)
    arch, config = DETECTORS[key]
    return build_model(arch, config)


def _batch(count: int = 8):
    """Textured squares; the odd ones carry a bright bar, with its mask."""
    generator = torch.Generator().manual_seed(1)
    images = 0.5 + 0.1 * torch.rand(count, 1, SIZE, SIZE, generator=generator)
    labels = torch.arange(count) % 2
    masks = torch.zeros(count, SIZE, SIZE, dtype=torch.uint8)
    masks[labels == 1, 8:24, 14:18] = 1
    images[masks[:, None].bool()] = 1.0
    return images, labels, masks


@pytest.mark.parametrize("key", sorted(DETECTORS))
def test_a_few_training_steps_lower_the_loss(key):
    model = _model(key)
    images, labels, masks = _batch()
    task = task_for(model, FitOptions(augment=False, generator_every=2), (len(images),))
    inputs = task.inputs(images.numpy())
    optimizers = task.optimizers(3e-3, total_steps=100)
    model.train()
    losses = []
    for step in range(12):
        generator = torch.Generator().manual_seed(0)  # the same synthetic anomalies every step
        losses.append(task.train_batch(task.step, (inputs, labels, masks), generator, step, optimizers))
    assert np.mean(losses[-3:]) < np.mean(losses[:3])


@pytest.mark.parametrize("key", ["classifier-resnet8", "cam-resnet8", "ssn-unsupervised", "ssn-learned-noise"])
def test_onnx_export_matches_torch(key, tmp_path):
    model = _model(key).eval()
    x = torch.rand(2, 1, SIZE, SIZE)
    path = tmp_path / "model.onnx"
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, input_names=["x"], output_names=["logit"])
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (onnx_out,) = session.run(None, {"x": x.numpy()})
    with torch.no_grad():
        expected = model(x).numpy()
    assert onnx_out.shape == expected.shape == (2, 1)
    np.testing.assert_allclose(onnx_out, expected, atol=1e-4, rtol=1e-3)


@pytest.mark.parametrize("key", ["cam-resnet8", "ssn-unsupervised"])
def test_localise_gives_the_forward_score_and_a_map_at_input_size(key):
    model = _model(key).eval()
    x = torch.rand(3, 1, SIZE, SIZE)
    with torch.no_grad():
        scores, maps = model.localise(x)
        assert torch.allclose(scores, model(x)[:, 0], atol=1e-6)
    assert maps.shape == (3, SIZE, SIZE)


def test_cam_image_score_is_the_mean_of_the_map_plus_bias():
    model = _model("cam-resnet8").eval()
    x = torch.rand(4, 1, SIZE, SIZE)
    with torch.no_grad():
        cam = model.class_activation(model.features(x))
        assert torch.allclose(model(x)[:, 0], cam.mean((1, 2)) + model.head.bias, atol=1e-5)


def test_ssn_perturbation_marks_the_noised_cells():
    model = _model("ssn-unsupervised")
    features = torch.zeros(6, 24, 16, 16)
    masks = torch.zeros(6, SIZE, SIZE, dtype=torch.uint8)
    out, new_masks, new_labels, noise = model.perturb(features, masks, torch.zeros(6), torch.Generator().manual_seed(3))
    assert out.shape == (12, 24, 16, 16) and new_masks.shape == (12, 16, 16)
    changed = (out != 0).any(1)
    assert torch.equal(changed, new_masks.bool())  # noise lands exactly on the Perlin regions
    assert torch.equal(new_labels, new_masks.flatten(1).amax(1))
    assert 0 < new_labels.sum() < 12  # about half the copies get an anomaly
    assert noise.std().item() == pytest.approx(model.config.noise_std, rel=0.1)


def test_supervised_perturbation_keeps_real_defects_and_spares_them_from_noise():
    model = _model("ssn-supervised")
    masks = torch.zeros(2, SIZE, SIZE, dtype=torch.uint8)
    masks[0, :8, :8] = 1  # one 4x4-pixel feature cell block at stride 2 of the 16x16 map
    _, new_masks, new_labels, _ = model.perturb(torch.zeros(2, 24, 16, 16), masks, torch.tensor([1, 0]),
                                               torch.Generator().manual_seed(0))
    assert new_masks[0, :4, :4].all() and new_masks[2, :4, :4].all()
    assert new_labels[0] == new_labels[2] == 1


def test_learned_noise_is_bounded_by_beta():
    model = _model("ssn-learned-noise")
    features = torch.randn(4, model.adaptor.in_channels, 8, 8) * 100
    noise = model.generator(features)
    assert noise.abs().max() <= model.config.noise_beta + 1e-6
    assert not torch.equal(noise, model.generator(features))  # z is drawn afresh per call


def test_frozen_backbone_stays_in_eval_mode_and_without_gradients():
    model = _model("ssn-unsupervised").train()
    assert not model.backbone.training and model.seg_head.training
    assert not any(p.requires_grad for p in model.backbone.parameters())


@pytest.mark.parametrize("bad", [dict(feature_strides=[16, 8]), dict(noise="uniform"), dict(backbone="vgg"),
                                 dict(input_size=40), dict(input_norm="zscore")])
def test_config_validation(bad):
    with pytest.raises(ValueError):
        build_model("supersimplenet", {**SMALL_SSN, **bad})


def test_unknown_stride_names_the_backbone_strides():
    with pytest.raises(ValueError, match=r"strides are \[1, 2, 4\]"):
        build_model("supersimplenet", {**SMALL_SSN, "backbone": "resnet8"})
