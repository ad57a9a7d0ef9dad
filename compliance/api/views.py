"""Compliance API endpoints: thin shells over selectors and services."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from compliance.api.serializers import (
    ComplianceCheckInputSerializer,
    ComplianceCheckOutputSerializer,
)
from compliance.selectors import draft_check


class ComplianceCheckApi(APIView):
    """Check a draft post before it is published. Stores nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="compliance_check",
        summary="Check a draft post against the compliance rules",
        description=(
            "Runs every compliance rule (off-label, overstated efficacy, fair "
            "balance, undisclosed sponsorship, conflicts of interest from Open "
            "Payments, adverse events) on the text and returns the findings with "
            "evidence spans (character offsets into `text`), an explanation and the "
            "regulation each rests on. Nothing is stored."
        ),
        request=ComplianceCheckInputSerializer,
        responses={200: ComplianceCheckOutputSerializer},
        examples=[
            OpenApiExample(
                "Off-label and overstated",
                value={"text": "Eliquis is a miracle for LV thrombus!"},
                request_only=True,
            )
        ],
        tags=["compliance"],
    )
    def post(self, request: Request) -> Response:
        serializer = ComplianceCheckInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = draft_check(
            text=data["text"],
            author_npi=data.get("author_npi") or "",
            product=data.get("product") or "",
            posted_at=data.get("posted_at") or timezone.now(),
        )
        output = ComplianceCheckOutputSerializer(
            {
                "text": result.text,
                "products": result.products,
                "findings": result.findings,
                "product_mentions": [h for h in result.hits if not h.is_finding],
            }
        )
        return Response(output.data, status=status.HTTP_200_OK)
