package dev.caravan.app;

import jakarta.servlet.DispatcherType;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.authentication.AuthenticationProvider;
import org.springframework.security.authentication.ProviderManager;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configurers.AbstractHttpConfigurer;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.AuthenticationEntryPointFailureHandler;
import org.springframework.security.web.authentication.AuthenticationFilter;
import org.springframework.security.web.authentication.www.BasicAuthenticationFilter;
import org.springframework.security.web.context.DelegatingSecurityContextRepository;
import org.springframework.security.web.context.HttpSessionSecurityContextRepository;
import org.springframework.security.web.context.RequestAttributeSecurityContextRepository;
import org.springframework.security.web.context.SecurityContextRepository;
import org.springframework.security.web.csrf.CsrfFilter;
import org.springframework.security.web.csrf.CsrfTokenRequestAttributeHandler;
import org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository;
import org.springframework.security.web.firewall.HttpFirewall;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.security.web.firewall.StrictHttpFirewall;
import org.springframework.security.web.header.writers.ReferrerPolicyHeaderWriter.ReferrerPolicy;
import org.springframework.security.web.servlet.util.matcher.PathPatternRequestMatcher;
import org.springframework.security.web.util.matcher.NegatedRequestMatcher;
import org.springframework.security.web.util.matcher.OrRequestMatcher;
import org.springframework.security.web.util.matcher.RequestMatcher;

