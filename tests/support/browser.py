"""A real browser for the plan report's tests: Debian's headless Chromium, driven by selenium
through Debian's chromedriver (never a downloaded one), one session for all the pages.

``chromium()`` finds the browser and its driver (``SHIPYARD_CHROMIUM`` and
``SHIPYARD_CHROMEDRIVER`` name others, e.g. a CI runner's Chrome and its matching driver), or
says why not: the test then skips with that reason, unless ``SHIPYARD_BROWSER_REQUIRED`` is set
(CI sets it; ``.ci/run`` installs both), where a missing browser fails instead.

``Browser.open(path)`` loads a page from the file system and returns what it rendered: its
errors (caught by a collector that runs before the page's own scripts, and the console's), each
section's size on screen, a PNG of each picture and of the window, and how much of each picture
is drawn (the browser counts the PNG's pixels).
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser")
DRIVERS = ("chromedriver", "chromium-driver")


def required() -> bool:
    return bool(os.environ.get("SHIPYARD_BROWSER_REQUIRED"))


def chromium() -> tuple[str, str] | str:
    """(browser, driver) paths, or the reason there are none."""
    browsers = [os.environ.get("SHIPYARD_CHROMIUM") or "", *BROWSERS]
    drivers = [os.environ.get("SHIPYARD_CHROMEDRIVER") or "", *DRIVERS]
    browser = next((p for name in browsers if name and (p := shutil.which(name))), None)
    driver = next((p for name in drivers if name and (p := shutil.which(name))), None)
    missing = [what for what, path in (("chromium", browser), ("chromedriver", driver))
               if path is None]
    if missing:
        return (f"no {' or '.join(missing)} on PATH (apt-get install chromium chromium-driver; "
                f".ci/run installs them)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements-dev.txt)"
    assert browser and driver
    return browser, driver


@dataclass
class Rendered:
    errors: list[str]                        # the console's SEVERE entries (script errors...)
    sections: dict[str, tuple[int, int]]     # section id -> (width, height) on screen
    pictures: dict[str, bytes]               # svg id -> PNG of the element as drawn
    ink: dict[str, tuple[float, int]]        # svg id -> (share not background, colours)
    screenshot: bytes                        # PNG of the window


class Browser:
    def __init__(self, driver) -> None:
        self.driver = driver

    def open(self, path: Path) -> Rendered:
        from selenium.webdriver.common.by import By

        d = self.driver
        d.get_log("browser")                 # drop what an earlier page left
        d.get(path.resolve().as_uri())
        # what the page's own collector caught (installed before any of its scripts ran),
        # and whatever the console logged as an error meanwhile
        errors = [f"page: {e}" for e in d.execute_script("return window.__errors || []")]
        errors += [f"console: {e.get('message')}" for e in d.get_log("browser")
                   if e.get("level") == "SEVERE"]
        sections = {}
        for element in d.find_elements(By.CSS_SELECTOR, "section[id]"):
            size = element.size
            sections[element.get_attribute("id")] = (int(size["width"]), int(size["height"]))
        pictures = {}
        for element in d.find_elements(By.CSS_SELECTOR, "svg[id]"):
            d.execute_script("arguments[0].scrollIntoView()", element)
            pictures[element.get_attribute("id")] = element.screenshot_as_png
        d.execute_script("window.scrollTo(0, 0)")
        shot = d.get_screenshot_as_png()
        ink = {key: self.ink(png) for key, png in pictures.items()}
        return Rendered(errors, sections, pictures, ink, shot)

    def ink(self, png: bytes) -> tuple[float, int]:
        """(the share of a screenshot's pixels that are not its background colour, how many
        colours it has): a blank picture gives (0.0, 1). The browser decodes the PNG (a canvas
        counts its pixels), faster than Python would."""
        found = self.driver.execute_async_script(INK, base64.b64encode(png).decode())
        assert found is not None, "the browser could not decode the screenshot"
        return float(found[0]), int(found[1])


# Runs before each page's own scripts: keeps every uncaught error, rejected promise, failed load
# (of a script, style or image) and console.error.
COLLECT = """
window.__errors = [];
window.addEventListener("error", function (e) {
  const what = e.target && (e.target.src || e.target.href);
  window.__errors.push(e.message || ("failed to load " + what));
}, true);
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push("unhandled rejection: " + e.reason);
});
const consoleError = console.error;
console.error = function () {
  window.__errors.push(Array.prototype.join.call(arguments, " "));
  return consoleError.apply(console, arguments);
};
"""


# Counts a PNG's colours on a canvas: arguments[0] is the PNG in base64.
INK = """
const done = arguments[arguments.length - 1];
const img = new Image();
img.onload = function () {
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4) {
    const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    counts.set(key, (counts.get(key) || 0) + 1);
  }
  let background = 0;
  for (const n of counts.values()) { background = Math.max(background, n); }
  done([1 - background / Math.max(canvas.width * canvas.height, 1), counts.size]);
};
img.onerror = function () { done(null); };
img.src = "data:image/png;base64," + arguments[0];
"""


@contextmanager
def browser(width: int = 1600, height: int = 1500) -> Iterator[Browser]:
    """One headless Chromium session (skip first when ``chromium()`` gives a reason)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = chromium()
    assert not isinstance(found, str), found
    binary, driver_path = found
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--hide-scrollbars",
                "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": COLLECT})
        yield Browser(driver)
    finally:
        driver.quit()
