package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium on the "Speech quality" page: start monitoring from the page, see a call sent
 * on loopback scored in the table and the chart, export CSV, stop again.
 */
class QualityPageBrowserIT {

    @TempDir
    Path work;

    private BesipProcess box;
    private WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
        assertEquals(200, box.post("action=enable&module=monitoring", null, null, Map.of()).statusCode());
        NetconfIT.runOn(box, "configure_monitoring", "false", "lo", String.valueOf(BesipOptions.freePort()));
        browser = HeadlessChromium.start(work.resolve("chromium-profile"));
    }

    @AfterEach
    void stop() throws Exception {
        HeadlessChromium.quit(browser, box);
    }

    @Test
    void theOperatorStartsMonitoringAndSeesTheCallScored() throws Exception {
        String page = box.loggedIn("besip-quality");
        browser.get(page);
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        wait.until(d -> status().startsWith("Monitoring is stopped"));
        assertTrue(browser.findElement(By.cssSelector("#besip-quality-configure a")).getAttribute("href")
                .endsWith("/system/console/besip-config?path=%2Fbesip-monitoring%3Amonitoring"), "the page links to its configuration");
        browser.findElement(By.id("besip-quality-toggle")).click();
        wait.until(d -> status().startsWith("Monitoring is running"));

        MonitoringIT.sendCall(100, 50, 5);
        WebDriverWait slow = new WebDriverWait(browser, Duration.ofSeconds(30));
        slow.until(d -> {
            d.navigate().refresh();
            return !d.findElements(By.cssSelector("#besip-quality-table td.src")).isEmpty();
        });
        assertTrue(browser.findElement(By.cssSelector("#besip-quality-table td.src")).getText().startsWith("127.0.0.2:"));
        String mos = browser.findElement(By.cssSelector("#besip-quality-table td.mos")).getText();
        assertEquals(MonitoringIT.SEND_CALL_MOS, Double.parseDouble(mos), 0.05, "MOS " + mos);
        assertEquals(1, browser.findElements(By.cssSelector("#besip-quality-chart polyline")).size(), "the chart has a line");

        var csv = box.get("besip-quality.csv?minutes=60", "admin", box.password());
        assertEquals(200, csv.statusCode());
        assertTrue(csv.body().startsWith("time,source,destination,ssrc,codec,packets,loss_pct"), csv.body());
        assertTrue(csv.body().contains(",127.0.0.2:"), csv.body());
        assertEquals(400, box.get("besip-quality.csv?minutes=soon", "admin", box.password()).statusCode());

        browser.findElement(By.id("besip-quality-toggle")).click();
        wait.until(d -> status().startsWith("Monitoring is stopped"));
    }

    private String status() {
        return HeadlessChromium.text(browser, By.id("besip-quality-status"));
    }
}
