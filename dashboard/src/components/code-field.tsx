import { Field } from "./field";

/**
 * The 6-digit TOTP code input: numeric keyboard, one-time-code autofill,
 * digits only (spaces and dashes pasted from an app are dropped).
 */
export function CodeField({
  value,
  onChange,
  error,
  autoFocus = false,
}: {
  value: string;
  onChange: (digits: string) => void;
  error?: string | undefined;
  autoFocus?: boolean;
}) {
  return (
    <Field
      label="6-digit code from your authenticator app"
      inputMode="numeric"
      autoComplete="one-time-code"
      pattern="[0-9]{6}"
      maxLength={6}
      autoFocus={autoFocus}
      required
      value={value}
      onChange={(e) => onChange(e.target.value.replace(/\D/g, ""))}
      error={error}
    />
  );
}
