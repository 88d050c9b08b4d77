import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import type { AppTabProps } from "./app-tab-props";

/** The app page's Alerts tab: what it will show, and the CLI command that gives it today. */
export function AppAlertsTab({ app }: AppTabProps) {
  const command = "wisehosting alerts";
  return (
    <EmptyState title={`The alert rules and alerts of ${app.name} will show here.`}>
      <p className="muted">Until then, list the alerts of your apps from your terminal:</p>
      <div className="cli-line">
        <code>{command}</code>
        <CopyButton text={command} label="Copy command" />
      </div>
    </EmptyState>
  );
}
