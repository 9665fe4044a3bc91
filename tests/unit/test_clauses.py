"""Clause finders: the shared contract, the packaged model's behaviour and card, and training."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lexgraph.core.clauses import (
    ClauseFinder,
    KeywordClauseFinder,
    LinearClauseFinder,
    contract_units,
    load_clause_finder,
)
from lexgraph.core.clauses.linear import CARD_FILE, MODEL_DIR, MODEL_FILE, analyze, read_model
from lexgraph.core.errors import UserError

ROOT = Path(__file__).resolve().parents[2]

GOVERNING_LAW = ("This Agreement shall be governed by and construed in accordance with the laws "
                 "of the State of Delaware, without regard to its conflict of laws principles.")
ANTI_ASSIGNMENT = ("Neither party may assign or transfer this Agreement or any of its rights or "
                   "obligations hereunder without the prior written consent of the other party.")
CONVENIENCE = ("Either party may terminate this Agreement for convenience at any time upon "
               "thirty (30) days prior written notice to the other party.")
INSURANCE = ("Distributor shall maintain, at its own expense, comprehensive general liability "
             "insurance with coverage of not less than $1,000,000 per occurrence and shall name "
             "the Company as an additional insured.")
AUDIT = ("Licensee shall keep complete and accurate books and records, and Licensor may, upon "
         "reasonable notice, audit such books and records during normal business hours.")
EXPECTED = [(GOVERNING_LAW, "Governing Law"), (ANTI_ASSIGNMENT, "Anti-Assignment"),
            (CONVENIENCE, "Termination For Convenience"), (INSURANCE, "Insurance"),
            (AUDIT, "Audit Rights")]
GARBAGE = [
    "Der Kaufpreis ist innerhalb von vierzehn Tagen nach Rechnungsstellung zu zahlen.",
    "本合同自双方签字之日起生效。有效期为三年。",
    "qwx zzv plorb 88412 ##@@ !!! kjdf vvnnq",
    "Le chat dort sur le canapé pendant que la pluie tombe doucement dehors.",
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor",
]


@pytest.fixture(params=["linear", "keywords"])
def finder(request: pytest.FixtureRequest) -> ClauseFinder:
    if request.param == "linear":
        return load_clause_finder()
    return KeywordClauseFinder()


# --- the contract both finders honour ---------------------------------------------------------

def test_categories_are_cuads(finder: ClauseFinder) -> None:
    assert len(finder.categories) == 41
    assert len(set(finder.categories)) == 41
    for name in ("Governing Law", "Anti-Assignment", "Termination For Convenience",
                 "Insurance", "Document Name", "Third Party Beneficiary"):
        assert name in finder.categories


def test_both_finders_share_the_category_order() -> None:
    assert KeywordClauseFinder().categories == load_clause_finder().categories


def test_scores_shape_type_and_range(finder: ClauseFinder) -> None:
    texts = [text for text, _ in EXPECTED] + GARBAGE
    scores = finder.scores(texts)
    assert scores.shape == (len(texts), len(finder.categories))
    assert scores.dtype == np.float32
    assert np.all((scores >= 0.0) & (scores <= 1.0))


def test_empty_input(finder: ClauseFinder) -> None:
    assert finder.scores([]).shape == (0, len(finder.categories))
    assert finder.classify([]) == []
    assert finder.classify([""]) == [[]]


def test_classify_is_thresholded_scores_best_first(finder: ClauseFinder) -> None:
    texts = [text for text, _ in EXPECTED] + [" ".join(text for text, _ in EXPECTED)]
    scores = finder.scores(texts)
    labels = finder.classify(texts)
    assert len(labels) == len(texts)
    for row, found in enumerate(labels):
        expected = {c for i, c in enumerate(finder.categories)
                    if scores[row, i] >= finder.threshold(c)}
        assert {label.category for label in found} == expected
        got = [label.score for label in found]
        assert got == sorted(got, reverse=True)
        for label in found:
            index = finder.categories.index(label.category)
            assert label.score == pytest.approx(float(scores[row, index]))
    assert len(labels[-1]) >= 2  # the clauses run together carry several categories


def test_thresholds_are_in_range(finder: ClauseFinder) -> None:
    for category in finder.categories:
        assert 0.0 < finder.threshold(category) <= 1.0
    with pytest.raises(UserError):
        finder.threshold("Not A Category")
    for category in finder.categories:
        strict = finder.high_precision_threshold(category)
        assert strict is None or 0.0 < strict <= 1.0
    with pytest.raises(UserError):
        finder.high_precision_threshold("Not A Category")


def test_garbage_gets_few_labels(finder: ClauseFinder) -> None:
    labels = finder.classify(GARBAGE)
    assert sum(len(found) for found in labels) <= 1


def test_each_finder_finds_governing_law(finder: ClauseFinder) -> None:
    [found] = finder.classify([GOVERNING_LAW])
    assert found and found[0].category == "Governing Law"


# --- the packaged model -------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "category"), EXPECTED)
def test_model_classifies_hand_written_clauses(text: str, category: str) -> None:
    finder = load_clause_finder()
    [found] = finder.classify([text])
    assert category in [label.category for label in found][:2], found


def test_model_keeps_unrelated_clauses_apart() -> None:
    finder = load_clause_finder()
    found = finder.classify([GOVERNING_LAW, INSURANCE])
    assert "Insurance" not in [label.category for label in found[0]]
    assert "Governing Law" not in [label.category for label in found[1]]


def test_high_precision_thresholds_reached_the_target_out_of_fold() -> None:
    finder = load_clause_finder()
    card = json.loads((MODEL_DIR / CARD_FILE).read_text("utf-8"))
    target = card["settings"]["precision_target"]
    some = 0
    for category in finder.categories:
        strict = finder.high_precision_threshold(category)
        entry = card["categories"][category]
        if strict is None:
            assert entry["high_precision_threshold"] is None
            assert "high_precision_precision" not in entry["oof"]
            continue
        some += 1
        assert strict == pytest.approx(entry["high_precision_threshold"], abs=1e-6)
        assert entry["oof"]["high_precision_precision"] >= target
    assert some >= 10
    scores = finder.scores([text for text, _ in EXPECTED])
    tight = finder.classify([text for text, _ in EXPECTED], high_precision=True)
    for row, found in enumerate(tight):
        for label in found:
            strict = finder.high_precision_threshold(label.category)
            assert strict is not None
            assert scores[row, finder.categories.index(label.category)] >= strict


def test_loading_is_cached() -> None:
    first = load_clause_finder()
    assert load_clause_finder() is first
    assert load_clause_finder(MODEL_DIR) is first
    assert load_clause_finder(MODEL_DIR / MODEL_FILE) is first


def test_missing_model_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError):
        load_clause_finder(tmp_path)


def test_artifact_is_small_and_has_no_pickles() -> None:
    files = list(MODEL_DIR.iterdir())
    assert sum(f.stat().st_size for f in files if f.is_file()) <= 2_500_000
    with np.load(MODEL_DIR / MODEL_FILE, allow_pickle=False) as data:
        assert all(data[key].dtype != object for key in data.files)


def test_inference_needs_numpy_only_and_is_fast() -> None:
    script = (
        "import sys, time\n"
        "from lexgraph.core.clauses import load_clause_finder\n"
        "f = load_clause_finder()\n"
        f"texts = {[text for text, _ in EXPECTED]!r} * 60\n"
        "f.classify(texts)\n"
        "start = time.perf_counter(); f.classify(texts)\n"
        "print(time.perf_counter() - start)\n"
        "assert 'sklearn' not in sys.modules and 'scipy' not in sys.modules, 'heavy import'\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    # 300 sentences; the target is well under 0.1 s, the bound leaves room for a busy machine.
    assert float(done.stdout.strip()) < 0.5


def test_card_records_data_settings_and_attribution() -> None:
    card = json.loads((MODEL_DIR / CARD_FILE).read_text("utf-8"))
    attribution = card["attribution"]
    assert attribution["creator"] == "The Atticus Project, Inc."
    assert "CUAD" in attribution["dataset"] and "v1" in attribution["dataset"]
    assert attribution["url"] == "https://www.atticusprojectai.org/cuad"
    assert attribution["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert "no representations or warranties" in attribution["no_warranty"]
    assert "arXiv:2103.06268" in attribution["citation"]
    assert len(card["data"]["split_file_sha256"]) == 64
    assert card["data"]["trained_on"] == "train"
    for key in ("c", "min_df", "max_features", "overlap", "folds", "keep_per_category",
                "precision_target", "random_state"):
        assert key in card["settings"]
    assert {"numpy", "scikit-learn", "python"} <= set(card["versions"])
    finder = load_clause_finder()
    assert list(card["categories"]) == list(finder.categories)
    for category, entry in card["categories"].items():
        assert entry["threshold"] == pytest.approx(finder.threshold(category), abs=1e-6)
        assert entry["positives"] > 0
    validation = card["validation"]
    assert validation["f1_thresholds"]["micro"]["f1"] > validation["keyword_baseline"][
        "micro"]["f1"]
    licence = (MODEL_DIR / "LICENSE-DATA.md").read_text("utf-8")
    for needle in ("The Atticus Project, Inc.", "CC BY 4.0",
                   "https://creativecommons.org/licenses/by/4.0/", "arXiv:2103.06268",
                   "no representations or warranties"):
        assert needle in licence


def test_model_ships_as_package_data() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert "core/clauses/model/*" in text


# --- units and tokens -------------------------------------------------------------------------

def test_units_cut_sentences_and_blank_lines_and_keep_offsets() -> None:
    text = ("1. GOVERNING LAW\n\nThis Agreement is governed by\nthe laws of Ohio. Neither party "
            "may assign it.\n\n\n  12  \n\nInsurance shall be kept.")
    units = contract_units(text)
    assert [u.text for u in units] == [
        "1. GOVERNING LAW", "This Agreement is governed by the laws of Ohio.",
        "Neither party may assign it.", "Insurance shall be kept."]
    for unit in units:
        assert " ".join(text[unit.start:unit.end].split()) == unit.text


def test_analyze_normalises_numbers_and_makes_bigrams() -> None:
    assert analyze("Pay $1,000 within 30 days") == [
        "pay", "$", "0", "within", "0", "days",
        "pay $", "$ 0", "0 within", "within 0", "0 days"]


# --- training -----------------------------------------------------------------------------------

def _synthetic_cuad(root: Path) -> None:
    """A tiny CUAD-shaped folder: 15 contracts, three categories plus filler sentences."""
    law = "This Agreement shall be governed by the laws of the State of {}."
    assign = "{} may not assign this Agreement without the prior written consent of the other."
    cover = "{} shall maintain general liability insurance of at least {} dollars."
    filler = ["The parties met on a sunny day to discuss the {} product line.",
              "Deliveries of {} units shall be made to the warehouse each week.",
              "Invoices for {} items are payable within thirty days of receipt.",
              "Each party shall appoint a manager for the {} project.",
              "Notices shall be sent by courier to the address of the {} office."]
    states = ["Ohio", "Texas", "Delaware", "Nevada", "Utah"]
    names = ["Acme", "Beta", "Gamma", "Delta", "Omega"]
    (root / "contracts").mkdir(parents=True)
    rows = []
    for i in range(15):
        sentences = [f.format(names[(i + k) % 5]) for k, f in enumerate(filler)]
        law_s = law.format(states[i % 5])
        assign_s = assign.format(names[i % 5])
        cover_s = cover.format(names[(i + 2) % 5], 1000 * (i + 1))
        sentences[1:1] = [law_s]
        sentences[4:4] = [assign_s]
        if i % 3:
            sentences.append(cover_s)
        name = f"C{i:02d}_AGREEMENT"
        (root / "contracts" / f"{name}.txt").write_text(
            "SUPPLY AGREEMENT\n\n" + "  ".join(sentences) + "\n", "utf-8")
        rows.append({"Text File": f"contracts/{name}.txt", "Filename": f"{name}.pdf",
                     "Governing Law": repr([law_s]), "Governing Law-Answer": states[i % 5],
                     "Anti-Assignment": repr([assign_s[:30] + "<omitted>" + assign_s[40:]]),
                     "Anti-Assignment-Answer": "Yes",
                     "Insurance": repr([cover_s] if i % 3 else []),
                     "Insurance-Answer": "Yes" if i % 3 else "No"})
    with (root / "master_clauses.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (root / "split.json").write_text(json.dumps({
        "train": [f"C{i:02d}_AGREEMENT" for i in range(12)],
        "validation": [f"C{i:02d}_AGREEMENT" for i in range(12, 15)]}), "utf-8")


def test_labels_follow_the_overlap_rule() -> None:
    from lexgraph.core.clauses.training import label_units

    text = ("Short one. This Agreement shall be governed by\n the laws of Ohio. "
            "It may not be assigned. Acme Corp. is the supplier.")
    annotations = {"Governing Law": ["governed by the laws of Ohio."],
                   "Anti-Assignment": ["It may not<omitted>assigned."],
                   "Parties": ["Acme Corp."], "Insurance": ["no such text anywhere"]}
    categories = ["Governing Law", "Anti-Assignment", "Parties", "Insurance"]
    units, labels, found, missing = label_units(text, annotations, categories, 0.5)
    by_text = {u.text: set(np.asarray(categories)[labels[i]]) for i, u in enumerate(units)}
    assert by_text == {
        "Short one.": set(),
        "This Agreement shall be governed by the laws of Ohio.": {"Governing Law"},
        "It may not be assigned.": {"Anti-Assignment"},
        "Acme Corp. is the supplier.": {"Parties"},
    }
    assert (found, missing) == (4, 1)


def test_training_is_deterministic_and_learns(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from lexgraph.core.clauses.training import main

    cuad = tmp_path / "cuad"
    _synthetic_cuad(cuad)
    outputs = []
    for run in ("a", "b"):
        out = tmp_path / run
        assert main(["--cuad", str(cuad), "--out", str(out), "--folds", "3"]) == 0
        outputs.append(out)
    a, b = outputs
    assert (a / MODEL_FILE).read_bytes() == (b / MODEL_FILE).read_bytes()
    card_a = json.loads((a / CARD_FILE).read_text("utf-8"))
    card_b = json.loads((b / CARD_FILE).read_text("utf-8"))
    card_a.pop("training_seconds")
    card_b.pop("training_seconds")
    assert card_a == card_b
    assert card_a["data"]["contracts"] == 12
    assert card_a["settings"]["folds"] == 3
    assert card_a["categories"]["Insurance"]["positives"] == 8

    finder = read_model(a / MODEL_FILE)
    assert isinstance(finder, LinearClauseFinder)
    assert finder.categories == ("Governing Law", "Anti-Assignment", "Insurance")
    found = finder.classify(["This Agreement shall be governed by the laws of Maine.",
                             "Zeta may not assign this Agreement without prior written consent.",
                             "Zeta shall maintain general liability insurance of 5000 dollars.",
                             "Deliveries of Zeta units shall be made to the warehouse."])
    assert [x[0].category if x else None for x in found] == [
        "Governing Law", "Anti-Assignment", "Insurance", None]


def test_training_without_cuad_exits_2(tmp_path: Path) -> None:
    from lexgraph.core.clauses.training import main

    assert main(["--cuad", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2


def test_bench_without_cuad_exits_2(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "clauses.py"), "--cuad",
                           str(tmp_path / "nowhere")], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert "not available" in done.stderr


def test_the_cli_trains_clauses_and_says_when_cuad_is_missing(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lexgraph.cli import app

    result = CliRunner().invoke(app, ["train", "clauses", "--cuad", str(tmp_path / "none"),
                                      "--out", str(tmp_path / "model")])
    assert result.exit_code == 2
    assert "CUAD v1 not found" in result.output
    assert not (tmp_path / "model").exists()
