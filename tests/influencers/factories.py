"""factory_boy factories for the influencers app (``.build()`` when no DB is needed)."""

import factory

from influencers.models import Clinician, SocialAccount, Specialty
from influencers.verification.npi import npi_with_check_digit


class SpecialtyFactory(factory.django.DjangoModelFactory):
    """A NUCC-shaped specialty; codes start ``ZZ`` so they never clash with real ones."""

    class Meta:
        model = Specialty
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"ZZ{n:07d}X")
    grouping = "Allopathic & Osteopathic Physicians"
    classification = "Internal Medicine"
    specialization = factory.Sequence(lambda n: f"Specialization {n}")
    display_name = factory.LazyAttribute(lambda o: f"{o.specialization} Physician")
    section = "Individual"


class ClinicianFactory(factory.django.DjangoModelFactory):
    """An active, verified individual with a valid (generated) NPI in the 19... range."""

    class Meta:
        model = Clinician

    npi = factory.Sequence(lambda n: npi_with_check_digit(f"19{n:07d}"))
    entity_type = Clinician.EntityType.INDIVIDUAL
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    credential = "MD"
    primary_specialty = factory.SubFactory(SpecialtyFactory)
    primary_taxonomy_code = factory.SelfAttribute("primary_specialty.code")
    license_state = "GA"
    practice_state = "GA"
    npi_status = Clinician.NpiStatus.ACTIVE
    identity_status = Clinician.IdentityStatus.VERIFIED
    source = Clinician.Source.GENERATED


class SocialAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SocialAccount

    platform = SocialAccount.Platform.BLUESKY
    external_id = factory.Sequence(lambda n: f"did:plc:test{n:06d}")
    handle = factory.Sequence(lambda n: f"clinician{n}.bsky.social")
    display_name = factory.Faker("name")
    followers_count = 2500
    following_count = 300
    posts_count = 420
    clinician = factory.SubFactory(ClinicianFactory)
    link_method = SocialAccount.LinkMethod.NPI_IN_BIO
    link_confidence = 0.95
