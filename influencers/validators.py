from django.core.exceptions import ValidationError

from influencers.verification.npi import npi_problem


def validate_npi(value: str) -> None:
    problem = npi_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_npi")
