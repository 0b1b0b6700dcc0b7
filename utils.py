"""Plumbing shared by the DeepLossDive notebooks: data, training, metrics, comparisons, plots.

The math that teaches stays in the notebooks, where the reader sees it. This module only loads
tensors, loops over batches, counts and draws.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import torch
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from torch import nn

DATA_DIR = Path(__file__).resolve().parent / "data"
MNIST_MEAN = 0.1307  # mean pixel value of the 60,000 training images, scaled to [0, 1]
MNIST_STD = 0.3081  # their standard deviation

# ----------------------------------------------------------------------------------------- data


def load_mnist(
    root: str | Path = DATA_DIR, device: str | torch.device = "cpu"
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return MNIST as (train_images, train_labels, test_images, test_labels), normalized, in memory."""
    from torchvision import datasets  # imported here so that `import utils` stays quick

    raw = Path(root) / "MNIST" / "raw"
    files = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    missing = not all((raw / name).exists() for name in files)
    splits = []
    for train in (True, False):
        try:
            split = datasets.MNIST(root, train=train, download=True)
        except (RuntimeError, OSError) as error:
            if not missing:
                raise  # the files were there: a real error, not a missing download
            raise RuntimeError(
                f"MNIST is not in {raw} and could not be downloaded (no network?). Run `make data` on a "
                f"machine with a network connection, or copy the four files {', '.join(files)} (unzipped) "
                "into that folder."
            ) from error
        images = (split.data.float() / 255 - MNIST_MEAN) / MNIST_STD
        splits += [images.unsqueeze(1).to(device), split.targets.to(device)]
    return splits[0], splits[1], splits[2], splits[3]


# ------------------------------------------------------------------------------------- training


def predict(model: nn.Module, inputs: torch.Tensor, batch_size: int = 2000) -> torch.Tensor:
    """Return the model's outputs for all inputs, computed in eval mode without gradients."""
    model.eval()
    with torch.no_grad():
        return torch.cat([model(inputs[i : i + batch_size]) for i in range(0, len(inputs), batch_size)])


