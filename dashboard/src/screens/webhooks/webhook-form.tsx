import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { Webhook } from "../../api/account-types";
import { Button } from "../../components/button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { webhookErrorField, WEBHOOK_EVENTS } from "../../webhook-events";

/**
 * Add a webhook: its URL and the events it receives. On success `onCreated`
 * gets the webhook and its signing secret (which the API shows only then).
 * The API's errors (a bad URL, unknown events, the per-account limit) are
 * shown beside the URL, beside the events, or above the form.
 */
export function WebhookForm({ onCreated }: { onCreated: (w: Webhook, secret: string) => void }) {
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["deployment.succeeded", "deployment.failed"]);
  const create = useAction(async () => {
    const r = await api.post<{ webhook: Webhook; secret: string }>("/webhooks", { url, events });
    setUrl("");
    onCreated(r.webhook, r.secret);
  });
  const toggle = (type: string, on: boolean) =>
    setEvents((cur) => (on ? [...cur, type] : cur.filter((t) => t !== type)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const errorField = webhookErrorField(create.error);
  const urlError = errorField === "url" ? (create.fieldError("url") ?? create.error?.message) : undefined;
  const eventsError =
    errorField === "events" ? (create.fieldError("events") ?? create.error?.message) : undefined;
  const formError = errorField ? undefined : create.error?.message;
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="add-webhook-h">
      <h2 id="add-webhook-h">Add a webhook</h2>
      <Notice kind="error">{formError}</Notice>
      <Field
        label="URL"
        type="url"
        required
        placeholder="https://example.com/hooks/wisehosting"
        hint="An http(s) URL (requests are signed per Standard Webhooks), or discord://, slack://, ntfy://, telegram://, gotify://, generic://."
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        error={urlError}
      />
      <fieldset className="checks" aria-describedby={eventsError ? "webhook-events-error" : undefined}>
        <legend className="label">Events</legend>
        {WEBHOOK_EVENTS.map((ev) => (
          <label key={ev.type} className="check">
            <input
              type="checkbox"
              name="events"
              value={ev.type}
              checked={events.includes(ev.type)}
              onChange={(e) => toggle(ev.type, e.target.checked)}
            />
            <span>
              {ev.label} <code className="muted">{ev.type}</code>
            </span>
          </label>
        ))}
        {eventsError && (
          <small id="webhook-events-error" className="field-error" role="alert">
            {eventsError}
          </small>
        )}
      </fieldset>
      <Button type="submit" variant="primary" busy={create.pending}>
        {create.pending ? "Adding…" : "Add webhook"}
      </Button>
    </form>
  );
}
