/**
 * App slugs as the API makes and accepts them (src/web/routes/app-routes.ts
 * and src/web/schemas.ts): the form shows the slug a name will get before
 * it is sent, and refuses a typed slug the API would refuse.
 */

/** `[a-z0-9-]`, 1–40, not starting or ending with `-`. */
export const SLUG_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

/**
 * The slug the API makes from a name when none is given: lowercase, every
 * run outside [a-z0-9] one '-', no '-' at either end, at most 40 characters.
 * Empty when the name has no a-z or 0-9 in it.
 */
export function deriveSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

/** Why the API would refuse `slug`, or undefined when it is well-formed. */
export function slugProblem(slug: string): string | undefined {
  if (slug === "") return "give a slug: the name has no letter or digit to make one from";
  if (slug.length > 40) return "at most 40 characters";
  if (!SLUG_RE.test(slug)) return "only a-z, 0-9 and '-', not starting or ending with '-'";
  return undefined;
}
