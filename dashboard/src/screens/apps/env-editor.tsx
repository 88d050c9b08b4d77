import { useId } from "react";
import { Button } from "../../components/button";
import { splitAssignment, type EnvRow } from "./env-rows";

export interface EnvEditorProps {
  rows: readonly EnvRow[];
  onChange: (rows: EnvRow[]) => void;
  /** The browser's own check of each row, by row key (checkEnvRows); a row's problem goes when it is edited. */
  problems: ReadonlyMap<number, string>;
  /** The API's message about the variable of this name (its `env.NAME` field), if any. */
  apiError: (name: string) => string | undefined;
}

/** A blank row whose key none of `rows` has. */
export function blankEnvRow(rows: readonly EnvRow[] = []): EnvRow {
  return { key: Math.max(0, ...rows.map((r) => r.key)) + 1, name: "", value: "" };
}

/**
 * Rows of NAME and value inputs. Typing or pasting `NAME=value` into a name
 * splits it into both inputs. Each row shows its own problem, the browser's
 * or the API's.
 */
export function EnvEditor({ rows, onChange, problems, apiError }: EnvEditorProps) {
  const id = useId();
  const set = (key: number, patch: Partial<EnvRow>) =>
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  return (
    <fieldset className="env-editor">
      <legend className="label">Environment variables</legend>
      <p className="hint">Values are sent once and never shown again; apps read them at start.</p>
      {rows.map((r, i) => {
        const problem = problems.get(r.key) ?? (r.name.trim() ? apiError(r.name.trim()) : undefined);
        const errId = problem ? `${id}-${r.key}-err` : undefined;
        return (
          <div className="env-row" key={r.key}>
            <div className="field">
              <label htmlFor={`${id}-${r.key}-name`}>Variable {i + 1} name</label>
              <input
                id={`${id}-${r.key}-name`}
                className="mono"
                autoComplete="off"
                spellCheck={false}
                placeholder="DATABASE_URL"
                value={r.name}
                aria-invalid={problem ? true : undefined}
                aria-describedby={errId}
                onChange={(e) => {
                  const split = splitAssignment(e.target.value);
                  set(r.key, split && r.value === "" ? split : { name: e.target.value });
                }}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-${r.key}-value`}>Variable {i + 1} value</label>
              <input
                id={`${id}-${r.key}-value`}
                className="mono"
                autoComplete="off"
                spellCheck={false}
                value={r.value}
                onChange={(e) => set(r.key, { value: e.target.value })}
              />
            </div>
            <Button
              className="env-remove"
              aria-label={`Remove variable ${i + 1}${r.name ? ` (${r.name})` : ""}`}
              onClick={() => onChange(rows.filter((x) => x.key !== r.key))}
            >
              Remove
            </Button>
            {problem && (
              <small id={errId} className="field-error env-row-error" role="alert">
                {problem}
              </small>
            )}
          </div>
        );
      })}
      <Button onClick={() => onChange([...rows, blankEnvRow(rows)])}>Add variable</Button>
    </fieldset>
  );
}
