"""Pure parsing of FDA Structured Product Labels (no Django, no I/O beyond reading
the given file): ``spl.spl_parse`` and the condition lexicon in ``conditions``."""

from compliance.labels.spl import SplLabel, SplParseError, SplProduct, spl_parse

__all__ = ["SplLabel", "SplParseError", "SplProduct", "spl_parse"]
