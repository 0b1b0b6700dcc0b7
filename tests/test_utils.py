"""Unit tests of utils.py: data, training, metrics and plots, bad input included."""

import contextlib
import io
import math
import os
import urllib.error

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from torch import nn

import utils

matplotlib.use("Agg")


# ----------------------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def mnist():
    return utils.load_mnist()


def test_load_mnist_gives_normalized_tensors(mnist):
    train_images, train_labels, test_images, test_labels = mnist
    assert train_images.shape == (60_000, 1, 28, 28) and test_images.shape == (10_000, 1, 28, 28)
    assert train_images.dtype == torch.float32 and train_labels.dtype == torch.int64
    assert train_labels.shape == (60_000,) and test_labels.shape == (10_000,)
    assert set(train_labels.unique().tolist()) == set(range(10))
    assert abs(train_images.double().mean().item()) < 1e-3
    assert abs(train_images.double().std().item() - 1) < 1e-3


def test_load_mnist_reads_its_saved_tensors_as_torchvision_reads_the_files(tmp_path):
    from torchvision import datasets

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for file in (utils.DATA_DIR / "MNIST" / "raw").iterdir():
        (raw / file.name).symlink_to(file)
    first = utils.load_mnist(tmp_path)  # through torchvision; saves MNIST/tensors.pt
    saved = tmp_path / "MNIST" / "tensors.pt"
    assert saved.exists() and not list(saved.parent.glob("*.tmp"))
    saved.write_bytes(saved.read_bytes())  # newer than the raw files: read back, not rewritten
    written = saved.stat().st_mtime_ns
    second = utils.load_mnist(tmp_path)
    assert saved.stat().st_mtime_ns == written
    for split, (images, labels) in zip(
        [datasets.MNIST(tmp_path, train=True), datasets.MNIST(tmp_path, train=False)],
        [first[:2], first[2:]],
        strict=True,
    ):
        expected = (split.data.float() / 255 - utils.MNIST_MEAN) / utils.MNIST_STD
        assert torch.equal(images.squeeze(1), expected) and torch.equal(labels, split.targets)
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))
    torch.save([torch.zeros(1, 28, 28, dtype=torch.uint8)] * 4, saved)
    os.utime(saved, (0, 0))  # a saved file older than the raw files is read again through torchvision
    assert utils.load_mnist(tmp_path)[0].shape == (60_000, 1, 28, 28)


def test_load_mnist_without_data_or_network_names_the_remedy(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr("torchvision.datasets.mnist.download_and_extract_archive", no_network)
    with pytest.raises(RuntimeError, match="make data") as caught:
        utils.load_mnist(tmp_path)
    assert str(tmp_path / "MNIST" / "raw") in str(caught.value)
    assert "urlopen" not in str(caught.value).lower()


def test_load_mnist_passes_other_errors_through_when_the_files_are_there(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in [
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ]:
        (raw / name).write_bytes(b"corrupt")
    with pytest.raises(Exception) as caught:
        utils.load_mnist(tmp_path)
    assert "make data" not in str(caught.value)


# ------------------------------------------------------------------------------------- training


def two_blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Two well-separated Gaussian blobs in 2-D, labelled 0 and 1."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=generator)
    points = torch.randn(n, 2, generator=generator) + 4 * labels[:, None] - 2
    return points, labels


def train_blobs():
    torch.manual_seed(0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = utils.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        two_blobs(512, seed=1),
        two_blobs(256, seed=2),
        epochs=3,
        batch_size=64,
        generator=torch.Generator().manual_seed(0),
    )
    return model, optimizer, history


def test_fit_learns_prints_a_line_per_epoch_and_decays_the_rate_to_zero(capsys):
    model, optimizer, history = train_blobs()
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:2] for line in lines] == [["epoch", "1/3"], ["epoch", "2/3"], ["epoch", "3/3"]]
    assert {len(values) for values in history.values()} == {3}
    assert history["test_accuracy"][-1] > 0.97
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)


def test_fit_is_reproducible_with_the_same_seeds():
    assert train_blobs()[2] == train_blobs()[2]


