"""InfluencerScore.details (a JSONB object of every sub-score, 1.2-1.9 KB a row) becomes
``subscores`` (float8[], named once per run by ``ScoringRun.subscore_columns``),
``subscore_texts`` (the text sub-scores) and ``flags`` (the authenticity flags).
Existing rows are converted run by run in SQL; the reverse rebuilds ``details``.
``ScoringRun.source_hash`` fingerprints the tables a run reads (the SKIPPED path)."""

import django.contrib.postgres.fields
from django.db import migrations, models

TEXT_TYPES = ("string",)
NUMBER_TYPES = ("number", "boolean", "null")


def _split(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT run_id FROM vetting_influencerscore "
            "WHERE details <> '{}'::jsonb ORDER BY run_id"
        )
        for (run_id,) in cursor.fetchall():
            cursor.execute(
                """
                SELECT e.key, array_agg(DISTINCT jsonb_typeof(e.value))
                FROM vetting_influencerscore s, jsonb_each(s.details) e
                WHERE s.run_id = %s AND e.key <> 'flags'
                GROUP BY e.key ORDER BY e.key
                """,
                [run_id],
            )
            numbers, texts = [], []
            for key, types in cursor.fetchall():
                if set(types) <= set(NUMBER_TYPES):
                    numbers.append(key)
                else:
                    texts.append(key)
            values = ", ".join(
                "CASE jsonb_typeof(details -> %s) "
                "WHEN 'number' THEN (details ->> %s)::float8 "
                "WHEN 'boolean' THEN (details ->> %s)::bool::int::float8 "
                "ELSE 'NaN'::float8 END"
                for _ in numbers
            )
            cursor.execute(
                f"""
                UPDATE vetting_influencerscore SET
                    subscores = ARRAY[{values}]::float8[],
                    subscore_texts = (
                        SELECT COALESCE(jsonb_object_agg(e.key, e.value), '{{}}')
                        FROM jsonb_each(details) e WHERE e.key = ANY(%s::text[])
                    ),
                    flags = COALESCE(details -> 'flags', '[]'::jsonb)
                WHERE run_id = %s
                """,
                [v for key in numbers for v in (key, key, key)] + [texts, run_id],
            )
            cursor.execute(
                "UPDATE vetting_scoringrun SET subscore_columns = %s WHERE id = %s",
                [numbers, run_id],
            )


def _join(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE vetting_influencerscore s SET details = (
                SELECT COALESCE(jsonb_object_agg(
                    n.name, CASE WHEN n.value = 'NaN' THEN NULL
                                 ELSE to_jsonb(n.value) END), '{}'::jsonb)
                FROM vetting_scoringrun r,
                     unnest(r.subscore_columns, s.subscores) AS n(name, value)
                WHERE r.id = s.run_id AND n.name IS NOT NULL
            ) || s.subscore_texts || jsonb_build_object('flags', s.flags)
            """
        )


class Migration(migrations.Migration):
    dependencies = [
        ("vetting", "0004_score_page_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="scoringrun",
            name="source_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="scoringrun",
            name="subscore_columns",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(max_length=64),
                blank=True,
                default=list,
                size=None,
            ),
        ),
        migrations.AddField(
            model_name="influencerscore",
            name="subscores",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.FloatField(), blank=True, default=list, size=None
            ),
        ),
        migrations.AddField(
            model_name="influencerscore",
            name="subscore_texts",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="influencerscore",
            name="flags",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(_split, _join, elidable=True),
        migrations.RemoveField(model_name="influencerscore", name="details"),
    ]
