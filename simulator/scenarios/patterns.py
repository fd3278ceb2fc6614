"""Scenario regexes (`recipient_regex`, `content_regex`), matched with a time limit.

A scenarios file is anyone's on a shared simulator (POST /_sim/scenarios/reload), and a pattern such as
`(a|aa)+$` backtracks for minutes on forty a's: with `re`, which has no time limit, every other request waited
behind it. The `regex` package takes the same syntax and gives up after `MATCH_SECONDS`; a pattern that gives
up counts as no match (the rule does not apply), is logged, and matches nothing more until the scenarios are
loaded again: otherwise fifty such rules cost a second on every send.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import regex

MATCH_SECONDS = 0.02  # real seconds one search may take; a sane pattern on a message takes microseconds
# A search with a time limit costs about 1 µs where re's took 0.1, on every send a rule with a regex sees (the
# bundled rules test every v2 recipient with one, every v1 email recipient with five). A search is a pure function
# of the text, and tests send to the same numbers again and again: each pattern remembers its last answers.
REMEMBERED = 1024
REMEMBERED_LENGTH = 256  # longer texts (message content) are searched every time
log = logging.getLogger("postman_sim.scenarios")


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled scenario regex; `key` names it in the warning (`content_regex`, `recipient_regex`)."""

    key: str
    compiled: regex.Pattern[str]
    _warned: list[bool] = field(default_factory=lambda: [False], compare=False, repr=False)
    _answers: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @property
    def pattern(self) -> str:
        return self.compiled.pattern

    def found_in(self, text: str) -> bool:
        """Does the pattern match somewhere in `text`? False when it gives up."""
        if self._warned[0]:
            return False  # gave up once: it backtracks, and would cost MATCH_SECONDS on every send
        answers = self._answers
        known = answers.get(text)
        if known is not None:
            return known
        try:
            found = self.compiled.search(text, timeout=MATCH_SECONDS) is not None
        except TimeoutError:
            self._warned[0] = True
            log.warning("%s /%s/ gave up after %g s on a %d-character text: it backtracks too much, and matches "
                        "nothing from now on (reload the scenarios once it is fixed)", self.key, self.pattern,
                        MATCH_SECONDS, len(text))
            return False
        if len(text) <= REMEMBERED_LENGTH:
            if len(answers) >= REMEMBERED:
                answers.clear()
            answers[text] = found
        return found


def compile_pattern(key: str, source: str) -> Pattern:
    """The pattern, or ValueError saying why it is not a regular expression."""
    try:
        return Pattern(key, regex.compile(source))
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
