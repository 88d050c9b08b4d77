import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import type { AppTabProps } from "./app-tab-props";

/** The app page's Domains tab: what it will show, and the CLI command that gives it today. */
export function AppDomainsTab({ app }: AppTabProps) {
  const command = `wisehosting domains list ${app.slug}`;
  return (
    <EmptyState title="The app's custom domains will show here.">
      <p className="muted">Until then, add, verify and list them from your terminal:</p>
      <div className="cli-line">
        <code>{command}</code>
        <CopyButton text={command} label="Copy command" />
      </div>
    </EmptyState>
  );
}
