"""The model summary (layers, types, parameter counts, shapes) and the GPU memory readout."""

from __future__ import annotations

import math
import shutil
import subprocess
from typing import Any, ClassVar, TypeAlias

import torch
from torch import nn

from backends.accelerator import move_to
from schemas.errors import HardwareUnavailableError, MisconfigurationError

__all__ = [
    "PARAMETER_NUM_UNITS",
    "UNKNOWN_SIZE",
    "LayerSummary",
    "ModelSummary",
    "get_gpu_memory_map",
    "get_human_readable_count",
    "get_memory_profile",
    "weights_summary",
]

UNKNOWN_SIZE = "?"
PARAMETER_NUM_UNITS = [" ", "K", "M", "B", "T"]

Shape: TypeAlias = list[Any] | str
_NVIDIA_SMI = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,nounits,noheader"]


class LayerSummary:
    """One layer of a summary: its type, parameter count and the input and output shapes of
    its first call, which a forward hook records (the hook removes itself once called, or at
    ``detach_hook()``).

    Args:
        module: The layer.
    """

    def __init__(self, module: nn.Module) -> None:
        self._module = module
        self._in_size: Shape | None = None
        self._out_size: Shape | None = None
        self._hook_handle = module.register_forward_hook(self._record)

    def _record(self, _module: nn.Module, inputs: tuple[Any, ...], output: Any) -> None:
        first = inputs[0] if len(inputs) == 1 else inputs
        self._in_size, self._out_size = _shape_of(first), _shape_of(output)
        self.detach_hook()  # a layer called again keeps its first shapes

    def detach_hook(self) -> None:
        """Remove the shape hook from the layer (safe to call twice)."""
        self._hook_handle.remove()

    @property
    def in_size(self) -> Shape:
        """The input shape of the first call; ``'?'`` when not called or of no known shape."""
        return self._in_size or UNKNOWN_SIZE

    @property
    def out_size(self) -> Shape:
        """The output shape of the first call; ``'?'`` when not called or of no known shape."""
        return self._out_size or UNKNOWN_SIZE

    @property
    def layer_type(self) -> str:
        """The class name of the layer, such as ``'Linear'``."""
        return type(self._module).__name__

    @property
    def num_parameters(self) -> int:
        """The number of parameters in the layer, its submodules included."""
        return sum(p.numel() for p in self._module.parameters())


