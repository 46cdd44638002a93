package io.cohortflow.launcher;

import static io.cohortflow.launcher.StackClient.ADMIN_KEY;
import static io.cohortflow.launcher.StackClient.ORG;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real Chromium (Debian's, driven by its chromedriver; installed by the build,
 * never skipped) against the whole embedded stack: sign in, the segment list, a misspelt function
 * shown at its line, fixed and saved, events sent through the segmentation API, the size becoming
 * 1, the user's membership and its explain tree, erasure. A screenshot of each page is saved under
 * {@code target/console-screenshots}.
 */
class ConsoleBrowserTest {
    static final Path SHOTS = Path.of("target", "console-screenshots");

    @TempDir static Path data;
    @TempDir static Path profile;
    static CohortflowStack stack;
    static final StackClient API = new StackClient(() -> stack);
    static WebDriver browser;
    static int shot;

    @BeforeAll
    static void start() throws Exception {
        stack =
                CohortflowStack.start(
                        LauncherConfig.from(StackClient.testProperties(data), Map.of()));
        ChromeOptions o = new ChromeOptions();
        o.setBinary("/usr/bin/chromium");
        // Flags for a closed network: without the background-networking ones Chromium keeps
        // trying Google's hosts.
        o.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,800",
                "--user-data-dir=" + profile);
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                        .usingAnyFreePort()
                        .build();
        browser = new ChromeDriver(service, o);
        Files.createDirectories(SHOTS);
    }

    /** Each test starts signed out, in a window of the size the console is made for. */
    @BeforeEach
    void signedOut() {
        browser.manage().window().setSize(new Dimension(1280, 800));
        browser.get(url("/console/"));
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear();");
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (stack != null) {
            stack.close();
        }
    }

    static WebDriverWait await() {
        return new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    static WebElement visible(By by) {
        return await().until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    static void screenshot(String name) throws Exception {
        File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(
                f.toPath(),
                SHOTS.resolve(String.format("%02d-%s.png", ++shot, name)),
                StandardCopyOption.REPLACE_EXISTING);
    }

    static String url(String path) {
        return "http://127.0.0.1:" + stack.httpPort() + path;
    }

    @Test
    void a_segment_author_signs_in_fixes_a_definition_saves_it_and_follows_one_user()
            throws Exception {
        String sport = API.createSegment("Sport readers", streq("sport"), "{\"gam\":true}");

        // The root leads to the console, which asks for a key.
        browser.get(url("/"));
        assertThat(browser.getCurrentUrl()).endsWith("/console/");
        visible(By.name("key")).sendKeys(ADMIN_KEY);
        browser.findElement(By.name("org")).sendKeys(ORG);
        screenshot("sign-in");
        browser.findElement(By.cssSelector("form.login button[type=submit]")).click();

        // The list, with the segment made through the API.
        WebElement row = visible(By.cssSelector("tr[data-id='" + sport + "']"));
        assertThat(row.getText()).contains("Sport readers");
        assertThat(browser.getCurrentUrl()).doesNotContain(ADMIN_KEY);
        screenshot("segments");

        // A new segment with a misspelt function: the error is placed at its line, with a hint.
        browser.findElement(By.linkText("New segment")).click();
        WebElement area = visible(By.id("definition"));
        area.clear();
        area.sendKeys(
                "{\n\"func\": \"segment-def\",\n\"version\": [1, 0, 0],\n\"container\": {\n"
                        + "\"func\": \"container\", \"context\": \"visitors\",\n\"pred\": {\n"
                        + "\"func\": \"streqq\",\n"
                        + "\"val\": {\"func\": \"attr\", \"name\": \"variables/section\"},"
                        + " \"str\": \"news\"}}}");
        WebElement problem =
                visible(By.cssSelector(".problem.error[data-pointer='/container/pred/func']"));
        assertThat(problem.getAttribute("data-line")).isEqualTo("7");
        assertThat(problem.getText()).contains("line 7").containsIgnoringCase("streq");
        assertThat(browser.findElement(By.id("validity")).getText()).startsWith("Not valid");
        assertThat(browser.findElements(By.cssSelector(".gutter li.mark")))
                .extracting(WebElement::getText)
                .containsExactly("7");
        screenshot("editor-error");
        // Neither the estimate nor the preview runs on it, and each says why.
        browser.findElement(By.xpath("//button[text()='Estimate size']")).click();
        assertThat(visible(By.cssSelector(".estimate .error")).getText())
                .isEqualTo("Fix the definition first: it is not valid.");
        browser.findElement(By.xpath("//button[text()='Preview']")).click();
        assertThat(visible(By.cssSelector(".preview .error")).getText())
                .isEqualTo("Fix the definition first: it is not valid.");

        // A key given twice is JSON to the browser, which keeps the last one, and not to the
        // service: the console sends the text as typed, so it is not valid (it saved the last
        // one's reading before, and called it valid).
        ((JavascriptExecutor) browser)
                .executeScript(
                        "arguments[0].value = arguments[0].value.replace('\"str\": \"news\"',"
                                + " '\"str\": \"sport\", \"str\": \"news\"');"
                                + "arguments[0].dispatchEvent(new Event('input'));",
                        browser.findElement(By.id("definition")));
        await().until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.cssSelector(".problem.error"), "appears twice"));
        assertThat(browser.findElement(By.id("validity")).getText()).startsWith("Not valid");
        ((JavascriptExecutor) browser)
                .executeScript(
                        "arguments[0].value = arguments[0].value.replace('\"str\": \"sport\", ', '');",
                        browser.findElement(By.id("definition")));

        // Fixed: valid, with the products and evaluation mode; saved.
        editUntilValid("streqq", "streq");
        assertThat(browser.findElement(By.cssSelector(".facts")).getText())
                .contains("incremental")
                .contains("streaming");
        browser.findElement(By.cssSelector(".editor input[type=text]")).sendKeys("News readers");
        browser.findElement(By.cssSelector(".editor button[type=submit]")).click();
        await().until(ExpectedConditions.urlMatches("#/segments/s[^/]+$"));
        String news =
                browser.getCurrentUrl().substring(browser.getCurrentUrl().lastIndexOf('/') + 1);
        visible(By.xpath("//h1[text()='News readers']"));
        screenshot("editor-saved");
        API.awaitApplied(news);

        // A user reads the news, through the segmentation API.
        String user = UUID.randomUUID().toString();
        com.fasterxml.jackson.databind.JsonNode reply =
                StackClient.ok(
                        API.segment(
                                ADMIN_KEY,
                                "",
                                "{\"user_id\":\""
                                        + user
                                        + "\",\"events\":[{\"name\":\"Pageview\",\"time\":\""
                                        + Instant.now()
                                        + "\",\"properties\":{\"section\":\"news\"}}]}"));
        assertThat(StackClient.cohorts(reply)).contains(news);

        // The list says so once the job has counted it.
        browser.get(url("/console/#/segments?name=News"));
        for (int i = 0; i < 60; i++) {
            browser.navigate().refresh();
            WebElement size = visible(By.cssSelector("tr[data-id='" + news + "'] td.size"));
            if (size.getText().equals("1")) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(
                        browser.findElement(By.cssSelector("tr[data-id='" + news + "'] td.size"))
                                .getText())
                .isEqualTo("1");
        screenshot("segments-size");

        // The audience chart.
        browser.findElement(By.cssSelector("tr[data-id='" + news + "'] td.size a")).click();
        assertThat(visible(By.cssSelector(".audience-size")).getText()).isEqualTo("1");
        visible(By.cssSelector(".chart .uplot"));
        screenshot("audience");

        // The user: membership with status, and the explain tree.
        browser.get(url("/console/#/users/" + user));
        WebElement membership = visible(By.cssSelector("tr[data-segment='" + news + "']"));
        assertThat(membership.getText()).contains("News readers").contains("realized");
        membership.findElement(By.tagName("button")).click();
        WebElement tree = visible(By.cssSelector(".explain .tree"));
        assertThat(tree.findElements(By.cssSelector("li.holds"))).hasSizeGreaterThanOrEqualTo(2);
        assertThat(tree.getText()).contains("streq").contains("news");
        screenshot("user-explain");

        // Erasure, after the confirmation.
        browser.findElement(By.cssSelector("button.danger")).click();
        await().until(ExpectedConditions.alertIsPresent()).accept();
        assertThat(visible(By.cssSelector(".erased")).getText()).contains(user);
        screenshot("user-erased");
        browser.navigate().refresh(); // the same page, asked again
        assertThat(visible(By.cssSelector("#main .error")).getText()).contains("user_not_found");

        // A narrow window still shows the list.
        browser.manage().window().setSize(new Dimension(420, 800));
        browser.get(url("/console/#/segments"));
        visible(By.cssSelector("tr[data-id='" + news + "']"));
        screenshot("segments-narrow");
        browser.manage().window().setSize(new Dimension(1280, 800));

        // Event schemas and the API reference.
        browser.get(url("/console/#/schemas"));
        visible(By.xpath("//h1[text()='Event schemas']"));
        WebElement name = browser.findElement(By.cssSelector("form input[type=text]"));
        name.sendKeys("Pageview");
        browser.findElement(By.cssSelector("form button.primary")).click();
        visible(By.xpath("//ul[@class='schema-list']//button[text()='Pageview']"));
        screenshot("schemas");
        browser.get(url("/console/api.html"));
        assertThat(visible(By.cssSelector(".swagger-ui .info .title")).getText())
                .contains("Cohortflow");
        screenshot("api-reference");

        List<String> errors =
                browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                        .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                        .map(LogEntry::getMessage)
                        // The lookup of the erased user answers 404 on purpose, and the
                        // validation of the definition with a key given twice 400; any other
                        // failed load (a missing script or style) is an error.
                        .filter(m -> !(m.contains("/ccs/v1/users/" + user) && m.contains("404")))
                        .filter(m -> !(m.contains("/segments/validate") && m.contains("400")))
                        .toList();
        assertThat(errors).as("errors in the browser's console").isEmpty();
    }

    @Test
    void the_editor_previews_estimates_and_diffs_and_rolls_back_versions() throws Exception {
        String id = API.createSegment("Tech readers", streq("tech"), "{}");
        signIn();
        browser.get(url("/console/#/segments/" + id));
        navigateFresh();
        visible(By.xpath("//h1[text()='Tech readers']"));
        await().until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("validity"), "Valid"));

        // Preview on the pasted sample (one tech page view now): a member, and why.
        WebElement events = browser.findElement(By.cssSelector("section textarea.code"));
        ((JavascriptExecutor) browser)
                .executeScript(
                        "arguments[0].value = arguments[0].value.replace('sport', 'tech');",
                        events);
        browser.findElement(By.xpath("//button[text()='Preview']")).click();
        WebElement preview = visible(By.cssSelector(".preview .card"));
        assertThat(preview.getText()).contains("member").doesNotContain("not a member");
        assertThat(preview.findElements(By.cssSelector(".tree li.holds"))).isNotEmpty();

        // The estimate over the users the job holds (none: exact zero).
        browser.findElement(By.xpath("//button[text()='Estimate size']")).click();
        assertThat(visible(By.cssSelector(".estimated-size")).getText()).isEqualTo("0");
        screenshot("editor-preview-estimate");

        // A second version, its diff against the first, and a roll back to the first.
        editUntilValid("\"tech\"", "\"science\"");
        browser.findElement(By.cssSelector(".editor button[type=submit]")).click();
        // The page's own line, drawn once it has read the segment again: the toast says the
        // version first, and a write of the API's before that read would be the page's version.
        visible(By.xpath("//p[@class='sub' and contains(., 'version 2 ')]"));
        browser.findElement(By.xpath("//tr[td[1][starts-with(., '1')]]//button[text()='Diff']"))
                .click();
        WebElement diff = visible(By.cssSelector("pre.diff"));
        assertThat(diff.findElement(By.cssSelector(".del")).getText()).contains("tech");
        assertThat(diff.findElement(By.cssSelector(".add")).getText()).contains("science");
        screenshot("editor-diff");
        browser.findElement(By.xpath("//button[text()='Roll back']")).click();
        await().until(ExpectedConditions.alertIsPresent()).accept();
        // The page's own line, drawn once it has read the segment again: the toast says the
        // version first, and a write of the API's before that read would be the page's version.
        visible(By.xpath("//p[@class='sub' and contains(., 'version 3 ')]"));
        assertThat(browser.findElement(By.id("definition")).getAttribute("value"))
                .contains("\"tech\"");

        // Someone else saves meanwhile: this page's save is refused, not written over theirs.
        java.net.http.HttpResponse<String> theirs =
                API.send(
                        StackClient.adobe(
                                        java.net.http.HttpRequest.newBuilder(
                                                API.uri("/segments/" + id)))
                                .PUT(StackClient.body("{\"name\":\"Tech readers, theirs\"}")));
        assertThat(theirs.statusCode()).as(theirs.body()).isEqualTo(200);
        editUntilValid("\"tech\"", "\"gadgets\"");
        browser.findElement(By.cssSelector(".editor button[type=submit]")).click();
        assertThat(visible(By.cssSelector(".editor .error")).getText()).contains("409");
        assertThat(
                        API.send(
                                        StackClient.adobe(
                                                java.net.http.HttpRequest.newBuilder(
                                                        API.uri(
                                                                "/segments/"
                                                                        + id
                                                                        + "?expansion=definition"))))
                                .body())
                .contains("Tech readers, theirs")
                .doesNotContain("gadgets");
        // The refused save is the browser console's only error (read here, so that it is not
        // another test's).
        assertThat(
                        browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                                .map(LogEntry::getMessage)
                                .filter(m -> !(m.contains("/segments/" + id) && m.contains("409")))
                                .toList())
                .as("errors in the browser's console")
                .isEmpty();
    }

    /**
     * Replaces {@code from} with {@code to} in the editor's definition as typing would (an input
     * event), and waits for the validation to call it valid.
     */
    static void editUntilValid(String from, String to) {
        ((JavascriptExecutor) browser)
                .executeScript(
                        "arguments[0].value = arguments[0].value.replace(arguments[1], arguments[2]);"
                                + "arguments[0].dispatchEvent(new Event('input'));",
                        browser.findElement(By.id("definition")),
                        from,
                        to);
        await().until(
                        ExpectedConditions.textToBePresentInElementLocated(
                                By.id("validity"), "Valid"));
    }

    /** Signs in through the form unless this browser tab already holds a session. */
    static void signIn() {
        browser.get(url("/console/"));
        if (!browser.findElements(By.name("key")).isEmpty()) {
            browser.findElement(By.name("key")).sendKeys(ADMIN_KEY);
            browser.findElement(By.name("org")).sendKeys(ORG, Keys.ENTER);
            visible(By.xpath("//h1[text()='Segments']"));
        }
    }

    /** Loads the current address again (a new fragment alone does not reload the page). */
    static void navigateFresh() {
        browser.navigate().refresh();
    }

    @Test
    void the_console_sends_no_key_in_a_url_and_a_wrong_key_is_refused() {
        browser.navigate().refresh();
        visible(By.name("key")).sendKeys("wrong-key");
        browser.findElement(By.name("org")).sendKeys(ORG, Keys.ENTER);
        assertThat(visible(By.cssSelector("form.login .error")).getText()).contains("refused");
    }

    static String streq(String section) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/section\"},\"str\":\""
                + section
                + "\"}";
    }
}
