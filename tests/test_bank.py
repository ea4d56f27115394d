"""The bank of realistic one-bug and correct variants (tests/bank), each against its function's test.

Cheap: each variant's module is edited and built in memory, and only its
function's test runs. The same variants graded as whole submissions through
the trusted grader: benchmarks/variant_bank.py and test_bank_through_the_grader.
"""

import numpy as np
import pytest

from bank import BUGS, CORRECT, edited_function, entry_id
from cs231n_lite.selfcheck import REGISTRY
from cs231n_lite.selfcheck.feedback import CheckFailed

LIKELY = "Likely mistake: "


def outcome(test, fn, case):
    """The CheckFailed message of a test on fn, or None if it passed."""
    try:
        with np.errstate(all="ignore"):
            test(fn, case=case)
    except CheckFailed as exc:
        return str(exc)
    return None


def named(bug, message):
    return message is not None and LIKELY in message and bug.phrase in message.split(LIKELY, 1)[1] \
        if bug.phrase else False


@pytest.mark.parametrize("bug", BUGS, ids=entry_id)
def test_each_bug_is_caught_and_named(bug):
    test, fn = REGISTRY[bug.function].test, edited_function(bug)
    visible, hidden = outcome(test, fn, "visible"), outcome(test, fn, "hidden")
    assert hidden is not None, f"the hidden case passes {bug.description}"
    if bug.visible:
        assert visible is not None, f"the visible case passes {bug.description}"
        if bug.phrase:
            assert named(bug, visible), visible
    else:
        assert bug.why, "say why the visible case cannot show it"
        if bug.phrase:
            assert named(bug, hidden), hidden


@pytest.mark.parametrize("variant", CORRECT, ids=entry_id)
def test_each_correct_variant_passes(variant):
    test, fn = REGISTRY[variant.function].test, edited_function(variant)
    for case in ("visible", "hidden"):
        assert outcome(test, fn, case) is None, (case, variant.description)


def test_bank_entries_are_distinct():
    keys = [(e.function, e.edits) for e in BUGS + CORRECT]
    assert len(keys) == len(set(keys))
