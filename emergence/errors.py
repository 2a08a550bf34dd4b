"""The errors a user can cause, and can fix. `emergence` prints each as one line naming the cause
and the fix and exits non-zero; any other exception is a bug and keeps its traceback.

    UserError            the base class the CLI catches
      ParamsError        a bad value in params.yaml or on the command line (exit 2; params.py)
      SourceError        a real-corpus source cannot deliver (data/hub.py)
      BackendError       docker or modal cannot run the stage (backends/)
      MissingInput       an input file is absent: the stage that writes it has not run
      CorruptInput       an input file is there but malformed
      Diverged           training produced a non-finite loss (lower the learning rate)
      SetupError         the environment lacks a tool the command needs (dvc on PATH, ...)

The file errors also subclass the builtin a caller would expect (FileNotFoundError, ValueError,
FloatingPointError), so code that catches those keeps working.
"""


class UserError(Exception):
    """A problem the user can fix; its message names the cause and the fix in one line."""


class MissingInput(UserError, FileNotFoundError):
    """An input file is absent (run the stage that writes it)."""


class CorruptInput(UserError, ValueError):
    """An input file exists but cannot be used as it is."""


class Diverged(UserError, FloatingPointError):
    """The training loss became non-finite."""


class SetupError(UserError):
    """A tool or setting the command needs is missing from the environment."""


class BackendError(UserError):
    """A stage could not be run on the chosen backend (no engine, no token, remote failure)."""
