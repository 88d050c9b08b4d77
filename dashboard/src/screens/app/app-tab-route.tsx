import type { ComponentType } from "react";
import { Link } from "wouter";
import { seg } from "../../api/client";
import type { App } from "../../api/types";
import { Notice } from "../../components/notice";
import { StatusBadge } from "../../components/status-badge";
import { Tabs } from "../../components/tabs";
import { useApi } from "../../hooks/use-api";
import { AppAlertsTab } from "./app-alerts-tab";
import { AppDomainsTab } from "./app-domains-tab";
import { AppLogsTab } from "./app-logs-tab";
import { AppUsageTab } from "./app-usage-tab";

type TabProps = { app: App; reloadApp: () => void };

const TABS: Readonly<Record<string, { label: string; Component: ComponentType<TabProps> }>> = {
  logs: { label: "Logs", Component: AppLogsTab },
  usage: { label: "Usage", Component: AppUsageTab },
  domains: { label: "Domains", Component: AppDomainsTab },
  alerts: { label: "Alerts", Component: AppAlertsTab },
};

/** The tabs this route serves (`/apps/:slug/<tab>`). */
export const OBS_TABS = Object.keys(TABS);

/**
 * A minimal app page for the observability tabs (logs, usage, domains,
 * alerts): the app's name and status, the tabs, and the chosen tab. The
 * full app page (app-page.tsx) takes its place once both are merged.
 */
export function AppTabRoute({ slug, tab }: { slug: string; tab: string }) {
  const { data, error, loading, reload } = useApi<{ app: App }>(`/apps/${seg(slug)}`);
  const chosen = TABS[tab];
  const app = data?.app;
  return (
    <>
      <div className="page-head">
        <h1>{app?.name ?? slug}</h1>
        {app && <StatusBadge status={app.status} />}
      </div>
      <Notice kind="error">{error?.message}</Notice>
      {error?.status === 404 && <Link href="/apps">Back to the apps</Link>}
      {loading && <p role="status">Loading…</p>}
      {app && (
        <>
          <Tabs
            label="App sections"
            tabs={Object.entries(TABS).map(([k, t]) => ({ href: `/apps/${seg(slug)}/${k}`, label: t.label }))}
          />
          {chosen && <chosen.Component app={app} reloadApp={reload} />}
        </>
      )}
    </>
  );
}
