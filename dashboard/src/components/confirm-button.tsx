import { useState, type ReactNode } from "react";
import { Button } from "./button";

export interface ConfirmButtonProps {
  /** The button that asks first. */
  label: string;
  /** What will happen, shown with the confirm and cancel buttons. */
  question: ReactNode;
  confirmLabel?: string;
  onConfirm: () => void | Promise<unknown>;
  busy?: boolean;
  danger?: boolean;
}

/** A two-step button: the first click asks, the second (or Cancel) decides. Keyboard-reachable. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  busy,
  danger = false,
}: ConfirmButtonProps) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <Button variant={danger ? "danger" : "secondary"} onClick={() => setAsking(true)} busy={busy}>
        {label}
      </Button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={label}>
      <span className="confirm-question">{question}</span>
      <Button
        variant={danger ? "danger" : "primary"}
        autoFocus
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
      >
        {confirmLabel ?? `Yes, ${label.toLowerCase()}`}
      </Button>
      <Button onClick={() => setAsking(false)}>Cancel</Button>
    </span>
  );
}
