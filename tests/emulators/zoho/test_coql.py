"""COQL grammar and evaluator over plain dicts: every operator, joins, aggregates, limits and error codes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from leadflow_emulators.zoho.coql import CoqlError, credits_for, parse
from leadflow_emulators.zoho.coql_eval import CoqlResult, FieldInfo, execute

FIELDS: dict[str, dict[str, FieldInfo]] = {
    "Leads": {
        "id": FieldInfo("id", "bigint"),
        "Last_Name": FieldInfo("Last_Name", "text"),
        "First_Name": FieldInfo("First_Name", "text"),
        "Email": FieldInfo("Email", "email"),
        "Annual_Revenue": FieldInfo("Annual_Revenue", "currency"),
        "No_of_Employees": FieldInfo("No_of_Employees", "integer"),
        "Lead_Status": FieldInfo("Lead_Status", "picklist"),
        "Email_Opt_Out": FieldInfo("Email_Opt_Out", "boolean"),
        "Created_Time": FieldInfo("Created_Time", "datetime"),
        "Birthday": FieldInfo("Birthday", "date"),
        "Description": FieldInfo("Description", "textarea"),
        "Interests": FieldInfo("Interests", "multiselectpicklist"),
        "Tag": FieldInfo("Tag", "text"),
        "Owner": FieldInfo("Owner", "ownerlookup", "users"),
    },
    "Contacts": {
        "id": FieldInfo("id", "bigint"),
        "Last_Name": FieldInfo("Last_Name", "text"),
        "Account_Name": FieldInfo("Account_Name", "lookup", "Accounts"),
        "Owner": FieldInfo("Owner", "ownerlookup", "users"),
    },
    "Accounts": {
        "id": FieldInfo("id", "bigint"),
        "Account_Name": FieldInfo("Account_Name", "text"),
        "Industry": FieldInfo("Industry", "picklist"),
        "Parent_Account": FieldInfo("Parent_Account", "lookup", "Accounts"),
        "Owner": FieldInfo("Owner", "ownerlookup", "users"),
    },
    "users": {
        "id": FieldInfo("id", "bigint"),
        "last_name": FieldInfo("last_name", "text"),
        "email": FieldInfo("email", "email"),
    },
}

LEADS: list[dict[str, Any]] = [
    {
        "id": "5725767000000000003",
        "Last_Name": "Smith",
        "First_Name": "Anna",
        "Email": "anna@acme.io",
        "Annual_Revenue": 1_500_000.0,
        "No_of_Employees": 120,
        "Lead_Status": "Contacted",
        "Email_Opt_Out": False,
        "Created_Time": "2026-01-05T10:00:00+00:00",
        "Birthday": "1990-04-01",
        "Interests": ["CRM", "Email"],
        "Tag": [{"name": "Hot", "id": "1"}, {"name": "Q1", "id": "2"}],
        "Owner": {"name": "Admin", "id": "100"},
    },
    {
        "id": "5725767000000000001",
        "Last_Name": "smithers",
        "First_Name": "Bo",
        "Email": None,
        "Annual_Revenue": 200_000.0,
        "No_of_Employees": 8,
        "Lead_Status": "Qualified",
        "Email_Opt_Out": True,
        "Created_Time": "2026-01-05T12:30:00+02:00",
        "Birthday": None,
        "Interests": ["Email"],
        "Tag": [],
        "Owner": {"name": "Rep", "id": "101"},
    },
    {
        "id": "5725767000000000002",
        "Last_Name": "Jones",
        "First_Name": None,
        "Email": "j@beta.com",
        "Annual_Revenue": None,
        "No_of_Employees": 45,
        "Lead_Status": "Contacted",
        "Email_Opt_Out": False,
        "Created_Time": "2026-02-01T00:00:00+00:00",
        "Birthday": "1985-12-31",
        "Interests": [],
        "Tag": [{"name": "Cold", "id": "3"}],
        "Owner": {"name": "Admin", "id": "100"},
    },
]
ACCOUNTS = [
    {"id": "7000", "Account_Name": "Acme", "Industry": "Technology", "Parent_Account": {"id": "7002"}},
    {"id": "7001", "Account_Name": "Beta", "Industry": "Retail", "Parent_Account": None},
    {"id": "7002", "Account_Name": "Acme Holdings", "Industry": "Finance", "Parent_Account": None},
]
CONTACTS = [
    {"id": "9001", "Last_Name": "Ada", "Account_Name": {"name": "Acme", "id": "7000"}, "Owner": {"id": "100"}},
    {"id": "9002", "Last_Name": "Bea", "Account_Name": {"name": "Beta", "id": "7001"}, "Owner": {"id": "101"}},
    {"id": "9003", "Last_Name": "Cy", "Account_Name": None, "Owner": {"id": "100"}},
]
USERS = [{"id": "100", "last_name": "Admin", "email": "admin@x.io"}, {"id": "101", "last_name": "Rep", "email": "r@x"}]
STORE: dict[str, list[dict[str, Any]]] = {"Leads": LEADS, "Contacts": CONTACTS, "Accounts": ACCOUNTS, "users": USERS}


def _get(module: str, record_id: str) -> Mapping[str, Any] | None:
    return next((r for r in STORE.get(module, []) if r["id"] == record_id), None)


def run(query: str) -> CoqlResult:
    return execute(
        parse(query),
        fields=lambda m: FIELDS.get(m),
        records=lambda m: STORE[m],
        get_record=_get,
    )


def ids(query: str) -> list[str]:
    return [row["id"][-1:] for row in run(query).data]


def error(query: str) -> CoqlError:
    with pytest.raises(CoqlError) as caught:
        run(query)
    return caught.value


# ---- select, order, response shape -------------------------------------------------------------------------


def test_select_returns_fields_plus_id_in_id_order_by_default() -> None:
    result = run("select Last_Name, Email from Leads")
    assert result.body() == {
        "data": [
            {"Last_Name": "smithers", "Email": None, "id": "5725767000000000001"},
            {"Last_Name": "Jones", "Email": "j@beta.com", "id": "5725767000000000002"},
            {"Last_Name": "Smith", "Email": "anna@acme.io", "id": "5725767000000000003"},
        ],
        "info": {"count": 3, "more_records": False},
    }


def test_keywords_are_case_insensitive_and_lookups_come_back_as_id_objects() -> None:
    result = run("SELECT Last_Name, Owner FROM Leads WHERE Last_Name = 'SMITH'")
    assert result.data == [{"Last_Name": "Smith", "Owner": {"id": "100"}, "id": "5725767000000000003"}]


def test_order_by_several_fields_and_directions_with_nulls_last_ascending() -> None:
    assert ids("select id from Leads order by Lead_Status asc, Last_Name desc") == ["3", "2", "1"]
    assert ids("select id from Leads order by Annual_Revenue") == ["1", "3", "2"]
    assert ids("select id from Leads order by Annual_Revenue desc") == ["2", "3", "1"]
    # 12:30+02:00 is 10:30 UTC, after lead 3's 10:00 UTC
    assert ids("select id from Leads order by Created_Time desc") == ["2", "1", "3"]


def test_limit_offset_and_comma_form_and_more_records() -> None:
    first = run("select id from Leads limit 2")
    assert [r["id"][-1] for r in first.data] == ["1", "2"]
    assert first.more_records is True
    assert ids("select id from Leads limit 2 offset 2") == ["3"]
    assert ids("select id from Leads limit 1, 1") == ["2"]
    assert run("select id from Leads limit 1, 2").more_records is False


# ---- every operator ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Last_Name = 'smith'", ["3"]),
        ("Last_Name != 'Smith'", ["1", "2"]),
        ("No_of_Employees > 45", ["3"]),
        ("No_of_Employees >= 45", ["2", "3"]),
        ("No_of_Employees < 45", ["1"]),
        ("No_of_Employees <= 45", ["1", "2"]),
        ("Annual_Revenue = 200000", ["1"]),
        ("Last_Name like 'smith%'", ["1", "3"]),
        ("Last_Name like '%ers'", ["1"]),
        ("Email like '%acme%'", ["3"]),
        ("Last_Name like 's%h%s'", ["1"]),
        ("Last_Name not like 'smith%'", ["2"]),
        ("Lead_Status in ('Qualified', 'Lost')", ["1"]),
        ("Lead_Status not in ('Qualified')", ["2", "3"]),
        ("No_of_Employees between 10 and 100", ["2"]),
        ("No_of_Employees not between 10 and 100", ["1", "3"]),
        ("Created_Time between '2026-01-05T00:00:00+00:00' and '2026-01-05T11:00:00+00:00'", ["1", "3"]),
        ("Created_Time > '2026-01-31T00:00:00Z'", ["2"]),
        ("Birthday < '1990-01-01'", ["2"]),
        ("Email is null", ["1"]),
        ("Email is not null", ["2", "3"]),
        ("Annual_Revenue is null", ["2"]),
        ("Email_Opt_Out = true", ["1"]),
        ("Email_Opt_Out != 'true'", ["2", "3"]),
        ("Owner = '100'", ["2", "3"]),
        ("Owner in (101)", ["1"]),
        ("Interests = 'Email'", ["1", "3"]),
        ("Interests = 'CRM;Email'", ["3"]),
        ("Interests like '%cr%'", ["3"]),
        ("Interests is null", ["2"]),
        ("Tag = 'hot'", ["3"]),
        ("Tag in ('Cold', 'Q1')", ["2", "3"]),
        ("Tag not in ('Hot')", ["1", "2"]),
        ("Tag is not null", ["2", "3"]),
        ("Tag.name = 'HOT'", ["3"]),
        ("Tag.name in ('Cold')", ["2"]),
        ("Tag.id = '2'", ["3"]),
        ("(Last_Name like 'smith%' and No_of_Employees > 50)", ["3"]),
        ("Last_Name = 'Jones' or Email is null", ["1", "2"]),
        ("((Lead_Status = 'Contacted' and Email is not null) or (No_of_Employees < 10))", ["1", "2", "3"]),
        ("(Lead_Status = 'Contacted' and (Email like '%beta%' or Birthday is null))", ["2"]),
    ],
)
def test_where_operator(where: str, expected: list[str]) -> None:
    assert ids(f"select id from Leads where {where}") == expected


def test_ids_compare_exactly() -> None:
    """19-digit ids are beyond a float's precision: 5725767000000000001 and ...003 must not collide."""
    assert ids("select id from Leads where id = '5725767000000000003'") == ["3"]
    assert ids("select id from Leads where id = 5725767000000000001") == ["1"]
    assert ids("select id from Leads where id in ('5725767000000000002', '5725767000000000003')") == ["2", "3"]
    assert ids("select id from Leads where id > 5725767000000000001") == ["2", "3"]
    assert ids("select id from Leads where id != '5725767000000000002'") == ["1", "3"]


