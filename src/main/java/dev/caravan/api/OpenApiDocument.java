package dev.caravan.api;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import java.util.List;
import org.springdoc.core.customizers.GlobalOperationCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.MethodParameter;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.method.HandlerMethod;

/**
 * The OpenAPI 3 description of the API that springdoc generates from the controllers, served at
 * {@code GET /api/openapi.json} (so behind the API token like the rest of {@code /api/**}): a
 * bearer security scheme, and the error answers every operation can give, in the one shape.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiDocument {

  static final String BEARER = "bearer";
  static final String ERROR = "Error";
  private static final String JSON = "application/json";

  @Bean
  OpenAPI caravanOpenApi() {
    Schema<?> error =
        new ObjectSchema()
            .addProperty("error", new StringSchema().description("a short phrase"))
            .addProperty("detail", new StringSchema().description("what to do about it"))
            .required(List.of("error", "detail"))
            .description("Every error answer of Caravan");
    return new OpenAPI()
        .info(
            new Info()
                .title("Caravan REST API")
                .version("v1")
                .description(
                    "Events, pipelines, runs, steps and their logs. See docs/reference/rest-api.md."))
        .components(
            new Components()
                .addSecuritySchemes(
                    BEARER,
                    new SecurityScheme()
                        .type(SecurityScheme.Type.HTTP)
                        .scheme("bearer")
                        .description(
                            "caravan.api.token (env CARAVAN_API_TOKEN); without one, the API is"
                                + " open"))
                .addSchemas(ERROR, error))
        .addSecurityItem(new SecurityRequirement().addList(BEARER));
  }

  /** Adds the error answers springdoc cannot see (they come from ApiErrors and the chain). */
  @Bean
  GlobalOperationCustomizer errorAnswers() {
    return (Operation operation, HandlerMethod handler) -> {
      ApiResponses responses = operation.getResponses();
      if (responses == null) {
        responses = new ApiResponses();
        operation.setResponses(responses);
      }
      responses.addApiResponse(
          "400", error("a bad value of a parameter, or an unknown query parameter"));
      responses.addApiResponse("401", error("the API token is configured and missing or wrong"));
      List<MethodParameter> parameters = List.of(handler.getMethodParameters());
      if (parameters.stream().anyMatch(p -> p.hasParameterAnnotation(PathVariable.class))) {
        responses.putIfAbsent("404", error("no such id"));
      }
      if (parameters.stream().noneMatch(p -> p.hasParameterAnnotation(RequestParam.class))) {
        responses.get("400").setDescription("an unknown query parameter (this takes none)");
      }
      return operation;
    };
  }

  private static ApiResponse error(String description) {
    return new ApiResponse()
        .description(description)
        .content(
            new Content()
                .addMediaType(
                    JSON,
                    new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + ERROR))));
  }
}
