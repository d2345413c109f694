"""The Jobs list for a day's work, in the browser (roles and labels only): sort it both
ways, filter it by technician, dates and balance, page forward and back, see how many
jobs a search matches, and export what is shown as CSV with the API's rows."""

import csv
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from e2e.console.browsing import Jobs
from playwright.async_api import Page, expect

from jobline_testing.stories import NOW

pytestmark = pytest.mark.e2e
ZONE = ZoneInfo("America/Denver")  # the e2e tenant's
CUSTOMERS = ["Cora Vance", "Ada Brook", "Eli Marsh", "Bea Hollis", "Dan Ivers"]


async def numbers_from_api(api: httpx.AsyncClient, **params: str) -> list[str]:
    answer = await api.get("/v1/jobs", params={"limit": 200, **params})
    assert answer.status_code == 200, answer.text
    assert answer.json()["next_cursor"] is None
    return [j["number"] for j in answer.json()["items"]]


def shown(page: Page):  # the job numbers are the rows' header cells
    return page.get_by_role("table").get_by_role("rowheader")


def day_of(story_start: datetime) -> str:
    return story_start.astimezone(ZONE).date().isoformat()


async def five_jobs(jobs: Jobs) -> list[tuple[object, datetime]]:
    """Five jobs three days apart, none in the customers' alphabetical order; the
    third by another technician."""
    made = []
    for i, name in enumerate(CUSTOMERS):
        start = NOW.replace(hour=18, minute=0, second=0) - timedelta(days=3 * (i + 1))
        technician = "Rita Quinn" if i == 2 else "Sam Ortiz"
        made.append((await jobs.make(customer=name, start=start, technician=technician), start))
    return made


async def test_sort_filter_and_page_forward_and_back(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, jobs_service
):
    made = await five_jobs(jobs)
    await page.goto(f"{jobs_service.url}/?limit=2")
    pages = page.get_by_role("navigation", name="Pages")
    await expect(pages).to_contain_text("Page 1")

    await page.get_by_label("Sort by").select_option(label="Customer, Z to A")
    expected = await numbers_from_api(api, sort="customer", order="desc")
    await expect(shown(page)).to_have_text(expected[:2])
    await expect(page).to_have_url(re.compile("sort=-customer"))
    for number, rows in ((2, expected[2:4]), (3, expected[4:])):
        await pages.get_by_role("link", name="Next page").click()
        await expect(pages).to_contain_text(f"Page {number}")
        await expect(shown(page)).to_have_text(rows)
    await expect(pages.get_by_role("link", name="Next page")).to_have_count(0)
    for number, rows in ((2, expected[2:4]), (1, expected[:2])):
        await pages.get_by_role("link", name="Previous page").click()
        await expect(pages).to_contain_text(f"Page {number}")
        await expect(shown(page)).to_have_text(rows)
    await expect(pages.get_by_role("link", name="Previous page")).to_have_count(0)

    await page.get_by_label("Sort by").select_option(label="Job number, highest first")
    await expect(shown(page)).to_have_text(
        (await numbers_from_api(api, sort="number", order="desc"))[:2]
    )

    rita = made[2][0]
    await page.get_by_label("Technician").select_option(label="Rita Quinn")
    await expect(shown(page)).to_have_text([rita.number])
    table = page.get_by_role("table", name=re.compile("1 of 5 jobs? match"))
    await expect(table).to_be_visible()
    await page.get_by_label("Technician").select_option(label="Every technician")

    story, start = made[3]
    await page.get_by_label("Scheduled from").fill(day_of(start - timedelta(days=1)))
    await page.get_by_label("Scheduled to").fill(day_of(start + timedelta(days=1)))
    await expect(shown(page)).to_have_text([story.number])
    await page.get_by_label("Scheduled from").fill("")
    await page.get_by_label("Scheduled to").fill("")
    await expect(shown(page)).to_have_count(2)

    await page.get_by_label("Balance due only").check()
    owing = await numbers_from_api(api, sort="number", order="desc", balance_due="true")
    await expect(shown(page)).to_have_text(owing[:2])


async def test_the_caption_counts_the_jobs_a_search_matches(page: Page, jobs: Jobs, jobs_service):
    await five_jobs(jobs)
    await page.goto(jobs_service.url)
    await expect(page.get_by_role("table", name="All jobs: 5 jobs")).to_be_visible()
    await page.get_by_label("Search").fill("Ada Brook")
    await expect(shown(page)).to_have_count(1)
    await expect(
        page.get_by_role("table", name="All jobs: 1 of 5 jobs matches “Ada Brook”")
    ).to_be_visible()


async def test_export_csv_holds_the_apis_rows_for_the_shown_filters(
    page: Page, jobs: Jobs, api: httpx.AsyncClient, jobs_service, tmp_path
):
    await five_jobs(jobs)
    await page.goto(f"{jobs_service.url}/?limit=2")
    await page.get_by_label("Sort by").select_option(label="Customer, A to Z")
    await page.get_by_label("Balance due only").check()
    await expect(page).to_have_url(re.compile("balance_due=true"))
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="Export CSV").click()
    download = await waiting.value
    saved = tmp_path / "jobs.csv"
    await download.save_as(saved)
    with saved.open(newline="") as file:
        lines = list(csv.DictReader(file))
    expected = (
        await api.get(
            "/v1/jobs",
            params={"sort": "customer", "order": "asc", "balance_due": "true", "limit": 200},
        )
    ).json()["items"]
    assert len(expected) == len(CUSTOMERS)
    assert [line["number"] for line in lines] == [j["number"] for j in expected]
    assert [line["customer"] for line in lines] == sorted(CUSTOMERS)
    assert [line["balance_due"] for line in lines] == [j["money"]["balance_due"] for j in expected]