def test_fit_rejects_inputs_and_targets_that_do_not_pair_up():
    points, labels = two_blobs(10, seed=0)
    model = nn.Linear(2, 2)
    args = (model, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        utils.fit(*args, (points, labels[:9]), (points, labels), epochs=1, generator=torch.Generator())
    with pytest.raises(ValueError, match="at least 1"):
        utils.fit(*args, (points, labels), (points, labels), epochs=0, generator=torch.Generator())
    with pytest.raises(ValueError, match="at least one example"):
        utils.fit(*args, (points[:0], labels[:0]), (points, labels), epochs=1, generator=torch.Generator())


def test_predict_in_batches_equals_one_pass():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.Dropout(0.5))  # dropout must be off in eval mode
    inputs = torch.randn(23, 3)
    expected = model.eval()(inputs)
    torch.testing.assert_close(utils.predict(model.train(), inputs, batch_size=4), expected)


# -------------------------------------------------------------------------------------- metrics


def test_accuracy_counts_rows_whose_largest_logit_is_the_target():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [5.0, 0.0, 9.0], [1.0, 0.0, 0.0]])
    assert utils.accuracy(logits, torch.tensor([0, 1, 2, 2])) == 0.75


@pytest.mark.parametrize(
    ("logits", "targets", "message"),
    [
        (torch.zeros(4), torch.zeros(4, dtype=torch.long), r"shape \(N, C\)"),
        (torch.zeros(4, 3), torch.zeros(4), "integer class indices"),
        (torch.zeros(4, 3), torch.zeros(4, 3, dtype=torch.long), "argmax"),
        (torch.zeros(4, 3), torch.zeros(4, dtype=torch.bool), "integer class indices"),
        (torch.zeros(4, 3), torch.zeros(5, dtype=torch.long), "4 rows of logits but 5 targets"),
    ],
)
def test_metrics_reject_bad_shapes_and_dtypes(logits, targets, message):
    with pytest.raises(ValueError, match=message):
        utils.accuracy(logits, targets)
    with pytest.raises(ValueError, match=message):
        utils.confusion_matrix(logits, targets)


def test_confusion_matrix_rows_are_true_classes_and_columns_predictions():
    logits = torch.tensor([[9.0, 0, 0], [0, 9.0, 0], [0, 9.0, 0], [0, 0, 9.0], [9.0, 0, 0]])
    matrix = utils.confusion_matrix(logits, torch.tensor([0, 1, 2, 2, 2]))
    assert matrix.tolist() == [[1, 0, 0], [0, 1, 0], [1, 1, 1]]


def test_confusion_matrix_rejects_targets_outside_the_classes():
    with pytest.raises(ValueError, match=r"0\.\.2"):
        utils.confusion_matrix(torch.zeros(2, 3), torch.tensor([0, 3]))


def test_one_sided_slopes_find_both_slopes_at_a_kink_and_one_elsewhere():
    def hinge(scores):
        return torch.clamp(1 - scores, min=0).sum()

    left, right = utils.one_sided_slopes(hinge, torch.tensor([1.0, 0.0, 3.0]))
    assert left.dtype == torch.float64 and left.shape == (3,)
    torch.testing.assert_close(left, torch.tensor([-1.0, -1.0, 0.0], dtype=torch.float64), atol=1e-6, rtol=0)
    torch.testing.assert_close(right, torch.tensor([0.0, -1.0, 0.0], dtype=torch.float64), atol=1e-6, rtol=0)


def test_one_sided_slopes_match_autograd_on_a_smooth_loss_of_a_matrix():
    def loss_fn(x):
        return (x**2).sum() + x[0, 1] * x[1, 0]

    point = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64, requires_grad=True)
    loss_fn(point).backward()
    left, right = utils.one_sided_slopes(loss_fn, point)
    torch.testing.assert_close(left, point.grad, atol=1e-5, rtol=0)
    torch.testing.assert_close(right, point.grad, atol=1e-5, rtol=0)


# ---------------------------------------------------------------------------------------- plots


def assert_labelled(figure, axes=None):
    """Every axes with data has both axis labels, and the figure or each axes has a title."""
    for ax in axes or figure.axes:
        assert ax.get_xlabel() and ax.get_ylabel(), "unlabelled axes"
        assert ax.get_title() or figure.get_suptitle(), "untitled figure"


