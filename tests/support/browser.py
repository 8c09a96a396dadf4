"""A real browser for the plan report's tests: Debian's headless Chromium, driven by selenium
through Debian's chromedriver (never a downloaded one), one session for all the pages.

``chromium()`` finds the browser and its driver (``SHIPYARD_CHROMIUM`` and
``SHIPYARD_CHROMEDRIVER`` name others, e.g. a CI runner's Chrome and its matching driver), or
says why not: the test then skips with that reason, unless ``SHIPYARD_BROWSER_REQUIRED`` is set
(CI sets it; ``.ci/run`` installs both), where a missing browser fails instead.

``Browser.open(path)`` loads a page from the file system and returns what it rendered: its
errors (caught by a collector that runs before the page's own scripts, and the console's), each
section's size on screen, how much of each picture is drawn (the browser counts the pixels of
the picture's box in one capture of the whole page) and a PNG of the window's view.
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
    ink: dict[str, tuple[float, int]]        # svg id -> (share not background, colours)
    screenshot: bytes                        # PNG of the window


class Browser:
    def __init__(self, driver, window: tuple[int, int]) -> None:
        self.driver = driver
        self.window = window

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
        # One capture of the whole page as drawn; the browser cuts each picture's box and the
        # window's top out of it (one capture instead of one per picture: half the time).
        rects = d.execute_script(RECTS)
        page = d.execute_cdp_cmd("Page.captureScreenshot",
                                 {"format": "png", "captureBeyondViewport": True})["data"]
        found = d.execute_async_script(CUT, page, rects, *self.window)
        assert found is not None, "the browser could not decode its capture of the page"
        ink = {key: (float(share), int(colours)) for key, (share, colours) in found[0].items()}
        shot = base64.b64decode(found[1].split(",", 1)[1])
        return Rendered(errors, sections, ink, shot)


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


# Each svg[id]'s box, in the page's coordinates.
RECTS = """
return Array.from(document.querySelectorAll("svg[id]")).map(function (e) {
  const r = e.getBoundingClientRect();
  return [e.id, r.left + window.scrollX, r.top + window.scrollY, r.width, r.height];
});
"""


# Decodes the capture of the page on a canvas (arguments: the PNG in base64, the boxes, the
# window's width and height). For each box: the share of its pixels that are not its most common
# colour (its background), and how many colours it has -- a blank picture gives [0, 1]. Also
# the window's top of the page, as a PNG data URL.
CUT = """
const done = arguments[arguments.length - 1];
const [png, rects, width, height] = arguments;
const img = new Image();
img.onload = function () {
  const canvas = document.createElement("canvas");
  canvas.width = img.width; canvas.height = img.height;
  const g = canvas.getContext("2d");
  g.drawImage(img, 0, 0);
  const ink = {};
  for (const [id, x, y, w, h] of rects) {
    const W = Math.max(1, Math.round(w)), H = Math.max(1, Math.round(h));
    const data = g.getImageData(Math.round(x), Math.round(y), W, H).data;
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    let background = 0;
    for (const n of counts.values()) { background = Math.max(background, n); }
    ink[id] = [1 - background / (W * H), counts.size];
  }
  const top = document.createElement("canvas");
  top.width = Math.min(width, img.width); top.height = Math.min(height, img.height);
  top.getContext("2d").drawImage(img, 0, 0);
  done([ink, top.toDataURL("image/png")]);
};
img.onerror = function () { done(null); };
img.src = "data:image/png;base64," + png;
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
        yield Browser(driver, (width, height))
    finally:
        driver.quit()
