import { useState, type FormEvent } from "react";
import { Link, useLocation } from "wouter";
import { api, seg } from "../../api/client";
import type { DeploymentResponse } from "../../api/apps-types";
import type { App, Me } from "../../api/types";
import { Button } from "../../components/button";
import { CopyButton } from "../../components/copy-button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { formatMb, formatMillicores } from "../../format";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";
import { deployCommand } from "./cli-commands";
import { deriveSlug, slugProblem } from "./derive-slug";
import { blankEnvRow, EnvEditor } from "./env-editor";
import { checkEnvRows, type EnvRow } from "./env-rows";
import { planRoom } from "./stats-format";

/** The fields of this form, as the API names them in its errors. */
const FIELDS = ["name", "slug", "cpu_millicores", "memory_mb", "env", "image"] as const;

/**
 * A new app: name (and a slug, made from the name unless typed), CPU and
 * memory within what the plan has left, env vars, and optionally an image
 * deployed right after creation. If the image is refused the app stays
 * created and the form only retries the deployment.
 */
export function NewAppScreen() {
  const [, navigate] = useLocation();
  const me = useApi<Me>("/me");
  const room = me.data ? planRoom(me.data) : undefined;
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [cpu, setCpu] = useState("250");
  const [memory, setMemory] = useState("256");
  const [image, setImage] = useState("");
  const [rows, setRows] = useState<EnvRow[]>(() => [blankEnvRow()]);
  const [problems, setProblems] = useState<ReadonlyMap<number, string>>(new Map());
  const [slugHint, setSlugHint] = useState<string>();
  /** The app, once created: a retry only deploys. */
  const [created, setCreated] = useState<App>();

  const effectiveSlug = slug.trim() || deriveSlug(name);

  const submit = useAction(async () => {
    let app = created;
    if (!app) {
      const body: Record<string, unknown> = {
        name,
        cpu_millicores: Number(cpu),
        memory_mb: Number(memory),
      };
      if (slug.trim()) body.slug = slug.trim();
      const env = checkEnvRows(rows);
      if (env.ok && Object.keys(env.env).length > 0) body.env = env.env;
      app = (await api.post<{ app: App }>("/apps", body)).app;
      setCreated(app);
    }
    if (image.trim()) {
      await api.post<DeploymentResponse>(`/apps/${seg(app.slug)}/deployments`, { image: image.trim() });
    }
    navigate(`/apps/${seg(app.slug)}`);
  });

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    if (!created) {
      const env = checkEnvRows(rows);
      setProblems(env.ok ? new Map() : env.problems);
      const sp = slugProblem(effectiveSlug);
      setSlugHint(sp);
      if (!env.ok || sp) return;
    }
    void submit.run();
  };

  const envError = (n: string) => submit.fieldError(`env.${n}`);
  // An env error that names no row of the editor (the whole set's size) is shown under it.
  const f = submit.error?.field;
  const envLoose =
    f && (f === "env" || (f.startsWith("env.") && !rows.some((r) => `env.${r.name.trim()}` === f)))
      ? submit.error?.message
      : undefined;
  const fieldsShown = created ? ["image"] : FIELDS;
  return (
    <section aria-labelledby="new-app-title">
      <div className="page-head">
        <h1 id="new-app-title">New app</h1>
        <Link href="/apps">Back to apps</Link>
      </div>
      {room && (
        <p className="muted" data-testid="plan-room">
          Your {me.data?.plan.name} plan has room for {room.apps} more app{room.apps === 1 ? "" : "s"},{" "}
          {formatMillicores(room.cpu_millicores)} and {formatMb(room.memory_mb)} of memory.
        </p>
      )}
      <Notice kind="error">{me.error && `Cannot read your plan: ${me.error.message}`}</Notice>
      {created && (
        <Notice kind="info">
          App {created.name} was created, but not deployed yet.{" "}
          <Link href={`/apps/${seg(created.slug)}`}>Go to the app</Link> or correct the image below.
        </Notice>
      )}
      <form className="card new-app-form" onSubmit={onSubmit} noValidate>
        <Notice kind="error">{submit.formError(fieldsShown)}</Notice>
        <div className="form-grid">
          <Field
            label="Name"
            required
            maxLength={63}
            autoComplete="off"
            value={name}
            disabled={!!created}
            onChange={(e) => {
              setName(e.target.value);
              setSlugHint(undefined);
            }}
            error={submit.fieldError("name")}
          />
          <Field
            label="Slug (in the URL and the CLI)"
            className="mono-input"
            autoComplete="off"
            spellCheck={false}
            maxLength={40}
            placeholder={deriveSlug(name) || "my-app"}
            value={slug}
            disabled={!!created}
            onChange={(e) => {
              setSlug(e.target.value.toLowerCase());
              setSlugHint(undefined);
            }}
            hint={
              slug.trim()
                ? "a-z, 0-9 and '-'."
                : effectiveSlug
                  ? `Leave empty to use ${effectiveSlug}.`
                  : "Made from the name unless you type one."
            }
            error={submit.fieldError("slug") ?? slugHint}
          />
          <Field
            label="CPU (millicores)"
            type="number"
            inputMode="numeric"
            min={10}
            step={50}
            required
            value={cpu}
            disabled={!!created}
            onChange={(e) => setCpu(e.target.value)}
            hint={
              room
                ? `1000 = one CPU. Your plan has ${room.cpu_millicores} left.`
                : "1000 millicores = one CPU."
            }
            error={submit.fieldError("cpu_millicores")}
          />
          <Field
            label="Memory (MB)"
            type="number"
            inputMode="numeric"
            min={16}
            step={64}
            required
            value={memory}
            disabled={!!created}
            onChange={(e) => setMemory(e.target.value)}
            hint={room ? `Your plan has ${room.memory_mb} MB left.` : undefined}
            error={submit.fieldError("memory_mb")}
          />
        </div>
        {!created && (
          <>
            <EnvEditor
              rows={rows}
              onChange={(next) => {
                // An edited row's old problem no longer applies; the others' still do.
                setProblems(
                  (p) => new Map([...p].filter(([k]) => next.some((r) => r.key === k && rows.includes(r)))),
                );
                setRows(next);
              }}
              problems={problems}
              apiError={envError}
            />
            <Notice kind="error">{envLoose}</Notice>
          </>
        )}
        <h2 className="section-title">Code</h2>
        <Field
          label="Image to deploy (optional)"
          className="mono-input"
          autoComplete="off"
          spellCheck={false}
          placeholder="docker.io/library/nginx:1.27"
          value={image}
          onChange={(e) => setImage(e.target.value)}
          hint="Deployed right after the app is created. Leave empty to deploy later."
          error={submit.fieldError("image")}
        />
        <div className="cli-block">
          <p className="muted">
            Or deploy a folder with a Dockerfile from your terminal once the app exists:
          </p>
          <div className="cli-line">
            <code data-testid="deploy-command">{deployCommand(effectiveSlug)}</code>
            <CopyButton text={deployCommand(effectiveSlug)} label="Copy command" />
          </div>
        </div>
        <div className="row form-actions">
          <Button type="submit" variant="primary" busy={submit.pending}>
            {submit.pending
              ? created || !image.trim()
                ? "Working…"
                : "Creating and deploying…"
              : created
                ? "Deploy image"
                : image.trim()
                  ? "Create and deploy"
                  : "Create app"}
          </Button>
        </div>
      </form>
    </section>
  );
}
