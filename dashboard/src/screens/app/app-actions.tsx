import { useState, type FormEvent } from "react";
import { useLocation } from "wouter";
import { api, seg } from "../../api/client";
import type { JobResponse } from "../../api/apps-types";
import type { App } from "../../api/types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { availableActions, type AppAction } from "./app-status";

const DONE: Record<AppAction, string> = {
  restart: "Restart requested: the container restarts on its worker.",
  stop: "Stop requested: the app keeps its deployment for a later start.",
  start: "Start requested: a new deployment of the current one, with the current env vars.",
};

const QUESTION: Record<AppAction, (name: string) => string> = {
  restart: (n) => `Restart ${n}? It is unavailable for a moment.`,
  stop: (n) => `Stop ${n}? Its URL answers with an error until it is started again.`,
  start: (n) => `Start ${n} again?`,
};

/**
 * The app header's restart / stop / start / delete, each confirmed first,
 * with its progress and outcome. Only the actions the app's status allows
 * are offered (the API refuses the others). Delete asks to type the slug,
 * then goes back to the apps list.
 */
export function AppActions({ app, reloadApp }: { app: App; reloadApp: () => void }) {
  const [, navigate] = useLocation();
  const [done, setDone] = useState<string>();
  const [deleting, setDeleting] = useState(false);
  const [typed, setTyped] = useState("");
  const act = useAction(async (action: AppAction) => {
    setDone(undefined);
    await api.post<JobResponse>(`/apps/${seg(app.slug)}/${action}`);
    setDone(DONE[action]);
    reloadApp();
  });
  const del = useAction(async () => {
    await api.del<{ app: App }>(`/apps/${seg(app.slug)}`);
    navigate("/apps");
  });
  const onDelete = (e: FormEvent) => {
    e.preventDefault();
    if (typed.trim() === app.slug) void del.run();
  };

  return (
    <div className="app-actions">
      <div className="row" role="group" aria-label="App actions">
        {availableActions(app).map((a) => (
          <ConfirmButton
            key={a}
            label={a[0]!.toUpperCase() + a.slice(1)}
            question={QUESTION[a](app.name)}
            onConfirm={() => act.run(a)}
            busy={act.pending}
          />
        ))}
        {!deleting && app.status !== "deleting" && (
          <Button variant="danger" onClick={() => setDeleting(true)}>
            Delete
          </Button>
        )}
      </div>
      <Notice kind="success">{done}</Notice>
      <Notice kind="error">{act.error?.message}</Notice>
      {deleting && (
        <form className="card delete-form" onSubmit={onDelete} aria-labelledby="delete-title">
          <h2 id="delete-title">Delete {app.name}</h2>
          <p>
            This stops the app, removes its deployments, domains, alerts and usage history, and frees its
            slug. It cannot be undone.
          </p>
          <Notice kind="error">{del.error?.message}</Notice>
          <Field
            label={
              <>
                Type <code>{app.slug}</code> to confirm
              </>
            }
            autoComplete="off"
            spellCheck={false}
            autoFocus
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
          />
          <div className="row">
            <Button type="submit" variant="danger" busy={del.pending} disabled={typed.trim() !== app.slug}>
              {del.pending ? "Deleting…" : "Delete permanently"}
            </Button>
            <Button
              onClick={() => {
                setDeleting(false);
                setTyped("");
                del.reset();
              }}
            >
              Cancel
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
