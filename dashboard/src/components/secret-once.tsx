import type { ReactNode } from "react";
import { Button } from "./button";
import { CopyButton } from "./copy-button";

export interface SecretOnceProps {
  /** What was made and why the value matters; should say it will not be shown again. */
  children: ReactNode;
  /** The secret (token, signing secret, invite link): shown as text, never stored by the page. */
  value: string;
  copyLabel: string;
  /** Dismisses the box; the caller drops the value from its state. */
  onDone: () => void;
  doneLabel?: string;
  testId?: string;
}

/** A secret the API shows once: the value as text, a copy button, and a button that forgets it. */
export function SecretOnce({
  children,
  value,
  copyLabel,
  onDone,
  doneLabel = "I have copied it",
  testId,
}: SecretOnceProps) {
  return (
    <div className="card secret-box" role="status">
      <p>{children}</p>
      <div className="secret-line">
        <code className="secret" data-testid={testId}>
          {value}
        </code>
        <CopyButton text={value} label={copyLabel} />
      </div>
      <Button onClick={onDone}>{doneLabel}</Button>
    </div>
  );
}
