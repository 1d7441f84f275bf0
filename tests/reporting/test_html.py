"""The HTML renderer: numbers formatted for people, one chart mark per value, no script and nothing to fetch,
drill-down links that keep the filters, and text escaped."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

from leadflow.reporting.html import LivePage, describe_filters, render_people_page, render_report_page
from leadflow.reporting.model import ReportFilters
from tests.reporting.sample_reports import engagement_report, funnel_report, people_report, pipeline_report


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def test_the_report_file_is_self_contained() -> None:
    page = render_report_page([funnel_report(), pipeline_report(), engagement_report()], filters=ReportFilters())
    tags = _tags(page)
    assert not [tag for tag, _ in tags if tag in ("script", "img", "iframe", "object", "embed")]
    fetched = [attrs for tag, attrs in tags if tag == "link" and not (attrs.get("href") or "").startswith("data:")]
    assert fetched == []
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "@import" not in page
    assert "url(" not in page
    # no live links in the file: it has no server to ask
    assert "/dashboard" not in page


def test_each_chart_draws_one_mark_per_value() -> None:
    page = render_report_page([funnel_report(), pipeline_report(), engagement_report()], filters=ReportFilters())
    figures = re.findall(r'<figure class="chart" data-chart="(\w+)" data-marks="(\d+)">(.*?)</figure>', page, re.S)
    assert [(kind, int(marks)) for kind, marks, _ in figures] == [("funnel", 4), ("bar", 2), ("line", 10)]
    for _kind, marks, svg in figures:
        assert svg.count("tooltip-trigger") == int(marks)


def test_numbers_are_formatted_in_tables_and_chart_labels() -> None:
    page = render_report_page([funnel_report(), pipeline_report()], filters=ReportFilters(), currency="USD")
    assert ">12,500<" in page
    assert ">80.0%<" in page
    assert ">$120,001<" in page
    assert "10,004" in page.split("<figure")[1]  # the funnel's value label


def test_drill_down_links_keep_the_filters() -> None:
    filters = ReportFilters(since=date(2026, 11, 1), segment="DACH champions")
    page = render_report_page([funnel_report(filters)], filters=filters, live=LivePage())
    links = [attrs["href"] for tag, attrs in _tags(page) if tag == "a" and attrs.get("class") == "drill"]
    assert links[2] == "/dashboard/people?since=2026-11-01&segment=DACH+champions&step=contacted"
    assert len(links) == 4
    assert 'name="since" value="2026-11-01"' in page


def test_people_page_links_to_each_record_and_escapes_text() -> None:
    page = render_people_page(people_report(), step="contacted", live=LivePage())
    hrefs = [attrs["href"] for tag, attrs in _tags(page) if tag == "a"]
    assert "https://crm.zoho.eu/crm/org1/tab/Leads/1001" in hrefs
    assert "https://app.gohighlevel.com/v2/location/loc1/contacts/detail/c1" in hrefs
    assert "Ada &lt;Lovelace&gt;" in page
    assert "<Lovelace>" not in page


def test_filters_in_words() -> None:
    assert describe_filters(ReportFilters()) == "all time, every segment, source and owner"
    assert (
        describe_filters(ReportFilters(since=date(2026, 1, 1), source="Apollo"))
        == "from 2026-01-01 to today, source Apollo"
    )


def test_each_mark_has_a_tooltip_without_script() -> None:
    page = render_report_page([pipeline_report(), engagement_report()], filters=ReportFilters(), currency="USD")
    titles = re.findall(r'tooltip-trigger"><title>([^<]*)</title>', page)
    assert titles[:2] == ["Qualification: 12", "Closed Won: 3"]
    assert "email_opened · 2026-11-03: 9" in titles
    assert len(titles) == 12
    assert "<title>Pygal</title>" not in page
