package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium on the "Security" page: the operator blocks an address by hand, sees it with
 * its time left, is told why a whitelisted address or a name cannot be blocked, and unblocks it
 * with the row's button; the shipped rules are listed with BESIP's sid 1000001.
 */
class SecurityPageBrowserIT {

    @TempDir
    Path work;

    private BesipProcess box;
    private WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
        MonitoringIT.awaitLog(box, "security: 9 rules");
        browser = HeadlessChromium.start(work.resolve("chromium-profile"));
    }

    @AfterEach
    void stop() throws Exception {
        HeadlessChromium.quit(browser, box);
    }

    private void block(String address, String seconds) {
        WebElement form = browser.findElement(By.id("besip-security-block"));
        form.findElement(By.name("address")).sendKeys(address);
        WebElement duration = form.findElement(By.name("duration"));
        duration.clear();
        duration.sendKeys(seconds);
        form.findElement(By.name("reason")).sendKeys("seen in the browser test");
        form.findElement(By.cssSelector("button[type=submit]")).click();
    }

    /** The text of the element with {@code id}, or "" while the page is (re)loading. */
    private String text(String id) {
        return HeadlessChromium.text(browser, By.id(id));
    }

    private List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#besip-security-blocks tbody tr"));
    }

    @Test
    void theOperatorBlocksAndUnblocksAnAddressOnThePage() throws Exception {
        browser.get(box.loggedIn("besip-security"));
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.until(d -> !d.findElements(By.id("besip-security-rules")).isEmpty());
        assertTrue(browser.findElement(By.id("besip-security-rules")).getText().contains("SIP DoS attempt(registerflood)"));
        assertEquals(0, rows().size());

        block("198.51.100.7", "120");
        wait.until(d -> text("besip-security-blocks").contains("198.51.100.7"));
        WebElement row = rows().get(0);
        assertEquals("198.51.100.7", row.findElement(By.cssSelector("td.address")).getText());
        String left = row.findElement(By.cssSelector("td.left")).getText();
        assertTrue(left.matches("1 min \\d+ s|2 min 0 s"), left);
        assertTrue(row.getText().contains("seen in the browser test"), row.getText());

        block("127.0.0.1", "60");
        wait.until(d -> text("besip-security-error").contains("127.0.0.1 is whitelisted: never blocked"));
        block("sip.example.com", "60");
        wait.until(d -> text("besip-security-error").contains("not an IP address: sip.example.com"));
        assertEquals(1, rows().size());

        rows().get(0).findElement(By.cssSelector("button[type=submit]")).click();
        wait.until(d -> !text("besip-security-blocks").isEmpty() && !text("besip-security-blocks").contains("198.51.100.7"));
        NetconfIT.runOn(box, "security_blocks", "198.51.100.7", "-", "-");
        wait.until(d -> {
            d.navigate().refresh();
            return text("besip-security-alerts").contains("unblock (manual)");
        });
    }
}
