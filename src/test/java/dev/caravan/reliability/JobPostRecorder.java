package dev.caravan.reliability;

import dev.caravan.kjob.kubernetes.JobLabels;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The mock API server's dispatcher (CRUD), recording each Job POST of one namespace and its answer:
 * what the tests with several Caravan JVMs count to prove that no step ran twice on Kubernetes.
 */
final class JobPostRecorder extends KubernetesMixedDispatcher {

  /** A Job creation the mock API server answered. */
  record JobPost(String run, String step, int code) {}

  private final String jobsPath;
  private final List<JobPost> posts;

  /**
   * @param posts receives each answered Job POST, in the order of the answers
   */
  JobPostRecorder(
      Map<ServerRequest, Queue<ServerResponse>> expectations,
      String namespace,
      List<JobPost> posts) {
    super(expectations);
    this.jobsPath = "/apis/batch/v1/namespaces/" + namespace + "/jobs";
    this.posts = posts;
  }

  /** How many Job POSTs each run and step got, by {@code run/step}. */
  static Map<String, Long> perRunAndStep(List<JobPost> posts) {
    return posts.stream()
        .collect(
            Collectors.groupingBy(
                post -> post.run() + "/" + post.step(), TreeMap::new, Collectors.counting()));
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    // the CRUD dispatcher consumes the body it reads, so keep a copy first
    boolean jobPost = "POST".equals(request.getMethod()) && jobsPath.equals(request.getPath());
    byte[] body = jobPost ? request.getBody().getBytes() : null;
    MockResponse response = super.dispatch(request);
    if (jobPost) {
      Job job = Serialization.unmarshal(new String(body, StandardCharsets.UTF_8), Job.class);
      Map<String, String> labels = job.getMetadata().getLabels();
      posts.add(
          new JobPost(labels.get(JobLabels.RUN), labels.get(JobLabels.STEP), response.code()));
    }
    return response;
  }
}