def test_quotes_escape_by_doubling_or_backslash() -> None:
    LEADS.append({"id": "5725767000000000009", "Last_Name": "O'Brien", "First_Name": 'say "hi" \\ bye'})
    try:
        assert ids("select id from Leads where Last_Name = 'o''brien'") == ["9"]
        assert ids(r"select id from Leads where Last_Name = 'O\'Brien'") == ["9"]
        escaped = r"""(Last_Name like 'O\'B%' and First_Name = 'say \"hi\" \\ bye')"""
        assert ids(f"select id from Leads where {escaped}") == ["9"]
        assert ids(r'select id from Leads where First_Name = "say ""hi"" \\ bye"') == ["9"]
    finally:
        LEADS.pop()


# ---- joins --------------------------------------------------------------------------------------------------


def test_lookup_join_in_select_and_where() -> None:
    result = run(
        "select Last_Name, Account_Name.Account_Name, Account_Name.Industry, Owner.last_name from Contacts "
        "where Account_Name.Industry = 'Technology'"
    )
    assert result.data == [
        {
            "Last_Name": "Ada",
            "Account_Name.Account_Name": "Acme",
            "Account_Name.Industry": "Technology",
            "Owner.last_name": "Admin",
            "id": "9001",
        }
    ]


def test_two_level_join_and_null_lookup() -> None:
    result = run("select Last_Name, Account_Name.Parent_Account.Account_Name from Contacts order by Last_Name")
    assert [r["Account_Name.Parent_Account.Account_Name"] for r in result.data] == ["Acme Holdings", None, None]
    assert [r["Last_Name"] for r in run("select Last_Name from Contacts where Account_Name is null").data] == ["Cy"]


