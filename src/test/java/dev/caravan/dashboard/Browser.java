package dev.caravan.dashboard;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Chromium for the dashboard's tests (JUnit extension, one browser per test class):
 * Debian's {@code chromium} driven by {@code chromium-driver}, both found on the PATH (or given as
 * {@code -Dcaravan.test.chromium=} and {@code -Dcaravan.test.chromedriver=}); never downloaded.
 * Without them the tests are skipped, naming the packages to install. Screenshots go to {@code
 * target/screenshots/}.
 */
public final class Browser implements BeforeAllCallback, AfterAllCallback {

  static final String MISSING =
      "no Chromium for the dashboard's browser tests: install the Debian packages chromium and"
          + " chromium-driver (.ci/run does), or give -Dcaravan.test.chromium= and"
          + " -Dcaravan.test.chromedriver=";

  private static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private ChromeDriver driver;

  @Override
  public void beforeAll(ExtensionContext context) {
    Optional<Path> chromium = find("caravan.test.chromium", "chromium", "chromium-browser");
    Optional<Path> chromedriver = find("caravan.test.chromedriver", "chromedriver");
    Assumptions.assumeTrue(chromium.isPresent() && chromedriver.isPresent(), MISSING);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.get().toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=en-US");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(chromedriver.get().toFile())
            .usingAnyFreePort()
            .build();
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (driver != null) {
      driver.quit();
    }
  }

  public WebDriver driver() {
    return driver;
  }

  public void open(String url) {
    driver.get(url);
  }

  /** Waits (at most 20 s) for what the function finds: not null and not false. */
  public <T> T waitFor(Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, Duration.ofSeconds(20))
        .pollingEvery(Duration.ofMillis(100))
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  public WebElement waitFor(By locator) {
    return waitFor(d -> d.findElements(locator).stream().findFirst().orElse(null));
  }

  public List<WebElement> all(By locator) {
    return driver.findElements(locator);
  }

  public Object script(String script, Object... arguments) {
    return driver.executeScript(script, arguments);
  }

  /** Writes the page as it is now to {@code target/screenshots/<name>.png}. */
  public Path screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    Path file = SCREENSHOTS.resolve(name + ".png");
    Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    return file;
  }

  private static Optional<Path> find(String property, String... names) {
    String given = System.getProperty(property);
    if (given != null && !given.isBlank()) {
      return Optional.of(Path.of(given)).filter(Files::isExecutable);
    }
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/bin:/bin");
    for (String name : names) {
      for (String dir : path.split(File.pathSeparator)) {
        Path candidate = Path.of(dir, name);
        if (Files.isExecutable(candidate)) {
          return Optional.of(candidate);
        }
      }
    }
    return Optional.empty();
  }
}