def fit(
    model: nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor],
    *,
    epochs: int,
    generator: torch.Generator,
    batch_size: int = 128,
    metric: Callable[[torch.Tensor, torch.Tensor], float] | None = None,
) -> dict[str, list[float]]:
    """Train on shuffled mini-batches, the learning rate falling linearly to 0; print a line per epoch."""
    (train_x, train_y), (test_x, test_y) = train, test
    for name, (x, y) in {"train": train, "test": test}.items():
        if len(x) != len(y):
            raise ValueError(f"{name}: {len(x)} inputs but {len(y)} targets; they must pair up one to one")
    if len(train_x) == 0 or len(test_x) == 0:
        raise ValueError("the training and the test set must each hold at least one example")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be at least 1, got {epochs} and {batch_size}")
    metric = metric or accuracy
    steps = epochs * -(-len(train_x) // batch_size)  # batches per epoch, rounded up, times epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    history: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "test_accuracy": []}
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_x), generator=generator).to(train_x.device)
        total = 0.0
        for i in range(0, len(train_x), batch_size):
            batch = order[i : i + batch_size]
            loss = loss_fn(model(train_x[batch]), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(batch)
        test_outputs = predict(model, test_x)
        history["train_loss"].append(total / len(train_x))
        history["test_loss"].append(loss_fn(test_outputs, test_y).item())
        history["test_accuracy"].append(metric(test_outputs, test_y))
        print(
            f"epoch {epoch:2d}/{epochs}  train loss {history['train_loss'][-1]:.4f}  "
            f"test loss {history['test_loss'][-1]:.4f}  test accuracy {history['test_accuracy'][-1]:.2%}  "
            f"({time.perf_counter() - start:.1f} s)"
        )
    return history


# -------------------------------------------------------------------------------------- metrics


def _check_class_outputs(logits: torch.Tensor, targets: torch.Tensor) -> None:
    """Raise a clear error unless logits are (N, C) and targets are N class indices."""
    if logits.dim() != 2:
        raise ValueError(f"expected logits of shape (N, C), got shape {tuple(logits.shape)}")
    if targets.dim() != 1 or targets.dtype.is_floating_point or targets.dtype == torch.bool:
        raise ValueError(
            f"expected targets as N integer class indices, got dtype {targets.dtype} and shape "
            f"{tuple(targets.shape)}; one-hot targets become indices with targets.argmax(dim=1)"
        )
    if len(logits) != len(targets):
        raise ValueError(f"{len(logits)} rows of logits but {len(targets)} targets")


def accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """Return the fraction of rows whose largest logit is at the target class."""
    _check_class_outputs(logits, targets)
    return (logits.argmax(dim=1) == targets).float().mean().item()


def confusion_matrix(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Return the (C, C) count matrix: row = true class, column = predicted class."""
    _check_class_outputs(logits, targets)
    num_classes = logits.shape[1]
    if len(targets) and (targets.min() < 0 or targets.max() >= num_classes):
        raise ValueError(f"targets must lie in 0..{num_classes - 1}")
    pairs = targets.cpu() * num_classes + logits.argmax(dim=1).cpu()
    return torch.bincount(pairs, minlength=num_classes**2).reshape(num_classes, num_classes)


def average_precision(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """Return the area under the precision-recall curve: the mean precision at the rank of each positive."""
    if scores.dim() != 1 or scores.shape != targets.shape:
        raise ValueError(
            f"expected scores and 0/1 targets of the same shape (N,), got {tuple(scores.shape)} and "
            f"{tuple(targets.shape)}"
        )
    if not ((targets == 0) | (targets == 1)).all() or not (targets == 1).any():
        raise ValueError("targets must be 0s and 1s, with at least one 1")
    is_positive = (targets[scores.argsort(descending=True)] == 1).float()
    precision_at_rank = is_positive.cumsum(dim=0) / torch.arange(1, len(scores) + 1, device=scores.device)
    return ((precision_at_rank * is_positive).sum() / is_positive.sum()).item()


def one_sided_slopes(
    loss_fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, step: float = 1e-6
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the left and right partial derivatives of a scalar loss at inputs, by finite differences."""
    point = inputs.detach().double()
    here = loss_fn(point).item()
    left, right = torch.empty_like(point), torch.empty_like(point)
    for k in range(point.numel()):
        shift = torch.zeros(point.numel(), dtype=point.dtype, device=point.device)
        shift[k] = step
        shift = shift.view_as(point)
        right.view(-1)[k] = (loss_fn(point + shift).item() - here) / step
        left.view(-1)[k] = (here - loss_fn(point - shift).item()) / step
    return left, right


# ---------------------------------------------------------------------------------- comparisons


def tune_then_repeat(
    run: Callable[[float, int], tuple[float, Any]],
    learning_rates: list[float],
    seeds: list[int],
    start: list[float] | None = None,
) -> dict[str, Any]:
    """Choose the learning rate on validation data with the first seed, then repeat that run over the seeds.

    run(learning_rate, seed) trains one model and returns (validation score, test result); a higher score is
    better, and a tie goes to the smaller rate. The rates in `start` (all of them by default) are tried
    first; then, while the best score (or a tie for it) sits at the smallest or the largest rate tried, the
    next rate of `learning_rates` beyond it is tried too, so that the chosen rate ends between two worse
    ones (or at an end of the list). Returns the chosen "learning_rate", the "validation" score of every
    rate tried, and the "test" results of every seed at the chosen rate (the first seed's from its tuning
    run).
    """
    ladder = sorted(learning_rates)
    if not ladder or not seeds or not set(start or ladder) <= set(ladder):
        raise ValueError("need at least one learning rate and one seed, and start rates from learning_rates")
    scores, results = {}, {}
    for learning_rate in sorted(start or ladder):
        scores[learning_rate], results[learning_rate] = run(learning_rate, seeds[0])
    while True:
        tried = sorted(scores)
        top = max(scores.values())
        best = min(rate for rate in tried if scores[rate] == top)  # a tie goes to the smaller rate
        low, high = ladder.index(tried[0]), ladder.index(tried[-1])
        if scores[tried[-1]] == top and high < len(ladder) - 1:  # the best (or a tie) at the top end
            beyond = ladder[high + 1]
        elif scores[tried[0]] == top and low > 0:  # ... or at the bottom end
            beyond = ladder[low - 1]
        else:
            break
        scores[beyond], results[beyond] = run(beyond, seeds[0])
    tests = [results[best]] + [run(best, seed)[1] for seed in seeds[1:]]
    return {"learning_rate": best, "validation": dict(sorted(scores.items())), "test": tests}


def tune_each(
    runs: dict[str, Callable[[float, int], tuple[float, Any]]],
    learning_rates: list[float],
    seeds: list[int],
    start: list[float] | None = None,
    score_format: str = ".2%",
) -> dict[str, dict[str, Any]]:
    """tune_then_repeat for every named run; print each one's validation scores and its chosen rate.

    Raises ValueError when a chosen rate is not between two worse ones: the ladder is too short for it.
    """
    results = {}
    width = max(len(name) for name in runs)
    for name, run in runs.items():
        result = tune_then_repeat(run, learning_rates, seeds, start)
        scores = "  ".join(
            f"{rate:g}: {score:{score_format}}" for rate, score in result["validation"].items()
        )
        print(f"{name:{width}s}  validation {scores}  -> {result['learning_rate']:g}")
        tried = list(result["validation"])
        if not tried[0] < result["learning_rate"] < tried[-1]:
            raise ValueError(
                f"{name}: the best rate tried, {result['learning_rate']:g}, is at an end of the ladder"
            )
        results[name] = result
    return results


def mcnemar_p(right_a: torch.Tensor, right_b: torch.Tensor) -> float:
    """Two-sided exact McNemar test of two classifiers scored on the same examples (True = right).

    Only the examples on which exactly one of them is right count; if both are equally accurate, each such
    example goes either way with probability 1/2, so the smaller count follows a binomial tail.
    """
    if right_a.shape != right_b.shape or right_a.dtype != torch.bool or right_b.dtype != torch.bool:
        raise ValueError("expected two boolean tensors of the same shape, one entry per example")
    only_a, only_b = int((right_a & ~right_b).sum()), int((~right_a & right_b).sum())
    n, k = only_a + only_b, min(only_a, only_b)
    return min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n)


def compare_accuracies(right: dict[str, torch.Tensor], alpha: float = 0.05) -> dict[str, dict[str, float]]:
    """Print and return mean accuracy ± standard deviation over seeds, and which gaps to the best are real.

    right[name] is a (seeds, examples) boolean tensor, row s from seed s, the same test examples for every
    name. Each entry is compared with the most accurate one only, seed s with seed s. "paired SE" is the
    standard error of that gap from the test examples' sampling, sqrt(b + c) / n with b and c the examples
    only one of the two gets right, averaged over the seeds. A gap counts as real when McNemar's test gives
    p < alpha on every seed pair: each seed's gap exceeds what the sampling explains, and no seed
    contradicts it.
    """
    shapes = {tuple(r.shape) for r in right.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"expected (seeds, examples) tensors of one shape, got {sorted(shapes)}")
    seeds, examples = next(iter(shapes))
    accuracy = {name: r.float().mean(dim=1) for name, r in right.items()}
    best = max(accuracy, key=lambda name: accuracy[name].mean().item())
    rows = {}
    spread = "± sd" if seeds > 1 else ""
    width = max(26, *(len(name) for name in right))
    print(
        f"{'':{width}s} {'accuracy ' + spread:>16s} {'gap to best':>11s} {'paired SE':>9s} {'largest p':>10s}"
        "  real gap?"
    )
    for name, r in right.items():
        mean = accuracy[name].mean().item()
        sd = accuracy[name].std().item() if seeds > 1 else 0.0
        discordant = (right[best] != r).sum(dim=1).float()  # b + c on each seed
        paired_se = (discordant.sqrt() / examples).mean().item()
        if name == best:
            p, verdict = float("nan"), "(best)"
        else:
            p = max(mcnemar_p(right[best][s], r[s]) for s in range(seeds))
            verdict = "yes" if p < alpha else "no"
        gap = accuracy[best].mean().item() - mean
        rows[name] = {
            "accuracy": mean,
            "sd": sd,
            "gap": gap,
            "paired SE": paired_se,
            "p": p,
            "real": verdict == "yes",
        }
        p_text, se_text = ("", "") if name == best else (f"{p:10.2g}", f"{paired_se:9.2%}")
        print(f"{name:{width}s} {mean:9.2%} ± {sd:5.2%} {gap:11.2%} {se_text:>9s} {p_text:>10s}  {verdict}")
    top = accuracy[best].mean().item()
    print(
        f"{seeds} seeds; one model's own standard error at {top:.2%} on {examples} examples: "
        f"{math.sqrt(top * (1 - top) / examples):.2%} (a gap between two models is measured by the paired SE)"
    )
    return rows


# ---------------------------------------------------------------------------------------- plots


def use_plot_style() -> None:
    """Make figures small and light, and keep IPython from storing '<Figure …>' text beside each."""
    plt.rcParams.update({"figure.figsize": (6.4, 3.6), "figure.dpi": 100, "savefig.dpi": 100})
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")  # first, as it resets the figure formatters
        shell.display_formatter.formatters["text/plain"].for_type(Figure, lambda figure, printer, cycle: None)


def show_digits(images: torch.Tensor, labels: torch.Tensor, title: str, columns: int = 10) -> Figure:
    """Draw normalized MNIST images in a grid, each with its label above it."""
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    rows = -(-len(images) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.7, rows * 0.85), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    pixels = (images.squeeze(1).cpu() * MNIST_STD + MNIST_MEAN).numpy()  # undo the normalization
    for ax, image, label in zip(axes.flat, pixels, labels.tolist(), strict=False):
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(str(label), fontsize=9)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def show_probabilities(images: torch.Tensor, labels: torch.Tensor, probs: torch.Tensor, title: str) -> Figure:
    """Draw each digit above a bar chart of its class probabilities: true class orange, a wrong guess red."""
    figure, axes = plt.subplots(2, len(images), figsize=(1.5 * len(images), 3.6), sharey="row", squeeze=False)
    pixels = (images.squeeze(1).cpu() * MNIST_STD + MNIST_MEAN).numpy()  # undo the normalization
    for column, (image, label, row) in enumerate(zip(pixels, labels.tolist(), probs.cpu(), strict=True)):
        guess = row.argmax().item()
        axes[0, column].imshow(image, cmap="gray_r", vmin=0, vmax=1)
        axes[0, column].set_title(f"label {label}\nguess {guess} ({row[guess]:.2f})", fontsize=8)
        axes[0, column].axis("off")
        colors = [
            "tab:orange" if k == label else "tab:red" if k == guess else "tab:blue" for k in range(len(row))
        ]
        axes[1, column].bar(range(len(row)), row.numpy(), color=colors)
        axes[1, column].set(ylim=(0, 1), xticks=range(len(row)), xlabel="class")
        axes[1, column].tick_params(labelsize=7)
    axes[1, 0].set_ylabel("probability")
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_history(histories: dict[str, dict[str, list[float]]], title: str) -> Figure:
    """Draw the loss (log scale) and the test accuracy per epoch of one or more training runs from fit()."""
    figure, (loss_ax, accuracy_ax) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, history in histories.items():
        epochs = range(1, len(history["train_loss"]) + 1)
        line = loss_ax.plot(epochs, history["train_loss"])[0]
        loss_ax.plot(epochs, history["test_loss"], "--", color=line.get_color())
        accuracy = [100 * a for a in history["test_accuracy"]]
        accuracy_ax.plot(epochs, accuracy, color=line.get_color(), label=name)
    loss_ax.plot(
        [], [], "k-", label="train"
    )  # one legend entry per line style; colours are in the other panel
    loss_ax.plot([], [], "k--", label="test")
    loss_ax.set(xlabel="epoch", ylabel="mean loss (log scale)", yscale="log", title="loss")
    accuracy_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
    loss_ax.legend(fontsize=8)
    accuracy_ax.legend(fontsize=8)
    figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_seeds(right: dict[str, torch.Tensor], title: str) -> Figure:
    """Draw each test accuracy per seed as a dot, with a bar at the mean; right as for compare_accuracies."""
    figure, ax = plt.subplots(figsize=(6.4, 0.8 + 0.4 * len(right)))
    for row, name in enumerate(right):
        per_seed = 100 * right[name].float().mean(dim=1).cpu()
        ax.plot(per_seed, [row] * len(per_seed), "o", color=f"C{row}", alpha=0.6)
        ax.plot(per_seed.mean(), row, "k|", markersize=14)
    ax.set_yticks(range(len(right)), list(right), fontsize=8)
    ax.invert_yaxis()  # the first entry on top
    ax.set(xlabel="test accuracy (%): a dot per seed, a bar at the mean", title=title)
    figure.tight_layout()
    return figure


def plot_confusion_matrix(matrix: torch.Tensor, title: str) -> Figure:
    """Draw a confusion matrix with its counts in the cells, shaded on a log scale so that mistakes show."""
    figure, ax = plt.subplots(figsize=(5.2, 4.2))
    counts = matrix.cpu()
    shading = ax.imshow(counts.numpy(), cmap="Blues", norm=LogNorm(vmin=1, vmax=max(counts.max().item(), 1)))
    figure.colorbar(shading, ax=ax, label="count (log scale; 0 left white)")
    for row in range(counts.shape[0]):
        for column in range(counts.shape[1]):
            count = counts[row, column].item()
            color = "white" if count**2 > counts.max() else "black"  # above the geometric middle of the scale
            ax.text(column, row, str(count), ha="center", va="center", fontsize=7, color=color)
    ax.set(xlabel="predicted class", ylabel="true class", title=title)
    ax.set_xticks(range(counts.shape[1]))
    ax.set_yticks(range(counts.shape[0]))
    figure.tight_layout()
    return figure
