"""Unit tests of utils.py: data, training, metrics and plots, bad input included."""

import urllib.error

import matplotlib
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
