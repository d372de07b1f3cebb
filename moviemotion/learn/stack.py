"""Several networks of one architecture trained as one network (grouped layers).

A small network leaves a GPU mostly idle: a training step of a 48x48 ``vgg`` is bound by the
host launching a few hundred small kernels (measured on an H200: ~9 ms per step whatever the
width, the GPU busy ~30 % of the time; four such processes at once take turns on the GPU and
gain little). :func:`stack` turns G networks of the same architecture and size into one module
whose every layer holds the G layers side by side: convolutions with ``groups=G``, batch-norm
over G x C channels, a grouped linear head. One step then trains all G for the launches of one.

Member ``g`` reads input channels ``g*C .. (g+1)*C`` (its own batch) and writes outputs
``g*K .. (g+1)*K``; weights, gradients and batch statistics of two members never mix, so with
a loss that is the sum of the members' losses every member gets exactly the update it would
get alone. :func:`unstack` gives the members back as ordinary state dicts (the same keys as
the architecture's own), so each is saved, exported and shipped like any run.

Supported layers: ``Conv2d`` (ungrouped), ``BatchNorm2d``, ``Linear``, ReLU, pooling,
dropout, flatten, identity and :class:`~moviemotion.learn.archs.common.Normalize` (one mean/std
or one per channel, the same in every member), inside any container whose own ``forward`` treats channels one by one (sums,
pooling: ``vgg``, ``resnet``). :func:`stack` checks the stacked network against its members on
a random batch and refuses (one-line :class:`InputError`) what it cannot stack exactly.

>>> nets = [archs.build("vgg", task, width=8) for _ in range(3)]      # doctest: +SKIP
>>> big = stack(nets)          # input (N, 3*C, H, W) -> output (N, 3*K)  # doctest: +SKIP
>>> states = unstack(big, 3)   # three state dicts for archs.build("vgg", task, width=8)  # doctest: +SKIP
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import nn

from moviemotion.errors import InputError
from moviemotion.learn.archs.common import Normalize

_SHARED = (nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.Dropout, nn.Flatten, nn.Identity)


class GroupedLinear(nn.Module):
    """G linear layers (C -> K) side by side: (N, G*C) -> (N, G*K)."""

    def __init__(self, groups: int, in_features: int, out_features: int):
        super().__init__()
        self.groups, self.in_features, self.out_features = groups, in_features, out_features
        self.weight = nn.Parameter(torch.zeros(groups, out_features, in_features))
        self.bias = nn.Parameter(torch.zeros(groups * out_features))   # 1-D: no weight decay

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        y = torch.einsum("ngc,gkc->ngk", x.reshape(n, self.groups, self.in_features), self.weight)
        return y.reshape(n, -1) + self.bias


def _stack(mods: Sequence[nn.Module]) -> nn.Module:
    g, m = len(mods), mods[0]
    if isinstance(m, nn.Conv2d):
        if m.groups != 1:
            raise InputError("cannot stack grouped convolutions")
        new = nn.Conv2d(g * m.in_channels, g * m.out_channels, m.kernel_size, m.stride, m.padding,
                        m.dilation, groups=g, bias=m.bias is not None, padding_mode=m.padding_mode)
        with torch.no_grad():
            new.weight.copy_(torch.cat([x.weight for x in mods]))
            if m.bias is not None:
                new.bias.copy_(torch.cat([x.bias for x in mods]))
        return new
    if isinstance(m, nn.BatchNorm2d):
        new = nn.BatchNorm2d(g * m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
        with torch.no_grad():
            for name, t in new.named_parameters(recurse=False):
                t.copy_(torch.cat([getattr(x, name) for x in mods]))
            for name in ("running_mean", "running_var"):
                if getattr(m, name) is not None:
                    getattr(new, name).copy_(torch.cat([getattr(x, name) for x in mods]))
            if m.num_batches_tracked is not None:
                new.num_batches_tracked.copy_(m.num_batches_tracked)
        return new
    if isinstance(m, nn.Linear):
        new = GroupedLinear(g, m.in_features, m.out_features)
        with torch.no_grad():
            new.weight.copy_(torch.stack([x.weight for x in mods]))
            if m.bias is not None:
                new.bias.copy_(torch.cat([x.bias for x in mods]))
        return new
    if isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1)):
        return copy.deepcopy(m)
    if isinstance(m, Normalize):
        if m.scalar:
            return copy.deepcopy(m)
        if any(x.scalar or not (torch.equal(x.mean_t, m.mean_t) and torch.equal(x.inv_std_t, m.inv_std_t))
               for x in mods):
            raise InputError("cannot stack networks with different input normalizations")
        new = copy.deepcopy(m)                  # the members' channel statistics, G times over
        new.mean_t = m.mean_t.repeat(1, len(mods), 1, 1)
        new.inv_std_t = m.inv_std_t.repeat(1, len(mods), 1, 1)
        return new
    if isinstance(m, _SHARED):
        return copy.deepcopy(m)
    children = list(m.named_children())
    if not children or len(m._parameters) or any(b is not None for b in m._buffers.values()):
        raise InputError(f"cannot stack {type(m).__name__} layers")
    new = copy.copy(m)                      # the container's forward, its own children below
    new._modules = {name: _stack([getattr(x, name) for x in mods]) for name, _ in children}
    return new


def stack(nets: Sequence[nn.Module], input_shape: Sequence[int] | None = None,
          check: bool = True) -> nn.Module:
    """One network computing ``nets`` side by side (see the module doc); ``nets`` must share
    architecture and size. With ``check`` the stacked network's outputs are compared with the
    members' on a random batch of ``input_shape`` (C, H, W; default C x 32 x 32), eval mode."""
    nets = list(nets)
    if len(nets) < 1:
        raise InputError("nothing to stack")
    keys = [tuple((k, tuple(v.shape)) for k, v in n.state_dict().items()) for n in nets]
    if any(k != keys[0] for k in keys[1:]):
        raise InputError("cannot stack networks of different architectures or sizes")
    big = _stack(nets)
    if check:
        _check(big, nets, input_shape)
    return big


