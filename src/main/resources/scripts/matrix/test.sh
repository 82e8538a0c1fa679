# matrix: one test run per version; the image is eclipse-temurin:<version>, so `java` is that
# version on Kubernetes (the local executor uses the host's java). $VERSION is the matrix item.
set -eu
echo "testing on Java $VERSION"
java -version 2>&1
