"""Load the curated therapeutic areas (``fixtures/programs/therapeutic_areas.json``)
into ``TherapeuticArea``. Idempotent: an unchanged area is counted, not written."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from common.loading import LoadReport
from influencers.loaders import ReferenceFileError
from influencers.models import Specialty, TherapeuticArea
from influencers.services import reference_load_track

FIELDS = ("name", "description", "lexicon", "hashtags", "conditions")


def therapeutic_areas_load(*, path: Path) -> LoadReport:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferenceFileError(f"{path}: not a readable JSON file ({exc})") from exc
    areas = data.get("areas") if isinstance(data, dict) else None
    if not isinstance(areas, list):
        raise ReferenceFileError(f"{path}: expected an object with an 'areas' list")
    known = set(Specialty.objects.values_list("code", flat=True))
    with reference_load_track(loader="therapeutic_areas", source=str(path)) as report:
        for number, area in enumerate(areas, start=1):
            report.received += 1
            where = f"areas[{number - 1}]"
            if not isinstance(area, dict) or not area.get("name"):
                report.reject(file=path.name, line=number, reason=f"{where}: no name")
                continue
            codes = [c for c in area.get("specialties", []) if isinstance(c, str)]
            missing = sorted(set(codes) - known)
            if missing:
                report.notes.append(
                    f"{where}: specialties not in the NUCC table: {', '.join(missing)}"
                )
            values = {
                "name": area["name"],
                "description": area.get("description", ""),
                "lexicon": sorted({str(t) for t in area.get("lexicon", [])}),
                "hashtags": sorted(
                    {str(t).lower().lstrip("#") for t in area.get("hashtags", [])}
                ),
                "conditions": list(area.get("conditions", [])),
            }
            slug = area.get("slug") or slugify(area["name"])
            with transaction.atomic():
                existing = TherapeuticArea.objects.filter(slug=slug).first()
                wanted = sorted(set(codes) & known)
                if existing is None:
                    existing = TherapeuticArea(slug=slug, **values)
                    existing.full_clean()
                    existing.save()
                    report.created += 1
                else:
                    have = sorted(existing.specialties.values_list("code", flat=True))
                    if (
                        all(getattr(existing, f) == values[f] for f in FIELDS)
                        and have == wanted
                    ):
                        report.unchanged += 1
                        continue
                    for name, value in values.items():
                        setattr(existing, name, value)
                    existing.full_clean()
                    existing.save()
                    report.updated += 1
                existing.specialties.set(Specialty.objects.filter(code__in=wanted))
    return report
