"""Gradient norms of a module's parameters (``grad_norm``), as ``track_grad_norm`` logs them."""

from __future__ import annotations

import torch

__all__ = ["GradInformation"]


class GradInformation:
    """``grad_norm(norm_type)``: each parameter's gradient norm and their total norm."""

    def grad_norm(self, norm_type: float | int | str) -> dict[str, float]:
        """``{'grad_{p}_norm_{name}': norm, ..., 'grad_{p}_norm_total': total}``, rounded to
        3 decimals; parameters without a gradient are left out. A host sync per parameter:
        call it only when the norms are logged.

        Example:
            >>> model.grad_norm(2)["grad_2.0_norm_total"]
        """
        norm = float(norm_type)
        found: dict[str, float] = {}
        norms = []
        for name, param in self.named_parameters():  # type: ignore[attr-defined]
            if param.grad is None:
                continue
            value = torch.linalg.vector_norm(param.grad.detach().float(), norm)
            norms.append(value)
            found[f"grad_{norm}_norm_{name}"] = round(value.item(), 3)
        if norms:
            total = torch.linalg.vector_norm(torch.stack(norms), norm)
            found[f"grad_{norm}_norm_total"] = round(total.item(), 3)
        return found
