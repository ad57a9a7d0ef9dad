"""The adverse-event text model (``compliance.ml``): featuriser, artefact, training
and how ``ADVERSE_EVENT`` combines it with the rules. Pure except the training
command test, which reads the shared corpora (skipped where they are absent)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from compliance.corpora import default_data_dir
from compliance.knowledge import knowledge_from_spl_files
from compliance.ml import ae_model as ml
from compliance.ml.training import (
    AeTrainingRow,
    ae_model_bytes,
    ae_model_fit,
    ae_model_write,
)
from compliance.rules import RULE_VERSIONS, PostInput, adverse_event, rules_run

SHARED = default_data_dir()


@pytest.fixture(scope="module")
def knowledge():
    folder = Path(settings.REFERENCE_DATA_DIR) / "spl-labels"
    return knowledge_from_spl_files(sorted(folder.glob("*.xml")))


def ae_hit(knowledge, text, *, products=()):
    hits = rules_run(PostInput(text=text, context_products=tuple(products)), knowledge)
    return next((h for h in hits if h.code == "ADVERSE_EVENT"), None)


def model_with(words: dict[str, float], *, intercept: float = -3.0) -> ml.AeModel:
    """A hand-made model: each word's shared unigram bucket gets its weight."""
    weights = {ml.word_buckets(word, ml.POST)[0]: w for word, w in words.items()}
    indices = np.array(sorted(weights), dtype=np.int64)
    return ml.AeModel(
        indices=indices,
        values=np.array([weights[i] for i in indices], dtype=np.float32),
        intercept=intercept,
        meta={"model_version": ml.MODEL_VERSION},
    )


# --- featuriser --------------------------------------------------------------------


def test_tokens_hide_drugs_urls_and_mentions_and_keep_offsets():
    text = "@amy Seroquel-XR made me a ZOMBIE https://x.org/a 😴"
    tokens = ml.ae_tokens(text, [(5, 13), (5, 16)])  # overlapping spans merge
    assert [t.text for t in tokens] == [
        ml.USER_TOKEN,
        ml.DRUG_TOKEN,
        "made",
        "me",
        "a",
        "zombie",
        ml.URL_TOKEN,
        "😴",
    ]
    for token in tokens:
        if token.text not in (ml.DRUG_TOKEN, ml.USER_TOKEN, ml.URL_TOKEN):
            assert text[token.start : token.end].lower() == token.text


def test_features_are_hashed_per_domain_and_stable():
    tokens = ml.ae_tokens("cannot sleep at all")
    post = ml.ae_feature_hashes(tokens, ml.POST)
    review = ml.ae_feature_hashes(tokens, ml.REVIEW)
    assert post == ml.ae_feature_hashes(ml.ae_tokens("cannot sleep at all"), ml.POST)
    assert post & review  # the shared copies
    assert post - review  # the domain copies
    assert all(0 <= b < 1 << ml.N_BITS for b in post)
    # "sleeping" and "sleepy" share the 5-letter prefix feature "sleep"
    assert set(ml.word_buckets("sleeping", ml.POST)) & set(
        ml.word_buckets("sleepy", ml.POST)
    )


# --- artefact ----------------------------------------------------------------------


def test_the_shipped_artefact_is_small_versioned_and_holds_no_text():
    assert ml.ARTEFACT.stat().st_size < 5 * 1024 * 1024
    with zipfile.ZipFile(ml.ARTEFACT) as archive:
        assert sorted(archive.namelist()) == [
            "indices.npy",
            "intercept.npy",
            "meta.npy",
            "weights.npy",
        ]
    model = ml.ae_model_load()
    assert model.version == ml.MODEL_VERSION
    assert model.meta["format_version"] == ml.FORMAT_VERSION
    assert model.meta["training_split"].startswith("tune")
    assert model.indices.dtype == np.int64 and model.values.dtype == np.float32
    assert len(model.indices) == len(model.values) > 10_000
    # only numbers besides the metadata: no vocabulary, no corpus text
    with np.load(ml.ARTEFACT, allow_pickle=False) as data:
        assert {data[k].dtype.kind for k in ("indices", "weights", "intercept")} <= {
            "i",
            "f",
        }


def test_the_rule_version_carries_the_model_version():
    version = RULE_VERSIONS["ADVERSE_EVENT"]
    assert version.endswith(f"-m{ml.MODEL_VERSION}")
    assert len(version) <= 20  # Finding.rule_version


def rows(*labelled: tuple[str, bool]) -> list[AeTrainingRow]:
    return [
        AeTrainingRow(f"k{i}", label, ml.POST, tuple(ml.ae_tokens(text)))
        for i, (text, label) in enumerate(labelled)
    ]


TOY = rows(
    ("it made me so dizzy", True),
    ("dizzy and sick all day", True),
    ("so dizzy since monday", True),
    ("picked it up at the store", False),
    ("refill day at the store", False),
    ("bought it at the store today", False),
)


