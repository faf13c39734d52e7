"""Sichter: triage of seized media for child-abuse investigations.

The software selects, ranks and explains; a human always decides.
"""

__version__ = "0.1.0"
