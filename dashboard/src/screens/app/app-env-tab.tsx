import { useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import type { App } from "../../api/types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { EmptyState } from "../../components/empty-state";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { envNameProblem, envValueProblem, splitAssignment } from "../apps/env-rows";
import type { AppTabProps } from "./app-tab-props";
import { RedeployButton } from "./redeploy-button";

/**
 * The app's env vars by name (values are never returned). Set or replace
 * one with PATCH {env: {NAME: value}} (a merge: other variables stay), remove
 * one with {env: {NAME: null}}. Changes apply to the next deployment, which
 * this tab offers to make.
 */
export function AppEnvTab({ app, reloadApp }: AppTabProps) {
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [nameHint, setNameHint] = useState<string>();
  const [done, setDone] = useState<string>();
  const [changed, setChanged] = useState(false);
  const path = `/apps/${seg(app.slug)}`;

  const patch = async (env: Record<string, string | null>, message: string) => {
    setDone(undefined);
    await api.patch<{ app: App }>(path, { env });
    setDone(message);
    setChanged(true);
    reloadApp();
  };
  const set = useAction(async (n: string, v: string) => {
    const replacing = app.env_names.includes(n);
    await patch({ [n]: v }, `${n} ${replacing ? "replaced" : "set"}.`);
    setName("");
    setValue("");
  });
  const remove = useAction((n: string) => patch({ [n]: null }, `${n} removed.`));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    const problem = envNameProblem(n) ?? envValueProblem(value);
    setNameHint(problem);
    if (!problem) void set.run(n, value);
  };

  const trimmed = name.trim();
  const replacing = trimmed !== "" && app.env_names.includes(trimmed);
  const fieldName = `env.${trimmed}`;
  return (
    <div className="env-tab">
      <Notice kind="success">{done && <>{done} Changes apply to the next deployment.</>}</Notice>
      <Notice kind="error">{remove.error?.message}</Notice>
      {changed && <RedeployButton app={app} reloadApp={reloadApp} />}
      <section aria-labelledby="env-title">
        <h2 id="env-title">Environment variables</h2>
        {app.env_names.length === 0 ? (
          <EmptyState title="No environment variables yet.">
            <p>Set one below; the app reads it when it next starts.</p>
          </EmptyState>
        ) : (
          <div className="table-wrap">
            <table aria-label="Environment variables">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Value</th>
                  <th scope="col">
                    <span className="visually-hidden-text">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {app.env_names.map((n) => (
                  <tr key={n} data-env={n}>
                    <td className="mono">{n}</td>
                    <td className="muted">hidden</td>
                    <td className="cell-actions">
                      <Button
                        onClick={() => {
                          setName(n);
                          setValue("");
                          setNameHint(undefined);
                        }}
                        aria-label={`Replace ${n}`}
                      >
                        Replace
                      </Button>{" "}
                      <ConfirmButton
                        label={`Remove ${n}`}
                        question={`Remove ${n}?`}
                        confirmLabel="Yes, remove"
                        danger
                        busy={remove.pending}
                        onConfirm={() => remove.run(n)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <form className="card env-form" onSubmit={onSubmit} aria-labelledby="env-set-title" noValidate>
        <h2 id="env-set-title">{replacing ? `Replace ${trimmed}` : "Set a variable"}</h2>
        <Notice kind="error">{set.formError(["env"])}</Notice>
        <div className="row">
          <Field
            label="Name"
            className="mono-input"
            autoComplete="off"
            spellCheck={false}
            placeholder="DATABASE_URL"
            value={name}
            onChange={(e) => {
              setNameHint(undefined);
              const split = splitAssignment(e.target.value);
              if (split && value === "") {
                setName(split.name);
                setValue(split.value);
              } else {
                setName(e.target.value);
              }
            }}
            error={nameHint ?? set.fieldError(fieldName) ?? set.fieldError("env")}
            hint={replacing ? "This name is set: saving replaces its value." : "Or paste NAME=value here."}
          />
          <Field
            label="Value"
            className="grow mono-input"
            type="text"
            autoComplete="off"
            spellCheck={false}
            value={value}
            onChange={(e) => setValue(e.target.value)}
          />
          <Button type="submit" variant="primary" busy={set.pending} className="env-submit">
            {set.pending ? "Saving…" : replacing ? "Replace" : "Set"}
          </Button>
        </div>
      </form>
    </div>
  );
}
