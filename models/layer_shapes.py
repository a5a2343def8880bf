"""Channel widths of a model's layers, so a structurally pruned model rebuilds from its zoo config.

Pruning removes channels but keeps every layer's kind and hyper-parameters (kernel, stride, padding),
so the base architecture plus each layer's widths (and a convolution's groups) is the whole model.
"""

from torch import nn

_SHAPED = (nn.Conv2d, nn.BatchNorm2d, nn.Linear)


def _shape(module: nn.Module) -> dict:
    if isinstance(module, nn.Conv2d):
        return {"in": module.in_channels, "out": module.out_channels, "groups": module.groups}
    if isinstance(module, nn.BatchNorm2d):
        return {"features": module.num_features}
    return {"in": module.in_features, "out": module.out_features}


def layer_shapes(model: nn.Module) -> dict:
    """{module name: widths} for every convolution, batch norm and linear layer (plain JSON)."""
    return {name: _shape(m) for name, m in model.named_modules() if isinstance(m, _SHAPED)}


def _resized(module: nn.Module, shape: dict) -> nn.Module:
    if isinstance(module, nn.Conv2d):
        return nn.Conv2d(shape["in"], shape["out"], module.kernel_size, stride=module.stride, padding=module.padding,
                         dilation=module.dilation, groups=shape["groups"], bias=module.bias is not None,
                         padding_mode=module.padding_mode)
    if isinstance(module, nn.BatchNorm2d):
        return nn.BatchNorm2d(shape["features"], eps=module.eps, momentum=module.momentum, affine=module.affine,
                              track_running_stats=module.track_running_stats)
    return nn.Linear(shape["in"], shape["out"], bias=module.bias is not None)


def apply_layer_shapes(model: nn.Module, shapes: dict) -> nn.Module:
    """Replace each named layer by one of the recorded widths (weights are loaded afterwards)."""
    modules = dict(model.named_modules())
    for name, shape in shapes.items():
        if not isinstance(modules.get(name), _SHAPED):
            raise ValueError(f"layer {name!r} is not a convolution, batch norm or linear layer of this architecture")
        parent_name, _, child = name.rpartition(".")
        setattr(modules[parent_name] if parent_name else model, child, _resized(modules[name], shape))
    return model
