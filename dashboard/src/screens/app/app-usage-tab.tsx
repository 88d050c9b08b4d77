import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import type { AppTabProps } from "./app-tab-props";

/** The app page's Usage tab: what it will show, and the CLI command that gives it today. */
export function AppUsageTab({ app }: AppTabProps) {
  const command = `wisehosting usage ${app.slug} --since 7d`;
  return (
    <EmptyState title="Charts of CPU, memory and network over 24 hours, 7 and 90 days will show here.">
      <p className="muted">Until then, read the 5-minute buckets from your terminal:</p>
      <div className="cli-line">
        <code>{command}</code>
        <CopyButton text={command} label="Copy command" />
      </div>
    </EmptyState>
  );
}
