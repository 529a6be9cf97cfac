"""The model summary table, its shapes from an example input, and the GPU memory readout."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import orchestrator as pl
from orchestrator import summary
from orchestrator.summary import (
    PARAMETER_NUM_UNITS,
    UNKNOWN_SIZE,
    LayerSummary,
    ModelSummary,
    get_gpu_memory_map,
    get_human_readable_count,
    get_memory_profile,
    weights_summary,
)
from schemas.errors import HardwareUnavailableError, MisconfigurationError


class Nested(pl.LightningModule):
    """A block of two layers, a head, and a layer that ``forward`` never calls."""

    def __init__(self, example: Any = None) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(8, 4), nn.ReLU())
        self.head = nn.Linear(4, 2)
        self.unused = nn.Linear(3, 3)
        self.example_input_array = example

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.block(x))


class TwoInputs(pl.LightningModule):
    def __init__(self, example: Any) -> None:
        super().__init__()
        self.left = nn.Linear(3, 5)
        self.right = nn.Linear(2, 5)
        self.example_input_array = example

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.left(a), self.right(b)


class Pair(nn.Module):
    """Returns a tuple, so that the layer holding it has a nested output shape."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, x.sum(dim=1)


def test_constants_and_modes() -> None:
    assert UNKNOWN_SIZE == "?"
    assert PARAMETER_NUM_UNITS == [" ", "K", "M", "B", "T"]
    assert (ModelSummary.MODE_TOP, ModelSummary.MODE_FULL) == ("top", "full")
    assert ModelSummary.MODE_DEFAULT == "top"
    assert ModelSummary.MODES == ["full", "top"]
    assert set(summary.__all__) == {
        "ModelSummary", "LayerSummary", "UNKNOWN_SIZE", "PARAMETER_NUM_UNITS",
        "get_human_readable_count",
        "get_memory_profile", "get_gpu_memory_map", "weights_summary"}


def test_top_lists_children_and_full_every_submodule() -> None:
    model = Nested()
    top = ModelSummary(model)
    assert top.layer_names == ["block", "head", "unused"]
    assert top.layer_types == ["Sequential", "Linear", "Linear"]
    assert [name for name, _ in top.named_modules] == top.layer_names
    assert top.named_modules[1][1] is model.head
    full = ModelSummary(model, mode="full")
    assert full.layer_names == ["block", "block.0", "block.1", "head", "unused"]
    assert full.layer_types == ["Sequential", "Linear", "ReLU", "Linear", "Linear"]


def test_parameter_counts() -> None:
    full = ModelSummary(Nested(), mode="full")
    assert full.param_nums == [36, 36, 0, 10, 12]
    assert all(isinstance(n, int) for n in full.param_nums)


def test_unknown_mode_is_an_error_naming_the_modes() -> None:
    with pytest.raises(MisconfigurationError,
                       match=r"ModelSummary\(mode='x'\) is not a mode; use 'top' or 'full'"):
        ModelSummary(Nested(), mode="x")
    with pytest.raises(ValueError, match="is not a mode"):
        weights_summary(Nested(), "everything")


def test_no_example_input_gives_unknown_sizes_and_no_size_columns() -> None:
    top = ModelSummary(nn.Sequential(nn.Linear(2, 2)))  # a plain module: no such attribute
    assert top.in_sizes == top.out_sizes == [UNKNOWN_SIZE]
    text = str(top)
    assert "In sizes" not in text and "Out sizes" not in text


def test_sizes_from_a_tensor_example_and_a_layer_never_called() -> None:
    full = ModelSummary(Nested(torch.zeros(6, 8)), mode="full")
    assert full.in_sizes == [[6, 8], [6, 8], [6, 4], [6, 4], UNKNOWN_SIZE]
    assert full.out_sizes == [[6, 4], [6, 4], [6, 4], [6, 2], UNKNOWN_SIZE]


def test_sizes_from_a_tuple_example_passed_as_positional_arguments() -> None:
    top = ModelSummary(TwoInputs((torch.zeros(4, 3), torch.zeros(4, 2))))
    assert top.in_sizes == [[4, 3], [4, 2]]
    assert top.out_sizes == [[4, 5], [4, 5]]


def test_sizes_from_a_dict_example_passed_as_keyword_arguments() -> None:
    top = ModelSummary(TwoInputs({"b": torch.zeros(7, 2), "a": torch.zeros(1, 3)}))
    assert top.in_sizes == [[1, 3], [7, 2]]
    assert top.out_sizes == [[1, 5], [7, 5]]


