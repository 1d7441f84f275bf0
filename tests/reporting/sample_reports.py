"""Reports built by hand, with known numbers, for the renderer's tests (the queries have tests of their own)."""

from __future__ import annotations

from datetime import date

from leadflow.reporting.model import Chart, Column, Report, ReportFilters, Table


def funnel_report(filters: ReportFilters | None = None) -> Report:
    steps = Table(
        key="steps",
        title="Funnel",
        columns=(
            Column("step", "Step"),
            Column("people", "People", "count"),
            Column("conversion", "Step conversion", "rate"),
        ),
        rows=[
            {"step": "ingested", "people": 12500, "conversion": None},
            {"step": "unique", "people": 10004, "conversion": 0.80032},
            {"step": "contacted", "people": 4200, "conversion": 0.4198},
            {"step": "replied", "people": 310, "conversion": 0.0738},
        ],
        chart=Chart("funnel", x="step", y=("people",)),
        drill="step",
    )
    return Report("funnel", "Funnel", filters or ReportFilters(), (steps,), notes=("1,234 duplicates avoided",))


def pipeline_report() -> Report:
    stages = Table(
        key="stages",
        title="Deals by stage",
        columns=(Column("stage", "Stage"), Column("deals", "Deals", "count"), Column("amount", "Amount", "money")),
        rows=[
            {"stage": "Qualification", "deals": 12, "amount": 120000.7},
            {"stage": "Closed Won", "deals": 3, "amount": 45000},
        ],
        chart=Chart("bar", x="stage", y=("deals",)),
    )
    return Report("pipeline", "Pipeline", ReportFilters(), (stages,))


def engagement_report() -> Report:
    rows = [
        {"day": date(2026, 11, day), "type": kind, "events": day * weight}
        for day in range(1, 6)
        for kind, weight in (("email_opened", 3), ("replied", 1))
    ]
    events = Table(
        key="events",
        title="Events per day",
        columns=(Column("day", "Day", "date"), Column("type", "Type"), Column("events", "Events", "count")),
        rows=rows,
        chart=Chart("line", x="day", y=("events",), series="type"),
    )
    return Report("engagement", "Engagement", ReportFilters(), (events,))


def people_report(filters: ReportFilters | None = None) -> Report:
    people = Table(
        key="people",
        title="People: contacted",
        columns=(
            Column("name", "Name"),
            Column("email", "E-mail"),
            Column("zoho_url", "Zoho record", "url"),
            Column("ghl_url", "GHL contact", "url"),
        ),
        rows=[
            {
                "name": "Ada <Lovelace>",
                "email": "ada@example.com",
                "zoho_url": "https://crm.zoho.eu/crm/org1/tab/Leads/1001",
                "ghl_url": "https://app.gohighlevel.com/v2/location/loc1/contacts/detail/c1",
            }
        ],
    )
    return Report("people", "People: contacted", filters or ReportFilters(), (people,))
