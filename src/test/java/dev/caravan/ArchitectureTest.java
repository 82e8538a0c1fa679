package dev.caravan;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The package arrows of Caravan (docs/design.md, "Packages"): each package may use only the ones
 * listed for it, no package cycle, and Spring only in the app and the HTTP API.
 */
class ArchitectureTest {

  /** What each package may use of Caravan's own packages. */
  static final Map<String, List<String>> ALLOWED =
      Map.ofEntries(
          Map.entry("kjob", List.of()),
          Map.entry("store", List.of()),
          Map.entry("routes", List.of()),
          Map.entry("event", List.of("store")),
          Map.entry("run", List.of("event", "kjob", "store")),
          Map.entry("github", List.of("event")),
          Map.entry("gateway", List.of("event", "github")),
          Map.entry("http", List.of("gateway", "kjob", "store")),
          Map.entry("graph", List.of("kjob")),
          Map.entry("checks", List.of("github", "run", "graph", "kjob", "event")),
          Map.entry("api", List.of("run", "event", "kjob", "store", "graph")),
          Map.entry("dashboard", List.of()),
          Map.entry("cli", List.of("routes", "kjob", "event", "run", "graph")),
          Map.entry(
              "app",
              List.of(
                  "kjob",
                  "store",
                  "routes",
                  "event",
                  "run",
                  "github",
                  "gateway",
                  "http",
                  "graph",
                  "checks",
                  "api",
                  "dashboard")));

  /** Where Spring may be imported. */
  static final List<String> SPRING = List.of("app", "api", "dashboard");

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.caravan");
  }

  @Test
  @DisplayName("every package uses only the packages its arrows allow")
  void packagesUseOnlyWhatTheirArrowsAllow() {
    ALLOWED.forEach(
        (from, to) -> {
          List<String> forbidden =
              ALLOWED.keySet().stream()
                  .filter(other -> !other.equals(from) && !to.contains(other))
                  .map(other -> "dev.caravan." + other + "..")
                  .toList();
          if (!forbidden.isEmpty()) {
            noClasses()
                .that()
                .resideInAPackage("dev.caravan." + from + "..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(forbidden.toArray(String[]::new))
                .because(from + " may use only " + to)
                .check(classes);
          }
        });
  }

  @Test
  void everyPackageHasItsArrowsListed() {
    noClasses()
        .should()
        .resideOutsideOfPackages(
            ALLOWED.keySet().stream().map(p -> "dev.caravan." + p + "..").toArray(String[]::new))
        .because("a new package needs its arrows in ArchitectureTest and docs/design.md")
        .check(classes);
  }

  @Test
  void thereAreNoPackageCycles() {
    slices().matching("dev.caravan.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void onlyTheAppAndTheHttpApiImportSpring() {
    noClasses()
        .that()
        .resideOutsideOfPackages(
            SPRING.stream().map(p -> "dev.caravan." + p + "..").toArray(String[]::new))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.springframework..", "jakarta.servlet..")
        .because("route files and the plain-Camel packages run under camel-main and Camel K too")
        .check(classes);
  }
}
