import { Redirect } from "wouter";
import type { AdminStats } from "../../api/account-types";
import { Notice } from "../../components/notice";
import { Tabs } from "../../components/tabs";
import { formatMb, formatMillicores } from "../../format";
import { useApi } from "../../hooks/use-api";
import { InvitesTab } from "./invites-tab";
import { JoinTokenTab } from "./join-token-tab";
import { PlansTab } from "./plans-tab";
import { UsersTab } from "./users-tab";
import { WorkersTab } from "./workers-tab";

const TABS = [
  { href: "/admin/workers", label: "Workers" },
  { href: "/admin/join-token", label: "Join token" },
  { href: "/admin/plans", label: "Plans" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/invites", label: "Invites" },
] as const;

/**
 * The operator's screen. Whether the caller may see it is the API's call:
 * the fleet totals are read first, and a 403 shows "administrators only"
 * instead of the tabs (the nav hides the link for others, but a typed or
 * bookmarked URL lands here).
 */
export function AdminScreen({ tab }: { tab: string | undefined }) {
  const stats = useApi<AdminStats>("/admin/stats");
  if (stats.error?.status === 403) {
    return (
      <>
        <div className="page-head">
          <h1>Admin</h1>
        </div>
        <Notice kind="error">
          Administrators only: this account cannot see the admin screens. ({stats.error.message})
        </Notice>
      </>
    );
  }
  if (tab === undefined) return <Redirect to="/admin/workers" replace />;
  const s = stats.data;
  return (
    <>
      <div className="page-head">
        <h1>Admin</h1>
        {s && (
          <p className="muted admin-totals">
            {s.workers.online} of {s.workers.total} workers online ·{" "}
            {formatMillicores(s.capacity.cpu_millicores_used)} of{" "}
            {formatMillicores(s.capacity.cpu_millicores_total)} · {formatMb(s.capacity.memory_mb_used)} of{" "}
            {formatMb(s.capacity.memory_mb_total)} · {s.apps.total} apps · {s.users.total} users
          </p>
        )}
      </div>
      <Notice kind="error">{stats.error?.message}</Notice>
      <Tabs tabs={TABS} label="Admin sections" />
      {tab === "workers" && <WorkersTab />}
      {tab === "join-token" && <JoinTokenTab />}
      {tab === "plans" && <PlansTab />}
      {tab === "users" && <UsersTab />}
      {tab === "invites" && <InvitesTab />}
      {!TABS.some((t) => t.href === `/admin/${tab}`) && (
        <Notice kind="error">There is no admin section “{tab}”: pick one of the tabs above.</Notice>
      )}
    </>
  );
}
