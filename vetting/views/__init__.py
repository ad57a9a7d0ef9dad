"""Pages of the vetting app, one module per area (programs, discovery, profile,
review queues, cases); ``vetting/urls.py`` routes to them."""
