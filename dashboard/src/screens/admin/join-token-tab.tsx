import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { JoinToken } from "../../api/account-types";
import { agentCommand, WORKER_NAME_RE } from "../../agent-command";
import { Button } from "../../components/button";
import { CopyButton } from "../../components/copy-button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { SelectField } from "../../components/select-field";

const TTL_CHOICES = [
  { seconds: 600, label: "10 minutes" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 604_800, label: "7 days" },
];

const NAME_RULE = "1-63 characters of a-z, 0-9 and '-', starting with a letter or digit";

/**
 * A single-use join token for a new worker, and the exact `wisehosting
 * agent` command to run there, pointing at the control plane's public URL
 * (the server's `public_url`, which may differ from this page's origin). The token
 * is kept in state only until dismissed or the tab is left.
 */
export function JoinTokenTab() {
  const [ttl, setTtl] = useState(3600);
  const [name, setName] = useState("");
  const [zone, setZone] = useState("");
  const [made, setMade] = useState<JoinToken>();
  const create = useAction(async () => {
    setMade(await api.post<JoinToken>("/admin/join-tokens", { ttl_s: ttl }));
  });
  const nameError = name && !WORKER_NAME_RE.test(name) ? `Worker name: ${NAME_RULE}.` : undefined;
  const zoneError = zone && !WORKER_NAME_RE.test(zone) ? `Zone: ${NAME_RULE}.` : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create.run();
  };
  const command =
    made &&
    agentCommand({
      server: made.server,
      token: made.token,
      ...(name && !nameError ? { name } : {}),
      ...(zone && !zoneError ? { zone } : {}),
    });
  return (
    <section aria-labelledby="join-h">
      <h2 id="join-h">Add a worker</h2>
      <form className="card narrow-form" onSubmit={submit} noValidate>
        <p className="muted">
          A join token lets one new machine register as a worker, once. Name and zone are optional: the agent
          defaults to the machine's host name and the default zone.
        </p>
        <Notice kind="error">{create.error?.message}</Notice>
        <SelectField
          label="Token valid for"
          value={ttl}
          options={TTL_CHOICES.map((c) => ({ value: c.seconds, label: c.label }))}
          onChange={setTtl}
        />
        <Field
          label="Worker name (optional)"
          value={name}
          placeholder="worker-2"
          autoComplete="off"
          onChange={(e) => setName(e.target.value.trim())}
          error={nameError}
        />
        <Field
          label="Zone (optional)"
          value={zone}
          placeholder="eu-1"
          autoComplete="off"
          onChange={(e) => setZone(e.target.value.trim())}
          error={zoneError}
        />
        <Button type="submit" variant="primary" busy={create.pending}>
          {create.pending ? "Creating…" : made ? "Create another token" : "Create join token"}
        </Button>
      </form>
      {made && command && (
        <div className="card secret-box" role="status">
          <p>
            <strong>Run this on the new machine</strong> (as the user that runs Podman). The token works once
            and until <TimeText iso={made.expires_at} />; you will not see it again.
          </p>
          <pre className="command" data-testid="agent-command">
            {command}
          </pre>
          <div className="row">
            <CopyButton text={command} label="Copy command" />
            <Button onClick={() => setMade(undefined)}>Done</Button>
          </div>
        </div>
      )}
    </section>
  );
}
