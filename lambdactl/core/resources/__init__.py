"""Reading AWS resources into the model (issue 18): :func:`read_function` is the one reader of a
function's live state. See :mod:`lambdactl.core.resources.reader`."""
from lambdactl.core.resources.reader import read_function

__all__ = ["read_function"]
