"""Screenshot of the search page with two indexes side by side (for docs/), in Debian's headless Chromium.

    python benchmarks/page_screenshot.py INDEX_A INDEX_B "query" --out docs/search-page.png [--k 10]
"""

from __future__ import annotations

import argparse
import shutil
import time

from search_load import free_port, start_server  # noqa: E402  (same folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("indexes", nargs="+")
    parser.add_argument("query")
    parser.add_argument("--out", required=True)
    parser.add_argument("--k", default="10")
    parser.add_argument("--mode", default="ranked")
    args = parser.parse_args()

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import Select, WebDriverWait

    port = free_port()
    server = start_server(args.indexes, True, port)
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1500,1150"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)
    try:
        driver.get(f"http://127.0.0.1:{port}/")
        driver.find_element(By.ID, "q").send_keys(args.query)
        k = driver.find_element(By.ID, "k")
        k.clear()
        k.send_keys(args.k)
        Select(driver.find_element(By.ID, "mode")).select_by_value(args.mode)
        driver.find_element(By.ID, "go").click()
        WebDriverWait(driver, 60).until(ec.text_to_be_present_in_element((By.ID, "status"), "results in"))
        time.sleep(0.5)
        driver.save_screenshot(args.out)
        print(f"wrote {args.out}")
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
