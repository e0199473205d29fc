"""LazyPattern: a regular expression that is compiled on first use, then behaves as the compiled one."""

import re

import pytest

from iompolicy.patterns import LazyPattern


def test_it_answers_as_the_compiled_pattern():
    lazy = LazyPattern(r"^kind:\s*(\w+)$", re.MULTILINE)
    text = "id: x\nkind: proposal\n"
    assert lazy.search(text).group(1) == "proposal"
    assert lazy.findall(text) == re.compile(r"^kind:\s*(\w+)$", re.MULTILINE).findall(text)
    assert lazy.sub("-", text) == "id: x\n-\n"
    assert lazy.pattern == r"^kind:\s*(\w+)$" and lazy.flags & re.MULTILINE


def test_nothing_is_compiled_before_use_and_each_method_is_kept_after():
    lazy = LazyPattern(r"a+")
    assert "search" not in vars(lazy)
    lazy.search("caab")
    assert "search" in vars(lazy) and "fullmatch" not in vars(lazy)
    assert lazy.search is lazy.search  # kept: no second lookup through the compiled pattern


def test_a_bad_pattern_fails_when_first_used():
    lazy = LazyPattern(r"(")  # no error yet
    with pytest.raises(re.error):
        lazy.search("x")


def test_it_survives_pickling_before_and_after_use():
    import pickle

    fresh = LazyPattern(r"b+", re.IGNORECASE)
    used = LazyPattern(r"b+", re.IGNORECASE)
    used.search("abba")
    for lazy in (fresh, used):
        copy = pickle.loads(pickle.dumps(lazy))
        assert copy.search("aBBa").group() == "BB"
