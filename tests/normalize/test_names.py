from __future__ import annotations

import pytest

from leadflow.normalize.names import clean_person_name, first_name_forms, first_name_key, name_key, split_full_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane", "Jane"),
        ("  jane  ", "Jane"),
        ("JANE", "Jane"),
        ("Dr. Jane", "Jane"),
        ("Doe, MBA", "Doe"),
        ("Doe, MBA, PhD", "Doe"),
        ("Doe MBA CPA", "Doe"),
        ("Doe, Ph.D.", "Doe"),
        ("Smith (he/him)", "Smith"),
        ("Smith 🚀", "Smith"),
        ("✨Anna✨", "Anna"),
        ("McDonald", "McDonald"),
        ("van Dijk", "van Dijk"),
        ("O'Brien", "O'Brien"),
        ("Jean-Luc", "Jean-Luc"),
        ("Núñez", "Núñez"),
        ("Prof. Dr. Klaus Müller", "Klaus Müller"),
        ("Doe, Jr.", "Doe"),
        ("🙂", None),
        ("", None),
        (None, None),
        ("MBA", None),
        ("Dr", None),  # "Dr. Chloe" cut short in an export: no name left
        ("Mrs.", None),
        ("Sir", "Sir"),
    ],
)
def test_clean_person_name(raw: str | None, expected: str | None) -> None:
    assert clean_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "first", "last"),
    [
        ("Jane Doe", "Jane", "Doe"),
        ("Mr. José María García López, MBA", "José", "María García López"),
        ("Cher", "Cher", None),
        ("Dr. Amir Khan 🎯 | Growth", "Amir", "Khan Growth"),
    ],
)
def test_split_full_name(raw: str, first: str | None, last: str | None) -> None:
    assert split_full_name(raw) == (first, last)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bob", "Robert"),
        ("Bobby", "Robert"),
        ("Liz", "Elizabeth"),
        ("Bill", "William"),
        ("Mike", "Michael"),
        ("Tom", "Thomas"),
        ("Jim", "James"),
        ("Kate", "Katherine"),
        ("Peggy", "Margaret"),
        ("Jess", "Jessica"),
        ("Dr. Andy", "Andrew"),
        ("ROBERT", "robert"),
    ],
)
def test_nicknames_share_a_first_name_form(a: str, b: str) -> None:
    key_a, key_b = first_name_key(a), first_name_key(b)
    assert key_a
    assert key_b
    assert set(first_name_forms(key_a)) & set(first_name_forms(key_b))


@pytest.mark.parametrize(
    ("typed", "meets"),
    [("Rbeecca", "Becky"), ("Wulliam", "Bill"), ("Elzabeth", "Liz"), ("Mihcael", "Mike"), ("Chucck", "Charles")],
)
def test_a_mistyped_name_meets_the_forms_of_the_name_it_is_one_edit_from(typed: str, meets: str) -> None:
    key_a, key_b = first_name_key(typed), first_name_key(meets)
    assert key_a == typed.lower()  # the key stays as written
    assert key_b
    assert set(first_name_forms(key_a)) & set(first_name_forms(key_b))


@pytest.mark.parametrize(
    ("name", "other"),
    [("yuki", "yuri"), ("marko", "margo"), ("marko", "mark")],  # too short; one edit from two known names
)
def test_a_name_of_its_own_is_not_taken_for_a_typo(name: str, other: str) -> None:
    assert not set(first_name_forms(name)) & set(first_name_forms(other))


def test_nickname_table_is_never_used_for_display_or_as_the_key() -> None:
    assert clean_person_name("Bob") == "Bob"
    assert first_name_key("Bob") == "bob"


@pytest.mark.parametrize(("a", "b"), [("Felix", "Felicia"), ("Eric", "Derrick"), ("Noah", "Manoah"), ("Emma", "Emily")])
def test_a_nickname_never_replaces_the_name(a: str, b: str) -> None:
    assert first_name_key(a) == a.lower()
    assert first_name_key(a) != first_name_key(b)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("O'Brien", "obrien"),
        ("Núñez-García", "nunezgarcia"),
        ("van Dijk", "vandijk"),
        ("Smith Jr.", "smith"),
        ("Ørsted", "orsted"),
        ("Weiß", "weiss"),
        (None, None),
    ],
)
def test_name_key(raw: str | None, key: str | None) -> None:
    assert name_key(raw) == key
