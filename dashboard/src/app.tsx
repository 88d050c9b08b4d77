import { Link, Redirect, Route, Switch, useLocation } from "wouter";
import { useAuth } from "./auth";
import { Button } from "./components/button";
import { Notice } from "./components/notice";
import { useAction } from "./hooks/use-action";
import { AlertsScreen } from "./screens/alerts/alerts-screen";
import { AppPage } from "./screens/app/app-page";
import { AppsListScreen } from "./screens/apps/apps-list-screen";
import { NewAppScreen } from "./screens/apps/new-app-screen";
import { AccountScreen } from "./screens/account/account-screen";
import { AdminScreen } from "./screens/admin/admin-screen";
import { LoginScreen } from "./screens/auth/login-screen";
import { SignupScreen } from "./screens/auth/signup-screen";
import { NotFoundScreen } from "./screens/not-found-screen";
import { WebhooksScreen } from "./screens/webhooks/webhooks-screen";

interface NavItem {
  href: string;
  label: string;
  admin?: boolean;
  /** Other paths that belong to this entry. */
  also?: readonly string[];
}

/** The top navigation; each entry is the path prefix of its screens. */
const NAV: readonly NavItem[] = [
  { href: "/apps", label: "Apps", also: ["/new-app"] },
  { href: "/alerts", label: "Alerts" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/account", label: "Account" },
  { href: "/admin", label: "Admin", admin: true },
];

function Shell() {
  const { state, signOut } = useAuth();
  const [location] = useLocation();
  const logout = useAction(signOut);
  if (state.status !== "signed-in") return null;
  const user = state.user;
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/apps" className="brand-link">
          wisehosting
        </Link>
        <nav aria-label="Main">
          <ul className="nav">
            {NAV.filter((n) => !n.admin || user.is_admin).map((n) => {
              const current =
                location === n.href || location.startsWith(`${n.href}/`) || (n.also ?? []).includes(location);
              return (
                <li key={n.href}>
                  <Link href={n.href} aria-current={current ? "page" : undefined}>
                    {n.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="whoami">
          <span className="muted" title={user.email}>
            {user.email}
          </span>
          <Button onClick={() => void logout.run()} busy={logout.pending}>
            Log out
          </Button>
        </div>
      </header>
      {logout.error && (
        <div className="content">
          <Notice kind="error">Log-out failed, you are still signed in: {logout.error.message}</Notice>
        </div>
      )}
      <main id="main" className="content" tabIndex={-1}>
        <Switch>
          <Route path="/">
            <Redirect to="/apps" replace />
          </Route>
          <Route path="/signup">
            <Redirect to="/apps" replace />
          </Route>
          <Route path="/alerts">
            <AlertsScreen />
          </Route>
          <Route path="/apps">
            <AppsListScreen />
          </Route>
          {/* Not under /apps/: an app may be called "new". */}
          <Route path="/new-app">
            <NewAppScreen />
          </Route>
          <Route<{ slug: string; tab?: string; id?: string }> path="/apps/:slug/:tab?/:id?">
            {(p) => <AppPage key={p.slug} slug={p.slug} tab={p.tab} id={p.id} />}
          </Route>
          <Route path="/account">
            <AccountScreen />
          </Route>
          <Route path="/webhooks">
            <WebhooksScreen />
          </Route>
          <Route path="/admin/:tab?">{(params) => <AdminScreen tab={params.tab} />}</Route>
          <Route>
            <NotFoundScreen />
          </Route>
        </Switch>
      </main>
    </div>
  );
}

/** The sign-in gate, then the shell with the screen of the current path. */
export function App() {
  const { state, refresh } = useAuth();
  if (state.status === "loading") {
    return (
      <div className="boot" role="status">
        Loading…
      </div>
    );
  }
  if (state.status === "unreachable") {
    return (
      <main className="auth-page">
        <Notice kind="error">Cannot reach the server: {state.message}</Notice>
        <Button onClick={() => void refresh()}>Try again</Button>
      </main>
    );
  }
  if (state.status === "signed-out") {
    return (
      <Switch>
        <Route path="/signup">
          <SignupScreen />
        </Route>
        <Route>
          <LoginScreen reason={state.reason} />
        </Route>
      </Switch>
    );
  }
  return <Shell />;
}
