"""YAML as scenarios files are read: yaml.safe_load, except that an integer past the double range is ±inf.

PyYAML builds such an integer as a Python int, which float() cannot convert (OverflowError: a 500 on reload,
from any check that does arithmetic with it), and refuses more than 4,300 digits with a ValueError from inside
the parser. As ±inf it meets the checks every number already has (a step's `after:` must be finite, a
`probability:` between 0 and 1), and the file is refused with the usual message naming the key.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import yaml

_LARGEST_DOUBLE = int(sys.float_info.max)


class _Loader(yaml.SafeLoader):
    def construct_yaml_int(self, node: yaml.ScalarNode) -> int | float:  # type: ignore[override]
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:  # more digits than int() takes from text (sys.get_int_max_str_digits)
            return -math.inf if str(node.value).lstrip().startswith("-") else math.inf
        if abs(value) > _LARGEST_DOUBLE:
            return -math.inf if value < 0 else math.inf
        return value


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


def load(text: str) -> Any:
    """yaml.safe_load(text), with integers past the double range read as ±inf."""
    return yaml.load(text, Loader=_Loader)  # a SafeLoader subclass: no python/ tags
