import { useState, type ComponentType, type ReactNode } from "react";
import { Link } from "wouter";
import { seg } from "../../api/client";
import type { App } from "../../api/types";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { Tabs, type Tab } from "../../components/tabs";
import { useApi } from "../../hooks/use-api";
import { AppUrlLink } from "../apps/app-url-link";
import { AppActions } from "./app-actions";
import { AppAlertsTab } from "./app-alerts-tab";
import { AppDeploymentsTab } from "./app-deployments-tab";
import { AppDomainsTab } from "./app-domains-tab";
import { AppEnvTab } from "./app-env-tab";
import { AppLogsTab } from "./app-logs-tab";
import { AppOverviewTab } from "./app-overview-tab";
import { isMoving } from "./app-status";
import type { AppTabProps } from "./app-tab-props";
import { AppUsageTab } from "./app-usage-tab";
import { DeploymentLogView } from "./deployment-log-view";

export type AppTabName = "overview" | "deployments" | "logs" | "usage" | "env" | "domains" | "alerts";

/** Each tab's content; a tab is the path segment after /apps/:slug (overview has none). */
export const APP_TABS: Record<AppTabName, { label: string; component: ComponentType<AppTabProps> }> = {
  overview: { label: "Overview", component: AppOverviewTab },
  deployments: { label: "Deployments", component: AppDeploymentsTab },
  logs: { label: "Logs", component: AppLogsTab },
  usage: { label: "Usage", component: AppUsageTab },
  env: { label: "Env", component: AppEnvTab },
  domains: { label: "Domains", component: AppDomainsTab },
  alerts: { label: "Alerts", component: AppAlertsTab },
};

function isTab(t: string): t is AppTabName {
  return Object.hasOwn(APP_TABS, t);
}

/** How often the app is read again: sooner while it deploys or is being deleted. */
export const APP_REFRESH_MS = 15_000;
export const APP_MOVING_REFRESH_MS = 5000;

export interface AppPageProps {
  slug: string;
  /** The path segment after the slug; undefined is the overview. */
  tab?: string | undefined;
  /** Under deployments: the deployment whose log is shown. */
  id?: string | undefined;
}

/**
 * One app: its header (name, status, URL, actions), the tabs, and the
 * current tab's content. The app is read here once for every tab and again
 * every 15 s (every 5 s while it deploys or is being deleted); a tab calls
 * reloadApp after it changed something.
 */
export function AppPage({ slug, tab, id }: AppPageProps) {
  const [moving, setMoving] = useState(false);
  const state = useApi<{ app: App }>(`/apps/${seg(slug)}`, {
    refreshMs: moving ? APP_MOVING_REFRESH_MS : APP_REFRESH_MS,
  });
  const app = state.data?.app;
  const nowMoving = app ? isMoving(app.status) : false;
  if (nowMoving !== moving) setMoving(nowMoving);

  if (!app) {
    if (state.error?.status === 404) {
      return (
        <EmptyState title={`You have no app ${slug}.`}>
          <Link href="/apps">Go to your apps</Link>
        </EmptyState>
      );
    }
    return (
      <>
        <Notice kind="error">{state.error?.message}</Notice>
        {state.loading && (
          <p className="muted" role="status">
            Loading the app…
          </p>
        )}
      </>
    );
  }

  const base = `/apps/${seg(app.slug)}`;
  const tabs: Tab[] = (Object.keys(APP_TABS) as AppTabName[]).map((t) => ({
    href: t === "overview" ? base : `${base}/${t}`,
    label: APP_TABS[t].label,
    exact: t === "overview",
  }));
  const name = tab ?? "overview";
  let content: ReactNode;
  if (!isTab(name) || (id !== undefined && name !== "deployments") || tab === "overview") {
    content = (
      <EmptyState title="There is no such tab.">
        <Link href={base}>Go to the overview</Link>
      </EmptyState>
    );
  } else if (name === "deployments" && id !== undefined) {
    content = <DeploymentLogView key={id} app={app} deploymentId={id} reloadApp={state.reload} />;
  } else {
    const Content = APP_TABS[name].component;
    content = <Content app={app} reloadApp={state.reload} />;
  }

  return (
    <section aria-labelledby="app-title" className="app-page">
      <header className="app-head">
        <div className="app-title-row">
          <h1 id="app-title">{app.name}</h1>
          <StatusBadge status={app.status} />
        </div>
        <p className="app-sub">
          <span className="mono muted">{app.slug}</span> · <AppUrlLink url={app.url} />
        </p>
        <AppActions app={app} reloadApp={state.reload} />
      </header>
      <Notice kind="error">{state.error && `Could not refresh the app: ${state.error.message}`}</Notice>
      <Tabs tabs={tabs} label="App sections" />
      {content}
    </section>
  );
}
