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
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium (Debian's chromium + chromium-driver, installed by the test command) logs into
 * the Web Console and works the Modules page.
 */
class ModulesPageBrowserIT {

    @TempDir
    Path work;

    private BesipProcess box;
    private WebDriver browser;

    @BeforeEach
    void start() throws Exception {
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
        var r = box.postJar("action=install", FixtureBundles.module(work.resolve("fx"), "alpha", "1.0.0"));
        assertEquals(200, r.statusCode(), r.body());
        browser = HeadlessChromium.start(work.resolve("chromium-profile"));
    }

    @AfterEach
    void stop() throws Exception {
        HeadlessChromium.quit(browser, box);
    }

    @Test
    void theAdminLogsInSeesTheModulesAndDisablesOne() throws Exception {
        browser.get(box.loggedIn("besip-modules"));
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(20));
        WebElement table = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("besip-module-table")));
        assertTrue(browser.getTitle().contains("Modules"), browser.getTitle());
        List<String> names = table.findElements(By.cssSelector("tbody td.name")).stream().map(WebElement::getText).toList();
        assertTrue(names.contains("core (base)"), names.toString());
        assertTrue(names.contains("alpha"), names.toString());
        assertEquals("ENABLED", stateOf("alpha"));

        browser.findElement(By.cssSelector("button.besip-action[data-module='alpha'][data-action='disable']")).click();
        wait.until(d -> stateOf("alpha").startsWith("DISABLED"));
        String api = box.get("besip-modules.json", "admin", box.password()).body();
        assertTrue(api.matches("(?s).*\"name\":\"alpha\",\"version\":\"1.0.0\",\"state\":\"DISABLED\".*"), api);
    }

    private String stateOf(String module) {
        return HeadlessChromium.text(browser, By.cssSelector("tr[data-module='" + module + "'] td.state"));
    }
}
