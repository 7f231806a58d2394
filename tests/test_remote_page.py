"""The remote page and the stage page in a real browser: Debian's chromium, headless, driven by
selenium through Debian's chromium-driver (nothing downloaded), against the real app under Xvfb
with a generated token, the show lock on and the console in French. GO pressed on the page
starts the show. Screenshots are left in the test's folder (printed with -s)."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import xvfb

from support.remote import App, Http, wait_status

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("page night")
    night = folder / "night.yaml"
    night.write_text(
        "version: 1\n"
        "title: Soirée\n"
        "start: '19:30'\n"
        "items:\n"
        "  - card: {text: Bienvenue, hold: true}\n"
        "  - intermission: {minutes: 20, text: Entracte}\n",
        encoding="utf-8",
    )
    with xvfb("-screen", "0", "1280x720x24") as display:
        a = App(night, display, folder / "home", lock_on_start=True, lang="fr_FR.UTF-8")
        out = a.wait_started()
        match = re.search(r"Remote token: (\S+)", out)
        assert match, a.log()[-3000:]
        a.token = match[1]
        yield a
        a.close()
        assert "Traceback" not in a.log()


@pytest.fixture
def browser():
    if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
        pytest.fail("chromium and chromium-driver are missing (the set-up installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=412,860", "--disable-gpu", "--no-first-run"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def until(driver, holds, timeout_s: float = 30):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout_s).until(lambda d: holds(d))


def text(driver, element_id: str) -> str:
    return driver.find_element("id", element_id).text


def test_press_go_on_the_page_and_the_show_starts(app, browser, tmp_path):
    client = Http(app.port, token=app.token)
    base = f"http://127.0.0.1:{app.port}"
    browser.get(f"{base}/")
    login = until(browser, lambda d: d.find_element("id", "login").is_displayed() and d)
    assert "Saisissez le jeton" in login.find_element("id", "login").text  # the console's French
    browser.find_element("id", "token").send_keys("not-the-token")
    browser.find_element("id", "connect").click()
    until(browser, lambda d: d.find_element("id", "login-error").is_displayed())
    browser.save_screenshot(str(tmp_path / "remote-refused.png"))
    assert "wrong token from 127.0.0.1 for GET /api/events" in app.log()

    browser.find_element("id", "token").send_keys(app.token)
    browser.find_element("id", "connect").click()
    until(browser, lambda d: text(d, "link") == "en direct")
    assert text(browser, "phase") == "Prêt"
    assert text(browser, "next") == "Bienvenue"
    assert text(browser, "go").lower() == "go — lancer la soirée"
    browser.save_screenshot(str(tmp_path / "remote-ready.png"))

    browser.find_element("id", "go").click()
    until(browser, lambda d: text(d, "phase") == "En attente du GO")
    status = client.status()
    assert (status["phase"], status["step"], status["locked"]) == ("holding", 0, True)
    assert text(browser, "title") == "Bienvenue"
    assert browser.find_element("id", "locked").is_displayed()
    # the lock came on at the first GO, as with the keys: no skip from the remote either
    code, body = client.post("skip")
    assert code == 409 and "locked" in body["error"]
    wait_status(app.port, lambda s: s["elapsed_ms"] >= 600, token=app.token)

    browser.find_element("id", "go").click()  # on to the intermission
    until(browser, lambda d: text(d, "phase") == "Entracte")
    until(browser, lambda d: text(d, "remaining").startswith("-19:"))
    browser.find_element("id", "pause").click()
    until(browser, lambda d: text(d, "phase") == "En pause")
    assert client.status()["paused"] is True and text(browser, "pause") == "Reprendre"
    browser.find_element("id", "blackout").click()
    until(browser, lambda d: "on" in d.find_element("id", "blackout").get_attribute("class"))
    assert client.status()["blackout"] is True
    browser.save_screenshot(str(tmp_path / "remote-paused.png"))
    browser.find_element("id", "go").click()  # refused while paused: said on the page
    until(browser, lambda d: text(d, "refusal") != "")
    browser.find_element("id", "pause").click()
    browser.find_element("id", "blackout").click()
    until(browser, lambda d: text(d, "phase") == "Entracte")

    browser.get(f"{base}/stage")  # the token is kept (same origin)
    until(browser, lambda d: re.fullmatch(r"1?\d:\d\d", text(d, "remaining") or "x"))
    assert text(browser, "title") == "Entracte" and text(browser, "next") == "fin de la soirée"
    browser.set_window_size(1280, 720)
    browser.save_screenshot(str(tmp_path / "stage.png"))
    client.close()
    print(f"\nscreenshots in {tmp_path}")


def test_the_qr_address_connects_with_no_typing(app, browser, tmp_path):
    browser.get(f"http://127.0.0.1:{app.port}/#token={app.token}")
    until(browser, lambda d: text(d, "link") == "en direct")
    assert not browser.find_element("id", "login").is_displayed()
    assert "#" not in browser.current_url  # the token left the address bar
