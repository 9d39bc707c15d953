"""Values of numpy and pandas as JSON's plain numbers (NaN -> null), for every ``to_json``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def json_value(x: Any) -> Any:
    """A numpy scalar as a plain Python value; NaN as None."""
    if isinstance(x, (float, np.floating)):
        return None if math.isnan(x) else float(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame's rows as dicts of plain values."""
    return [{k: json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]



def finite_json_value(x: Any) -> Any:
    """A number for a JSON reader that knows no NaN or infinity: those become None; numpy
    booleans and integers plain Python ones."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return None if not math.isfinite(float(x)) else float(x)
    return x