def test_three_relations_are_refused() -> None:
    err = error("select Account_Name.Parent_Account.Parent_Account.Account_Name from Contacts")
    assert err.code == "INVALID_QUERY"
    assert err.details["column_name"] == "Account_Name.Parent_Account.Parent_Account.Account_Name"


def test_join_through_a_non_lookup_is_invalid() -> None:
    err = error("select Last_Name.Industry from Contacts")
    assert (err.code, err.details["column_name"]) == ("INVALID_QUERY", "Last_Name.Industry")


# ---- aggregates ---------------------------------------------------------------------------------------------


def test_aggregates_without_group_by_give_one_row() -> None:
    result = run(
        "select COUNT(*), SUM(No_of_Employees), AVG(Annual_Revenue), MIN(Created_Time), max(Last_Name) from Leads"
    )
    assert result.data == [
        {
            "COUNT(*)": 3,
            "SUM(No_of_Employees)": 173,
            "AVG(Annual_Revenue)": 850_000.0,
            "MIN(Created_Time)": "2026-01-05T10:00:00+00:00",
            "MAX(Last_Name)": "smithers",
        }
    ]


def test_count_of_a_column_skips_nulls_and_at_most_five_aggregates() -> None:
    assert run("select COUNT(Email) from Leads").data == [{"COUNT(Email)": 2}]
    with pytest.raises(CoqlError) as caught:
        parse("select COUNT(*), SUM(A), AVG(A), MIN(A), MAX(A), COUNT(B) from Leads")
    assert (caught.value.code, caught.value.details["limit"]) == ("LIMIT_EXCEEDED", 5)


