package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Headless Chromium on the "Configuration" page, generated from the YANG models: an office
 * admin adds a trunk, a route to it and a user, is refused a weak password at its field (nothing
 * applied), commits a strong one, and sipp then registers as the new user; a lock held by an
 * ncclient session is shown with who holds it; a commit on trial is confirmed, another rolls
 * back by itself; a module installed afterwards has its form without a line of page code.
 * Screenshots go to {@code target/screenshots/} (copied to {@code docs/screenshots/}).
 */
class ConfigPageBrowserIT {

    static final String STRONG = "Correct-Horse-Battery-9";
    static final Path SHOTS = Path.of("target/screenshots");

    @TempDir
    Path work;

    private BesipProcess box;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeEach
    void start() throws Exception {
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
        MonitoringIT.awaitLog(box, "SIP proxy as 127.0.0.1:" + box.sipPort());
        browser = HeadlessChromium.start(work.resolve("chromium-profile"));
        browser.manage().window().setSize(new Dimension(1280, 1600));
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    }

    @AfterEach
    void stop() throws Exception {
        HeadlessChromium.quit(browser, box);
    }

    private void open(String query) throws java.io.IOException {
        browser.get(box.loggedIn("besip-config" + query));
        wait.until(d -> !d.findElements(By.id("besip-config-status")).isEmpty());
    }

    private String text(String id) {
        return HeadlessChromium.text(browser, By.id(id));
    }

    private WebElement field(String name) {
        return browser.findElement(By.id("f-" + name));
    }

    private void type(String name, String value) {
        WebElement f = field(name);
        f.clear();
        f.sendKeys(value);
    }

    private void click(By by) {
        String before = browser.getCurrentUrl();
        browser.findElement(by).click();
        wait.until(d -> !d.getCurrentUrl().equals(before) && !d.findElements(By.id("besip-config-status")).isEmpty());
    }

    private void save() {
        click(By.id("besip-config-save"));
    }

