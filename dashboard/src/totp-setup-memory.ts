/**
 * Remembers, for this browser tab (sessionStorage), that a two-factor
 * set-up was started and when it expires, so that a user who leaves the
 * Account screen mid-set-up is told on return that it is unfinished. The
 * secret itself is never stored: it lives in React state only while the
 * set-up is on screen, and starting again asks the server for a new one.
 */

const key = (userId: number) => `wh.totp-setup.${userId}`;

export type UnfinishedSetup = { expired: boolean } | undefined;

export function rememberSetup(userId: number, expiresAt: string, storage: Storage = sessionStorage): void {
  try {
    storage.setItem(key(userId), expiresAt);
  } catch {
    // storage full or disabled: the screen only loses the "you left mid-set-up" message
  }
}

export function forgetSetup(userId: number, storage: Storage = sessionStorage): void {
  try {
    storage.removeItem(key(userId));
  } catch {
    // as above
  }
}

/** A set-up started earlier in this tab and not finished: whether its 10 minutes are over. */
export function unfinishedSetup(
  userId: number,
  now: Date,
  storage: Storage = sessionStorage,
): UnfinishedSetup {
  let expiresAt: string | null = null;
  try {
    expiresAt = storage.getItem(key(userId));
  } catch {
    return undefined;
  }
  if (expiresAt === null) return undefined;
  const t = Date.parse(expiresAt);
  return { expired: !Number.isFinite(t) || t <= now.getTime() };
}