def test_group_by_with_alias_having_and_order() -> None:
    result = run(
        "select Lead_Status, COUNT(id) as n, SUM(No_of_Employees) as staff from Leads "
        "group by Lead_Status order by n desc"
    )
    assert result.data == [
        {"Lead_Status": "Contacted", "n": 2, "staff": 165},
        {"Lead_Status": "Qualified", "n": 1, "staff": 8},
    ]
    having = run("select Lead_Status, COUNT(id) from Leads group by Lead_Status having COUNT(id) > 1")
    assert having.data == [{"Lead_Status": "Contacted", "COUNT(id)": 2}]


def test_group_by_lookup_and_join() -> None:
    by_owner = run("select Owner, COUNT(id) from Leads group by Owner order by Owner")
    assert by_owner.data == [{"Owner": {"id": "100"}, "COUNT(id)": 2}, {"Owner": {"id": "101"}, "COUNT(id)": 1}]
    by_industry = run(
        "select Account_Name.Industry, COUNT(id) from Contacts where Account_Name is not null "
        "group by Account_Name.Industry order by Account_Name.Industry"
    )
    assert by_industry.data == [
        {"Account_Name.Industry": "Retail", "COUNT(id)": 1},
        {"Account_Name.Industry": "Technology", "COUNT(id)": 1},
    ]


def test_group_by_select_column_must_be_grouped() -> None:
    err = error("select Last_Name, COUNT(id) from Leads group by Lead_Status")
    assert err.code == "INVALID_QUERY"
    assert err.details["column_name"] == "Last_Name"


def test_sum_of_text_is_refused() -> None:
    assert error("select SUM(Last_Name) from Leads").code == "INVALID_QUERY"


# ---- errors and limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "select from Leads",
        "select Last_Name Leads",
        "select Last_Name from Leads where",
        "select Last_Name from Leads where Last_Name = ",
        "select Last_Name from Leads where Last_Name == 'x'",
        "select * from Leads",
        "update Leads set Last_Name = 'x'",
        "select Last_Name from Leads limit ten",
        "",
    ],
)
def test_syntax_errors(query: str) -> None:
    with pytest.raises(CoqlError) as caught:
        parse(query)
    assert caught.value.code == "SYNTAX_ERROR"
    assert caught.value.body()["status"] == "error"
    details = caught.value.details
    assert "clause" in details or {"line", "column", "near"} <= details.keys()


