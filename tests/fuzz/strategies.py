"""Hypothesis strategies for hostile text: markup, separators iCalendar and CSV care about, scripts, huge values."""

from contextlib import contextmanager

from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

# Derandomized so CI sees the same examples on every run (a failure is reproducible, never flaky); the
# examples still cover the hand-picked nasties below because every strategy samples them explicitly.
FUZZ = settings(
    max_examples=50,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # The explain phase re-runs a failure hundreds of times through the whole stack: minutes for one line.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
NASTIES = [
    SCRIPT,
    IMG,
    "a,b;c\\d:e",
    "line one\nline two",
    "windows\r\nline\rold mac",
    "\u202eevil\u202c right-to-left",
    "שלום עולם",
    "مرحبا",
    "🚀🔥👩‍👩‍👧 emoji",
    "tab\tseparated",
    '=HYPERLINK("http://evil")',
    "+1",
    "-2",
    "@SUM(A1)",
    "\u2028line\u2029separators",
    "\ufeffbom",
    "é" * 80,  # two octets each: folding must not split a character
    "x" * 3000,
    "control \x01\x07\x1b\x7f chars",
    "\x00nul",
    " leading and trailing spaces ",
    "'; DROP TABLE changes_change; --",
    "{{ template }} {% tag %}",
]

ascii_or_any = st.one_of(st.text(max_size=200), st.text(alphabet=st.characters(codec="ascii"), max_size=200))
odd_text = st.one_of(
    st.sampled_from(NASTIES),
    ascii_or_any,
    st.lists(st.one_of(st.sampled_from(NASTIES), st.text(max_size=10)), min_size=1, max_size=5).map("".join),
)

# Each feed example renders and re-parses a whole feed: fewer examples keep tests/fuzz well under a minute.
FUZZ_FEEDS = settings(FUZZ, max_examples=30)


@contextmanager
def rolled_back():
    """Undo one example's rows, so the next example's feed or page is not made of every earlier example."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
