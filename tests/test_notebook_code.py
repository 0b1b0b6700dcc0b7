"""The code the notebooks write by hand, taken out of the notebooks and checked on its own.

- Every hand-written loss runs on tensors on the `meta` device. A tensor built inside a loss without the
  inputs' device (torch.arange(n), torch.ones(C), a CPU random draw) lands on the CPU, and the first operation
  that mixes it with the inputs raises, as it would on a GPU: "Tensor on device meta is not on the expected
  device cpu!". No GPU is needed to find those bugs.
- Every hand-written metric agrees with a well-kept library (scikit-learn, torchmetrics).

Each notebook's top-level imports, UPPER_CASE constants and functions are executed, not its other cells.
"""

import ast
import json
import math
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {path.name[:2]: path for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
# Solutions notebooks are keyed "s" + their number ("s01"): a loss in an answer is checked the same way
NOTEBOOKS |= {
    "s" + path.name[:2]: path
    for path in sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
}


def top_level(number: str) -> list[tuple[ast.stmt, str]]:
    """The top-level statements of a notebook's code cells, each with its source."""
    statements = []
    for cell in json.loads(NOTEBOOKS[number].read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = re.sub(r"^\s*[%!].*$", "", source, flags=re.MULTILINE)  # IPython magics and shell lines
        statements += [(node, ast.get_source_segment(source, node)) for node in ast.parse(source).body]
    return statements


def defined_functions(number: str) -> list[str]:
    """The names of the functions and classes a notebook defines at top level."""
    return [node.name for node, _ in top_level(number) if isinstance(node, ast.FunctionDef | ast.ClassDef)]


def load(number: str, also: tuple[str, ...] = (), **names) -> dict:
    """Execute a notebook's imports, UPPER_CASE constants and functions (and the assignments `also` names)."""
    namespace = {"__name__": f"notebook_{number}", **names}
    for node, source in top_level(number):
        targets = [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        wanted = (
            isinstance(node, ast.Import | ast.ImportFrom | ast.FunctionDef | ast.ClassDef)
            or (targets and all(name.isupper() for name in targets))
            or any(name in also for name in targets)
        )
        if wanted:
            try:
                exec(compile(source, f"notebook {number}", "exec"), namespace)
            except NameError:  # a constant or default built from a cell this test does not run
                pass
    return namespace


def meta(*shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A tensor of that shape on the meta device: shape and dtype, no values."""
    return torch.empty(*shape, dtype=dtype, device="meta")


def meta_grad(*shape: int) -> torch.Tensor:
    """A meta tensor that asks for gradients, as logits do."""
    return meta(*shape).requires_grad_()


def classes(*shape: int) -> torch.Tensor:
    """Class indices of that shape on the meta device."""
    return meta(*shape, dtype=torch.long)


# notebook -> function (or assigned name) -> a call on meta tensors. Each call must run, and a loss's value
# must come back on the meta device, with a gradient where the call asks for one.
META_CALLS = {
    "01": {"softmax_stable": lambda f: f(meta_grad(4, 3))},
    "02": {
        "cross_entropy_by_hand": lambda f: [
            f(meta_grad(4, 3), classes(4)),
            f(meta_grad(4, 3), classes(4), weight=meta(3), ignore_index=1, label_smoothing=0.1),
            f(meta_grad(4, 3), meta(4, 3), reduction="none"),
        ]
    },
    "03": {
        "nll_by_hand": lambda f: [
            f(meta_grad(4, 3), classes(4)),
            f(meta_grad(4, 3), classes(4), weight=meta(3)),
        ]
    },
    "04": {
        "bce_from_logits": lambda f: f(meta_grad(5), meta(5)),
        "bce_with_logits_by_hand": lambda f: f(
            meta_grad(5, 2), meta(5, 2), weight=meta(2), pos_weight=meta(2)
        ),
        "bce_by_hand": lambda f: f(meta_grad(5), meta(5), weight=meta(5)),
    },
    "s04": {"bce_of_logit": lambda f: f(meta_grad(5), meta(5))},
    "s05": {
        "multi_hot_to_indices": lambda f: f(meta(4, 10)),
        "margin_loss": lambda f: f(meta_grad(4, 10), meta(4, 10)),
    },
    "s07": {
        "focal": lambda f: f(meta_grad(6), meta(6)),
        "focal_per_positive": lambda f: f(meta_grad(6), meta(6)),
        "softmax_focal_loss": lambda f: f(meta_grad(4, 10), classes(4)),
    },
    "s09": {
        "hinge_loss": lambda f: f(meta_grad(5), meta(5)),
        "squared_hinge_loss": lambda f: f(meta_grad(5), meta(5)),
        "logistic_loss": lambda f: f(meta_grad(5), meta(5)),
    },
    "s10": {"crammer_singer": lambda f: f(meta_grad(4, 10), classes(4))},
    "s11": {
        "mine_triplets": lambda f: [
            f(meta(8, 4), classes(8), strategy, torch.Generator().manual_seed(0))
            for strategy in ("random", "semi-hard", "batch-hard")
        ],
        "batch_all_loss": lambda f: f(meta_grad(8, 4), classes(8), 0.2),
        "cosine_distance": lambda f: f(meta_grad(4, 8), meta(4, 8)),
    },
    "s14": {
        "soft_dice_loss": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "dice_per_class": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "per_image_dice_loss": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "cross_entropy": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "weighted_ce": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "root_weighted_ce": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
    },
    "s15": {
        "ctc_forward": lambda f: f(meta_grad(6, 11), [3, 3, 5])[0],
        "ctc_backward": lambda f: f(meta_grad(6, 11), [3, 3, 5]),
    },
    "s16": {"nt_xent": lambda f: f(meta_grad(8, 4), 0.2)},
    "s17": {
        "p_label": lambda f: f(meta_grad(4, 10), classes(4)),
        "ce": lambda f: f(meta_grad(4, 10), classes(4)),
        "gce": lambda f: f(0.7)(meta_grad(3, 5, 4, 10), classes(3, 5, 4)),
        "smoothed": lambda f: f(0.1)(meta_grad(3, 5, 4, 10), classes(3, 5, 4)),
        "LOSSES": lambda losses: [loss(meta_grad(3, 5, 4, 10), classes(3, 5, 4)) for loss in losses.values()],
        "symmetric_noise": lambda f: f(classes(6), 0.4, torch.Generator().manual_seed(0)),
        "asymmetric_noise": lambda f: f(classes(6), 0.4, torch.Generator().manual_seed(0)),
    },
    "s18": {
        "coral_loss": lambda f: f(meta_grad(4, 9), classes(4)),
        "sord_loss": lambda f: f(meta_grad(4, 10), classes(4), 0.25),
        "corn_loss": lambda f: f(meta_grad(4, 9), classes(4)),
    },
    "s19": {"chunked_cross_entropy": lambda f: f(meta_grad(4, 8), meta_grad(20, 8), classes(4), 8)},
    "05": {"multi_hot_to_indices": lambda f: f(meta(4, 10))},
    "06": {
        "distillation_by_hand": lambda f: f(meta_grad(4, 10), meta(4, 10), classes(4), 4.0, 0.5),
        "distillation_loss": lambda f: f(meta_grad(4, 10), meta(4, 10), classes(4), 4.0, 0.5),
        "distillation_objective": lambda f: f(meta_grad(4, 10), meta(4, 11)),
        "with_teacher": lambda f: f(classes(4), meta(4, 10)),
        "flat_soft_objective": lambda f: f(meta_grad(4, 10), classes(4)),
    },
    "07": {
        "focal_by_hand": lambda f: [
            f(meta_grad(6), meta(6), reduction="mean"),
            f(meta_grad(6), meta(6), alpha=-1),
        ],
        "softmax_focal_loss": lambda f: f(meta_grad(4, 10), classes(4), alpha=meta(10)),
        "stable_focal_loss": lambda f: f(meta_grad(6), meta(6), 2.0),
    },
    "08": {
        "smoothed_ce_by_hand": lambda f: f(meta_grad(4, 10), classes(4), 0.1, weight=meta(10), ignore_index=2)
    },
    "09": {
        "hinge_loss": lambda f: f(meta_grad(6), meta(6)),
        "logistic_loss": lambda f: f(meta_grad(6), meta(6)),
    },
    "10": {
        "multi_margin_by_hand": lambda f: f(meta_grad(4, 10), classes(4), p=2, weight=meta(10)),
        "crammer_singer": lambda f: f(meta_grad(4, 10), classes(4)),
    },
    "11": {
        "triplet_by_hand": lambda f: f(meta_grad(4, 8), meta(4, 8), meta(4, 8), swap=True),
        "cosine_distance": lambda f: f(meta_grad(4, 8), meta(4, 8)),
        "mine_triplets": lambda f: [
            f(meta(8, 4), classes(8), strategy, torch.Generator().manual_seed(0))
            for strategy in ("random", "semi-hard", "batch-hard")
        ],
        "batch_all_loss": lambda f: f(meta_grad(8, 4), classes(8), 0.2),
    },
    "12": {
        "focal": lambda f: f(meta_grad(4, 10), classes(4)),
        "poly1": lambda f: f(meta_grad(4, 10), classes(4)),
        "brier": lambda f: f(meta_grad(4, 10), classes(4)),
        "losses": lambda losses: [loss(meta_grad(4, 10), classes(4)) for loss in losses.values()],
    },
    "14": {
        "pixel_cross_entropy": lambda f: [
            f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
            f(meta_grad(2, 11, 5, 5), classes(2, 5, 5), weight=meta(11)),
        ],
        "soft_dice_loss": lambda f: f(meta_grad(2, 11, 5, 5), classes(2, 5, 5)),
        "sigmoid_dice_loss": lambda f: f(meta_grad(2, 3, 5, 5), meta(2, 3, 5, 5)),
        "tversky_loss": lambda f: f(meta_grad(2, 3, 5, 5), meta(2, 3, 5, 5), 0.3, 0.7),
    },
    "15": {"ctc_forward": lambda f: f(meta_grad(6, 11), [3, 3, 5])[0]},
    "16": {
        "nt_xent": lambda f: f(meta_grad(8, 4), 0.2),
        "clip_loss": lambda f: f(meta_grad(4, 4), meta(4, 4), 0.2),
        "supervised_contrastive_in": lambda f: f(meta_grad(8, 4), classes(8), 0.2),
        "moco_loss": lambda f: f(meta_grad(4, 8), meta(4, 8), meta(16, 8), 0.2),
        "supervised_contrastive": lambda f: f(meta_grad(8, 4), classes(8), 0.2),
        "unnormalised_nt_xent": lambda f: f(meta_grad(8, 4), 0.2),
        "nt_xent_unmasked": lambda f: f(meta_grad(8, 4), 0.2),
        "augment": lambda f: f(meta(4, 1, 14, 14), torch.Generator().manual_seed(0)),
    },
    "17": {
        "p_label": lambda f: f(meta_grad(4, 10), classes(4)),
        "ce": lambda f: f(meta_grad(4, 10), classes(4)),
        "LOSSES": lambda losses: [loss(meta_grad(3, 5, 4, 10), classes(3, 5, 4)) for loss in losses.values()],
        "symmetric_noise": lambda f: f(classes(6), 0.4, torch.Generator().manual_seed(0)),
        "asymmetric_noise": lambda f: f(classes(6), 0.4, torch.Generator().manual_seed(0)),
    },
    "18": {
        "coral_loss": lambda f: f(meta_grad(4, 9), classes(4)),
        "corn_loss": lambda f: f(meta_grad(4, 9), classes(4)),
        "sord_targets": lambda f: f(classes(4), 10, 0.5),
        "sord_loss": lambda f: f(meta_grad(4, 10), classes(4)),
        "regression_loss": lambda f: f(meta_grad(4, 1), classes(4)),
    },
    "19": {"chunked_cross_entropy": lambda f: f(meta_grad(4, 8), meta_grad(20, 8), classes(4), 8)},
}

# Names the notebooks also define, none of them a loss: data and model builders, training loops, metrics
# (checked below against libraries), plotting, and the loop-by-loop references that check a loss by hand on
# the CPU and never train.
NOT_LOSSES = {
    "00": "read_label FileNameLabelledDigits is_image_file psnr affine shrink pipelines_for augment presized",
    "01": "",
    "02": "",
    "03": "make_mlp",
    "04": "binary_accuracy make_logistic precision_recall precision_recall_curve",
    "05": "make_pairs multilabel_margin_by_hand hinge exact_match make_pair_mlp label_counts f1_scores",
    "06": "normal_on_grid fit_one_peak variance make_teacher make_student parameter_count label_accuracy "
    "train_student",
    "07": "torchvision_gradient first_nan q_for rare_digit make_mlp oversampled train_once bootstrap_ap",
    "08": "expected_calibration_error fit_temperature make_mlp adaptive_calibration_error "
    "classwise_calibration_error brier_score",
    "09": "sign_accuracy train_once",
    "10": "sgd_weights make_linear train_once",
    "11": "make_embedder class_centroids nearest_centroid_accuracy train_embedder mean_distance "
    "batch_hard_loss spread_ratio on_sphere",
    "12": "make_mlp train_once fit_temperature expected_calibration_error",
    "13": "make_mlp one_epoch overfit_one_batch first_non_finite train_logged bf16 error_of train_loop "
    "test_accuracy dead_units top_share",
    "14": "make_canvases show_mask add_class_legend error_of dice_by_loops segmentation_counts mean_iou "
    "pixel_accuracy conv_block TinyFCN train_segmenter miou_from_sums miou_from_counts",
    "15": "extend collapse spell steps_needed make_strings conv_block StripReader greedy_decode "
    "edit_distance gradient_at_logits by_pytorch by_hand transcripts score read_strips train_reader "
    "prefix_beam_search beam_decode alignment_posterior forced_alignment",
    "16": "nt_xent_loops make_encoder pretrain read_out read_seeds pretrain_and_score alignment uniformity",
    "17": "flat_14 margin_curves uniform forward ce_column choose",
    "18": "ce_formula mse_formula bce_terms coral_formula corn_formula sord_formula shrink make_canvases "
    "CoralHead make_model decode train_once quadratic_weighted_kappa",
    "19": "saved_tensors unique_bytes seconds make_numbers NumberModel train_once ChunkedLinearCrossEntropy",
    "s00": "augment_matrix psnr affine shrink pipelines_for looped batched",
    "s01": "first_minus_infinity WithTemperature softmax_regression",
    "s02": "smoothed_gradient_by_hand train_mlp recall_and_precision",
    "s03": "make_mlp train_mlp recalls",
    "s04": "make_logistic decisions_right precision_recall_f1 train_mlp",
    "s05": "make_pairs exact_match label_counts f1_scores pooled top_one_or_two best_lead train_pair_mlp "
    "run_bce run_margin PairReader",
    "s07": "rare_digit make_mlp train_once bootstrap_ap compare_ap q_for scaled_nll",
    "s08": "make_mlp train expected_calibration_error fit_temperature describe print_row nll",
    "s09": "train_once images_of ranked_right train_ranker degrees_from_best",
    "s10": "sgd_steps train_once",
    # triplets and cosine_pairs select with boolean masks, which tensors on the meta device cannot index
    "s11": "make_embedder class_centroids nearest_centroid_accuracy train_embedder on_sphere mean_distance "
    "batch_hard_loss train_on triplets measure training_batch_hard cosine_triplets angle_accuracy "
    "cosine_pairs sphere_accuracy run",
    "s13": "make_mlp GradientSpike train_checked first_firing fit_temperature check_batch message_of",
    "s14": "make_canvases segmentation_counts mean_iou conv_block TinyFCN train_segmenter test_scores",
    "s15": "collapse spell extend paths_to make_strings conv_block StripReader greedy_decode transcripts "
    "read_strips steps_needed train_reader ShortReader",
    "s16": "augment make_encoder pretrain read_out accuracies validation_loss distances linear_r2",
    "s17": "flat_14 choose forward train_networks early_stopped scores_on test_right",
    "s18": "shrink make_canvases CoralHead make_model train validation_run",
    "s19": "make_numbers train_adaptive ChunkedLinearCrossEntropy sampled_gradient",
}
# Values some functions read from cells this test does not run
GLOBALS = {
    "06": {"mean_label_prob": 0.76},
    "s14": {"class_weights": torch.ones(11), "root_weights": torch.ones(11)},
}


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_every_function_a_notebook_defines_is_classified(number):
    known = set(META_CALLS.get(number, {})) | set(NOT_LOSSES.get(number, "").split())
    missing = sorted(set(defined_functions(number)) - known)
    assert not missing, f"notebook {number} defines {missing}: add each to META_CALLS (a loss) or NOT_LOSSES"


@pytest.mark.parametrize(
    "number, name", [(number, name) for number, calls in META_CALLS.items() for name in calls]
)
def test_hand_written_loss_keeps_to_its_inputs_device(number, name):
    namespace = load(number, also=(name,), **GLOBALS.get(number, {}))
    assert name in namespace, f"notebook {number} no longer defines {name}"
    results = META_CALLS[number][name](namespace[name])
    for result in results if isinstance(results, list) else [results]:
        for tensor in result if isinstance(result, tuple) else [result]:
            assert tensor.device.type == "meta"


def test_meta_device_finds_a_tensor_built_without_device():
    def leaky_weighted_nll(log_probs, targets):
        weight = torch.ones(log_probs.shape[1])  # on the CPU, whatever the inputs' device
        return -(weight * log_probs).gather(1, targets.unsqueeze(1)).mean()

    with pytest.raises(RuntimeError, match="Tensor on device meta is not on the expected device cpu"):
        leaky_weighted_nll(meta(4, 3), classes(4))


# ---------------------------------------------------------------------------- metrics, cross-checked


def scores_and_targets(n=300, seed=0):
    generator = torch.Generator().manual_seed(seed)
    targets = (torch.rand(n, generator=generator) < 0.3).float()
    scores = targets + torch.randn(n, generator=generator)
    return scores, targets


def test_average_precision_matches_scikit_learn():
    from sklearn.metrics import average_precision_score

    import utils

    scores, targets = scores_and_targets()
    expected = average_precision_score(targets.numpy(), scores.numpy())
    assert utils.average_precision(scores, targets) == pytest.approx(expected, abs=1e-6)
    curve = load("04")["precision_recall_curve"]
    assert curve(scores, targets)[2] == pytest.approx(expected, abs=1e-6)


def test_multi_label_f1_matches_scikit_learn():
    from sklearn.metrics import f1_score

    generator = torch.Generator().manual_seed(1)
    targets = (torch.rand(200, 10, generator=generator) < 0.2).float()
    probs = (targets * 0.5 + torch.rand(200, 10, generator=generator) * 0.6).clamp(0, 1)
    micro, macro = load("05")["f1_scores"](probs, targets, 0.5)
    called = (probs > 0.5).numpy()
    assert micro == pytest.approx(f1_score(targets.numpy(), called, average="micro"), abs=1e-6)
    assert macro == pytest.approx(f1_score(targets.numpy(), called, average="macro"), abs=1e-6)


def test_quadratic_weighted_kappa_matches_scikit_learn():
    from sklearn.metrics import cohen_kappa_score

    kappa = load("18")["quadratic_weighted_kappa"]
    generator = torch.Generator().manual_seed(3)
    targets = torch.randint(10, (400,), generator=generator)
    near = (targets + torch.randint(-2, 3, (400,), generator=generator)).clamp(0, 9)
    for predicted in [near, torch.randint(10, (400,), generator=generator), near.clamp(max=7)]:
        expected = cohen_kappa_score(
            targets.numpy(), predicted.numpy(), labels=list(range(10)), weights="quadratic"
        )
        assert kappa(predicted, targets, 10) == pytest.approx(expected, abs=1e-9)
    assert kappa(targets, targets, 10) == 1.0


@pytest.mark.parametrize("number", ["08", "12"])
def test_expected_calibration_error_matches_torchmetrics(number):
    from torchmetrics.functional.classification import multiclass_calibration_error

    generator = torch.Generator().manual_seed(2)
    logits = 3 * torch.randn(500, 10, generator=generator)
    labels = torch.randint(10, (500,), generator=generator)
    expected = multiclass_calibration_error(logits.softmax(dim=1), labels, num_classes=10, n_bins=15).item()
    ece = load(number)["expected_calibration_error"]
    if number == "08":  # confidences and correctness
        confidence, guess = logits.softmax(dim=1).max(dim=1)
        assert ece(confidence, guess == labels) == pytest.approx(expected, abs=1e-6)
    else:  # logits and labels
        assert ece(logits, labels) == pytest.approx(expected, abs=1e-6)


def test_classwise_calibration_error_and_brier_score_match_libraries():
    from sklearn.metrics import brier_score_loss
    from torchmetrics.functional.classification import binary_calibration_error

    namespace = load("08")
    generator = torch.Generator().manual_seed(4)
    probs = (3 * torch.randn(500, 10, generator=generator)).softmax(dim=1)
    labels = torch.randint(10, (500,), generator=generator)
    per_class = [
        binary_calibration_error(probs[:, k], (labels == k).long(), n_bins=15).item() for k in range(10)
    ]
    assert namespace["classwise_calibration_error"](probs, labels) == pytest.approx(
        sum(per_class) / 10, abs=1e-6
    )
    brier = brier_score_loss(
        labels.numpy(), probs.double().numpy(), labels=list(range(10)), scale_by_half=False
    )
    assert namespace["brier_score"](probs, labels) == pytest.approx(brier, abs=1e-6)


def test_adaptive_calibration_error_bins_hold_equal_counts():
    generator = torch.Generator().manual_seed(5)
    confidences = torch.rand(1000, generator=generator)
    correct = (torch.rand(1000, generator=generator) < confidences).float()
    order = confidences.argsort()
    expected = sum(  # ten bins of exactly 100, written out
        abs(correct[order[i : i + 100]].mean().item() - confidences[order[i : i + 100]].mean().item()) / 10
        for i in range(0, 1000, 100)
    )
    assert load("08")["adaptive_calibration_error"](confidences, correct, 10) == pytest.approx(
        expected, abs=1e-6
    )


def test_mean_iou_and_pixel_accuracy_match_scikit_learn():
    from sklearn.metrics import accuracy_score, jaccard_score

    namespace = load("14")
    generator = torch.Generator().manual_seed(3)
    masks = torch.randint(namespace["CLASSES"], (4, 8, 8), generator=generator)
    masks[0, 0, :4] = namespace["UNKNOWN"]  # ignored pixels
    logits = torch.randn(4, namespace["CLASSES"], 8, 8, generator=generator)
    logits += 3 * F.one_hot(masks.clamp(max=namespace["CLASSES"] - 1), namespace["CLASSES"]).permute(
        0, 3, 1, 2
    )
    keep = masks != namespace["UNKNOWN"]
    truth, predicted = masks[keep].numpy(), logits.argmax(dim=1)[keep].numpy()
    assert namespace["mean_iou"](logits, masks) == pytest.approx(
        jaccard_score(truth, predicted, average="macro")
    )
    assert namespace["pixel_accuracy"](logits, masks) == pytest.approx(accuracy_score(truth, predicted))


def test_character_error_rate_matches_torchmetrics():
    from torchmetrics.functional.text import char_error_rate

    edit_distance = load("15")["edit_distance"]
    pairs = [("3141", "3141"), ("271", "2718"), ("1618", "168"), ("", "42"), ("99", "")]
    for predicted, truth in pairs[:3]:
        expected = char_error_rate([predicted], [truth]).item() * len(truth)
        assert edit_distance(list(predicted), list(truth)) == round(expected)
    assert edit_distance([], list("42")) == 2 and edit_distance(list("99"), []) == 2
    total = sum(edit_distance(list(p), list(t)) for p, t in pairs[:3]) / sum(len(t) for _, t in pairs[:3])
    assert total == pytest.approx(
        char_error_rate([p for p, _ in pairs[:3]], [t for _, t in pairs[:3]]).item()
    )


def test_ctc_decoders_and_alignments_against_enumeration():
    """Prefix beam search, the forced alignment and the alignment posterior of notebook 15, on targets with
    repeats, against every path enumerated and against PyTorch."""
    import itertools

    namespace = load("15")
    collapse = namespace["collapse"]
    generator = torch.Generator().manual_seed(5)
    for steps in (3, 5, 6):
        log_probs = (2 * torch.randn(steps, 3, generator=generator, dtype=torch.float64)).log_softmax(dim=1)
        paths = list(itertools.product(range(3), repeat=steps))
        path_log_probs = {path: log_probs[range(steps), list(path)].sum().item() for path in paths}
        labellings: dict[tuple, float] = {}
        for path, value in path_log_probs.items():
            key = tuple(collapse(list(path)))
            labellings[key] = labellings.get(key, 0.0) + math.exp(value)
        found = namespace["prefix_beam_search"](log_probs, beam_width=10**6, floor=0)
        assert set(found) == set(labellings)
        for key, probability in labellings.items():
            assert found[key] == pytest.approx(probability, rel=1e-9)
        assert list(found)[0] == max(labellings, key=labellings.get)
        for target in ([1, 1], [2, 1, 2][: steps - 1], [1]):
            valid = [path for path in paths if collapse(list(path)) == target]
            if not valid:
                continue
            positions, best = namespace["forced_alignment"](log_probs, target)
            assert best == pytest.approx(max(path_log_probs[path] for path in valid), rel=1e-9)
            extended = [0] + [symbol for label in target for symbol in (label, 0)]
            assert collapse([extended[s] for s in positions]) == target
            posterior = namespace["alignment_posterior"](log_probs, target)
            leaf = log_probs.clone().requires_grad_()
            F.ctc_loss(  # through a log_softmax: p - gamma on every release
                leaf.log_softmax(dim=1).unsqueeze(1),
                torch.tensor([target]),
                torch.tensor([steps]),
                torch.tensor([len(target)]),
                reduction="sum",
            ).backward()
            by_symbol = torch.zeros_like(log_probs).index_add(1, torch.tensor(extended), posterior)
            torch.testing.assert_close(by_symbol, log_probs.exp() - leaf.grad)