def test_plot_history_labels_both_panels_and_draws_every_run():
    _, _, history = train_blobs()
    figure = utils.plot_history({"a": history, "b": history}, "two runs")
    loss_ax, accuracy_ax = figure.axes
    assert figure.get_suptitle() == "two runs"
    assert_labelled(figure)
    assert loss_ax.get_yscale() == "log"
    assert [text.get_text() for text in loss_ax.get_legend().get_texts()] == ["train", "test"]
    assert [text.get_text() for text in accuracy_ax.get_legend().get_texts()] == ["a", "b"]
    assert len(accuracy_ax.lines) == 2 and max(accuracy_ax.lines[0].get_ydata()) <= 100


def test_plot_seeds_draws_a_dot_per_seed_and_a_bar_per_entry():
    right = {
        "a": torch.tensor([[True, False], [True, True]]),
        "b": torch.tensor([[False, False], [True, False]]),
    }
    figure = utils.plot_seeds(right, "seeds")
    ax = figure.axes[0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_title() == "seeds" and "accuracy" in ax.get_xlabel()
    dots, bar = ax.lines[0], ax.lines[1]
    assert list(dots.get_xdata()) == [50.0, 100.0] and list(bar.get_xdata()) == [75.0]
    plt.close(figure)


def test_plot_confusion_matrix_writes_every_count_and_labels_its_colour_scale():
    matrix = torch.tensor([[5, 1], [0, 7]])
    figure = utils.plot_confusion_matrix(matrix, "a matrix")
    matrix_ax, colorbar_ax = figure.axes
    assert_labelled(figure, [matrix_ax])
    assert "log" in colorbar_ax.get_ylabel()
    assert sorted(text.get_text() for text in matrix_ax.texts) == ["0", "1", "5", "7"]


def test_show_digits_titles_each_image_with_its_label():
    images, labels = torch.zeros(12, 1, 28, 28), torch.arange(12) % 10
    figure = utils.show_digits(images, labels, "digits", columns=5)
    assert figure.get_suptitle() == "digits" and len(figure.axes) == 15  # 3 rows of 5, 3 left empty
    assert [ax.get_title() for ax in figure.axes[:12]] == [str(label) for label in labels.tolist()]


def test_show_probabilities_names_the_guess_and_colours_true_and_wrong_bars():
    probs = torch.tensor([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1]])
    figure = utils.show_probabilities(torch.zeros(2, 1, 28, 28), torch.tensor([1, 2]), probs, "probs")
    digits, bars = figure.axes[:2], figure.axes[2:]  # row 0: images, row 1: bar charts
    assert [ax.get_title() for ax in digits] == ["label 1\nguess 1 (0.70)", "label 2\nguess 0 (0.60)"]
    assert_labelled(figure, bars[:1])
    right, wrong = ([patch.get_facecolor() for patch in ax.patches] for ax in bars)
    orange, red, blue = (matplotlib.colors.to_rgba(name) for name in ["tab:orange", "tab:red", "tab:blue"])
    assert right == [blue, orange, blue] and wrong == [red, blue, orange]


def test_show_digits_rejects_images_without_labels():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        utils.show_digits(torch.zeros(3, 1, 28, 28), torch.arange(2), "digits")


def test_use_plot_style_works_outside_ipython():
    matplotlib.rcdefaults()
    utils.use_plot_style()
    assert tuple(matplotlib.rcParams["figure.figsize"]) == (6.4, 3.6)


def test_average_precision_is_the_mean_precision_at_each_positive():
    # ranked: positive, negative, positive, negative -> precisions 1/1 and 2/3 at the positives
    scores = torch.tensor([0.9, 0.8, 0.7, 0.1])
    assert utils.average_precision(scores, torch.tensor([1, 0, 1, 0])) == pytest.approx((1 + 2 / 3) / 2)
    assert utils.average_precision(scores, torch.tensor([1.0, 1.0, 0.0, 0.0])) == pytest.approx(1.0)
    assert utils.average_precision(-scores, torch.tensor([1, 1, 0, 0])) == pytest.approx((1 / 3 + 2 / 4) / 2)


