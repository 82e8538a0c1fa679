# pr-checks: integration tests, run only when lint and unit tests passed
# (image maven:3.9-eclipse-temurin-17), in the run's workspace.
set -eu
cd "$CARAVAN_WORKSPACE/source"
echo "integration tests: $REPO pull request #$PR at $SHA"
if [ -f pom.xml ]; then mvn -B verify -DskipUnitTests; else echo "no pom.xml: nothing to test"; fi
