package dev.caravan.api;

import java.util.ArrayList;
import java.util.List;

/**
 * A command line split into words as a POSIX shell splits it: single quotes keep everything, double
 * quotes keep all but {@code \"}, {@code \\}, {@code \$} and {@code \`}, a backslash outside quotes
 * keeps the next character, and a {@code #} that starts a word starts a comment. Variables are not
 * expanded (the caller substitutes the ones it knows first).
 */
final class ShellWords {

  private ShellWords() {}

  static List<String> split(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = null;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        if (word != null) {
          words.add(word.toString());
          word = null;
        }
        continue;
      }
      if (word == null) {
        if (c == '#') {
          break;
        }
        word = new StringBuilder();
      }
      if (c == '\'') {
        int end = line.indexOf('\'', i + 1);
        if (end < 0) {
          throw new IllegalArgumentException("unclosed ' in " + line);
        }
        word.append(line, i + 1, end);
        i = end;
      } else if (c == '"') {
        i++;
        while (i < line.length() && line.charAt(i) != '"') {
          char d = line.charAt(i);
          if (d == '\\' && i + 1 < line.length() && "\"\\$`".indexOf(line.charAt(i + 1)) >= 0) {
            d = line.charAt(++i);
          }
          word.append(d);
          i++;
        }
        if (i >= line.length()) {
          throw new IllegalArgumentException("unclosed \" in " + line);
        }
      } else if (c == '\\' && i + 1 < line.length()) {
        word.append(line.charAt(++i));
      } else {
        word.append(c);
      }
    }
    if (word != null) {
      words.add(word.toString());
    }
    return words;
  }
}
