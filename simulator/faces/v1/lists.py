"""List endpoints: limit/offset, one status, created_at[gt|gte|lt|lte], sort_by; {has_more, data}.

Query errors use Joi's wording, as the real service validates the query with celebrate/Joi.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from multidict import MultiMapping

from simulator.core.models import Message
from simulator.core.timefmt import parse_iso
from simulator.faces.v1 import errors
from simulator.faces.v1.validation import BOOLEAN

CREATED_AT = re.compile(r"^created_at\[(gt|gte|lt|lte)\]$")
SORT_BY = re.compile(r"^([+-]?)(created_at|updated_at)$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b,
}


@dataclass(slots=True)
class ListQuery:
    limit: int = 10
    offset: int = 0
    status: str | None = None
    created_at: dict[str, float] = field(default_factory=dict)
    sort_field: str = "created_at"
    ascending: bool = False
    tag: str | None = None
    exclude_params: bool = False


def _single(query: MultiMapping[str], name: str) -> str:
    """One value; a repeated parameter reaches Joi as an array."""
    values = query.getall(name)
    if len(values) > 1:
        label = name.replace("[", ".").rstrip("]")
        raise errors.validation(f'"{label}" must be a string')
    return values[0]


def _integer(query: MultiMapping[str], name: str, low: int, high: int | None) -> int:
    text = _single(query, name).strip()
    try:
        value = float(text)
    except ValueError as exc:
        raise errors.validation(f'"{name}" must be a number') from exc
    if value != value or not value.is_integer():  # NaN or a fraction
        raise errors.validation(f'"{name}" must be an integer')
    if value < low:
        raise errors.validation(f'"{name}" must be greater than or equal to {low}')
    if high is not None and value > high:
        raise errors.validation(f'"{name}" must be less than or equal to {high}')
    return int(value)


def parse_list_query(query: MultiMapping[str], statuses: Sequence[str], max_limit: int,
                     email: bool = False) -> ListQuery:
    """Validate the query of a list endpoint; `email` allows tag and exclude_params."""
    parsed = ListQuery()
    allowed = {"limit", "offset", "status", "sort_by"} | ({"tag", "exclude_params"} if email else set())
    for name in query:
        if name == "created_at":
            raise errors.validation('"created_at" must be of type object')
        if name not in allowed and not CREATED_AT.match(name):
            label = name.replace("[", ".").rstrip("]")
            raise errors.validation(f'"{label}" is not allowed')
    if "limit" in query:
        parsed.limit = _integer(query, "limit", 1, max_limit)
    if "offset" in query:
        parsed.offset = _integer(query, "offset", 0, None)
    if "status" in query:
        status = _single(query, "status").upper()
        if status not in statuses:
            raise errors.validation(f'"status" must be one of [{", ".join(statuses)}]')
        parsed.status = status
    for name in query:
        match = CREATED_AT.match(name)
        if match:
            op = match.group(1)
            try:
                parsed.created_at[op] = parse_iso(_single(query, name))
            except ValueError as exc:
                raise errors.validation(f'"created_at.{op}" must be in ISO 8601 date format') from exc
    if "sort_by" in query:
        sort = SORT_BY.match(_single(query, "sort_by"))
        if sort is None:
            raise errors.validation(f'"sort_by" with value "{query["sort_by"]}" fails to match the required '
                                    "pattern: /^[+-]?created_at|updated_at$/")
        parsed.ascending = sort.group(1) == "+"
        parsed.sort_field = sort.group(2)
    if "tag" in query:
        tag = _single(query, "tag")
        if len(tag) > 255:
            raise errors.validation('"tag" length must be less than or equal to 255 characters long')
        parsed.tag = tag
    if "exclude_params" in query:
        flag = BOOLEAN.get(_single(query, "exclude_params").strip().lower())
        if flag is None:
            raise errors.validation('"exclude_params" must be a boolean')
        parsed.exclude_params = flag
    return parsed


def select(messages: Sequence[Message], query: ListQuery,
           tag_of: Callable[[Message], str | None] = lambda m: None) -> tuple[bool, list[Message]]:
    """Filter, sort and slice a tenant's messages; returns (has_more, page)."""
    chosen = [
        m for m in messages
        if (query.status is None or m.status == query.status)
        and (query.tag is None or tag_of(m) == query.tag)
        and all(_COMPARE[op](m.created_at, bound) for op, bound in query.created_at.items())
    ]
    if query.sort_field == "created_at":
        chosen.sort(key=lambda m: (m.created_at, m.seq), reverse=not query.ascending)
    else:
        chosen.sort(key=lambda m: (m.updated_at, m.seq), reverse=not query.ascending)
    end = query.offset + query.limit
    return len(chosen) > end, chosen[query.offset:end]
