"""Exception types of the engine.

Three kinds, caught once by a command-line shell and turned into a readable message:

- :class:`InputError`: a file or argument given by the user is missing, unreadable or
  malformed. The message names the file, row or feature and says what to do.
- :class:`DataError`: the input reads fine but its content cannot support the analysis
  (an empty layer, a study area with no residential land...).
- :class:`NetworkError`: the street network is empty, too small, or a download failed.

Messages speak of the API's own keyword arguments (``layer=NAME``), never of a program's
command-line flags. When a message asks the user to set one, its keyword is also given
machine-readably as the ``option`` attribute, so that a command-line shell can add the name
of its own flag for it. :class:`GeoWarning` does the same for warnings.
"""

from __future__ import annotations


class GeoError(Exception):
    """Base class of every error raised on purpose by ``geo``.

    Parameters
    ----------
    message
        The message; ``str(exc)`` is this text.
    option
        Keyword argument of the ``geo`` function that the message asks the user to set
        (e.g. ``"layer"``), or None. When the message names a pair (``lon_col``/``lat_col``)
        it is the first of them.
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


class GeoWarning(UserWarning):
    """Base class of warnings of ``geo`` that ask the user to set an argument.

    Emit an instance (``warnings.warn(GeoWarning(text, option="coords"))``): the ``option``
    attribute is then on ``warning.message`` of a recorded warning, as on :class:`GeoError`.
    """

    def __init__(self, *args: object, option: str | None = None) -> None:
        super().__init__(*args)
        self.option = option
