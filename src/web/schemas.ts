import { z } from "zod";

/**
 * Schema pieces shared by the user API's routes. Every user-supplied name is
 * held to a strict pattern here, at the edge (DESIGN.md 4.12): nothing the
 * API accepts is ever interpolated into a shell or a command line.
 */

/** App slugs: `[a-z0-9-]`, 1–40, not starting or ending with `-` (also a DNS label). */
export const SLUG_RE = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;
export const slugSchema = z
  .string()
  .regex(SLUG_RE, "must be 1-40 characters of a-z, 0-9 and '-', not starting or ending with '-'");

export const slugParams = z.object({ slug: slugSchema });

/** A positive integer id from a path segment. */
export const idSchema = z.coerce.number().int().positive().max(2147483647);
export const idParams = z.object({ id: idSchema });

/** Emails, lowercased; the database keeps them lowercase. */
export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .transform((s) => s.toLowerCase())
  .pipe(z.email("must be an email address"));

export const isoDate = z.string().describe("RFC 3339 timestamp");

/** Date → RFC 3339 string, null stays null (response DTOs). */
export function iso(d: Date): string;
export function iso(d: Date | null): string | null;
export function iso(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

/** `?follow=1` / `true` / `0` / `false`. */
export const booleanFlag = z.enum(["1", "0", "true", "false"]).transform((v) => v === "1" || v === "true");
