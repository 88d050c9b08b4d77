import type { ReactNode } from "react";

/**
 * An outcome message: errors are alerts (announced at once), the rest are
 * polite status messages. Renders nothing without children.
 */
export function Notice({
  kind = "info",
  children,
}: {
  kind?: "info" | "success" | "error";
  children?: ReactNode;
}) {
  if (children === undefined || children === null || children === false || children === "") return null;
  return (
    <div className={`notice notice-${kind}`} role={kind === "error" ? "alert" : "status"}>
      {children}
    </div>
  );
}