def test_nested_and_unknown_shapes() -> None:
    class WithPair(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.pair = Pair()
            self.example_input_array = torch.zeros(2, 3)

        def forward(self, x: torch.Tensor) -> Any:
            return self.pair(x)

    top = ModelSummary(WithPair())
    assert top.in_sizes == [[2, 3]]  # a single input is not wrapped in a list
    assert top.out_sizes == [[[2, 3], [2]]]

    class TakesScale(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.scaled = Scaled()
            self.example_input_array = (torch.zeros(2, 3), 2.0)

        def forward(self, x: torch.Tensor, factor: float) -> torch.Tensor:
            return self.scaled(x, factor)

    assert ModelSummary(TakesScale()).in_sizes == [[[2, 3], UNKNOWN_SIZE]]


class Scaled(nn.Module):
    def forward(self, x: torch.Tensor, factor: float) -> torch.Tensor:
        return x * factor


@pytest.mark.parametrize("training", [True, False])
def test_forward_runs_in_eval_without_grad_and_restores_the_mode(training: bool) -> None:
    seen: list[tuple[bool, bool]] = []

    class Spy(Nested):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append((self.training, torch.is_grad_enabled()))
            return super().forward(x)

    model = Spy(torch.zeros(1, 8))
    model.train(training)
    ModelSummary(model, mode="full")
    assert seen == [(False, False)]
    assert model.training is training
    assert all(module.training is training for module in model.modules())
    assert not any(module._forward_hooks for module in model.modules())  # hooks removed


def test_mode_and_hooks_restored_when_forward_fails() -> None:
    class Broken(Nested):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.block(x)
            raise RuntimeError("broken forward")

    model = Broken(torch.zeros(1, 8))
    with pytest.raises(RuntimeError, match="broken forward"):
        ModelSummary(model)
    assert model.training
    assert not any(module._forward_hooks for module in model.modules())


def test_example_input_goes_through_transfer_batch_to_device() -> None:
    moved: list[tuple[Any, torch.device]] = []

    class Transfers(Nested):
        def transfer_batch_to_device(self, batch: Any, device: torch.device) -> Any:
            moved.append((batch, device))
            return batch.to(device)

    example = torch.zeros(1, 8)
    ModelSummary(Transfers(example))
    assert len(moved) == 1 and moved[0][0] is example
    assert moved[0][1] == torch.device("cpu")


def _lines(text: str) -> list[str]:
    return text.split("\n")


def test_string_layout_without_sizes() -> None:
    lines = _lines(str(ModelSummary(Nested(), mode="full")))
    assert lines[0] == "  | Name    | Type       | Params"
    assert lines[1] == "-" * len(lines[0])
    assert lines[2] == "0 | block   | Sequential | 36    "
    assert lines[3] == "1 | block.0 | Linear     | 36    "
    assert lines[4] == "2 | block.1 | ReLU       | 0     "
    assert lines[-2] == "-" * len(lines[0])
    assert lines[-1] == "58 trainable params, 58 total params"
    assert all(len(line) == len(lines[0]) for line in lines[:-1])


def test_string_layout_with_sizes_and_repr() -> None:
    top = ModelSummary(Nested(torch.zeros(6, 8)))
    lines = _lines(str(top))
    assert lines[0] == "  | Name   | Type       | Params | In sizes | Out sizes"
    assert lines[1] == "-" * len(lines[0])
    assert lines[2] == "0 | block  | Sequential | 36     | [6, 8]   | [6, 4]   "
    assert lines[4] == "2 | unused | Linear     | 12     | ?        | ?        "
    header = lines[0].split(" | ")
    for row in lines[2:5]:
        assert [len(cell) for cell in row.split(" | ")] == [len(cell) for cell in header]
    assert repr(top) == str(top)


def test_trainable_and_total_counts() -> None:
    model = Nested()
    for param in model.block.parameters():
        param.requires_grad_(False)
    assert str(ModelSummary(model)).endswith("22 trainable params, 58 total params")
    wide = nn.Sequential(nn.Linear(1000, 1000))
    assert str(ModelSummary(wide)).endswith("1 M trainable params, 1 M total params")


def test_weights_summary_is_the_model_summary_string() -> None:
    model = Nested(torch.zeros(2, 8))
    assert weights_summary(model, "top") == str(ModelSummary(model, "top"))
    assert weights_summary(model, "full") == str(ModelSummary(model, "full"))


def test_empty_model() -> None:
    lines = _lines(str(ModelSummary(nn.Module())))
    assert lines == ["  | Name | Type | Params", "-" * 24, "-" * 24,
                     "0 trainable params, 0 total params"]


@pytest.mark.parametrize(("number", "text"), [
    (0, "0  "), (1, "1  "), (123, "123  "), (999, "999  "), (1000, "1 K"), (1234, "1 K"),
    (999_999, "999 K"), (2e6, "2 M"), (3e9, "3 B"), (4e12, "4 T"), (5e15, "5,000 T"),
    (123_456_789_000_000_000, "123,456 T"), (1234.9, "1 K"), (0.5, "0  "),
])
def test_human_readable_count(number: float, text: str) -> None:
    assert get_human_readable_count(number) == text


@pytest.mark.parametrize("number", [-1, -0.5, float("nan"), float("inf")])
def test_human_readable_count_rejects_negative_and_non_finite(number: float) -> None:
    with pytest.raises(ValueError, match=r"a count must be a finite number >= 0"):
        get_human_readable_count(number)


def test_gpu_memory_without_nvidia_smi_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no nvidia-smi on PATH
    with pytest.raises(HardwareUnavailableError, match="nvidia-smi, which is not on PATH"):
        get_gpu_memory_map()
    with pytest.raises(HardwareUnavailableError, match="log_gpu_memory=None"):
        get_memory_profile("all")


def test_memory_profile_unknown_mode() -> None:
    message = r"get_memory_profile\(mode='max'\) is not a mode; use 'all' or 'min_max'"
    with pytest.raises(MisconfigurationError, match=message):
        get_memory_profile("max")


def _standin_nvidia_smi(folder: Path, body: str) -> None:
    """A stand-in ``nvidia-smi`` script: this machine has no NVIDIA driver to run the real one."""
    script = folder / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_gpu_memory_map_parses_standin_nvidia_smi(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    _standin_nvidia_smi(tmp_path, 'printf "1033\\n4\\n250\\n"')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert get_gpu_memory_map() == {"gpu_0": 1033, "gpu_1": 4, "gpu_2": 250}
    assert get_memory_profile("all") == {"gpu_0": 1033, "gpu_1": 4, "gpu_2": 250}
    assert get_memory_profile("min_max") == {"min_gpu_mem": 4, "max_gpu_mem": 1033}


def test_failing_standin_nvidia_smi_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    _standin_nvidia_smi(tmp_path, 'echo "NVIDIA-SMI has failed" >&2; exit 9')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(HardwareUnavailableError, match="exited with 9: 'NVIDIA-SMI has failed'"):
        get_gpu_memory_map()


@pytest.mark.parametrize("mode", ["top", "full"])
def test_summarize_gives_a_layer_summary_per_name_with_every_hook_removed(mode: str) -> None:
    model = Nested(torch.zeros(6, 8))
    table = ModelSummary(model, mode=mode)
    layers = table.summarize()
    assert list(layers) == table.layer_names
    assert all(isinstance(layer, LayerSummary) for layer in layers.values())
    assert [layer.in_size for layer in layers.values()] == table.in_sizes
    assert [layer.layer_type for layer in layers.values()] == table.layer_types
    assert [layer.num_parameters for layer in layers.values()] == table.param_nums
    assert not any(module._forward_hooks for module in model.modules())
    for layer in layers.values():  # the one never called too
        handle = layer._hook_handle
        assert handle.id not in handle.hooks_dict_ref()


def test_a_layer_summary_keeps_its_first_call_and_unhooks_itself() -> None:
    linear = nn.Linear(3, 2)
    layer = LayerSummary(linear)
    assert (layer.in_size, layer.out_size, layer.layer_type, layer.num_parameters) == (
        UNKNOWN_SIZE, UNKNOWN_SIZE, "Linear", 8)
    linear(torch.zeros(4, 3))
    linear(torch.zeros(7, 3))
    assert (layer.in_size, layer.out_size) == ([4, 3], [4, 2])
    assert not linear._forward_hooks
    layer.detach_hook()  # twice is harmless


class AnyInput(pl.LightningModule):
    def __init__(self, example: Any) -> None:
        super().__init__()
        self.layer = _Passthrough()
        self.example_input_array = example

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.layer(*args, **kwargs)


class _Passthrough(nn.Module):
    def forward(self, *args: Any, **kwargs: Any) -> None:
        return None


@pytest.mark.parametrize(("example", "expected"), [
    ([], UNKNOWN_SIZE),  # no positional input
    ((1, 2, 3), [UNKNOWN_SIZE] * 3),  # numbers have no shape
    (torch.tensor(0.0), UNKNOWN_SIZE),  # a 0-dim tensor shows '?', as 0.8.5
    ({"tensor": torch.zeros(1, 2, 3)}, UNKNOWN_SIZE),  # keyword inputs are not recorded
    (torch.zeros(2, 3, 4), [2, 3, 4]),
    ([torch.zeros(2, 3), torch.zeros(4, 5)], [[2, 3], [4, 5]]),
    ((torch.zeros(2, 3), torch.zeros(4, 5)), [[2, 3], [4, 5]]),
])
def test_input_sizes_of_every_example_form(example: Any, expected: Any) -> None:
    assert ModelSummary(AnyInput(example)).in_sizes == [expected]
