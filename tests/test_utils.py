"""Unit tests of utils.py: data, training, metrics and plots, bad input included."""

import math
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


def test_mcnemar_p_is_the_two_sided_binomial_tail_of_the_discordant_examples():
    agree = torch.ones(50, dtype=torch.bool)
    a = torch.cat([agree, torch.ones(6, dtype=torch.bool)])  # a alone right on 6 examples, b on none
    b = torch.cat([agree, torch.zeros(6, dtype=torch.bool)])
    assert utils.mcnemar_p(a, b) == pytest.approx(2 / 2**6)
    assert utils.mcnemar_p(b, a) == pytest.approx(2 / 2**6)
    one_each = torch.tensor([True, False]), torch.tensor([False, True])
    assert utils.mcnemar_p(*one_each) == 1.0  # capped: the two tails overlap
    assert utils.mcnemar_p(agree, agree) == 1.0  # no discordant example, no evidence
    # 2 against 8: P(X <= 2) for X ~ Binomial(10, 1/2) is (1 + 10 + 45) / 1024, doubled
    a = torch.tensor([True] * 2 + [False] * 8)
    assert utils.mcnemar_p(a, ~a) == pytest.approx(2 * 56 / 1024)
    with pytest.raises(ValueError, match="boolean"):
        utils.mcnemar_p(a.float(), ~a)


def test_compare_accuracies_marks_only_gaps_that_hold_on_every_seed(capsys):
    n = 1000
    base = torch.zeros(2, n, dtype=torch.bool)
    base[:, :900] = True  # 90 % right on both seeds
    better = base.clone()
    better[:, 900:960] = True  # 96 %: right on 60 more examples, on both seeds
    mixed = base.clone()
    mixed[0, 900:960] = True  # as good as `better` on seed 0 only
    rows = utils.compare_accuracies({"base": base, "better": better, "mixed": mixed})
    assert rows["better"]["gap"] == 0 and rows["better"]["p"] != rows["better"]["p"]  # the best: nan
    assert rows["base"]["paired SE"] == pytest.approx(60**0.5 / n)  # 60 examples differ on each seed
    assert rows["base"]["real"] and rows["base"]["gap"] == pytest.approx(0.06)
    assert not rows["mixed"]["real"] and rows["mixed"]["p"] == 1.0  # seed 0 ties; seed 1 alone is not enough
    assert rows["mixed"]["sd"] == pytest.approx(torch.tensor([0.96, 0.90]).std().item())
    printed = capsys.readouterr().out
    assert "(best)" in printed and "2 seeds" in printed and "0.62%" in printed  # sqrt(.96 * .04 / 1000)
    assert "paired SE" in printed
    with pytest.raises(ValueError, match="one shape"):
        utils.compare_accuracies({"a": base, "b": base[:1]})
