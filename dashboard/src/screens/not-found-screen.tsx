import { Link } from "wouter";
import { EmptyState } from "../components/empty-state";

/** Any path the dashboard does not know. */
export function NotFoundScreen() {
  return (
    <EmptyState title="There is no page here.">
      <Link href="/apps">Go to your apps</Link>
    </EmptyState>
  );
}
