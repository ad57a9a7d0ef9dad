"""Fit the adverse-event text model (``compliance.ml.ae_model``) from the shared
corpora and write its artefact deterministically.

Steps (``manage.py ae_model_train`` runs them):

1. ``ae_training_rows``: the TUNE split only (``compliance.rules.evaluation.split_of``,
   the split ``compliance_eval`` reports on) of SMM4H (domain ``post``) and PsyTAR
   (domain ``review``), read from the shared data folder; drug names hidden with
   the same drug dictionary and product mentions the rule uses;
2. ``ae_cross_validate``: grouped 5-fold out-of-fold probabilities (a tweet, or a
   whole PsyTAR review, is one group), reported per domain;
3. ``ae_model_fit``: L2 logistic regression (liblinear, fixed ``random_state``) on
   every tune row;
4. ``ae_model_write``: an ``.npz`` whose zip entries carry a fixed timestamp, written
   to a temporary file and renamed: the same data and library versions give the
   same bytes (``--check`` compares them with the shipped artefact).

scikit-learn is imported here only; the rules load the artefact with numpy.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance.corpora import PSYTAR_FILE, SMM4H_FILE, psytar_examples, smm4h_examples
from compliance.ml.ae_model import (
    ALONE_THRESHOLD,
    CONFIRM_THRESHOLD,
    FORMAT_VERSION,
    MODEL_VERSION,
    N_BITS,
    POST,
    PREFIX,
    REVIEW,
    WORD_WEIGHT,
    AeModel,
    Token,
    ae_feature_hashes,
    ae_tokens,
)
from compliance.rules.drugs import drugs_in
from compliance.rules.evaluation import split_of
from compliance.rules.products import Knowledge
from compliance.rules.text import Doc

C = 0.3  # inverse L2 strength; 0.3 and 1 were compared by grouped 5-fold CV
FOLDS = 5
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class AeTrainingRow:
    """One labelled text: its split key (the CV group), label, domain and tokens."""

    key: str
    label: bool
    domain: str
    tokens: tuple[Token, ...]


def hidden_spans(doc: Doc, knowledge: Knowledge) -> list[tuple[int, int]]:
    """Drug names the featuriser replaces: the drug dictionary's and the labelled
    products' mentions (what ``adverse_event.check`` passes at inference)."""
    spans = [(d.start, d.end) for d in drugs_in(doc)]
    spans += [(m.start, m.end) for m in knowledge.mentions(doc)]
    return spans


def ae_training_rows(
    data_dir: Path, knowledge: Knowledge, *, split: str = "tune"
) -> list[AeTrainingRow]:
    rows: list[AeTrainingRow] = []
    for domain, examples in (
        (POST, smm4h_examples(data_dir)),
        (REVIEW, psytar_examples(data_dir)),
    ):
        for example in examples:
            if split_of(example.id) != split:
                continue
            doc = Doc(example.text)
            rows.append(
                AeTrainingRow(
                    key=example.id,
                    label="ADVERSE_EVENT" in example.expected,
                    domain=domain,
                    tokens=tuple(ae_tokens(example.text, hidden_spans(doc, knowledge))),
                )
            )
    return rows


def input_files(data_dir: Path) -> dict[str, str]:
    """SHA-256 of each corpus file read (provenance)."""
    return {
        str(name): hashlib.sha256((data_dir / name).read_bytes()).hexdigest()
        for name in (SMM4H_FILE, PSYTAR_FILE)
    }


def ae_design_matrix(rows: Iterable[AeTrainingRow]) -> tuple[Any, Any]:
    """The binary feature matrix over the buckets the rows use (column j is bucket
    ``buckets[j]``), and those buckets, sorted."""
    import numpy as np
    from scipy.sparse import csr_matrix

    indices: list[int] = []
    indptr = [0]
    for row in rows:
        indices.extend(sorted(ae_feature_hashes(row.tokens, row.domain)))
        indptr.append(len(indices))
    buckets, columns = np.unique(np.array(indices, dtype=np.int64), return_inverse=True)
    matrix = csr_matrix(
        (np.ones(len(indices)), columns, indptr), shape=(len(indptr) - 1, len(buckets))
    )
    return matrix, buckets


