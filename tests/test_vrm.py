"""UK plate formats (R-READ-7): the normaliser fixes look-alike characters where a format fixes
the slot's type, ranks readings by confidence, fixes and format; foreign plates are fitted to
known foreign layouts by the same look-alike fixes, or kept as read. Property tests over
generated plates."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reads.vrm import (
    TO_LETTER,
    UK_FORMATS,
    InvalidVRM,
    canonical_vrm,
    is_foreign_layout,
    plate_readings,
    uk_format,
)

LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
DIGITS = "0123456789"


def plates(patterns: list[str]):
    """VRMs filling one of the formats' slot patterns."""
    slot = {"L": st.sampled_from(LETTERS), "D": st.sampled_from(DIGITS), "Q": st.just("Q")}
    return st.sampled_from(patterns).flatmap(
        lambda pattern: st.tuples(*(slot[s] for s in pattern)).map("".join)
    )


current = plates(UK_FORMATS["current"][0])
# Plates as issued: a Northern Irish mark holds an I or a Z; serial numbers never start with 0.
british = plates([p for name in ("current", "prefix", "suffix") for p in UK_FORMATS[name][0]])
british = british.filter(lambda vrm: uk_format(vrm) is not None)
any_uk = plates([p for patterns, _ in UK_FORMATS.values() for p in patterns]).filter(
    lambda vrm: uk_format(vrm) is not None
)


@given(st.one_of(british, any_uk), st.floats(0.05, 1.0))
def test_a_plate_read_as_it_is_stays_as_it_is_and_comes_first(vrm, confidence):
    readings = plate_readings([(vrm, confidence)])
    assert readings[0].vrm == vrm
    assert readings[0].fixes == 0
    assert readings[0].format is not None


@given(current, st.data())
def test_look_alikes_in_a_current_plate_are_fixed_back(vrm, data):
    """A letter read as its look-alike digit (or the reverse), in up to two slots: the plate is
    among the readings, and first whenever what was read fits no UK format as it is, unless
    another format, or a foreign layout, explains it with no more fixes."""
    misread = TO_LETTER | {letter: digit for digit, letter in TO_LETTER.items()}
    fixable = [i for i, char in enumerate(vrm) if char in misread]
    slots = data.draw(st.lists(st.sampled_from(fixable), max_size=2, unique=True)
                      if fixable else st.just([]))  # fmt: skip
    read = list(vrm)
    for i in slots:
        read[i] = misread[read[i]]
    read = "".join(read)
    readings = plate_readings([(read, 0.9)])
    assert vrm in [r.vrm for r in readings]
    if uk_format(read) is None:
        top = readings[0]
        assert (top.vrm, top.fixes) == (vrm, len(slots)) or top.fixes <= len(slots)


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=20))
def test_every_reading_is_canonical(text):
    for reading in plate_readings([(text, 0.8)]):
        assert reading.vrm.isalnum() and reading.vrm == reading.vrm.upper()
        assert 0 <= reading.score <= 1


@given(st.sampled_from(["D123456AB", "WDB4567", "12AB34CD", "ZH12345678"]))
def test_foreign_plates_pass_through_unfixed(vrm):
    readings = plate_readings([(vrm, 0.9)])
    assert readings[0].vrm == vrm
    assert readings[0].format is None


@pytest.mark.parametrize("read, plate", [
    ("ABCI234", "ABC1234"),  # LLL DDDD: a 1 drawn like an I
    ("JSQI4I3", "JSQ1413"),  # two fixes
    ("AB1C2D", "AB1C2D"),  # LLD LDL as read
    ("ABIC2D", "AB1C2D"),
    ("OKLI235", "OKL1235"),  # not 0KL I235 (D LLL DDD): equally near, the commoner layout
    ("7AB0123", "7ABO123"),  # D LLL DDD: a 0 in a letter's slot is an O
    ("0UPI442", "OUP1442"),  # not D LLL DDD, which never starts with 0
])  # fmt: skip
def test_a_foreign_read_near_a_known_layout_is_fixed_by_slot(read, plate):
    readings = plate_readings([(read, 0.9)])
    assert readings[0].vrm == plate
    assert readings[0].format is None
    assert read in [r.vrm for r in readings]  # what was read stays an alternative


def test_a_californian_registration_never_starts_with_0():
    assert is_foreign_layout("1ABC234") and not is_foreign_layout("0ABC234")
    assert is_foreign_layout("0123456")  # DDDDDDD may


def test_a_foreign_read_far_from_every_layout_is_kept_as_read():
    assert plate_readings([("1A2B3C4", 0.9)])[0].vrm == "1A2B3C4"  # no layout of that shape
    assert plate_readings([("K9X4M7P2", 0.9)])[0].vrm == "K9X4M7P2"  # nor of that length


