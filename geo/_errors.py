"""Exception types of the engine.

Three kinds, caught once by a command-line shell and turned into a readable message:

- :class:`InputError`: a file or argument given by the user is missing, unreadable or
  malformed. The message names the file, row or feature and says what to do.
- :class:`DataError`: the input reads fine but its content cannot support the analysis
  (an empty layer, a study area with no residential land...).
- :class:`NetworkError`: the street network is empty, too small, or a download failed.
"""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error raised on purpose by ``geo``.

    Parameters
    ----------
    *args
        The message (and any further arguments of :class:`Exception`).
    option
        Name of the argument that would help (e.g. ``"overpass_url"``), so that a shell can
        point at its own flag for it; None when no argument would.
    """

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option


class InputError(GeoError):
    """A user-supplied file or argument is missing, unreadable or malformed."""


class DataError(GeoError):
    """Input data is readable but cannot support the requested analysis."""


class NetworkError(GeoError):
    """The street network is unusable, or it could not be loaded or downloaded."""