def _classifier(c: float) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver="liblinear", max_iter=5000, random_state=0)


def ae_model_fit(
    rows: list[AeTrainingRow], *, c: float = C, meta: dict[str, Any] | None = None
) -> AeModel:
    import numpy as np

    X, buckets = ae_design_matrix(rows)
    y = np.array([row.label for row in rows])
    clf = _classifier(c).fit(X, y)
    coef = clf.coef_[0].astype(np.float32)
    keep = np.flatnonzero(coef)
    return AeModel(
        indices=buckets[keep],
        values=coef[keep],
        intercept=float(clf.intercept_[0]),
        meta=dict(meta or {}),
    )


def ae_cross_validate(
    rows: list[AeTrainingRow], *, c: float = C, folds: int = FOLDS
) -> dict[str, dict[str, float]]:
    """Grouped k-fold out-of-fold figures per domain: AUC, and precision/recall of
    the model alone at ``ALONE_THRESHOLD``."""
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold

    X, _ = ae_design_matrix(rows)
    y = np.array([row.label for row in rows])
    groups = np.array([row.key for row in rows])
    oof = np.zeros(len(rows))
    for train, test in GroupKFold(folds).split(X, y, groups):
        oof[test] = _classifier(c).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    report: dict[str, dict[str, float]] = {}
    domains = np.array([row.domain for row in rows])
    for domain in (POST, REVIEW):
        mask = domains == domain
        yd, pd_ = y[mask], oof[mask]
        predicted = pd_ >= ALONE_THRESHOLD
        tp = int((predicted & yd).sum())
        report[domain] = {
            "n": int(mask.sum()),
            "positives": int(yd.sum()),
            "auc": round(float(roc_auc_score(yd, pd_)), 4),
            "precision": round(tp / max(1, int(predicted.sum())), 4),
            "recall": round(tp / max(1, int(yd.sum())), 4),
        }
    return report


def ae_model_meta(
    rows: list[AeTrainingRow], *, files: dict[str, str], cv: dict | None, c: float = C
) -> dict[str, Any]:
    import sklearn

    counts = {
        domain: {
            "rows": sum(1 for r in rows if r.domain == domain),
            "positives": sum(1 for r in rows if r.domain == domain and r.label),
        }
        for domain in (POST, REVIEW)
    }
    return {
        "model_version": MODEL_VERSION,
        "format_version": FORMAT_VERSION,
        "n_bits": N_BITS,
        "prefix": PREFIX,
        "features": "binary word unigrams, bigrams, 5-letter prefixes; shared + "
        "per-domain copies; CRC-32 hashed; drug names, URLs, @mentions replaced",
        "estimator": f"LogisticRegression(C={c}, solver=liblinear, random_state=0)",
        "scikit_learn": sklearn.__version__,
        "training_split": "tune (sha256 of corpus:id, 30% test left out)",
        "training_rows": counts,
        "input_files_sha256": files,
        "thresholds": {
            "alone": ALONE_THRESHOLD,
            "confirm": CONFIRM_THRESHOLD,
            "word_weight": WORD_WEIGHT,
        },
        "cross_validation": cv,
    }


def _npy(array: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def ae_model_bytes(model: AeModel) -> bytes:
    """The artefact's bytes: an ``.npz`` (readable by ``numpy.load``) holding the
    trained buckets, their weights, the intercept and the metadata as JSON, with
    fixed zip timestamps so that equal models give equal bytes."""
    import numpy as np

    arrays = {
        "indices": np.asarray(model.indices, dtype=np.int64),
        "weights": np.asarray(model.values, dtype=np.float32),
        "intercept": np.array(model.intercept, dtype=np.float64),
        "meta": np.array(json.dumps(model.meta, sort_keys=True)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _npy(arrays[name]))
    return buffer.getvalue()


def ae_model_write(path: Path, model: AeModel) -> str:
    """Write the artefact atomically (temporary file + rename); returns its SHA-256."""
    payload = ae_model_bytes(model)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(payload)
    partial.replace(path)
    return hashlib.sha256(payload).hexdigest()
