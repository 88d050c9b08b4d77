/**
 * A URL from user or server data, for an href: returned (normalised) only
 * when it parses as an absolute http: or https: URL, so a `javascript:` or
 * `data:` value can never become a link.
 */
export function httpUrl(value: string | null | undefined): string | undefined {
  if (!value) return undefined;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return undefined;
  }
  return u.protocol === "http:" || u.protocol === "https:" ? u.href : undefined;
}