    private void shot(String name) throws Exception {
        Files.createDirectories(SHOTS);
        Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(png, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anOfficeAdminAddsATrunkARouteAndAUserAndTheUserRegisters() throws Exception {
        open("?path=" + enc("/besip-pbx:pbx"));
        assertTrue(text("besip-config-changes").contains("nothing to commit"));
        assertTrue(browser.findElement(By.id("besip-config-modules")).getText().contains("pbx"));
        // the generated form: a uint16 with its range, units and default; an enumeration as a select
        WebElement grant = field("prepaid/grant");
        assertEquals("60", grant.getAttribute("placeholder"));
        assertTrue(grant.findElement(By.xpath("..")).getText().contains("range 5..3600 · seconds · default 60"));
        assertEquals(List.of("", "proxy", "b2bua"), new Select(field("mode")).getOptions().stream().map(o -> o.getAttribute("value")).toList());

        click(By.id("add-trunk"));
        assertTrue(text("besip-config-where").contains("new trunk"));
        type("name", "provider");
        type("host", "127.0.0.1");
        type("port", "5099");
        save();
        assertTrue(text("besip-config-message").contains("Saved to the candidate"), text("besip-config-message"));
        assertTrue(text("besip-config-where").contains("trunk provider"));

        open("?path=" + enc("/besip-pbx:pbx"));
        click(By.id("add-dial-plan/route"));
        type("prefix", "0");
        Select trunk = new Select(field("trunk"));
        assertEquals(List.of("", "provider"), trunk.getOptions().stream().map(o -> o.getAttribute("value")).toList(),
                "the route's trunk is a leafref: a select of the trunks there are");
        trunk.selectByValue("provider");
        save();
        assertTrue(text("besip-config-message").contains("Saved"), text("besip-config-errors"));

        open("?path=" + enc("/besip-pbx:pbx"));
        click(By.id("add-user"));
        type("name", "alice");
        assertEquals("password", field("password").getAttribute("type"), "a password is masked");
        type("password", "4829103756");
        type("extension", "201");
        save();
        assertTrue(text("besip-config-changes").contains("changes not yet running"));
        String pending = browser.findElement(By.cssSelector("#besip-config-changes strong")).getText();

        // the weak password passes the schema but not the pbx: the commit is refused at its field
        click(By.id("besip-config-commit"));
        assertTrue(text("besip-config-where").contains("user alice"), "the refusal shows the user's form: " + browser.getCurrentUrl());
        assertTrue(text("e-password").contains("is only digits"), text("e-password") + " / " + text("besip-config-errors"));
        assertTrue(text("besip-config-refused").contains("nothing was applied"));
        shot("config-weak-password-refused");
        assertEquals(pending, browser.findElement(By.cssSelector("#besip-config-changes strong")).getText(),
                "the candidate still holds every change");
        NetconfIT.runOn(box, "running_lacks", "alice");
        NetconfIT.runOn(box, "running_lacks", "provider");

        click(By.id("besip-config-show-diff"));
        String diff = text("besip-config-diff");
        assertTrue(diff.contains("/besip-pbx:pbx/trunk[name='provider']/host") && diff.contains("/besip-pbx:pbx/dial-plan/route[prefix='0']/trunk"),
                diff);
        assertFalse(diff.contains("4829103756"), "the change view masks passwords");
        shot("config-changes");

        open("?path=" + enc("/besip-pbx:pbx/user[name='alice']"));
        type("password", STRONG);
        save();
        click(By.id("besip-config-commit"));
        assertTrue(text("besip-config-message").startsWith("Committed"), text("besip-config-message") + text("besip-config-errors"));
        assertTrue(text("besip-config-changes").contains("nothing to commit"));
        NetconfIT.runOn(box, "running_has", "provider");
        open("?path=" + enc("/besip-pbx:pbx"));
        assertTrue(text("list-user").contains("alice") && text("list-user").contains("201"));
        assertTrue(text("list-dial-plan/route").contains("provider"));
        browser.manage().window().setSize(new Dimension(1280, 3600));
        shot("config-pbx");
        browser.manage().window().setSize(new Dimension(1280, 1600));

        Path csv = work.resolve("alice.csv");
        Files.writeString(csv, "SEQUENTIAL\nalice;[authentication username=alice password=" + STRONG + "]\n");
        Process reg = new ProcessBuilder("sipp", "-sf", FloodIT.SCENARIO.toString(), "-inf", csv.toString(), "127.0.0.1:" + box.sipPort(),
                "-i", "127.0.0.1", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "1", "-nostdin", "-timeout", "30s")
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(reg.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(reg.waitFor(40, TimeUnit.SECONDS) && reg.exitValue() == 0, "sipp registers as the user made in the browser:\n" + out);

        // the state pages stay, each linking to the configuration of what it shows
        browser.get(box.loggedIn("besip-pbx"));
        wait.until(d -> HeadlessChromium.text(d, By.id("besip-pbx-registrations")).contains("alice"));
        String before = browser.getCurrentUrl();
        browser.findElement(By.linkText("alice")).click();
        wait.until(d -> !d.getCurrentUrl().equals(before) && HeadlessChromium.text(d, By.id("besip-config-where")).contains("user alice"));
        assertEquals("201", field("extension").getAttribute("value"));
        for (String[] page : new String[][] { { "besip-pbx", "besip-pbx-configure", "pbx" }, { "besip-security", "besip-security-configure",
                "security" }, { "besip-modules", "besip-modules-configure", "system" } }) {
            browser.get(box.loggedIn(page[0]));
            wait.until(d -> !d.findElements(By.id(page[1])).isEmpty());
            String from = browser.getCurrentUrl();
            browser.findElement(By.cssSelector("#" + page[1] + " a")).click();
            wait.until(d -> !d.getCurrentUrl().equals(from) && !d.findElements(By.id("besip-config-where")).isEmpty());
            assertEquals(page[2], text("besip-config-where"), page[0] + " links to its configuration");
        }
    }

    @Test
    void aLockIsShownWithItsHolderAndATrialCommitIsConfirmedOrRollsBack() throws Exception {
        Process holder = new ProcessBuilder(NetconfIT.PYTHON.toString(), NetconfIT.SCRIPT.toString(), "127.0.0.1",
                String.valueOf(box.netconfPort()), box.password(), "hold_lock", "candidate").redirectErrorStream(true).start();
        try {
            BufferedReader said = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            String line = said.readLine();
            assertTrue(line != null && line.startsWith("locked candidate"), "ncclient holds the lock: " + line);
            open("?path=" + enc("/besip-pbx:pbx"));
            String lock = text("besip-config-lock-candidate");
            assertTrue(lock.contains("locked by NETCONF session") && lock.contains("admin from 127.0.0.1"), lock);
            type("nat/keepalive-interval", "25");
            save();
            assertTrue(text("besip-config-errors").contains("locked by session"), "the save is refused: " + text("besip-config"));
            holder.getOutputStream().close(); // the client unlocks and leaves
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS) && holder.exitValue() == 0);
        } finally {
            holder.destroy();
        }

        open("?path=" + enc("/besip-pbx:pbx"));
        assertTrue(browser.findElements(By.id("besip-config-lock-candidate")).isEmpty(), "the lock went with its session");
        type("nat/keepalive-interval", "25");
        save();
        click(By.id("besip-config-confirmed"));
        assertTrue(text("besip-config-pending").contains("on trial"), text("besip-config-pending"));
        NetconfIT.runOn(box, "running_has", "<keepalive-interval>25<");
        click(By.id("besip-config-confirm"));
        assertTrue(text("besip-config-message").startsWith("Confirmed"));
        assertTrue(browser.findElements(By.id("besip-config-pending")).isEmpty());

        open("?path=" + enc("/besip-pbx:pbx"));
        type("nat/keepalive-interval", "20");
        save();
        WebElement timeout = browser.findElement(By.id("besip-config-timeout"));
        timeout.clear();
        timeout.sendKeys("2");
        click(By.id("besip-config-confirmed"));
        assertTrue(text("besip-config-pending").contains("on trial"));
        // not confirmed: the box goes back by itself
        wait.withTimeout(Duration.ofSeconds(30)).until(d -> {
            d.navigate().refresh();
            return !d.findElements(By.id("besip-config-status")).isEmpty() && d.findElements(By.id("besip-config-pending")).isEmpty();
        });
        NetconfIT.runOn(box, "running_has", "<keepalive-interval>25<");
        type("nat/keepalive-interval", "21");
        save();
        click(By.id("besip-config-confirmed"));
        NetconfIT.runOn(box, "running_has", "<keepalive-interval>21<");
        click(By.id("besip-config-cancel"));
        assertTrue(text("besip-config-message").startsWith("Cancelled"), text("besip-config-message"));
        NetconfIT.runOn(box, "running_has", "<keepalive-interval>25<");

        // discard: the candidate is running again
        type("nat/keepalive-interval", "15");
        save();
        assertTrue(text("besip-config-changes").contains("1 change"), text("besip-config-changes"));
        click(By.id("besip-config-discard"));
        assertTrue(text("besip-config-changes").contains("nothing to commit"));
        assertEquals("25", field("nat/keepalive-interval").getAttribute("value"));

        // bad input: a number out of range lands at its field, in words
        type("nat/keepalive-interval", "99999");
        save();
        assertTrue(text("e-nat/keepalive-interval").contains("99999"), text("e-nat/keepalive-interval") + text("besip-config-errors"));
        assertEquals("99999", field("nat/keepalive-interval").getAttribute("value"), "the value typed stays to be corrected");
    }

    @Test
    void aModuleInstalledLaterHasItsFormAndBadRequestsAreRefusedInWords() throws Exception {
        var r = box.postJar("action=install", FixtureBundles.configurable(work.resolve("fx"), "kappa", "1.0.0"));
        assertEquals(200, r.statusCode(), r.body());
        open("");
        wait.until(d -> {
            d.navigate().refresh();
            return HeadlessChromium.text(d, By.id("besip-config-modules")).contains("settings");
        });
        open("?path=" + enc("/fixture-kappa:settings"));
        assertEquals("hello", field("greeting").getAttribute("placeholder"));
        type("greeting", "a greeting far longer than twenty");
        save();
        assertTrue(text("e-greeting").contains("length"), text("besip-config"));
        type("greeting", "hi");
        save();
        click(By.id("besip-config-commit"));
        assertTrue(text("besip-config-message").startsWith("Committed"), text("besip-config-errors"));
        assertTrue(Files.readString(box.data().resolve("applied-fixture-kappa.xml")).contains(">hi<"));

        open("?path=" + enc("/nowhere:at-all"));
        assertTrue(text("besip-config-bad-path").contains("no module or prefix 'nowhere'"));
        assertEquals(403, postForm("action=commit", "http://evil.example").statusCode(), "a cross-site post is refused");
        var bad = postForm("action=explode", "http://127.0.0.1:" + box.port());
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("action must be save, remove, commit, confirmed, confirm, cancel or discard"), bad.body());
        var badPath = postForm("action=save&path=%2Fbesip-pbx%3Apbx%2Fnope", "http://127.0.0.1:" + box.port());
        assertEquals(400, badPath.statusCode());
        assertTrue(badPath.body().contains("no configuration node &apos;nope&apos; under /besip-pbx:pbx"), badPath.body());
        assertEquals(401, box.get("besip-config", null, null).statusCode(), "behind the admin login");
    }

    private java.net.http.HttpResponse<String> postForm(String body, String origin) throws Exception {
        return box.postForm("besip-config", body, origin);
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
