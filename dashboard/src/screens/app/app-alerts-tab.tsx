import { useState, type FormEvent } from "react";
import { api, seg } from "../../api/client";
import type { AlertRulesResponse, AlertsResponse } from "../../api/obs-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";
import { AlertTable } from "../alerts/alert-table";
import { ALERTS_REFRESH_MS } from "../alerts/alerts-screen";
import {
  draftsFromRules,
  RULE_KINDS,
  rulesBody,
  SUSTAIN_MAX,
  SUSTAIN_MIN,
  type RuleDraft,
} from "./alert-rule-drafts";
import type { AppTabProps } from "./app-tab-props";

/**
 * The app's alert rules, one per kind (on/off, threshold, sustain minutes),
 * saved together with PUT /apps/:slug/alert-rules; the API's error is shown
 * beside the input it names. Below, the app's alerts, newest 200
 * (GET /alerts?app=).
 */
export function AppAlertsTab({ app }: AppTabProps) {
  const rulesPath = `/apps/${seg(app.slug)}/alert-rules`;
  const stored = useApi<AlertRulesResponse>(rulesPath);
  const alerts = useApi<AlertsResponse>(`/alerts?app=${seg(app.slug)}`, { refreshMs: ALERTS_REFRESH_MS });
  // The user's edits; until the first, the stored rules as drafts.
  const [edited, setEdited] = useState<RuleDraft[] | null>(null);
  const [saved, setSaved] = useState(false);
  const drafts = edited ?? (stored.data ? draftsFromRules(stored.data.rules) : null);

  const save = useAction(async (body: ReturnType<typeof rulesBody>) => {
    const r = await api.put<AlertRulesResponse>(rulesPath, body);
    setEdited(draftsFromRules(r.rules));
    setSaved(true);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!drafts) return;
    setSaved(false);
    void save.run(rulesBody(drafts));
  };
  const edit = (i: number, patch: Partial<RuleDraft>) => {
    setSaved(false);
    if (drafts) setEdited(drafts.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  };
  const fieldsShown = RULE_KINDS.flatMap((_k, i) => [`rules.${i}.threshold`, `rules.${i}.sustain_minutes`]);
  const mine = alerts.data?.alerts ?? [];

  return (
    <section aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alert rules</h2>
      <p className="muted">
        A rule fires an alert when its condition holds for the sustain time, and resolves it once it has not
        for as long.
      </p>
      <Notice kind="error">{stored.error?.message}</Notice>
      {stored.loading && <p role="status">Loading rules…</p>}
      {drafts && (
        <form className="card" onSubmit={submit} noValidate>
          <Notice kind="error">{save.formError(fieldsShown)}</Notice>
          <div className="rule-grid">
            {RULE_KINDS.map((k, i) => {
              const d = drafts[i];
              if (!d) return null;
              return (
                <fieldset key={k.kind} className="rule">
                  <legend>{k.label}</legend>
                  <p className="hint">{k.help}</p>
                  <label className="check">
                    <input
                      type="checkbox"
                      checked={d.enabled}
                      onChange={(e) => edit(i, { enabled: e.target.checked })}
                    />{" "}
                    Enabled
                  </label>
                  {k.unit !== null && (
                    <Field
                      label={`Threshold (${k.unit})`}
                      type="number"
                      inputMode="decimal"
                      min={0}
                      max={k.max}
                      step="any"
                      value={d.threshold}
                      onChange={(e) => edit(i, { threshold: e.target.value })}
                      error={save.fieldError(`rules.${i}.threshold`)}
                    />
                  )}
                  <Field
                    label="Sustain (minutes)"
                    type="number"
                    inputMode="numeric"
                    min={SUSTAIN_MIN}
                    max={SUSTAIN_MAX}
                    step={1}
                    value={d.sustain}
                    onChange={(e) => edit(i, { sustain: e.target.value })}
                    error={save.fieldError(`rules.${i}.sustain_minutes`)}
                  />
                </fieldset>
              );
            })}
          </div>
          <Notice kind="success">{saved && "Alert rules saved."}</Notice>
          <Button type="submit" variant="primary" busy={save.pending}>
            {save.pending ? "Saving…" : "Save rules"}
          </Button>
        </form>
      )}

      <h2>Alerts of this app</h2>
      <Notice kind="error">{alerts.error?.message}</Notice>
      {alerts.loading && <p role="status">Loading alerts…</p>}
      {!alerts.loading && !alerts.error && mine.length === 0 && (
        <EmptyState title="No alerts for this app">
          Enable a rule above: when its condition holds for the sustain time, the alert shows here and on the
          Alerts page.
        </EmptyState>
      )}
      {mine.length > 0 && <AlertTable alerts={mine} caption={`Alerts of ${app.name}`} showApp={false} />}
    </section>
  );
}
