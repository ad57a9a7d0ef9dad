"""NPPES bulk file (``npidata_pfile_*.csv``) -> ``Clinician`` and ``ClinicianTaxonomy``.

The real file is ~10 GB: 330 columns, every value double-quoted (NPPES turns a ``"``
inside a value into ``'``), ISO-8859-1, CRLF line ends, dates MM/DD/YYYY. Deactivated
NPIs appear as stubs: the NPI and ``NPI Deactivation Date``, every other column blank
(including ``Entity Type Code``).

How it loads (``clinicians_load_from_npidata``):

1. The header is checked against ``NPIDATA_COLUMNS`` in the caller's thread.
2. A parser thread streams the file and turns each record into one line of a
   text-format ``COPY`` (plus one line per taxonomy). Bad records are rejected into the
   ``LoadReport`` with file, line and reason; the rest go on. The parser stays ahead of
   the database through a bounded queue (at most about one batch of text).
3. Per batch, in one transaction: ``COPY`` into TEMP stage tables, then
   ``INSERT ... SELECT DISTINCT ON (npi) ... ON CONFLICT (npi) DO UPDATE ... WHERE
   content_sha256 IS DISTINCT FROM ...`` (rows whose hash is already stored are
   filtered out first, so a replay neither rewrites nor locks them), then the
   taxonomies of the created and updated clinicians are replaced. Stubs only mark a
   clinician we already hold as deactivated (names, type and taxonomies are kept);
   stubs for NPIs we do not hold are skipped, since the row would have no entity type.

``content_sha256`` is the SHA-256 of the normalized values and the raw record. While
most rows of a batch are new or changed, the parser builds the ``nppes_payload`` JSON;
once most are unchanged (a monthly refresh) it sends the raw record instead and the
server builds the payload only for the few rows it writes (same jsonb either way).
"""

from influencers.loaders.nppes_bulk.layout import COL, ENCODING, NCOLS, NPIDATA_COLUMNS
from influencers.loaders.nppes_bulk.loader import clinicians_load_from_npidata
from influencers.loaders.nppes_bulk.parser import _npi_luhn_ok, npidata_records

__all__ = [
    "COL",
    "ENCODING",
    "NCOLS",
    "NPIDATA_COLUMNS",
    "_npi_luhn_ok",
    "clinicians_load_from_npidata",
    "npidata_records",
]
