# syntax=docker/dockerfile:1
# Caravan's image: docker build -t caravan:0.1.0 .
# (see "Deploy to Kubernetes" in docs/operations/deploy.md; k8s/base/deployment.yaml runs it as
# user 10001 with a read-only root filesystem, /tmp and /var/lib/caravan being volumes).

# Build stage: the Spring Boot jar, without tests (CI runs them) and without the format check.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
COPY src ./src
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -DskipTests -Dspotless.check.skip=true package \
    && cp target/caravan-*.jar /caravan.jar

# Runtime stage: the JRE only, as an unprivileged user with a fixed uid.
FROM eclipse-temurin:17-jre
RUN groupadd --gid 10001 caravan \
    && useradd --uid 10001 --gid 10001 --home-dir /home/caravan --create-home \
       --shell /usr/sbin/nologin caravan \
    && mkdir -p /var/lib/caravan /etc/caravan/routes \
    && chown 10001:10001 /var/lib/caravan
COPY --from=build /caravan.jar /app/caravan.jar
WORKDIR /app
# In a container Caravan listens on all interfaces and keeps its H2 database (when no
# CARAVAN_DB_URL is set) in a directory that can be a volume.
ENV CARAVAN_BIND_ADDRESS=0.0.0.0 \
    CARAVAN_DATA_DIR=/var/lib/caravan
EXPOSE 8080
USER 10001:10001
# The heap follows the container's memory limit; JAVA_TOOL_OPTIONS adds more flags.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-jar", "/app/caravan.jar"]
