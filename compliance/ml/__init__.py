"""Fitted text models the compliance rules consult (pure inference, lazy loading).

``ae_model``: the adverse-event text model (``ADVERSE_EVENT``), its featuriser and
its artefact ``ae_model.npz`` (provenance in ``PROVENANCE.md``); ``training``
rebuilds the artefact from the shared corpora (``manage.py ae_model_train``).
scikit-learn is imported only by ``training``; the rules need numpy alone.
"""
