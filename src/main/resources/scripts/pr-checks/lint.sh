# pr-checks: lint the pull request's head commit (image maven:3.9-eclipse-temurin-17), in the
# tree the checkout step put into the run's workspace. Event values arrive only as variables.
set -eu
cd "$CARAVAN_WORKSPACE/source"
echo "lint: $REPO pull request #$PR at $SHA"
if [ -f pom.xml ]; then mvn -B -q spotless:check; else echo "no pom.xml: nothing to lint"; fi
