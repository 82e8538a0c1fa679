package dev.caravan.github;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.eclipse.egit.github.core.IRepositoryIdProvider;
import org.eclipse.egit.github.core.RepositoryCommit;
import org.eclipse.egit.github.core.client.GitHubClient;
import org.eclipse.egit.github.core.client.NoSuchPageException;
import org.eclipse.egit.github.core.client.PageIterator;
import org.eclipse.egit.github.core.service.CommitService;
import org.eclipse.egit.github.core.service.PullRequestService;
import org.eclipse.egit.github.core.service.RepositoryService;

/**
 * The egit services that camel-github looks up in the registry ({@code githubRepositoryService},
 * {@code githubCommitService}, {@code githubPullRequestService}), on a configurable GitHub server:
 * camel-github 4.17 has no API-URL option, so GitHub Enterprise (and a test stub) is reached
 * through these. An empty URL means api.github.com.
 *
 * <p>The commit service reads only the newest page (100 commits) of a branch: camel-github's commit
 * consumer asks for "all commits" on every poll, which egit answers by paging through the branch's
 * whole history.
 */
public final class GitHubApi {

  private static final String GITHUB_WEB = "https://github.com";

  private GitHubApi() {}

  /**
   * A client for the server at {@code apiUrl} ({@code https://ghe.example.com}; egit adds {@code
   * /api/v3} for any host other than api.github.com), or api.github.com when blank.
   */
  public static GitHubClient client(String apiUrl) {
    if (apiUrl == null || apiUrl.isBlank()) {
      return new GitHubClient();
    }
    URI uri = parse(apiUrl);
    return new GitHubClient(uri.getHost(), uri.getPort(), uri.getScheme());
  }

  /**
   * Like {@link #client(String)}, but every request gives up after {@code timeoutMillis} to connect
   * and as long to read (egit's own client waits forever).
   */
  public static GitHubClient client(String apiUrl, int timeoutMillis) {
    if (apiUrl == null || apiUrl.isBlank()) {
      return new TimedClient(timeoutMillis);
    }
    URI uri = parse(apiUrl);
    return new TimedClient(uri.getHost(), uri.getPort(), uri.getScheme(), timeoutMillis);
  }

  /** Where repositories are browsed and cloned: https://github.com, or the Enterprise host. */
  public static String webUrl(String apiUrl) {
    if (apiUrl == null || apiUrl.isBlank()) {
      return GITHUB_WEB;
    }
    URI uri = parse(apiUrl);
    if ("api.github.com".equals(uri.getHost())) {
      return GITHUB_WEB;
    }
    return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
  }

  /**
   * The root of the REST API that {@link #client(String)} talks to: https://api.github.com when
   * blank or for api.github.com, {@code <scheme>://<host>[:port]/api/v3} for any other host (as
   * egit does), without a trailing slash.
   */
  static String restUrl(String apiUrl) {
    if (apiUrl == null || apiUrl.isBlank()) {
      return "https://api.github.com";
    }
    URI uri = parse(apiUrl);
    String root =
        uri.getScheme() + "://" + uri.getHost() + (uri.getPort() > 0 ? ":" + uri.getPort() : "");
    return "api.github.com".equals(uri.getHost()) ? root : root + "/api/v3";
  }

  public static RepositoryService repositoryService(String apiUrl) {
    return new RepositoryService(client(apiUrl));
  }

  public static PullRequestService pullRequestService(String apiUrl) {
    return new PullRequestService(client(apiUrl));
  }

  public static CommitService commitService(String apiUrl) {
    return new RecentCommitService(client(apiUrl));
  }

  private static URI parse(String apiUrl) {
    URI uri;
    try {
      uri = URI.create(apiUrl.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("caravan.github.api-url is not a URL: " + apiUrl, e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
      throw new IllegalArgumentException(
          "caravan.github.api-url must be http(s)://host[:port], not " + apiUrl);
    }
    return uri;
  }

  /** An egit client whose connections time out. */
  static final class TimedClient extends GitHubClient {

    private final int timeoutMillis;

    TimedClient(int timeoutMillis) {
      this.timeoutMillis = timeoutMillis;
    }

    TimedClient(String host, int port, String scheme, int timeoutMillis) {
      super(host, port, scheme);
      this.timeoutMillis = timeoutMillis;
    }

    @Override
    protected HttpURLConnection createConnection(String uri) throws IOException {
      HttpURLConnection connection = super.createConnection(uri);
      connection.setConnectTimeout(timeoutMillis);
      connection.setReadTimeout(timeoutMillis);
      return connection;
    }
  }

  /** Lists only the newest page of a branch's commits. */
  static final class RecentCommitService extends CommitService {

    static final int PAGE = 100;

    RecentCommitService(GitHubClient client) {
      super(client);
    }

    @Override
    public List<RepositoryCommit> getCommits(
        IRepositoryIdProvider repository, String sha, String path) throws IOException {
      PageIterator<RepositoryCommit> pages = pageCommits(repository, sha, path, PAGE);
      if (!pages.hasNext()) {
        return List.of();
      }
      try {
        return new ArrayList<>(pages.next());
      } catch (NoSuchPageException e) {
        throw e.getCause();
      }
    }
  }
}
