import { CopyButton } from "../../components/copy-button";
import { EmptyState } from "../../components/empty-state";
import type { AppTabProps } from "./app-tab-props";

/** The app page's Logs tab: what it will show, and the CLI command that gives it today. */
export function AppLogsTab({ app }: AppTabProps) {
  const command = `wisehosting logs ${app.slug} --follow`;
  return (
    <EmptyState title="The app's runtime log, live, will show here.">
      <p className="muted">Until then, follow it from your terminal:</p>
      <div className="cli-line">
        <code>{command}</code>
        <CopyButton text={command} label="Copy command" />
      </div>
    </EmptyState>
  );
}
