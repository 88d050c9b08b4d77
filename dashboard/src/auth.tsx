import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, api, onUnauthorized } from "./api/client";
import type { Me, User } from "./api/types";

export type AuthState =
  | { status: "loading" }
  | { status: "signed-out"; reason?: string }
  | { status: "signed-in"; user: User }
  | { status: "unreachable"; message: string };

interface AuthContextValue {
  state: AuthState;
  /** After sign-up or log-in: the session cookie is set, this is the user. */
  signedIn: (user: User) => void;
  /** Ends the session on the server, then shows the log-in form; rejects (still signed in) when that failed. */
  signOut: () => Promise<void>;
  /** Re-reads /me (after 2FA or plan changes). */
  refresh: () => Promise<void>;
}

/** Who the session cookie belongs to: signed in, signed out (401), or no answer. */
async function loadMe(): Promise<AuthState> {
  try {
    const me = await api.get<Me>("/me", { quiet401: true });
    return { status: "signed-in", user: me.user };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return { status: "signed-out" };
    return { status: "unreachable", message: err instanceof Error ? err.message : String(err) };
  }
}

const AuthContext = createContext<AuthContextValue | undefined>(undefined);

/**
 * Who is signed in, from GET /me (the session cookie is HttpOnly: the page
 * never sees it). Any 401 from a signed-in call signs the page out, saying
 * the session ended.
 */
export function AuthProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<AuthState>({ status: "loading" });

  const refresh = useCallback(() => loadMe().then(setState), []);

  useEffect(() => {
    let live = true;
    void loadMe().then((s) => live && setState(s));
    const unsubscribe = onUnauthorized(() =>
      setState({ status: "signed-out", reason: "Your session ended: log in again." }),
    );
    return () => {
      live = false;
      unsubscribe();
    };
  }, []);

  const signedIn = useCallback((user: User) => setState({ status: "signed-in", user }), []);
  const signOut = useCallback(async () => {
    try {
      await api.post("/auth/logout", undefined, { quiet401: true });
    } catch (err) {
      // Already signed out on the server: fine. Anything else: the session may still be live,
      // so the page must not pretend it ended (the caller shows the error).
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setState({ status: "signed-out" });
  }, []);

  const value = useMemo(() => ({ state, signedIn, signOut, refresh }), [state, signedIn, signOut, refresh]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error("useAuth outside AuthProvider");
  return v;
}

/** The signed-in user; only for screens rendered behind the sign-in gate. */
export function useUser(): User {
  const { state } = useAuth();
  if (state.status !== "signed-in") throw new Error("useUser without a signed-in user");
  return state.user;
}