def test_syntax_error_points_at_the_offending_token() -> None:
    with pytest.raises(CoqlError) as caught:
        parse("select Last_Name from Leads where Last_Name === 'x'")
    assert caught.value.details == {"line": 1, "column": 46, "near": "="}


def test_three_criteria_without_brackets_are_a_syntax_error() -> None:
    with pytest.raises(CoqlError) as caught:
        parse("select id from Leads where id is not null and Email is not null and Last_Name is not null")
    assert caught.value.code == "SYNTAX_ERROR"
    assert caught.value.details["near"] == "and"
    parse("select id from Leads where ((id is not null and Email is not null) and Last_Name is not null)")


@pytest.mark.parametrize(
    ("query", "clause", "limit"),
    [
        ("select id from Leads limit 2001", "limit", 2000),
        ("select id from Leads limit 99000, 2000", "offset", 100_000),
        ("select id from Leads limit 2000 offset 98001", "offset", 100_000),
        ("select " + ", ".join(f"F{i}" for i in range(51)) + " from Leads", "select", 50),
        ("select id from Leads order by " + ", ".join(f"F{i}" for i in range(11)), "order by", 10),
        ("select COUNT(id) from Leads group by A, B, C, D, E", "group by", 4),
        ("select id from Leads where id in (" + ", ".join(str(i) for i in range(51)) + ")", "where", 50),
    ],
)
def test_limits_exceeded(query: str, clause: str, limit: int) -> None:
    with pytest.raises(CoqlError) as caught:
        parse(query)
    assert caught.value.code == "LIMIT_EXCEEDED"
    assert (caught.value.details["clause"], caught.value.details["limit"]) == (clause, limit)


def test_at_most_25_criteria() -> None:
    def nest(n: int) -> str:
        return "id is not null" if n == 1 else f"(id is not null and {nest(n - 1)})"

    parse(f"select id from Leads where {nest(25)}")
    with pytest.raises(CoqlError) as caught:
        parse(f"select id from Leads where {nest(26)}")
    assert (caught.value.code, caught.value.details["clause"]) == ("LIMIT_EXCEEDED", "where")


def test_boundary_values_are_accepted() -> None:
    assert parse("select id from Leads limit 98000, 2000").limit == 2000
    assert parse("select id from Leads where id in (" + ", ".join(str(i) for i in range(50)) + ")").where


def test_duplicates_in_order_by_are_duplicate_data() -> None:
    with pytest.raises(CoqlError) as caught:
        parse("select id from Contacts where id is not null order by id,id")
    assert caught.value.code == "DUPLICATE_DATA"


@pytest.mark.parametrize(
    ("query", "column"),
    [
        ("select Nope from Leads", "Nope"),
        ("select id from Leads where Nope = 'x'", "Nope"),
        ("select id from Leads order by Nope", "Nope"),
        ("select Account_Name.Nope from Contacts", "Account_Name.Nope"),
    ],
)
def test_unknown_columns_are_invalid_query_naming_the_column(query: str, column: str) -> None:
    err = error(query)
    assert (err.code, err.message, err.details["column_name"]) == (
        "INVALID_QUERY",
        "column given seems to be invalid",
        column,
    )


def test_unknown_module_is_invalid_query() -> None:
    err = error("select id from Nopes")
    assert (err.code, err.details["module"]) == ("INVALID_QUERY", "Nopes")


@pytest.mark.parametrize(
    ("where", "column", "expected_type"),
    [
        ("No_of_Employees > 'many'", "No_of_Employees", "integer"),
        ("Created_Time > '2026-01-01'", "Created_Time", "datetime"),
        ("Created_Time > '2026-01-01T00:00:00'", "Created_Time", "datetime"),
        ("Birthday = 'yesterday'", "Birthday", "date"),
        ("Email_Opt_Out = 'maybe'", "Email_Opt_Out", "boolean"),
    ],
)
def test_values_of_the_wrong_type_are_invalid_query(where: str, column: str, expected_type: str) -> None:
    err = error(f"select id from Leads where {where}")
    assert err.message == "value given seems to be invalid for the column"
    assert err.details == {"column_name": column, "expected_data_type": expected_type}