@pytest.mark.parametrize(
    "scores, targets",
    [
        (torch.zeros(4), torch.zeros(4)),  # no positive
        (torch.zeros(4), torch.tensor([0, 2, 1, 0])),  # not 0/1
        (torch.zeros(4, 1), torch.tensor([0, 1, 1, 0])),  # (N, 1) scores
        (torch.zeros(3), torch.tensor([0, 1, 1, 0])),  # lengths differ
    ],
)
def test_average_precision_rejects_bad_input(scores, targets):
    with pytest.raises(ValueError):
        utils.average_precision(scores, targets)


def test_tune_then_repeat_picks_the_best_validation_score_and_reuses_its_run():
    calls = []

    def run(learning_rate, seed):
        calls.append((learning_rate, seed))
        return {0.1: 0.5, 0.3: 0.9, 1.0: 0.9}[learning_rate], f"test of {learning_rate} with seed {seed}"

    result = utils.tune_then_repeat(run, [1.0, 0.1, 0.3], seeds=[7, 8, 9])
    assert result["learning_rate"] == 0.3  # the tie with 1.0 goes to the smaller rate
    assert result["validation"] == {0.1: 0.5, 0.3: 0.9, 1.0: 0.9}
    assert result["test"] == ["test of 0.3 with seed 7", "test of 0.3 with seed 8", "test of 0.3 with seed 9"]
    assert calls == [(0.1, 7), (0.3, 7), (1.0, 7), (0.3, 8), (0.3, 9)]  # seed 7 at 0.3 runs once
    with pytest.raises(ValueError, match="at least one"):
        utils.tune_then_repeat(run, [], seeds=[0])
    with pytest.raises(ValueError, match="start rates"):
        utils.tune_then_repeat(run, [0.1], seeds=[0], start=[0.2])


def test_tune_then_repeat_walks_on_past_a_tie_at_the_end():
    scores = {0.1: 0.5, 0.3: 0.9, 1.0: 0.9, 3.0: 0.8}
    result = utils.tune_then_repeat(
        lambda lr, seed: (scores[lr], lr), list(scores), seeds=[0], start=[0.1, 0.3]
    )
    assert list(result["validation"]) == [0.1, 0.3, 1.0, 3.0]  # 1.0 ties 0.3 at the end: 3.0 is tried too
    assert result["learning_rate"] == 0.3


def test_tune_then_repeat_walks_the_ladder_until_the_best_rate_is_bracketed():
    ladder = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
    cases = [(3.0, [0.3, 1.0, 3.0, 10.0]), (0.1, [0.03, 0.1, 0.3, 1.0]), (10.0, ladder[3:])]
    for peak, expected_tries in cases:
        tried = []

        def run(learning_rate, seed, peak=peak, tried=tried):
            tried.append(learning_rate)
            return -abs(math.log(learning_rate / peak)), None  # best at the peak, worse either side

        result = utils.tune_then_repeat(run, ladder, seeds=[0], start=[0.3, 1.0])
        assert result["learning_rate"] == peak
        assert sorted(tried) == expected_tries  # stops at the ladder's end when the peak is there


def test_tune_each_prints_every_rate_tried_and_refuses_a_choice_at_the_end_of_the_ladder(capsys):
    ladder = [0.1, 0.3, 1.0]
    peaked = {0.1: 0.5, 0.3: 0.9, 1.0: 0.7}
    results = utils.tune_each({"peaked": lambda lr, seed: (peaked[lr], seed)}, ladder, seeds=[0, 1])
    assert results["peaked"]["learning_rate"] == 0.3 and results["peaked"]["test"] == [0, 1]
    assert "peaked  validation 0.1: 50.00%  0.3: 90.00%  1: 70.00%  -> 0.3" in capsys.readouterr().out
    with pytest.raises(ValueError, match="rising.*end of the ladder"):
        utils.tune_each({"rising": lambda lr, seed: (lr, seed)}, ladder, seeds=[0])