/**
 * Spring Security for the HTTP port: stateless bearer-token authentication with the API token, deny
 * by default (every path but the open ones and the probes needs the token, once one is set), {@link
 * StrictHttpFirewall} against path spellings that would reach a protected path by another name, a
 * host allowlist against DNS rebinding, and refusal of cross-site unsafe requests.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {

  @Bean
  ApiToken apiToken(@Value("${caravan.api.token:}") String token) {
    return new ApiToken(token);
  }

  @Bean
  AllowedHosts allowedHosts(
      @Value("${caravan.api.public-url:}") String publicUrl,
      @Value("${caravan.security.allowed-hosts:}") String allowedHosts) {
    return AllowedHosts.of(publicUrl, allowedHosts);
  }

  /** Also keeps Spring Boot from creating (and printing) a default user and password. */
  /**
   * No observation (timer, trace span) wrapped around each of the chain's filters: a dozen per
   * request, a third of the time a webhook spent in the filters. The HTTP server's own observation
   * ({@code http.server.requests}) stays.
   */
  @Bean
  SecurityObservationSettings securityObservationSettings() {
    return SecurityObservationSettings.noObservations();
  }

  @Bean
  AuthenticationProvider apiTokenAuthenticationProvider(ApiToken token) {
    return new ApiTokenAuthenticationProvider(token);
  }

  /** Where a dashboard login keeps its authentication: the HTTP session. */
  @Bean
  SecurityContextRepository dashboardSessions() {
    return new HttpSessionSecurityContextRepository();
  }

  @Bean
  HttpFirewall httpFirewall(AllowedHosts hosts) {
    StrictHttpFirewall firewall = new StrictHttpFirewall();
    firewall.setAllowedHostnames(hosts);
    // Tomcat already refuses control characters in header values; what it lets through besides
    // visible ASCII is obs-text (bytes 0x80-0xFF, e.g. UTF-8), which gateways read as data
    firewall.setAllowedHeaderValues(
        value -> value.chars().noneMatch(c -> c < 0x20 && c != '\t' || c == 0x7f));
    // parameters are data (query strings, form bodies of gateways): they never become headers or
    // paths, and the firewall would refuse them only when read, as an error of the route
    firewall.setAllowedParameterNames(name -> true);
    firewall.setAllowedParameterValues(value -> true);
    return firewall;
  }

  @Bean
  RequestRejectedHandler requestRejectedHandler(AllowedHosts hosts, ApiToken token) {
    return new RejectedRequestAnswers(hosts, token);
  }

  @Bean
  SecurityFilterChain securityFilterChain(
      HttpSecurity http,
      ApiToken token,
      AuthenticationProvider apiTokenAuthenticationProvider,
      SecurityContextRepository dashboardSessions,
      @Value("${caravan.security.open-paths:/events/**,/hello}") String openPaths,
      @Value("${caravan.api.public-url:}") String publicUrl,
      @Value("${management.endpoints.web.base-path:/actuator}") String actuator)
      throws Exception {
    SecurityAnswers answers = new SecurityAnswers();
    RequestMatcher open = paths(List.of(openPaths.split(",")));
    RequestMatcher probes =
        paths(
            List.of(
                actuator + "/health",
                actuator + "/health/liveness",
                actuator + "/health/readiness"));

    http.headers(
            headers ->
                headers
                    .contentSecurityPolicy(csp -> csp.policyDirectives(DashboardSecurity.POLICY))
                    .referrerPolicy(referrer -> referrer.policy(ReferrerPolicy.SAME_ORIGIN)))
        .formLogin(AbstractHttpConfigurer::disable)
        .httpBasic(AbstractHttpConfigurer::disable)
        .logout(AbstractHttpConfigurer::disable)
        .requestCache(AbstractHttpConfigurer::disable)
        .exceptionHandling(
            exceptions ->
                exceptions
                    .defaultAuthenticationEntryPointFor(
                        new DashboardLoginRedirect(), DashboardSecurity.PAGES)
                    .defaultAuthenticationEntryPointFor(answers, request -> true)
                    .accessDeniedHandler(answers))
        // where CSRF protection would be: there are no cookies or sessions to forge requests
        // with, but a browser's simple cross-site POST reaches a token-less API all the same
        .addFilterAt(
            new CrossSiteRequestFilter(open, WebOrigin.parse(publicUrl), answers),
            CsrfFilter.class);

    if (token.isConfigured()) {
      // API clients send the token with every request and get no session; the dashboard's login
      // (DashboardLogin) makes one, and its unsafe requests must carry the session's CSRF token
      http.sessionManagement(
              sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.NEVER))
          .securityContext(
              context ->
                  context.securityContextRepository(
                      new DelegatingSecurityContextRepository(
                          new RequestAttributeSecurityContextRepository(), dashboardSessions)))
          .csrf(
              csrf ->
                  csrf.csrfTokenRepository(new HttpSessionCsrfTokenRepository())
                      .csrfTokenRequestHandler(new CsrfTokenRequestAttributeHandler())
                      .requireCsrfProtectionMatcher(DashboardSecurity::sessionWrite)
                      .ignoringRequestMatchers(open, DashboardSecurity.LOGIN));
      AuthenticationFilter bearer =
          new AuthenticationFilter(
              new ProviderManager(apiTokenAuthenticationProvider), new BearerTokenConverter());
      // the gateways' own "Authorization: Bearer" (generic webhooks) is theirs to check
      bearer.setRequestMatcher(new NegatedRequestMatcher(open));
      bearer.setSuccessHandler((request, response, authentication) -> {});
      bearer.setFailureHandler(new AuthenticationEntryPointFailureHandler(answers));
      http.addFilterAt(bearer, BasicAuthenticationFilter.class)
          .authorizeHttpRequests(
              requests ->
                  requests
                      // an error page or the rest of a log stream, of a request already authorized
                      .dispatcherTypeMatchers(DispatcherType.ERROR, DispatcherType.ASYNC)
                      .permitAll()
                      .requestMatchers(DashboardSecurity.PAGES)
                      .authenticated()
                      .requestMatchers(open, probes, DashboardSecurity.OPEN)
                      .permitAll()
                      .anyRequest()
                      .authenticated());
    } else {
      http.csrf(AbstractHttpConfigurer::disable)
          .sessionManagement(
              sessions -> sessions.sessionCreationPolicy(SessionCreationPolicy.STATELESS));
      http.addFilterAt(new OpenAccessFilter(), BasicAuthenticationFilter.class)
          .authorizeHttpRequests(requests -> requests.anyRequest().permitAll());
    }
    return http.build();
  }

  /** Spring path patterns, matched on the decoded path as Spring MVC routes it. */
  private static RequestMatcher paths(List<String> patterns) {
    List<RequestMatcher> matchers =
        patterns.stream()
            .map(String::strip)
            .filter(pattern -> !pattern.isEmpty())
            .map(SecurityConfiguration::path)
            .toList();
    return matchers.isEmpty() ? request -> false : new OrRequestMatcher(matchers);
  }

  private static RequestMatcher path(String pattern) {
    if (!pattern.startsWith("/")) {
      throw new IllegalArgumentException(
          "caravan.security.open-paths: '" + pattern + "' is not a path pattern (starts with /)");
    }
    return PathPatternRequestMatcher.withDefaults().matcher(pattern);
  }
}
