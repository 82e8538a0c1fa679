# pr-checks: unit tests of the pull request's head commit (image maven:3.9-eclipse-temurin-17),
# in the tree the checkout step put into the run's workspace.
set -eu
cd "$CARAVAN_WORKSPACE/source"
echo "unit tests: $REPO pull request #$PR at $SHA"
if [ -f pom.xml ]; then mvn -B test; else echo "no pom.xml: nothing to test"; fi
