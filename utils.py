"""Plumbing shared by the DeepLossDive notebooks: data, training, metrics, comparisons, plots.

The math that teaches stays in the notebooks, where the reader sees it. This module only loads
tensors, loops over batches, counts and draws.
"""

from __future__ import annotations

import math
import os
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
    """Return MNIST as (train_images, train_labels, test_images, test_labels), normalized, in memory.

    The first call reads the four files through `torchvision.datasets.MNIST` (which downloads them if they
    are missing) and saves the tensors it gets, unchanged, in MNIST/tensors.pt beside them. Later calls
    read that file instead, unless a raw file is newer: the same tensors, without importing torchvision,
    which takes a second or two.
    """
    raw = Path(root) / "MNIST" / "raw"
    saved = raw.parent / "tensors.pt"
    files = [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]
    missing = not all((raw / name).exists() for name in files)
    newest = max((raw / name).stat().st_mtime for name in files) if not missing else math.inf
    if saved.exists() and saved.stat().st_mtime >= newest:
        tensors = torch.load(saved, weights_only=True)  # train images, train labels, test images, test labels
    else:
        tensors = _read_mnist_with_torchvision(root, raw, files, missing)
        partial = saved.with_name(f"tensors.{os.getpid()}.tmp")  # two processes may write at once:
        torch.save(tensors, partial)
        partial.replace(saved)  # each replaces the file whole, never half-written
    images = [(tensors[i].float() / 255 - MNIST_MEAN) / MNIST_STD for i in (0, 2)]
    return (
        images[0].unsqueeze(1).to(device),
        tensors[1].to(device),
        images[1].unsqueeze(1).to(device),
        tensors[3].to(device),
    )


def _read_mnist_with_torchvision(
    root: str | Path, raw: Path, files: list[str], missing: bool
) -> list[torch.Tensor]:
    """The uint8 images and int64 labels of both splits, as torchvision.datasets.MNIST reads them."""
    from torchvision import datasets  # imported here: importing torchvision takes a second or two

    tensors = []
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
        tensors += [split.data, split.targets]
    return tensors


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
    """Train on shuffled mini-batches, the learning rate falling linearly to 0; print a line per epoch.

    The line reports the mean training loss over the epoch (a running mean while the weights change) and the
    loss and metric on `test`, the held-out pair: the test set, or a validation split when a choice is made.
    """
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
            f"held-out loss {history['test_loss'][-1]:.4f}  "
            f"held-out accuracy {history['test_accuracy'][-1]:.2%}  "
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


def t_tail(t: float, df: float) -> float:
    """Return P(|T| >= |t|) for Student's t with df >= 1 degrees of freedom: the two-sided p-value of t."""
    if not 1 <= df <= 10_000:
        raise ValueError(f"expected degrees of freedom between 1 and 10,000, got {df}")
    if math.isinf(t):
        return 0.0
    if t == 0:
        return 1.0
    # With t = sqrt(df) cot(phi) the tail beyond |t| becomes c * integral of sin(phi)^(df - 1) over
    # [0, atan(sqrt(df) / |t|)]: bounded for df >= 1, so Simpson's rule with 2,000 steps is accurate.
    scale = math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(math.pi)
    steps = 2000
    width = math.atan2(math.sqrt(df), abs(t)) / steps
    k = torch.arange(steps + 1, dtype=torch.float64)
    simpson = torch.where(k % 2 == 1, 4.0, 2.0)  # Simpson's weights 1, 4, 2, 4, ..., 2, 4, 1
    simpson[0] = simpson[-1] = 1.0
    total = (simpson * torch.sin(k * width).pow(df - 1)).sum().item()
    return min(1.0, 2 * scale * total * width / 3)


def t_quantile(probability: float, df: float) -> float:
    """Return the t value below which Student's t with df degrees of freedom falls with this probability."""
    if not 0.5 <= probability < 1:
        raise ValueError(f"expected a probability in [0.5, 1), got {probability}")
    low, high = 0.0, 1.0
    while t_tail(high, df) > 2 * (1 - probability):
        high *= 2
    for _ in range(60):  # bisection: t_tail falls as t grows
        middle = (low + high) / 2
        low, high = (middle, high) if t_tail(middle, df) > 2 * (1 - probability) else (low, middle)
    return (low + high) / 2


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's adjusted p-values: the k-th smallest of m times m - k + 1, never below the one before it."""
    adjusted, running = {}, 0.0
    for k, name in enumerate(sorted(p_values, key=p_values.get)):
        running = max(running, min(1.0, (len(p_values) - k) * p_values[name]))
        adjusted[name] = running
    return adjusted