@pytest.mark.parametrize("df", [1, 1.5, 2.5, 4, 9, 40, 200])
def test_t_tail_and_quantile_match_scipy(df):
    from scipy import stats

    for t in [0.0, 0.3, 1.0, 2.0, 4.5, 12.0, 1e6]:
        assert utils.t_tail(t, df) == pytest.approx(2 * stats.t.sf(t, df), rel=1e-5, abs=1e-12)
        assert utils.t_tail(-t, df) == utils.t_tail(t, df)
    for probability in [0.5, 0.9, 0.975, 0.995]:
        assert utils.t_quantile(probability, df) == pytest.approx(
            stats.t.ppf(probability, df), rel=1e-5, abs=1e-9
        )
    with pytest.raises(ValueError, match="probability"):
        utils.t_quantile(0.2, df)
    with pytest.raises(ValueError, match="degrees of freedom"):
        utils.t_tail(1.0, 0.5)


def simulate_two_losses(gap, seed_sd, generator, seeds=5, examples=10_000, error=0.02):
    """(seeds, examples) right tensors of a reference and another loss `gap` more accurate on average.

    Each seed's error rate varies with sd seed_sd, independently for the two losses. Errors fall on hard
    examples: a Beta(0.02, 0.98)-distributed hardness (mean 0.02) makes about half of each model's errors
    shared with another model's, as for two MNIST networks.
    """
    hardness = torch.distributions.Beta(0.02, 0.02 / error - 0.02).sample((examples,))
    right = {}
    for name, rate in {"reference": error, "other": error - gap}.items():
        rates = rate + seed_sd * torch.randn(seeds, 1, generator=generator)
        right[name] = torch.rand(seeds, examples, generator=generator) >= (hardness * rates / error).clamp(
            0, 1
        )
    return right


def confirmed_share(gap, seed_sd, runs=200):
    """How often compare_accuracies confirms the other loss's gap over `runs` simulated experiments."""
    torch.manual_seed(0)  # the Beta sampler draws from the global generator
    generator = torch.Generator().manual_seed(0)
    hits = 0
    with contextlib.redirect_stdout(io.StringIO()):
        for _ in range(runs):
            rows = utils.compare_accuracies(
                simulate_two_losses(gap, seed_sd, generator), reference="reference"
            )
            hits += rows["other"]["confirmed"]
    return hits / runs


def test_compare_accuracies_confirms_a_real_gap_of_0_4_points_in_most_runs():
    assert confirmed_share(gap=0.004, seed_sd=0.001) >= 0.8


def test_compare_accuracies_confirms_a_tie_with_seed_spread_at_about_alpha():
    assert 0.01 <= confirmed_share(gap=0.0, seed_sd=0.001) <= 0.09


def test_compare_accuracies_never_confirms_a_gap_whose_direction_changes_between_seeds():
    n = 1000
    reference = torch.zeros(5, n, dtype=torch.bool)
    reference[:, :900] = True
    other = reference.clone()
    other[:4, 900:940] = True  # 4 points ahead on four seeds ...
    other[4, 895:900] = False  # ... and 0.5 points behind on the fifth
    rows = utils.compare_accuracies({"reference": reference, "other": other}, reference="reference")
    assert rows["other"]["gap"] > 0 and rows["other"]["p"] < 0.05  # the t test alone would confirm it
    assert not rows["other"]["confirmed"]


