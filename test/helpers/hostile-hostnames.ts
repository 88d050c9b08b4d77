/**
 * Hostnames that must be refused where they enter the system and dropped
 * where they are rendered: what the Traefik issue names (a backtick, a space,
 * `)`, a newline, unicode, 300 characters) and the usual suspects. Each is
 * [what it is, the value].
 */
export const HOSTILE_HOSTNAMES: ReadonlyArray<[string, string]> = [
  ["a backtick", "evil`.example.com"],
  ["a backtick breaking out of a rule", "x.com`) || Host(`victim.com"],
  ["a space", "my site.example.com"],
  ["a closing parenthesis", "example.com)"],
  ["a newline", "example.com\nHost"],
  ["a trailing newline", "example.com\n"],
  ["unicode", "exämple.com"],
  ["a Kelvin sign that lowercases to ASCII", "\u212Aexample.com"],
  ["300 characters", `${"a".repeat(60)}.`.repeat(5).slice(0, 296) + ".com"],
  ["a leading space", " example.com"],
  ["a NUL", "example.com\u0000"],
  ["a wildcard", "*.example.com"],
  ["a port", "example.com:443"],
  ["a path", "example.com/x"],
  ["an underscore", "a_b.example.com"],
  ["a label of 64 characters", `${"a".repeat(64)}.com`],
  ["a leading hyphen", "-a.example.com"],
  ["a trailing hyphen", "a-.example.com"],
  ["an empty label", "a..example.com"],
  ["a leading dot", ".example.com"],
  ["a bare TLD", "com"],
  ["an IPv4 address", "10.8.0.2"],
  ["the empty string", ""],
];
