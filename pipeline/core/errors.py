"""The errors that end a stage with one line and exit code 1, not a traceback: the user's data or params.

Every module raises a subclass of :class:`ChurnError`, and the command line catches that one base by type.
This module imports nothing, so the data contract, the model code and the params can all raise from it.
"""

from __future__ import annotations


class ChurnError(Exception):
    """Something in the user's data or params that the user can fix: the message says what and where."""


class DataError(ChurnError, ValueError):
    """The data breaks a rule: the message names the file, the column, the problem and how many rows."""


class ParamsError(ChurnError, ValueError):
    """params.yaml is missing a section or has a key or value we cannot use.

    Code below a stage raises it without the file (``ParamsError("score.rank_by: ...")``); the stage's
    :meth:`pipeline.core.config.Params.located` adds the file's path, so the message reads
    ``params.yaml: score.rank_by: ...`` wherever it was raised.
    """

    def __init__(self, message: str, path: object = None) -> None:
        self.message, self.path = message, path
        super().__init__(message if path is None else f"{path}: {message}")

    def at(self, path: object) -> ParamsError:
        """This error located in the params file ``path`` (itself when it already names one)."""
        return self if self.path is not None else ParamsError(self.message, path)