def test_compare_accuracies_pairs_seeds_corrects_with_holm_and_prints_the_verdicts(capsys):
    from scipy import stats

    generator = torch.Generator().manual_seed(1)
    reference = torch.rand(5, 2000, generator=generator) < 0.9
    ahead, behind, same = reference.clone(), reference.clone(), reference.clone()
    ahead[:, :200] |= torch.rand(5, 200, generator=generator) < 0.5  # about 1 point ahead on each seed
    behind[:, :200] &= torch.rand(5, 200, generator=generator) < 0.9  # about 1 point behind
    rows = utils.compare_accuracies(
        {"reference": reference, "ahead": ahead, "behind": behind, "same": same}, reference="reference"
    )
    assert set(rows) == {"reference", "ahead", "behind", "same"} and "gap" not in rows["reference"]
    assert rows["ahead"]["confirmed"] and rows["ahead"]["gap"] > 0 and rows["ahead"]["low"] > 0
    assert rows["behind"]["confirmed"] and rows["behind"]["gap"] < 0 and rows["behind"]["high"] < 0
    assert not rows["same"]["confirmed"] and rows["same"]["gap"] == 0 and rows["same"]["p"] == 1.0
    gaps = (ahead.double().mean(dim=1) - reference.double().mean(dim=1)).numpy()
    assert rows["ahead"]["gap"] == pytest.approx(gaps.mean())
    # The interval is at least as wide as the plain t interval over the five seeds' gaps
    plain = stats.t.ppf(0.975, 4) * gaps.std(ddof=1) / 5**0.5
    assert rows["ahead"]["high"] - rows["ahead"]["gap"] >= plain * 0.999
    assert rows["ahead"]["p"] >= rows["ahead"]["p_raw"]  # Holm never lowers a p-value
    raw = sorted(rows[name]["p_raw"] for name in ["ahead", "behind", "same"])
    holm = [min(1, max((3 - j) * raw[j] for j in range(k + 1))) for k in range(3)]  # step-down, monotone
    assert sorted(rows[name]["p"] for name in ["ahead", "behind", "same"]) == pytest.approx(holm)
    printed = capsys.readouterr().out
    assert "(reference)" in printed and "yes, ahead" in printed and "yes, behind" in printed
    assert "not confirmed" in printed and "Holm" in printed and "5 seeds" in printed


def test_compare_accuracies_two_way_standard_error_matches_the_variance_components():
    generator = torch.Generator().manual_seed(2)
    reference = torch.rand(4, 500, generator=generator) < 0.8
    other = torch.rand(4, 500, generator=generator) < 0.82
    rows = utils.compare_accuracies({"reference": reference, "other": other}, reference="reference")
    d = (other.double() - reference.double()).numpy()
    seeds, examples = d.shape
    seed_means, example_means = d.mean(axis=1), d.mean(axis=0)
    residual = d - seed_means[:, None] - example_means[None, :] + d.mean()
    ms_residual = (residual**2).sum() / ((seeds - 1) * (examples - 1))
    ms_seeds, ms_examples = examples * seed_means.var(ddof=1), seeds * example_means.var(ddof=1)
    ms = max(ms_seeds, ms_residual) + max(ms_examples, ms_residual) - ms_residual
    assert rows["other"]["se"] == pytest.approx((ms / (seeds * examples)) ** 0.5)


def test_compare_accuracies_never_shrinks_the_interval_to_zero_when_seeds_disagree_example_by_example():
    # The reference is wrong everywhere; the other loss is right on a different example on each seed. The
    # seed means and the example means are all equal, so MS_seeds = MS_examples = 0 < MS_residual: without a
    # floor the standard error would be 0 and this gap "confirmed" with an interval of zero width.
    reference = torch.zeros(2, 2, dtype=torch.bool)
    other = torch.tensor([[True, False], [False, True]])
    rows = utils.compare_accuracies({"reference": reference, "other": other}, reference="reference")
    assert rows["other"]["gap"] == 0.5 and rows["other"]["se"] > 0 and rows["other"]["low"] < 0
    assert not rows["other"]["confirmed"] and rows["other"]["df"] == 1


def test_holm_multiplies_the_kth_smallest_p_by_m_minus_k_and_never_lets_it_fall():
    adjusted = utils.holm({"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5})
    assert adjusted == pytest.approx(
        {"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5}
    )  # b: 2 x 0.04, raised to c's
    assert utils.holm({"only": 0.7}) == {"only": 0.7} and utils.holm({"a": 0.6, "b": 0.9})["a"] == 1.0


def test_compare_accuracies_rejects_bad_input():
    right = torch.ones(3, 10, dtype=torch.bool)
    with pytest.raises(ValueError, match="one shape"):
        utils.compare_accuracies({"a": right, "b": right[:1]}, reference="a")
    with pytest.raises(ValueError, match="reference"):
        utils.compare_accuracies({"a": right, "b": right}, reference="c")
    with pytest.raises(ValueError, match="boolean"):
        utils.compare_accuracies({"a": right, "b": right.float()}, reference="a")
    with pytest.raises(ValueError, match="two seeds"):
        utils.compare_accuracies({"a": right[:1], "b": right[:1]}, reference="a")
