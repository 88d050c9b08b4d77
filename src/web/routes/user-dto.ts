import { z } from "zod";
import type { UserRow } from "../../db/users.js";
import { iso, isoDate } from "../schemas.js";

export const userSchema = z.object({
  id: z.number().int(),
  email: z.string(),
  is_admin: z.boolean(),
  plan: z.string(),
  totp_enabled: z.boolean(),
  created_at: isoDate,
});
export type UserDto = z.infer<typeof userSchema>;

/** What the API shows of an account: never the password hash or the TOTP secret. */
export function userDto(u: UserRow): UserDto {
  return {
    id: u.id,
    email: u.email,
    is_admin: u.is_admin,
    plan: u.plan_name,
    totp_enabled: u.totp_enabled,
    created_at: iso(u.created_at),
  };
}
