"""In-project backbones: torchvision-sized ResNets, MCU-sized nets, and every way of getting weights."""

import pytest
import torch

from tinyctl.models.zoo import build_model
from tinyctl.models.zoo.backbones import load_backbone_weights, make_backbone

# Parameter counts of torchvision's models without their ImageNet fc layer.
TORCHVISION_PARAMETERS = {"resnet18": 11_689_512 - 513_000, "resnet34": 21_797_672 - 513_000,
                          "resnet50": 25_557_032 - 2_049_000}


@pytest.mark.parametrize("name", sorted(TORCHVISION_PARAMETERS))
def test_resnets_match_torchvision_sizes_and_strides(name):
    backbone = make_backbone(name, 3)
    assert sum(p.numel() for p in backbone.parameters()) == TORCHVISION_PARAMETERS[name]
    assert backbone.strides == (4, 8, 16, 32)
    outputs = backbone.eval()(torch.rand(1, 3, 64, 64))
    assert [o.shape[1] for o in outputs] == list(backbone.channels)


@pytest.mark.parametrize("name, budget", [("resnet8", 80_000), ("mobilenet_v2", 260_000)])
def test_mcu_backbones_are_small(name, budget):
    backbone = make_backbone(name, 1)
    assert sum(p.numel() for p in backbone.parameters()) < budget
    outputs = backbone.eval()(torch.rand(2, 1, 32, 32))
    assert [o.shape[-1] for o in outputs] == [32 // s for s in backbone.strides]


def test_a_user_state_dict_file_loads_and_a_wrong_one_is_refused(tmp_path):
    torch.manual_seed(0)
    source = build_model("classifier", {"backbone": "resnet8"})
    path = tmp_path / "resnet8.pt"
    torch.save({"state_dict": {**source.backbone.state_dict(), "fc.weight": torch.zeros(1)}}, path)
    target = build_model("classifier", {"backbone": "resnet8", "weights": str(path)}, load_weights=True)
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(target.backbone.state_dict()[key], value), key
    with pytest.raises(ValueError, match="lack"):
        build_model("classifier", {"backbone": "resnet18", "weights": str(path)}, load_weights=True)
    with pytest.raises(ValueError, match="does not exist"):
        build_model("classifier", {"backbone": "resnet8", "weights": str(tmp_path / "none.pt")}, load_weights=True)


def test_imagenet_lite0_weights_from_the_wheel_and_gray_stem_equivalence():
    colour, gray = make_backbone("efficientnet_lite0", 3), make_backbone("efficientnet_lite0", 1)
    load_backbone_weights(colour, "efficientnet_lite0", "imagenet")
    load_backbone_weights(gray, "efficientnet_lite0", "imagenet")
    assert colour._conv_stem.weight.abs().sum() > 0
    x = torch.rand(2, 1, 32, 32)
    with torch.no_grad():  # a gray image through the summed stem == the image replicated to RGB
        torch.testing.assert_close(gray.eval()(x, upto=1)[-1], colour.eval()(x.expand(-1, 3, -1, -1), upto=1)[-1],
                                   atol=1e-4, rtol=1e-3)


def test_imagenet_weights_exist_only_for_lite0():
    with pytest.raises(ValueError, match="no ImageNet weights ship for resnet18"):
        build_model("classifier", {"backbone": "resnet18", "weights": "imagenet"}, load_weights=True)


def test_loading_a_checkpointed_model_does_not_read_the_weights_file(tmp_path):
    model = build_model("classifier", {"backbone": "resnet8", "weights": str(tmp_path / "gone.pt")})
    assert model(torch.rand(1, 1, 32, 32)).shape == (1, 1)
