import type { App } from "../../api/types";

/** What every tab of the app page gets: the app as last read, and a way to read it again after a change. */
export interface AppTabProps {
  app: App;
  reloadApp: () => void;
}
