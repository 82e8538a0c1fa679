package dev.caravan;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * A route file deleted from src/main/resources/routes must not keep running from the copy an
 * earlier build left in target/classes (mvn spring-boot:run loads the routes from there): the build
 * deletes those copies before it copies the resources again.
 */
class StaleResourcesTest {

  @Test
  void theBuildDeletesCopiedRoutesAndScriptsBeforeCopyingTheResourcesAgain() throws Exception {
    Document pom =
        DocumentBuilderFactory.newInstance()
            .newDocumentBuilder()
            .parse(Path.of("pom.xml").toFile());
    List<String> deletedBeforeCopy = new ArrayList<>();
    NodeList executions = pom.getElementsByTagName("execution");
    for (int i = 0; i < executions.getLength(); i++) {
      Element execution = (Element) executions.item(i);
      Element plugin = (Element) execution.getParentNode().getParentNode();
      if (text(plugin, "artifactId").equals("maven-clean-plugin")
          && text(execution, "phase").equals("initialize")) {
        NodeList fileSets = execution.getElementsByTagName("fileset");
        for (int j = 0; j < fileSets.getLength(); j++) {
          Element fileSet = (Element) fileSets.item(j);
          assertThat(text(fileSet, "directory")).isEqualTo("${project.build.outputDirectory}");
          NodeList includes = fileSet.getElementsByTagName("include");
          for (int k = 0; k < includes.getLength(); k++) {
            deletedBeforeCopy.add(includes.item(k).getTextContent().trim());
          }
        }
      }
    }
    assertThat(deletedBeforeCopy).contains("routes/**", "scripts/**");
  }

  private static String text(Element parent, String child) {
    NodeList found = parent.getElementsByTagName(child);
    return found.getLength() == 0 ? "" : found.item(0).getTextContent().trim();
  }
}
