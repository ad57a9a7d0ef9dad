"""Serializers of the compliance API: the draft checker's input and output."""

from __future__ import annotations

from rest_framework import serializers

from influencers.validators import validate_npi


class EvidenceSerializer(serializers.Serializer):
    start = serializers.IntegerField(
        help_text="Offset of the span in the text (characters)."
    )
    end = serializers.IntegerField()
    text = serializers.CharField()


class RuleHitSerializer(serializers.Serializer):
    rule_code = serializers.CharField(source="code")
    rule_version = serializers.CharField(source="version")
    severity = serializers.CharField()
    evidence = EvidenceSerializer(many=True)
    explanation = serializers.CharField()
    basis = serializers.CharField()
    product = serializers.CharField(source="product_name", allow_blank=True)
    label_version = serializers.IntegerField(allow_null=True)
    details = serializers.DictField()


class ComplianceCheckInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, trim_whitespace=False)
    author_npi = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        validators=[validate_npi],
        help_text="NPI of the author; their Open Payments feed the conflict check.",
    )
    product = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="The product the draft is about, if the text does not name it.",
    )
    posted_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="Publication time; picks the label version in force (default: now).",
    )


class ComplianceCheckOutputSerializer(serializers.Serializer):
    text = serializers.CharField()
    products = serializers.ListField(child=serializers.CharField())
    findings = RuleHitSerializer(many=True)
    product_mentions = RuleHitSerializer(many=True)
