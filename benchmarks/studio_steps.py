"""Training steps per second in the studio's page, with the decision boundary redrawn at every step.

    python benchmarks/studio_steps.py [--seconds 10]

The studio's default network on its default data: moons, 100 points (noise 0.1), MLP 2-16-16-1 (tanh hidden,
a logit output, binary cross-entropy), Adam, full batch. The page is opened in headless Chromium (the system's,
/usr/bin/chromium, driven by Playwright), "play" is pressed at the highest speed, and after ``--seconds`` the
steps taken and the frames drawn are counted: every step's answer carries the new boundary, which the page draws
before it asks for the next step (each neuron's heatmap is redrawn every 8th step). Prints the steps per second,
the frames drawn per second, and where a step's time went (the server's answer, as the page waited for it, and
the page's drawing), the server's CPU time per step, and the machine's load: on a machine that other programs keep
busy, the page waits for CPU time, not for work.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from playwright.sync_api import sync_playwright

from autograd_nn.studio import Studio

FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    studio = Studio()
    url = studio.start()
    try:
        with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
            browser = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium",
                                                           headless=True, args=FLAGS, bypass_csp=True,
                                                           viewport={"width": 1400, "height": 1000})
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("window.studio && window.studio.draws >= 1")
            read = "() => [studio.steps, studio.draws, studio.waited, studio.drawn]"
            steps0, draws0, waited0, drawn0 = page.evaluate(read)
            page.click("#play")
            start, cpu = time.perf_counter(), time.process_time()
            time.sleep(args.seconds)
            page.click("#play")
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
            page.wait_for_timeout(300)
            steps, draws, waited, drawn = page.evaluate(read)
            browser.close()
    finally:
        studio.stop()
    n = steps - steps0
    print(f"moons 2-16-16-1, 100 points, boundary redrawn every step: {n} steps in {elapsed:.1f} s = "
          f"{n / elapsed:.1f} steps/s ({(draws - draws0) / elapsed:.1f} frames drawn/s)")
    print(f"per step: {(waited - waited0) / n:.1f} ms waiting for the server (its CPU time: {1000 * cpu / n:.1f} ms), "
          f"{(drawn - drawn0) / n:.1f} ms drawing; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
