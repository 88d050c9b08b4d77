import type { ButtonHTMLAttributes } from "react";

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  /** Shows progress and blocks clicks while an action runs. */
  busy?: boolean;
  variant?: "primary" | "secondary" | "danger";
}

/** A button that shows its action's progress (aria-busy, disabled while busy). */
export function Button({
  busy = false,
  variant = "secondary",
  className,
  children,
  disabled,
  type,
  ...rest
}: ButtonProps) {
  return (
    <button
      {...rest}
      type={type ?? "button"}
      className={["btn", `btn-${variant}`, className].filter(Boolean).join(" ")}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}
