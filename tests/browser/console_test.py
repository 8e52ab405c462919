#!/usr/bin/python3
"""The web console in a real browser (issue 16).

Runs the daemon built in BUILD with a console on a free port and one hook,
"chat", that points at a local receiver (`printhook listen`), and drives the
console's page in headless Chromium through chromedriver: log in with the
token, see the hook, send it a test webhook and see both the status in the
page and the request at the receiver; then stop the receiver, emit an event
that becomes a dead letter (retry.max_attempts = 1), start the receiver
again on the same port and press the row's Retry; then, in the hook editor
(issue 17), make a hook from the Discord preset pointed at the receiver,
see the preview follow the typing and a JSON error at its position, send
the unsaved hook's test webhook, save it, and see a simulated print's
webhooks arrive through it; open the configuration's own hook read-only
and copy it to an editable one.  Along the way: no severe
browser console errors, and at 390 px wide the page needs no horizontal
scrolling.  Screenshots go to BUILD/console-screenshot.png and
BUILD/console-phone.png.

Usage: tests/browser/console_test.py [BUILD]   (default: build/ beside the
repository).  Needs Debian's chromium, chromium-driver and python3-selenium.
Exit status: 0 when every check passed, 1 when one failed, 2 when something
it needs is missing.
"""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import (StaleElementReferenceException, TimeoutException,
                                            WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as e:
    print(f"console_test: selenium is missing ({e}): apt-get install python3-selenium",
          file=sys.stderr)
    sys.exit(2)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 20              # the longest any one wait may take
PHONE = (390, 844)
HOOK = "chat"
HOOK_CSS = f'#hooks .hook[data-hook="{HOOK}"]'


class Failure(Exception):
    """A check failed: the message says which and what was seen."""


def say(text):
    print(f"console_test: {text}", flush=True)


def wait_for(what, predicate, timeout=WAIT_S, interval=0.1):
    """Polls predicate() until it returns something true; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise Failure(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Receiver:
    """`printhook listen` on 127.0.0.1: every request it prints is parsed
    back from its standard output (a file, flushed per request)."""

    HEAD = re.compile(r"^#(\d+) (\S+) (\S+)  \(from ", re.M)

    def __init__(self, printhook, tmp):
        self.printhook = printhook
        self.tmp = tmp
        self.proc = None
        self.port = None
        self.outputs = []   # one stdout file per start
        self.starts = 0

    def start(self, port=0):
        """Starts listening on port (0: a free one).  A port just given up
        may not be free again at once: tries again for up to 10 s."""
        deadline = time.monotonic() + 10
        while True:
            self.starts += 1
            port_file = os.path.join(self.tmp, f"receiver-{self.starts}.port")
            out = os.path.join(self.tmp, f"receiver-{self.starts}.out")
            err = os.path.join(self.tmp, f"receiver-{self.starts}.err")
            with open(out, "wb") as o, open(err, "wb") as e:
                self.proc = subprocess.Popen(
                    [self.printhook, "listen", "--port", str(port), "--port-file", port_file],
                    stdin=subprocess.DEVNULL, stdout=o, stderr=e)
            listening = wait_for("the receiver to listen",
                                 lambda: os.path.exists(port_file) or self.proc.poll() is not None,
                                 timeout=10)
            if listening and os.path.exists(port_file):
                self.port = int(read_text(port_file).strip())
                self.outputs.append(out)
                return self.port
            self.proc.wait()
            self.proc = None
            if port == 0 or time.monotonic() >= deadline:
                raise Failure(f"the receiver could not listen on port {port}: "
                              f"{read_text(err).strip()}")
            time.sleep(0.25)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def requests(self):
        """Every request so far, as (method, path, body): body is the JSON
        the request carried (None when it was not JSON)."""
        found = []
        for out in self.outputs:
            text = read_text(out)
            heads = list(self.HEAD.finditer(text))
            for i, head in enumerate(heads):
                end = heads[i + 1].start() if i + 1 < len(heads) else len(text)
                block = text[head.end():end]
                body = None
                json_text = re.search(r"^  \{$.*?^  \}$", block, re.M | re.S)
                if json_text:
                    try:
                        body = json.loads(json_text.group(0))
                    except ValueError:
                        body = None
                found.append((head.group(2), head.group(3), body))
        return found

    def got(self, path, event):
        """The POSTs to path whose body's topic is event's ("Print Done" is
        PrintDone's)."""
        return [r for r in self.requests()
                if r[0] == "POST" and r[1] == path and isinstance(r[2], dict)
                and str(r[2].get("topic", "")).replace(" ", "") == event]


class Daemon:
    def __init__(self, printhook, config, log, env):
        self.printhook = printhook
        self.config = config
        self.log = log
        self.env = env
        self.proc = None

    def start(self):
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([self.printhook, "run", "-c", self.config, "-v"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=log, env=self.env)
        pattern = re.compile(r"console: listening on http://127\.0\.0\.1:(\d+)/")

        def listening():
            if self.proc.poll() is not None:
                raise Failure(f"the daemon exited with {self.proc.returncode}:\n"
                              f"{read_text(self.log)}")
            m = pattern.search(read_text(self.log))
            return int(m.group(1)) if m else None
        return wait_for("the daemon's console to listen", listening)

    def emit(self, event):
        r = subprocess.run([self.printhook, "emit", "-c", self.config, event],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           env=self.env, timeout=WAIT_S)
        if r.returncode != 0:
            raise Failure(f"printhook emit {event} exited with {r.returncode}: "
                          f"{r.stdout.strip()} {r.stderr.strip()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                say("the daemon did not stop on SIGTERM within 15 s: killed")
        self.proc = None


def write_config(tmp, receiver_port):
    path = os.path.join(tmp, "printhook.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"""# Written by tests/browser/console_test.py
[printhook]
spool = {tmp}/spool.db
control_socket = {tmp}/control.sock

[console]
listen = 127.0.0.1:0
token_file = {tmp}/console.token
hooks_dir = {tmp}/console-hooks.d

[hook {HOOK}]
url = http://127.0.0.1:{receiver_port}/{HOOK}
events = *
# One refused connection makes a dead letter at once.
retry.max_attempts = 1
""")
    os.chmod(path, 0o600)
    return path


def start_browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            print(f"console_test: {path} is missing: apt-get install chromium chromium-driver",
                  file=sys.stderr)
            sys.exit(2)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,1800",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)


def page_wait(driver, what, condition, timeout=WAIT_S):
    """WebDriverWait with a message that says what did not happen."""
    def guarded(d):
        try:
            return condition(d)
        except StaleElementReferenceException:
            return False   # the page replaced the element: look again
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1).until(guarded)
    except TimeoutException:
        raise Failure(f"timed out after {timeout} s waiting for {what}; the page's URL is "
                      f"{driver.current_url}") from None


def find(driver, css):
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


def click(driver, what, css):
    """Clicks css once it is there and enabled.  The page rebuilds rows and
    cards as answers arrive: an element replaced in between is looked up
    again."""
    def clicked(d):
        target = find(d, css)
        if target is None or not target.is_enabled():
            return False
        target.click()
        return True
    page_wait(driver, what, clicked)


def save_full_page(driver, path):
    """The whole page, not only the window (Chrome DevTools' capture beyond
    the viewport)."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    })
    with open(path, "wb") as f:
        f.write(base64.b64decode(shot["data"]))


def set_viewport(driver, width, height):
    """Resizes the window so that its viewport (window.innerWidth and
    innerHeight) is width x height, as on a phone."""
    driver.set_window_size(width, height)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if inner != [width, height]:
        driver.set_window_size(2 * width - inner[0], 2 * height - inner[1])
    page_wait(driver, f"the viewport to be {width} x {height}",
              lambda d: d.execute_script("return [window.innerWidth, window.innerHeight]")
              == [width, height], timeout=5)


def browser_errors(driver):
    """The SEVERE entries of the browser's console so far, but for the
    favicon the page does not have."""
    bad = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        message = entry.get("message", "")
        if "favicon" in message:
            continue
        bad.append(message)
    return bad


def posts_to(receiver, path):
    return [r for r in receiver.requests() if r[0] == "POST" and r[1] == path]


def type_into(driver, what, css, text):
    field = page_wait(driver, what, lambda d: (lambda f: f if f and f.is_enabled() else None)(
        find(d, css)))
    field.clear()
    field.send_keys(text)
    return field


def edit_from_preset(driver, daemon, receiver, port, tmp):
    """Issue 17's browser part: a hook from a preset, previewed, tested
    unsaved, saved, and delivering a simulated print's webhooks."""
    path = "/from-preset"
    url = f"http://127.0.0.1:{port}{path}"
    page_wait(driver, "the Discord preset in the picker",
              lambda d: any(o.text.startswith("Discord")
                            for o in d.find_elements(By.CSS_SELECTOR, "#preset-select option")))
    picker = Select(find(driver, "#preset-select"))
    for option in picker.options:
        if option.text.startswith("Discord"):
            picker.select_by_visible_text(option.text)
            break
    click(driver, "the New hook from preset button", "#new-from-preset")
    page_wait(driver, "the editor with the preset's name",
              lambda d: find(d, "#editor-name").get_attribute("value") == "discord")
    checked = [b.get_attribute("value") for b in
               driver.find_elements(By.CSS_SELECTOR, "#editor-event-boxes .event-box")
               if b.is_selected()]
    if "PrintDone" not in checked or "PrintStarted" not in checked:
        raise Failure(f"the preset's events are not ticked: {checked}")
    say(f"editor open on the Discord preset (events {', '.join(checked)})")

    type_into(driver, "the url field", "#edit-key-url", url)
    preview = page_wait(driver, "the preview to show the typed URL", lambda d: (
        lambda t: t if url in t else None)(find(d, "#editor-preview").text))
    if not preview.startswith("POST ") or '"content"' not in preview:
        raise Failure(f"the preview is not the preset's request: {preview!r}")
    say("the preview follows the typing: " + preview.splitlines()[0])

    # A JSON editor says where the text stops being JSON, and the daemon's
    # checker names the key.
    data = find(driver, "#edit-key-data")
    good_data = data.get_attribute("value")
    data.send_keys(Keys.END, " ,")
    error = page_wait(driver, "the data field's JSON error", lambda d: (
        lambda e: e.text if e and e.is_displayed() and e.text else None)(
            find(d, "#edit-key-data-error")))
    if "JSON" not in error:
        raise Failure(f"the data field's error is {error!r}")
    say(f"data field error: {error}")
    data.clear()
    data.send_keys(good_data)
    page_wait(driver, "the data field's error to clear",
              lambda d: not find(d, "#edit-key-data-error").is_displayed())
    page_wait(driver, "the form to be valid",
              lambda d: find(d, "#editor-state").text == "Valid")

    click(driver, "the editor's Send test webhook button", "#editor-test")
    result = page_wait(driver, "Delivered in the editor's result", lambda d: (
        lambda t: t if t.startswith("Delivered") or t.startswith("Not") else None)(
            find(d, "#editor-result").text))
    if not result.startswith("Delivered"):
        raise Failure(f"the unsaved hook's test says {result!r}")
    wait_for(f"the receiver to have the test POST {path}", lambda: posts_to(receiver, path))
    if os.path.exists(os.path.join(tmp, "console-hooks.d", "discord.conf")):
        raise Failure("the test wrote the hook's file before Save")
    say(f"unsaved test webhook: {result.splitlines()[0]}")

    click(driver, "the Save button", "#editor-save")
    saved = page_wait(driver, "Saved in the editor's result", lambda d: (
        lambda t: t if t.startswith("Saved") or t.startswith("Not") else None)(
            find(d, "#editor-result").text))
    if not saved.startswith("Saved"):
        raise Failure(f"saving says {saved!r}")
    written = os.path.join(tmp, "console-hooks.d", "discord.conf")
    text = read_text(written)
    if url not in text or "[hook discord]" not in text:
        raise Failure(f"{written} does not hold the hook: {text!r}")
    page_wait(driver, "the hook discord in the hooks list",
              lambda d: find(d, '#hooks .hook[data-hook="discord"]'))
    say(f"saved: {saved}")

    # A simulated print through the saved hook.
    before = len(posts_to(receiver, path))
    daemon.emit("PrintStarted")
    daemon.emit("PrintDone")
    wait_for(f"the print's two webhooks at {path}",
             lambda: len(posts_to(receiver, path)) >= before + 2)
    contents = [r[2].get("content", "") for r in posts_to(receiver, path)[before:]
                if isinstance(r[2], dict)]
    if not any("Print Done" in c for c in contents):
        raise Failure(f"the print's webhooks do not say Print Done: {contents}")
    say(f"the print's webhooks arrived through the new hook: {contents}")

    # A hook of the configuration directory: read-only, copied to an
    # editable one, its keys kept.
    click(driver, f"the Edit button of {HOOK}", f"{HOOK_CSS} .edit-button")
    page_wait(driver, "the read-only notice",
              lambda d: "read-only" in find(d, "#editor-title").text
              and find(d, "#editor-copy") is not None)
    if find(driver, "#edit-key-url").is_enabled():
        raise Failure(f"the url field of the read-only hook {HOOK} can be edited")
    click(driver, "the Copy to an editable hook button", "#editor-copy")
    page_wait(driver, "the copy's name", lambda d: find(d, "#editor-name").get_attribute("value")
              == f"{HOOK}-copy" and find(d, "#edit-key-url").is_enabled())
    click(driver, "the Save button of the copy", "#editor-save")
    saved = page_wait(driver, "the copy saved", lambda d: (
        lambda t: t if t.startswith("Saved") or t.startswith("Not") else None)(
            find(d, "#editor-result").text))
    if not saved.startswith("Saved"):
        raise Failure(f"saving the copy says {saved!r}")
    copy_text = read_text(os.path.join(tmp, "console-hooks.d", f"{HOOK}-copy.conf"))
    if f"/{HOOK}" not in copy_text or "retry.max_attempts" not in copy_text:
        raise Failure(f"the copy does not hold {HOOK}'s keys: {copy_text!r}")
    page_wait(driver, f"the hook {HOOK}-copy in the hooks list",
              lambda d: find(d, f'#hooks .hook[data-hook="{HOOK}-copy"]'))
    say(f"{HOOK} is read-only; copied to {HOOK}-copy: {saved}")


def run(build, tmp):
    printhook = os.path.join(build, "printhook")
    if not os.access(printhook, os.X_OK):
        print(f"console_test: {printhook} is missing: build printhook first", file=sys.stderr)
        sys.exit(2)
    source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PRINTHOOK_MODULE_PATH=os.path.join(build, "modules", ".libs"),
               PRINTHOOK_PRESETS_DIR=os.path.join(source, "conf", "examples"))
    failure_shot = os.path.join(build, "console-failure.png")
    if os.path.exists(failure_shot):
        os.remove(failure_shot)   # from an earlier run

    receiver = Receiver(printhook, tmp)
    daemon = None
    driver = None
    errors = []
    try:
        port = receiver.start()
        say(f"receiver listening on 127.0.0.1:{port}")
        config = write_config(tmp, port)
        daemon = Daemon(printhook, config, os.path.join(tmp, "daemon.log"), env)
        console_port = daemon.start()
        base = f"http://127.0.0.1:{console_port}"
        token = wait_for("the token file",
                         lambda: read_text(os.path.join(tmp, "console.token")).strip())
        say(f"daemon's console on {base}/")

        driver = start_browser()
        driver.set_page_load_timeout(WAIT_S)

        # Log in.
        driver.get(base + "/")
        page_wait(driver, "the redirect to /login",
                  lambda d: d.current_url.split("?")[0] == base + "/login")
        say("redirected to /login")
        field = page_wait(driver, "the token field", lambda d: find(d, "#token"))
        field.send_keys(token)
        click(driver, "the Log in button", "#login-button")
        page_wait(driver, f"the hook {HOOK} in the hooks list", lambda d: find(d, HOOK_CSS))
        if driver.current_url.split("?")[0] != base + "/":
            raise Failure(f"logged in, but the page is {driver.current_url}")
        say(f"logged in; hook {HOOK} listed")

        # A test webhook.
        page_wait(driver, "PrintDone in the hook's event picker",
                  lambda d: find(d, f'{HOOK_CSS} select.test-event option[value="PrintDone"]'))
        Select(find(driver, f"{HOOK_CSS} select.test-event")).select_by_value("PrintDone")
        click(driver, "the Send test webhook button", f"{HOOK_CSS} .test-button")
        result = page_wait(driver, "HTTP 200 in the test result", lambda d: (
            lambda t: t if "HTTP 200" in t else None)(find(d, f"{HOOK_CSS} .test-result").text))
        if "Not delivered" in result or "Delivered" not in result:
            raise Failure(f"the test result says {result!r}")
        say(f"test result: {result.splitlines()[0]}")
        wait_for("the receiver to have the PrintDone POST /chat",
                 lambda: receiver.got(f"/{HOOK}", "PrintDone"))
        say("the receiver got the PrintDone test webhook")

        # A dead letter: the receiver is gone, one attempt is all there is.
        receiver.stop()
        say("receiver stopped")
        daemon.emit("PrintFailed")
        dead_css = '#deliveries tr.delivery[data-state="dead"]'

        def dead_row(d):
            row = find(d, dead_css)
            return (row.get_attribute("data-id"), row.text) if row else None
        try:
            delivery_id, text = page_wait(driver, "a dead delivery in the table", dead_row,
                                          timeout=10)
        except Failure:
            # The live feed should have refreshed the table by itself.
            say("note: the table did not show the dead letter by itself; reloading the page")
            driver.refresh()
            delivery_id, text = page_wait(driver, "a dead delivery in the table after a reload",
                                          dead_row)
        if "PrintFailed" not in text:
            raise Failure(f"the dead delivery {delivery_id} is not PrintFailed: {text!r}")
        say(f"delivery {delivery_id} is dead")

        receiver.start(port)
        say(f"receiver back on 127.0.0.1:{port}")
        row_css = f'#deliveries tr.delivery[data-id="{delivery_id}"]'
        click(driver, f"the Retry button of delivery {delivery_id}", f"{row_css} .retry-button")
        wait_for("the receiver to have the PrintFailed POST /chat",
                 lambda: receiver.got(f"/{HOOK}", "PrintFailed"))
        say("the receiver got the retried PrintFailed")

        def row_state(d):
            r = find(d, row_css)
            return r.get_attribute("data-state") if r else None
        try:
            page_wait(driver, f"delivery {delivery_id} to show as delivered",
                      lambda d: row_state(d) == "delivered")
        except Failure as e:
            raise Failure(f"{e} (its state: {row_state(driver)})") from None
        say(f"delivery {delivery_id} is delivered")

        edit_from_preset(driver, daemon, receiver, port, tmp)

        # Screenshots; the page on a phone (the editor open).
        shot = os.path.join(build, "console-screenshot.png")
        save_full_page(driver, shot)
        say(f"screenshot: {shot}")
        set_viewport(driver, *PHONE)
        widths = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]")
        phone = os.path.join(build, "console-phone.png")
        save_full_page(driver, phone)
        say(f"screenshot: {phone}")
        if widths[0] > PHONE[0] + 1:
            errors.append(f"at {PHONE[0]} px wide the page is {widths[0]} px wide "
                          f"(window.innerWidth {widths[1]}): it scrolls sideways")
        else:
            say(f"at {PHONE[0]} px (innerWidth {widths[1]}) the page is {widths[0]} px wide")
        # Nor does anything scroll sideways inside it (the deliveries' box
        # may, but should not need to, on a phone).
        inner = driver.execute_script("""
            return [...document.querySelectorAll('.table-wrap, .card, .detail')]
              .filter((e) => e.scrollWidth > e.clientWidth + 1)
              .map((e) => `${e.tagName.toLowerCase()}.${e.className}: ${e.scrollWidth} px `
                          + `of content in ${e.clientWidth} px`);""")
        if inner:
            errors.append(f"at {PHONE[0]} px wide, content is wider than its box: "
                          + "; ".join(inner))

        severe = browser_errors(driver)
        if severe:
            errors.append("severe browser console errors:\n  " + "\n  ".join(severe))
        else:
            say("no severe browser console errors")
    except Failure as e:
        errors.append(str(e))
    except (OSError, subprocess.SubprocessError, WebDriverException) as e:
        errors.append(f"{type(e).__name__}: {e}")
    finally:
        if driver is not None:
            try:
                if errors:
                    driver.save_screenshot(failure_shot)
                    say(f"the page at failure: {failure_shot}")
            except Exception:   # the browser may be what failed
                pass
            driver.quit()
        if daemon is not None:
            daemon.stop()
        receiver.stop()
        if errors and daemon is not None:
            log = read_text(daemon.log).splitlines()
            print("console_test: the daemon's log, last lines:", file=sys.stderr)
            for line in log[-30:]:
                print(f"  {line}", file=sys.stderr)
    return errors


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                            else os.path.join(here, "..", "..", "build"))
    if len(sys.argv) > 2 or not os.path.isdir(build):
        print("usage: console_test.py [BUILD]   (BUILD: a build directory)", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="printhook-browser-")
    try:
        errors = run(build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if errors:
        for e in errors:
            print(f"console_test: FAIL: {e}", file=sys.stderr)
        return 1
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
