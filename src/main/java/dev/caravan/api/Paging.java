package dev.caravan.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code limit} (1..500, default 50) and {@code offset} (>= 0) of a list request. */
record Paging(int limit, int offset) {

  static final int MAX_LIMIT = 500;

  static Paging of(Integer limit, Integer offset) {
    int l = limit == null ? 50 : limit;
    int o = offset == null ? 0 : offset;
    if (l < 1 || l > MAX_LIMIT) {
      throw ApiException.badRequest("limit must be between 1 and " + MAX_LIMIT);
    }
    if (o < 0) {
      throw ApiException.badRequest("offset must not be negative");
    }
    return new Paging(l, o);
  }

  /**
   * The answer of a list request: {@code {"items": ..., "total": ..., "limit": ..., "offset":
   * ...}}, {@code total} counting every item with the same filters, not only those of this page.
   */
  Map<String, Object> page(List<?> items, long total) {
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("items", items);
    page.put("total", total);
    page.put("limit", limit);
    page.put("offset", offset);
    return page;
  }
}
