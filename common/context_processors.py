from django.conf import settings


def product(request):
    """Name of the product and whether the demo logins are usable, for every page."""
    return {
        "PRODUCT_NAME": "PeerProof",
        "DEMO_USERS_ALLOWED": settings.DEMO_USERS_ALLOWED,
    }
