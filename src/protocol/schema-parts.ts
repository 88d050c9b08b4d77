import { z } from "zod";

/**
 * Building blocks shared by the message schemas. zod's `int()` admits only
 * safe integers and `number()` only finite numbers, so neither NaN, Infinity
 * nor 2^53 ever gets through.
 */
export const positiveInt = z.number().int().min(1);
export const id = positiveInt;
export const count = z.number().int().min(0);
export const measure = z.number().min(0);
export const port = z.number().int().min(1).max(65_535);
export const epochMs = z.number().int().min(0);
export const nonEmpty = z.string().min(1);