class ModelSummary:
    """A table of a model's layers: name, type, parameter count and, with an example input,
    the input and output shapes each layer saw in one forward pass.

    ``'top'`` lists the model's named children, ``'full'`` every named submodule but the
    model itself. When ``model.example_input_array`` is set, the model runs it once, in eval
    mode and without gradients, and goes back to the training mode it had; a list or tuple
    is passed as positional arguments, a dict as keyword arguments. Layers the forward pass
    does not call, and inputs of no shape (a number, a 0-dim tensor, keyword arguments only),
    show ``'?'``, as in Lightning 0.8.5.

    Args:
        model: The module to summarize.
        mode: ``'top'`` (the default) or ``'full'``.

    Raises:
        MisconfigurationError: ``mode`` is neither ``'top'`` nor ``'full'``.

    Example:
        >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        >>> summary = ModelSummary(net, mode="full")
        >>> summary.layer_names, summary.param_nums
        (['0', '1'], [40, 0])
    """

    MODE_TOP: ClassVar[str] = "top"
    MODE_FULL: ClassVar[str] = "full"
    MODE_DEFAULT: ClassVar[str] = MODE_TOP
    MODES: ClassVar[list[str]] = [MODE_FULL, MODE_TOP]

    def __init__(self, model: nn.Module, mode: str = MODE_DEFAULT) -> None:
        if mode not in self.MODES:
            raise MisconfigurationError(
                f"ModelSummary(mode={mode!r}) is not a mode; use 'top' or 'full'"
            )
        self._model = model
        self._mode = mode
        self._example = getattr(model, "example_input_array", None)
        self._layers = self.summarize()

    def summarize(self) -> dict[str, LayerSummary]:
        """Each layer's summary by name, shapes recorded from ``example_input_array`` (if
        set); every shape hook is removed on return."""
        layers = {name: LayerSummary(module) for name, module in self._select_layers()}
        try:
            if self._example is not None:
                _forward_example(self._model, self._example)
        finally:
            for layer in layers.values():
                layer.detach_hook()
        return layers

    def _select_layers(self) -> list[tuple[str, nn.Module]]:
        if self._mode == self.MODE_TOP:
            return list(self._model.named_children())
        return [(name, module) for name, module in self._model.named_modules() if name]

    @property
    def named_modules(self) -> list[tuple[str, nn.Module]]:
        """The summarized layers as ``(name, module)`` pairs, in registration order."""
        return self._select_layers()

    @property
    def layer_names(self) -> list[str]:
        """The qualified name of each layer, such as ``'net.0'``."""
        return list(self._layers)

    @property
    def layer_types(self) -> list[str]:
        """The class name of each layer, such as ``'Linear'``."""
        return [layer.layer_type for layer in self._layers.values()]

    @property
    def in_sizes(self) -> list[Shape]:
        """The input shape each layer saw first, or ``'?'``."""
        return [layer.in_size for layer in self._layers.values()]

    @property
    def out_sizes(self) -> list[Shape]:
        """The output shape each layer gave first, or ``'?'``."""
        return [layer.out_size for layer in self._layers.values()]

    @property
    def param_nums(self) -> list[int]:
        """The number of parameters in each layer, its submodules included."""
        return [layer.num_parameters for layer in self._layers.values()]

    def __str__(self) -> str:
        columns: list[tuple[str, list[Any]]] = [
            (" ", [str(index) for index in range(len(self._layers))]),
            ("Name", self.layer_names),
            ("Type", self.layer_types),
            ("Params", [get_human_readable_count(n) for n in self.param_nums]),
        ]
        if self._example is not None:
            columns += [("In sizes", self.in_sizes), ("Out sizes", self.out_sizes)]
        table = _format_table(columns)
        params = list(self._model.parameters())
        total = get_human_readable_count(sum(p.numel() for p in params)).rstrip()
        trainable = get_human_readable_count(
            sum(p.numel() for p in params if p.requires_grad)).rstrip()
        rule = "-" * len(table.split("\n", 1)[0])
        return f"{table}\n{rule}\n{trainable} trainable params, {total} total params"

    def __repr__(self) -> str:
        return str(self)


def weights_summary(module: nn.Module, mode: str) -> str:
    """The summary table that the Trainer logs at the start of ``fit``.

    Args:
        module: The module to summarize.
        mode: ``'top'`` or ``'full'``.

    Returns:
        ``str(ModelSummary(module, mode))``.

    Example:
        >>> print(weights_summary(nn.Sequential(nn.Linear(2, 1)), "top"))  # doctest: +SKIP
          | Name | Type   | Params
        --------------------------
        0 | 0    | Linear | 3
        --------------------------
        3 trainable params, 3 total params
    """
    return str(ModelSummary(module, mode))


def _shape_of(value: Any) -> Shape:
    """A tensor's shape as a list, nested lists for lists and tuples, ``'?'`` otherwise."""
    if isinstance(value, torch.Tensor):
        return list(value.shape)
    if isinstance(value, list | tuple):
        return [_shape_of(item) for item in value]
    return UNKNOWN_SIZE


def _device_of(model: nn.Module) -> torch.device:
    device = getattr(model, "device", None)
    if isinstance(device, torch.device):
        return device
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return torch.device("cpu")


