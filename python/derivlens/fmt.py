"""Numbers formatted as JavaScript's toExponential / toPrecision write them, so that summaries read
the same whichever worker produced them."""

import math


def _special(x):
    if math.isnan(x):
        return "NaN"
    return "Infinity" if x > 0 else "-Infinity"


def to_exponential(x, digits):
    x = float(x)
    if not math.isfinite(x):
        return _special(x)
    mantissa, exp = f"{x:.{digits}e}".split("e")
    e = int(exp)
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def to_precision(x, digits):
    x = float(x)
    if not math.isfinite(x):
        return _special(x)
    if x == 0:
        return "0" if digits == 1 else "0." + "0" * (digits - 1)
    e = int(f"{x:.{digits - 1}e}".split("e")[1])
    if e < -6 or e >= digits:
        return to_exponential(x, digits - 1)
    return f"{x:.{max(0, digits - 1 - e)}f}"


def json_number(x):
    """JSON has no NaN/Infinity: JSON.stringify writes null, and so do we."""
    x = float(x)
    return x if math.isfinite(x) else None
