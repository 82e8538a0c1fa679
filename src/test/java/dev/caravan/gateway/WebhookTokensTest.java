package dev.caravan.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookTokensTest {

  @TempDir Path dir;

  private final WebhookTokens tokens = new WebhookTokens();
  private final Properties settings = new Properties();

  @BeforeEach
  void useTheDirectory() {
    settings.setProperty(WebhookTokens.DIR_PROPERTY, dir.toString());
  }

  /** Camel's properties, given the settings as they are now. */
  private PropertiesComponent properties() {
    PropertiesComponent properties = new DefaultCamelContext().getPropertiesComponent();
    properties.setInitialProperties(settings);
    return properties;
  }

  @Test
  void aFileHoldsTheTokenWithoutItsTrailingNewline() throws Exception {
    Files.writeString(dir.resolve("unix"), "t0ken\n");
    Files.writeString(dir.resolve("windows"), "t0ken\r\n");
    Files.writeString(dir.resolve("bare"), " t0ken ");

    assertThat(tokens.token(properties(), "unix")).hasValue("t0ken");
    assertThat(tokens.token(properties(), "windows")).hasValue("t0ken");
    assertThat(tokens.token(properties(), "bare")).hasValue(" t0ken ");
  }

  @Test
  void blankFilesDirectoriesAndMissingFilesGiveNoToken() throws Exception {
    Files.writeString(dir.resolve("blank"), "\n");
    Files.createDirectory(dir.resolve("folder"));

    assertThat(tokens.token(properties(), "blank")).isEmpty();
    assertThat(tokens.token(properties(), "folder")).isEmpty();
    assertThat(tokens.token(properties(), "missing")).isEmpty();
  }

  @Test
  void withoutADirectoryOnlyPropertiesGiveTokens() throws Exception {
    Files.writeString(dir.resolve("ci"), "from-file");
    settings.remove(WebhookTokens.DIR_PROPERTY);
    settings.setProperty(WebhookTokens.TOKEN_PROPERTY + "ci", "from-property");

    assertThat(tokens.token(properties(), "ci")).hasValue("from-property");
    assertThat(tokens.token(properties(), "nightly")).isEmpty();
  }

  @Test
  void theAnswerForAnUnknownNameNamesBothSettings() {
    assertThat(WebhookTokens.howToConfigure("deploy-prod"))
        .contains(
            "CARAVAN_WEBHOOK_TOKENS_DEPLOY_PROD",
            "caravan.webhook.tokens.deploy-prod",
            "a file named deploy-prod",
            "CARAVAN_WEBHOOK_TOKEN_DIR",
            "caravan.webhook.token-dir");
  }
}