@pytest.mark.parametrize(
    "where",
    ["Last_Name > 'a'", "Last_Name between 'a' and 'b'", "No_of_Employees like '1%'", "Description = 'x'"],
)
def test_operator_not_supported_for_the_type(where: str) -> None:
    err = error(f"select id from Leads where {where}")
    assert (err.code, err.message) == ("INVALID_QUERY", "data type not supported")


def test_credits_by_limit() -> None:
    assert [credits_for(parse(f"select id from Leads limit {n}")) for n in (1, 200, 201, 1000, 1001, 2000)] == [
        1,
        1,
        2,
        2,
        3,
        3,
    ]
    assert credits_for(parse("select id from Leads")) == 1


def test_empty_result() -> None:
    result = run("select id from Leads where Last_Name = 'nobody'")
    assert result.body() == {"data": [], "info": {"count": 0, "more_records": False}}


def test_where_is_compiled_once_not_per_record() -> None:
    """The evaluator touches each record through closures; a large source is scanned once."""
    scanned = 0

    def records(module: str) -> Any:
        nonlocal scanned
        for i in range(5000):
            scanned += 1
            yield {"id": str(10**18 + i), "Last_Name": f"n{i % 7}", "No_of_Employees": i}

    result = execute(
        parse("select Last_Name from Leads where (Last_Name = 'n3' and No_of_Employees >= 4000) limit 5"),
        fields=lambda m: FIELDS.get(m),
        records=records,
        get_record=_get,
    )
    assert scanned == 5000
    assert [int(r["id"]) - 10**18 for r in result.data] == [4000 + (3 - 4000 % 7) % 7 + 7 * k for k in range(5)]
    assert result.more_records is True


def _scan_index(module: str, field: str, value: str) -> list[Mapping[str, Any]]:
    """An index like the backend's: trimmed, case-insensitive equality on the stored value (ids of lookups)."""

    def key(stored: Any) -> str:
        return str(stored.get("id") if isinstance(stored, dict) else stored).strip().lower()

    return [r for r in STORE[module] if r.get(field) not in (None, "") and key(r.get(field)) == value.strip().lower()]


@pytest.mark.parametrize(
    "query",
    [
        "select Last_Name from Leads where Last_Name = 'SMITH'",
        "select Last_Name from Leads where Lead_Status in ('Contacted', 'Lost')",
        "select Last_Name from Leads where (Lead_Status = 'Contacted' and No_of_Employees > 50)",
        "select Last_Name from Leads where (Last_Name = 'Jones' or Email is null)",
        "select Last_Name from Leads where (Last_Name = 'Jones' or Lead_Status = 'Qualified') order by Last_Name desc",
        "select Last_Name from Leads where Owner = '100'",
        "select Last_Name from Leads where id = '5725767000000000002'",
        "select Last_Name from Leads where Last_Name != 'Smith'",
        "select Last_Name from Contacts where Account_Name.Industry = 'Technology'",
        "select Last_Name from Leads where Last_Name = 'nobody'",
    ],
)
def test_index_narrowing_gives_the_same_answer_as_a_scan(query: str) -> None:
    def run_with(index: Any) -> CoqlResult:
        return execute(
            parse(query), fields=lambda m: FIELDS.get(m), records=lambda m: STORE[m], get_record=_get, index=index
        )

    looked_up: list[tuple[str, str]] = []

    def index(module: str, field: str, value: str) -> list[Mapping[str, Any]] | None:
        looked_up.append((field, value))
        return _scan_index(module, field, value)

    def unselective(module: str, field: str, value: str) -> list[Mapping[str, Any]] | None:
        return None if field == "Lead_Status" else _scan_index(module, field, value)

    assert run_with(index).body() == run_with(None).body() == run_with(unselective).body()
    if " = '" in query and "!=" not in query and "." not in query.split("where")[1]:
        assert looked_up, "an indexed equality should use the index"
