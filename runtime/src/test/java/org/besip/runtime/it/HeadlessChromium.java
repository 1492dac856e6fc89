package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium driven by Debian's chromium-driver (both installed by the test command), with
 * the flags this machine's closed network needs and a fresh profile.
 */
final class HeadlessChromium {

    static final Path CHROMIUM = Path.of(System.getProperty("besip.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("besip.chromedriver", "/usr/bin/chromedriver"));

    private HeadlessChromium() {
    }

    static WebDriver start(Path profile) {
        assertTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "needs Debian's chromium and chromium-driver: run the README's test command, which installs them");
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new",
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /**
     * The text of the element {@code by} finds, or "" when it is not there (yet) or a reload
     * replaced it while it was read: Selenium's stale element, or Chromium's inspector error
     * "Node with given id does not belong to the document" for the same moment.
     */
    static String text(org.openqa.selenium.WebDriver d, org.openqa.selenium.By by) {
        try {
            return d.findElement(by).getText();
        } catch (org.openqa.selenium.StaleElementReferenceException | org.openqa.selenium.NoSuchElementException e) {
            return "";
        } catch (org.openqa.selenium.WebDriverException e) {
            if (String.valueOf(e.getMessage()).contains("does not belong to the document")) {
                return "";
            }
            throw e;
        }
    }

    /** After a browser test: the browser quits, then the box stops (either may not have started). */
    static void quit(WebDriver browser, BesipProcess box) throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (box != null) {
            box.close();
        }
    }
}