def unstack(big: nn.Module, groups: int) -> list[dict[str, torch.Tensor]]:
    """The members' state dicts (CPU tensors, the architecture's own keys) of ``stack(...)``."""
    out: list[dict[str, torch.Tensor]] = [{} for _ in range(groups)]
    for name, mod in big.named_modules():
        prefix = f"{name}." if name else ""
        if isinstance(mod, GroupedLinear):
            for g in range(groups):
                out[g][prefix + "weight"] = mod.weight[g].detach().cpu().clone()
                out[g][prefix + "bias"] = mod.bias.view(groups, -1)[g].detach().cpu().clone()
            continue
        for key, t in list(mod._parameters.items()) + list(mod._buffers.items()):
            if t is None or key in mod._non_persistent_buffers_set:
                continue
            for g in range(groups):
                part = t if t.ndim == 0 else t.view(groups, -1, *t.shape[1:])[g]
                out[g][prefix + key] = part.detach().cpu().clone()
    return out


def stacked_input(x: torch.Tensor, groups: int) -> torch.Tensor:
    """One batch (N, C, H, W) given to every member: (N, G*C, H, W)."""
    return x.repeat(1, groups, *([1] * (x.ndim - 2)))


class PerMember(nn.Module):
    """A stacked network seen as one network whose outputs are the members' rows: a batch of
    N inputs gives (N*G, K) outputs, row ``n*G + g`` member ``g``'s for input ``n`` (what
    :func:`moviemotion.learn.train.predict_torch` takes; reshape its result to (N, G, K))."""

    def __init__(self, big: nn.Module, groups: int):
        super().__init__()
        self.big, self.groups = big, groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.big(stacked_input(x, self.groups))
        return out.reshape(x.shape[0] * self.groups, -1)


def _check(big: nn.Module, nets: list[nn.Module], shape: Sequence[int] | None) -> None:
    probe = next(p for p in nets[0].parameters())
    if shape is None:
        first = next((m for m in nets[0].modules() if isinstance(m, nn.Conv2d)), None)
        if first is None:
            return
        shape = (first.in_channels, 32, 32)
    gen = torch.Generator().manual_seed(0)
    x = torch.rand((2, *shape), generator=gen) * 255
    was = [n.training for n in nets] + [big.training]
    for n in [*nets, big]:
        n.eval()
    try:
        with torch.no_grad():
            want = torch.cat([n(x.to(probe.device)).float().cpu() for n in nets], dim=1)
            got = big(stacked_input(x, len(nets)).to(probe.device)).float().cpu()
    except RuntimeError as exc:
        raise InputError(f"cannot stack this architecture ({str(exc).splitlines()[0][:120]})") from None
    finally:
        for n, w in zip([*nets, big], was, strict=True):
            n.train(w)
    if got.shape != want.shape or not torch.allclose(got, want, rtol=1e-3, atol=1e-3):
        raise InputError("cannot stack this architecture: the stacked network does not compute "
                         "what its members compute (its forward mixes channels)")
