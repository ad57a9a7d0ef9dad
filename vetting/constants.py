"""Roles of DESIGN 7, as Django groups created by a migration."""

ROLE_ANALYST = "analyst"
ROLE_MEDICAL = "medical reviewer"
ROLE_LEGAL = "legal reviewer"
ROLE_REGULATORY = "regulatory reviewer"
ROLE_PHARMACOVIGILANCE = "pharmacovigilance officer"
ROLE_ADMIN = "admin"

ROLES = (
    ROLE_ANALYST,
    ROLE_MEDICAL,
    ROLE_LEGAL,
    ROLE_REGULATORY,
    ROLE_PHARMACOVIGILANCE,
    ROLE_ADMIN,
)

# One demo user per role: username -> (role, full name). Passwords are printed by
# the main job and refused whenever DEBUG is off (vetting.auth).
DEMO_USERS = {
    "analyst": (ROLE_ANALYST, "Ana Lyst"),
    "medical": (ROLE_MEDICAL, "Dr. Mei Dical"),
    "legal": (ROLE_LEGAL, "Lee Gal"),
    "regulatory": (ROLE_REGULATORY, "Reggie Ulatory"),
    "pv": (ROLE_PHARMACOVIGILANCE, "Pat Vigil"),
    "admin": (ROLE_ADMIN, "Ada Min"),
    # an analyst of another team: a member of one program only, to try scoping with
    "partner": (ROLE_ANALYST, "Parker Outsider"),
}
# demo users who are members of these programs only (everyone else: every program)
DEMO_MEMBERSHIP_LIMITS = {"partner": ("lipitor-lipids-2025",)}
DEMO_PASSWORD_SUFFIX = "-demo-2026"


def demo_password(username: str) -> str:
    return f"{username}{DEMO_PASSWORD_SUFFIX}"