def test_fitting_is_deterministic_and_the_artefact_round_trips(tmp_path):
    meta = {"model_version": "toy", "format_version": ml.FORMAT_VERSION}
    meta["n_bits"] = ml.N_BITS
    first = ae_model_bytes(ae_model_fit(TOY, meta=meta))
    assert first == ae_model_bytes(ae_model_fit(TOY, meta=meta))
    path = tmp_path / "toy.npz"
    ae_model_write(path, ae_model_fit(TOY, meta=meta))
    assert path.read_bytes() == first
    model = ml.ae_model_read(path)
    dizzy = model.probability(ml.ae_tokens("so dizzy"), ml.POST)
    store = model.probability(ml.ae_tokens("at the store"), ml.POST)
    assert dizzy > 0.5 > store
    assert model.evidence(ml.ae_tokens("so dizzy"), ml.POST)[0][0].text == "dizzy"


def test_an_artefact_of_another_format_is_refused(tmp_path):
    path = tmp_path / "old.npz"
    meta = {"model_version": "x", "format_version": ml.FORMAT_VERSION, "n_bits": 18}
    ae_model_write(path, ae_model_fit(TOY, meta=meta))
    with pytest.raises(ml.AeModelError, match="18 bits"):
        ml.ae_model_read(path)
    with pytest.raises(ml.AeModelError, match="missing"):
        ml.ae_model_read(tmp_path / "absent.npz")


@pytest.mark.django_db
@pytest.mark.skipif(
    not (SHARED / "smm4h-ade").is_dir() or not (SHARED / "psytar-ade").is_dir(),
    reason="shared SMM4H/PsyTAR data not present",
)
def test_the_training_command_rebuilds_the_shipped_artefact_byte_for_byte():
    out = io.StringIO()
    call_command("ae_model_train", "--check", stdout=out)
    assert "identical to the rebuild" in out.getvalue()
    meta = ml.ae_model_load().meta
    assert meta["training_rows"]["post"]["rows"] > 1000
    files = meta["input_files_sha256"]
    assert sorted(files) == [
        "psytar-ade/PsyTAR_sentence_labeling.csv",
        "smm4h-ade/smm4h2019_task2_tweet_level.csv",
    ]
    assert all(len(digest) == 64 for digest in files.values())


# --- the rule with the model -------------------------------------------------------


def test_the_model_alone_supplies_the_event_and_explains_it(knowledge):
    text = "Three weeks of prozac and my jaw will not stop clenching"
    ae = ae_hit(knowledge, text)
    assert ae is not None
    assert ae.details["event_source"] == "text model"
    assert "'clenching'" in ae.details["elements"]["event"]
    assert ae.details["elements"]["patient"] == "the author"
    assert "prozac" in [e.text for e in ae.evidence]
    reading = ae.details["model"]
    assert reading["probability"] >= ml.ALONE_THRESHOLD
    assert reading["words"][0][1] >= ml.WORD_WEIGHT
    assert "text model" in ae.explanation and "probability" in ae.explanation
    assert any(e.text == "clenching" for e in ae.evidence)


@pytest.mark.parametrize(
    "text",
    [
        # a clinician on a population, and a sponsored post: outside the model's
        # training data, only the rules decide
        "Three weeks of prozac and my jaw will not stop clenching. My patients too.",
        "Three weeks of prozac and my jaw will not stop clenching #ad",
        # a denied or relieved event term is not the model's evidence
        "I have had no nausea at all on Lipitor.",
        "Lipitor helped my high cholesterol, no more chest pain.",
    ],
)
def test_the_model_does_not_fire_outside_lay_accounts_or_on_denied_terms(
    knowledge, text
):
    assert ae_hit(knowledge, text) is None


def test_a_weak_cue_needs_the_models_agreement(knowledge, monkeypatch):
    text = "Three days off sertraline and I am not myself at all."
    assert ae_hit(knowledge, text).details["event_source"] == "first-person account"
    monkeypatch.setattr(adverse_event, "_model", lambda: model_with({}, intercept=-5))
    assert ae_hit(knowledge, text) is None  # probability 0.007 < CONFIRM_THRESHOLD


def test_a_model_hit_needs_a_word_that_weighs_by_itself(knowledge, monkeypatch):
    text = "Took lipitor then the room went sparkly"
    # the base rate (intercept) and a word of little weight are not evidence
    monkeypatch.setattr(
        adverse_event, "_model", lambda: model_with({"sparkly": 0.2}, intercept=2)
    )
    assert ae_hit(knowledge, text) is None
    monkeypatch.setattr(
        adverse_event, "_model", lambda: model_with({"sparkly": 4.0}, intercept=0)
    )
    ae = ae_hit(knowledge, text)
    assert ae.details["event_source"] == "text model"
    assert ae.details["elements"]["event"] == ["'sparkly'"]
    assert ae.details["model"]["words"] == [["sparkly", 4.0]]


def test_the_model_reads_review_sentences_in_their_own_domain(knowledge, monkeypatch):
    seen: list[str] = []

    class Spy(ml.AeModel):
        def probability(self, tokens, domain):
            seen.append(domain)
            return 0.0

    spy = Spy(indices=np.array([], dtype=np.int64), values=np.array([]), intercept=0)
    monkeypatch.setattr(adverse_event, "_model", lambda: spy)
    ae_hit(knowledge, "The room went sparkly.", products=["Lexapro"])
    ae_hit(knowledge, "Lexapro and the room went sparkly.")
    assert seen == [ml.REVIEW, ml.POST]
