"""Beichen District's (北辰区, Tianjin) service standards measured on OpenStreetMap data.

Built on the generic engine in :mod:`geo`. See README.md for the command-line tool.
"""

__version__ = "0.1.0"
