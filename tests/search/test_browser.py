"""The search page in a real headless Chromium (Debian's chromium + chromium-driver, which .ci/run installs):
type a query, get both indexes' results with language tags, and a language bar that adds up to the top k."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("HYBRIDBATCH_REQUIRE_BROWSER") == "1"  # set by .ci/run: there a missing browser fails
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER) and not REQUIRED,
                                reason="chromium or chromedriver not found on PATH: the search page's browser "
                                "tests need Debian's chromium and chromium-driver (apt-get install chromium "
                                "chromium-driver; .ci/run installs them)")


@pytest.fixture(scope="module")
def server(searcher):
    import uvicorn

    from hybridbatch.search.service import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app([searcher, searcher]), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    yield driver
    driver.quit()


def _search(browser, url: str, query: str, **fields) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(url)
    box = browser.find_element(By.ID, "q")
    box.send_keys(query)
    for name, value in fields.items():
        element = browser.find_element(By.ID, name)
        if element.tag_name == "select":
            Select(element).select_by_value(value)
        else:
            element.clear()
            element.send_keys(value)
    browser.find_element(By.ID, "go").click()
    WebDriverWait(browser, 20).until(ec.text_to_be_present_in_element((By.ID, "status"), "results in"))


def test_page_shows_both_result_lists_with_languages_and_a_mix_bar(server, browser, searcher, tmp_path):
    from selenium.webdriver.common.by import By

    from hybridbatch.search.searcher import Request

    _search(browser, server, "Where does the Rhine rise?", k="6")
    columns = browser.find_elements(By.CSS_SELECTOR, "section.column")
    assert len(columns) == 2
    expected = searcher.search(["Where does the Rhine rise?"], Request(k=6))[0]
    for column in columns:
        hits = column.find_elements(By.CSS_SELECTOR, "li.hit")
        assert [h.get_attribute("data-id") for h in hits] == [e["id"] for e in expected]
        tags = [h.find_element(By.CSS_SELECTOR, ".lang").text for h in hits]
        assert tags == [e["lang"] for e in expected]
        segments = column.find_elements(By.CSS_SELECTOR, ".mixbar .seg")
        counts = {s.get_attribute("data-lang"): int(s.get_attribute("data-count")) for s in segments}
        assert sum(counts.values()) == 6 and counts == {lang: tags.count(lang) for lang in set(tags)}
        widths = [s.size["width"] for s in segments]
        assert all(w > 0 for w in widths)
    assert browser.save_screenshot(str(tmp_path / "page.png"))


def test_page_interleave_and_error_message(server, browser):
    from selenium.webdriver.common.by import By

    _search(browser, server, "bread", k="8", mode="interleave")
    tags = [t.text for t in browser.find_elements(By.CSS_SELECTOR, "section.column:first-child li.hit .lang")]
    assert sorted(tags[:4]) == ["de", "en", "es", "zh"]
    browser.get(server)
    browser.find_element(By.ID, "q").send_keys("bread")
    browser.find_element(By.ID, "lang").send_keys("fr")
    browser.find_element(By.ID, "go").click()
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 20).until(ec.text_to_be_present_in_element((By.ID, "status"), "unknown language"))
    assert browser.find_element(By.ID, "status").get_attribute("class") == "error"