def test_a_clean_foreign_read_is_not_bent_into_a_rare_uk_format_by_one_fix():
    assert plate_readings([("JQV5526", 0.9)])[0].vrm == "JQV5526"  # not ABC 123G (suffix)
    assert plate_readings([("AB12C0E", 0.9)])[0].vrm == "AB12COE"  # one fix, current: fixed


def test_a_year_letter_never_issued_rules_a_suffix_or_prefix_format_out():
    assert uk_format("ABC123D") == "suffix" and uk_format("ABC123I") is None
    assert uk_format("A123BCD") == "prefix" and uk_format("O123BCD") is None
    # So a Brazilian ABC 1231 read with its last 1 as I is fitted back, not taken as British.
    assert plate_readings([("OUM731I", 0.6)])[0].vrm == "OUM7311"


def test_a_zero_read_as_d_or_q_in_a_digits_slot_is_fixed():
    assert plate_readings([("NTHD518", 0.6)])[0].vrm == "NTH0518"  # ABC 1234
    assert plate_readings([("AB1Q CDE", 0.6)])[0].vrm == "AB10CDE"
    assert plate_readings([("AB12 CDE", 0.6)])[0].vrm == "AB12CDE"  # a D in a letter's slot stays


def sure(text: str, **unsure: dict[str, float]) -> list[dict[str, float]]:
    """What a recogniser saw: each character of `text` for certain, except at the places
    named `at<index>`, where it saw the characters given with their probabilities."""
    return [unsure.get(f"at{i}", {c: 1.0}) for i, c in enumerate(text)]


def test_the_recognisers_odds_choose_between_layouts():
    # An I it was unsure of: as a 1 in the commonest layout (ABC 1234), not in a rare one.
    assert plate_readings([(sure("OUM731I", at6={"I": 0.6, "1": 0.4}), 0.6)])[0].vrm == "OUM7311"
    # Sure of an 8 and a 1, where a 2-fix look-alike reading (BSI 6841) would fit ABC 1234.
    read = sure("8S16841", at0={"8": 0.99, "B": 0.001}, at2={"1": 0.99, "I": 0.002})
    assert plate_readings([(read, 0.9)])[0].vrm == "8S16841"
    # A squared O read as a D in a letter's slot: the layout cannot tell, the odds can't either.
    assert plate_readings([(sure("DDC9387", at0={"D": 0.8, "O": 0.2}), 0.9)])[0].vrm == "DDC9387"


def test_a_character_the_recogniser_found_nearly_as_likely_fixes_a_uk_plate():
    # Not a look-alike pair (R-READ-7), but the recogniser's second choice fits the format.
    read = sure("AB12CD4", at6={"4": 0.55, "A": 0.45})
    assert plate_readings([(read, 0.8)])[0].vrm == "AB12CDA"
    # A look-alike costs at most FIX_PENALTY squared however sure the recogniser was of what
    # it read.
    assert plate_readings([(sure("AB12C0E", at5={"0": 1.0}), 0.8)])[0].vrm == "AB12COE"


def test_each_uk_format_is_recognised():
    assert uk_format("AB12CDE") == "current"
    assert uk_format("A123BCD") == "prefix"
    assert uk_format("ABC123D") == "suffix"
    assert uk_format("ABZ1234") == "northern_ireland"
    assert uk_format("IA123") == "northern_ireland"
    assert uk_format("ABC1234") is None  # three letters and four digits is Northern Irish only
    assert uk_format("1234AB") == "dateless"
    assert uk_format("Q123ABC") == "q"
    assert uk_format("AB123") == uk_format("JFK1") == "dateless"  # no I or Z: not Irish
    assert uk_format("AI12CDE") is None  # I is never issued in the current format


def test_a_more_confident_reading_wins_and_spaces_and_case_do_not_matter():
    readings = plate_readings([("ab12 cde", 0.4), ("AB12CDF", 0.9)])
    assert [r.vrm for r in readings[:2]] == ["AB12CDF", "AB12CDE"]


@pytest.mark.parametrize(
    "raw", ["AB12 CD\u017f", "AB12 CD\u0131", "AB12\u00a0CDE", "\uff21\uff2212CDE",
            "\u0410\u041212\u0421DE"],
    ids=["long s", "dotless i", "no-break space", "full-width", "cyrillic"],
)  # fmt: skip
def test_look_alike_letters_and_other_spaces_are_not_a_vrm(raw):
    # upper() would quietly turn some of these into plates that never match a hotlist.
    with pytest.raises(InvalidVRM, match="characters other than letters and digits"):
        canonical_vrm(raw)


def test_a_read_longer_than_any_registration_gives_no_reading():
    assert plate_readings([("0800555017212", 0.9)]) == []
    assert plate_readings([("080055501721", 0.9)]) != []  # twelve: the longest kept