def compare_accuracies(
    right: dict[str, torch.Tensor], reference: str, alpha: float = 0.05
) -> dict[str, dict[str, Any]]:
    """Compare every entry's test accuracy with the reference's, as losses, over seeds; print and return it.

    right[name] is a (seeds, examples) boolean tensor: row s from seed s, the same test examples for every
    name, and seed s of every name trained with the same initial weights and batches. The reference is
    named before the test set is seen: a baseline, or the best on validation data. For each other name:
    - gap: its accuracy minus the reference's, on each seed (a paired gap), averaged over the seeds;
    - interval: gap ± t × SE, a (1 - alpha) interval for this comparison alone (not adjusted for the others).
      SE² covers the seed-to-seed spread and the sampling of the test examples: the seeds × examples table
      of differences read as a two-way layout, SE² = (MS_seeds + MS_examples - MS_residual) / (seeds ·
      examples), the variance of its grand mean, with each of the first two mean squares taken at least as
      large as MS_residual, so that SE² is never below what either source alone implies. t has
      Satterthwaite's degrees of freedom for that sum, at least seeds - 1 and at most 200;
    - p: the t test of a zero gap, Holm-corrected over the comparisons of the table;
    - confirmed: p < alpha after Holm's correction, and no seed's gap points the other way.
    "Not confirmed" says the budget could not tell; it never says that two losses are equally good.
    """
    shapes = {tuple(r.shape) for r in right.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"expected (seeds, examples) tensors of one shape, got {sorted(shapes)}")
    if any(r.dtype != torch.bool for r in right.values()):
        raise ValueError("expected boolean tensors: True where a model is right")
    if reference not in right or len(right) < 2:
        raise ValueError(f"the reference {reference!r} must be one of at least two entries: {list(right)}")
    seeds, examples = next(iter(shapes))
    if seeds < 2:
        raise ValueError("a comparison of losses needs at least two seeds: one seed compares two networks")
    rows: dict[str, dict[str, Any]] = {}
    for name, r in right.items():
        per_seed = r.double().mean(dim=1)
        rows[name] = {"accuracy": per_seed.mean().item(), "sd": per_seed.std().item()}
        if name == reference:
            continue
        differences = r.double() - right[reference].double()  # (seeds, examples): +1, 0 or -1
        seed_gaps, example_gaps = differences.mean(dim=1), differences.mean(dim=0)
        gap = seed_gaps.mean().item()
        residual = differences - seed_gaps[:, None] - example_gaps[None, :] + gap
        # Each mean square over seeds x examples, with its degrees of freedom
        by_seed = (examples * seed_gaps.var().item(), seeds - 1)
        by_example = (seeds * example_gaps.var().item(), examples - 1)
        by_residual = (
            residual.pow(2).sum().item() / ((seeds - 1) * (examples - 1)),
            (seeds - 1) * (examples - 1),
        )
        # Each of the first two at least MS_residual: the estimate never falls below either source alone
        by_seed = (max(by_seed[0], by_residual[0]), by_seed[1])
        by_example = (max(by_example[0], by_residual[0]), by_example[1])
        variance = (by_seed[0] + by_example[0] - by_residual[0]) / (seeds * examples)
        se = math.sqrt(variance)
        # Satterthwaite's degrees of freedom for that sum of mean squares, between seeds - 1 and 200
        spread = sum(ms**2 / df for ms, df in (by_seed, by_example, by_residual)) / (seeds * examples) ** 2
        df = min(max(seeds - 1, variance**2 / spread if spread > 0 else 0), 200)
        t = gap / se if se > 0 else (0.0 if gap == 0 else math.copysign(math.inf, gap))
        half = t_quantile(1 - alpha / 2, df) * se
        rows[name].update(
            gap=gap,
            se=se,
            df=df,
            low=gap - half,
            high=gap + half,
            p_raw=t_tail(t, df),
            agree=bool((seed_gaps * math.copysign(1, gap) >= 0).all()) and gap != 0,
        )
    compared = [name for name in right if name != reference]
    for name, p in holm({name: rows[name]["p_raw"] for name in compared}).items():
        rows[name]["p"] = p
        rows[name]["confirmed"] = p < alpha and rows[name]["agree"]
    width = max(26, *(len(name) for name in right))
    interval_title = f"{1 - alpha:.0%} interval"
    print(
        f"{'':{width}s} {'accuracy ± sd':>16s} {'gap':>7s} {interval_title:>18s} {'Holm p':>7s}  confirmed?"
    )
    for name, row in rows.items():
        line = f"{name:{width}s} {row['accuracy']:9.2%} ± {row['sd']:5.2%}"
        if name == reference:
            print(f"{line} {'':7s} {'':18s} {'':7s}  (reference)")
            continue
        verdict = ("yes, ahead" if row["gap"] > 0 else "yes, behind") if row["confirmed"] else "not confirmed"
        interval = f"[{row['low']:+.2%}, {row['high']:+.2%}]"
        p_text = f"{row['p']:.3f}" if row["p"] >= 0.001 else "<0.001"
        print(f"{line} {row['gap']:+7.2%} {interval:>18s} {p_text:>7s}  {verdict}")
    print(
        f"{seeds} seeds x {examples} test examples; gap = accuracy - {reference}'s, paired seed by seed and "
        f"averaged; interval: {1 - alpha:.0%} for each comparison alone, covering seed-to-seed and test-set "
        f"variation; p corrected together over {len(compared)} comparison{'s' if len(compared) > 1 else ''} "
        f"(Holm); confirmed: p < {alpha:g} and no seed reverses the gap"
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