def _forward_example(model: nn.Module, example: Any) -> None:
    """One forward pass of ``example`` on the model's device, in eval mode, without gradients;
    the model's training mode is restored afterwards."""
    device = _device_of(model)
    transfer = getattr(model, "transfer_batch_to_device", None)
    example = transfer(example, device) if callable(transfer) else move_to(example, device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            if isinstance(example, list | tuple):
                model(*example)
            elif isinstance(example, dict):
                model(**example)
            else:
                model(example)
    finally:
        model.train(was_training)


def _format_table(columns: list[tuple[str, list[Any]]]) -> str:
    """Left-aligned cells joined by ``' | '``, a dash line under the header."""
    cells = [[header, *map(str, values)] for header, values in columns]
    widths = [max(len(cell) for cell in column) for column in cells]
    rows = [" | ".join(column[i].ljust(w) for column, w in zip(cells, widths))
            for i in range(len(cells[0]))]
    rows.insert(1, "-" * len(rows[0]))
    return "\n".join(rows)


def get_human_readable_count(number: float) -> str:
    """A parameter count in groups of three digits with a unit: K, M, B, then T at most.

    The count is cut (not rounded) to a whole number of the largest unit that fits.

    Args:
        number: A count, zero or more.

    Returns:
        The count and its unit, ``' '`` for a count under a thousand.

    Raises:
        ValueError: ``number`` is negative or not finite.

    Example:
        >>> get_human_readable_count(123), get_human_readable_count(1234)
        ('123  ', '1 K')
        >>> get_human_readable_count(5e15)
        '5,000 T'
    """
    if not 0 <= number < math.inf:
        raise ValueError(
            f"get_human_readable_count({number!r}): a count must be a finite number >= 0"
        )
    whole = int(number)
    groups = min((len(str(whole)) + 2) // 3, len(PARAMETER_NUM_UNITS))
    return f"{whole // 1000 ** (groups - 1):,d} {PARAMETER_NUM_UNITS[groups - 1]}"


def get_gpu_memory_map() -> dict[str, int]:
    """The memory in use on each GPU, in MB, as ``nvidia-smi`` reports it.

    Returns:
        ``{'gpu_0': MB, 'gpu_1': MB, ...}``.

    Raises:
        HardwareUnavailableError: ``nvidia-smi`` is not on ``PATH`` or fails.

    Example:
        >>> get_gpu_memory_map()  # doctest: +SKIP
        {'gpu_0': 1033, 'gpu_1': 4}
    """
    if shutil.which(_NVIDIA_SMI[0]) is None:
        raise HardwareUnavailableError(
            "GPU memory is read with nvidia-smi, which is not on PATH on this machine; "
            "install the NVIDIA driver or turn GPU memory logging off (log_gpu_memory=None)"
        )
    done = subprocess.run(_NVIDIA_SMI, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise HardwareUnavailableError(
            f"{' '.join(_NVIDIA_SMI)} exited with {done.returncode}: {done.stderr.strip()!r}; "
            "check the NVIDIA driver or turn GPU memory logging off (log_gpu_memory=None)"
        )
    used = [int(line) for line in done.stdout.split()]
    if not used:
        raise HardwareUnavailableError(
            f"{' '.join(_NVIDIA_SMI)} listed no GPU; check that a GPU is visible "
            "(CUDA_VISIBLE_DEVICES) or turn GPU memory logging off (log_gpu_memory=None)"
        )
    return {f"gpu_{index}": mb for index, mb in enumerate(used)}


def get_memory_profile(mode: str) -> dict[str, int]:
    """The GPU memory in use, per GPU (``'all'``) or its least and most (``'min_max'``).

    Args:
        mode: ``'all'`` or ``'min_max'``.

    Returns:
        ``get_gpu_memory_map()`` for ``'all'``; ``{'min_gpu_mem': MB, 'max_gpu_mem': MB}``
        for ``'min_max'``.

    Raises:
        MisconfigurationError: ``mode`` is neither ``'all'`` nor ``'min_max'``.
        HardwareUnavailableError: ``nvidia-smi`` is not on ``PATH`` or fails.

    Example:
        >>> get_memory_profile("min_max")  # doctest: +SKIP
        {'min_gpu_mem': 4, 'max_gpu_mem': 1033}
    """
    if mode not in ("all", "min_max"):
        raise MisconfigurationError(
            f"get_memory_profile(mode={mode!r}) is not a mode; use 'all' or 'min_max'"
        )
    memory = get_gpu_memory_map()
    if mode == "min_max":
        return {"min_gpu_mem": min(memory.values()), "max_gpu_mem": max(memory.values())}
    return memory
