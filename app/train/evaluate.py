"""Evaluation over a whole split, accumulated on the device with one sync at the end."""

from __future__ import annotations

import torch

from app.train.tasks import Task


@torch.no_grad()
def evaluate(model: torch.nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor,
             batch_size: int, prefix: str) -> dict[str, float]:
    """Loss (and accuracy, or mae and r2) of `model` on (x, y), keyed `<prefix>_<name>`."""
    if x.shape[0] == 0:
        return {}
    was_training = model.training
    model.eval()
    # loss*n, n, correct, |err|, err^2, sum of targets^2, sum of targets
    sums = torch.zeros(7, dtype=torch.float64, device=x.device)
    terms = torch.zeros(len(task.terms), dtype=torch.float64, device=x.device)
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        out, target = task.outputs_and_targets(model(xb), xb, yb)
        n = target.shape[0]
        loss, parts = task.loss_terms(model, out, target)
        sums[0] += loss.double() * n
        for i, part in enumerate(parts):
            terms[i] += part.double() * n
        sums[1] += n
        if task.counts_accuracy:
            sums[2] += task.correct(out, target)
        if task.regression_metrics:
            err = (out.reshape(target.shape) - target).double()
            sums[3] += err.abs().sum()
            sums[4] += err.pow(2).sum()
            sums[5] += target.double().pow(2).sum()
            sums[6] += target.double().sum()
    model.train(was_training)
    loss_sum, n, correct, abs_err, sq_err, y2_sum, y_sum = sums.tolist()  # the one sync
    metrics = {f"{prefix}_loss": loss_sum / n}
    metrics |= {f"{prefix}_{name}": total / n
                for name, total in zip(task.terms, terms.tolist(), strict=True)}
    if task.counts_accuracy:
        metrics[f"{prefix}_accuracy"] = correct / n
    if task.regression_metrics:
        elements = y.numel()
        total = y2_sum - y_sum**2 / elements
        metrics[f"{prefix}_mae"] = abs_err / elements
        metrics[f"{prefix}_r2"] = 1.0 - sq_err / total if total > 0 else 0.0
    return metrics
