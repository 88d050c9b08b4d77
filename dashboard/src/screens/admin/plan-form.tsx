import { useState, type FormEvent } from "react";
import { ApiError, api, seg } from "../../api/client";
import type { Plan } from "../../api/account-types";
import { Button } from "../../components/button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";

const FIELDS = ["name", "max_apps", "max_cpu_millicores", "max_memory_mb"] as const;

/**
 * Sets a plan's limits with PUT /admin/plans/:name: an existing plan's
 * (name fixed) or a new one's. Numbers go to the API as typed; its
 * validation message appears beside the field it names.
 */
export function PlanForm({
  plan,
  existing = [],
  onSaved,
  onCancel,
}: {
  plan?: Plan;
  /** Names already taken: a new plan may not reuse one (PUT would overwrite that plan's limits). */
  existing?: readonly string[];
  onSaved: (p: Plan) => void;
  onCancel?: () => void;
}) {
  const [name, setName] = useState(plan?.name ?? "");
  const [apps, setApps] = useState(String(plan?.max_apps ?? 3));
  const [cpu, setCpu] = useState(String(plan?.max_cpu_millicores ?? 1000));
  const [mem, setMem] = useState(String(plan?.max_memory_mb ?? 1024));
  const save = useAction(async () => {
    if (!plan && existing.includes(name.trim())) {
      throw new ApiError(
        409,
        "name_taken",
        `a plan named ${name.trim()} exists: edit it in the list instead`,
        "name",
      );
    }
    const r = await api.put<{ plan: Plan }>(`/admin/plans/${seg(name.trim())}`, {
      max_apps: Number(apps),
      max_cpu_millicores: Number(cpu),
      max_memory_mb: Number(mem),
    });
    onSaved(r.plan);
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save.run();
  };
  const title = plan ? `Edit plan ${plan.name}` : "New plan";
  return (
    <form className="card plan-form" onSubmit={submit} noValidate aria-label={title}>
      <h3>{title}</h3>
      {plan?.configured && (
        <Notice kind="info">
          This plan is built in or set in the config file: the server re-applies those limits when it starts.
          Edit the config file to keep a change.
        </Notice>
      )}
      <Notice kind="error">{save.formError(FIELDS)}</Notice>
      <div className="row">
        {!plan && (
          <Field
            label="Name"
            required
            value={name}
            hint="a-z, 0-9 and '-'"
            onChange={(e) => setName(e.target.value)}
            error={save.fieldError("name")}
          />
        )}
        <Field
          label="Max apps"
          type="number"
          min={1}
          required
          value={apps}
          onChange={(e) => setApps(e.target.value)}
          error={save.fieldError("max_apps")}
        />
        <Field
          label="Max CPU (millicores)"
          type="number"
          min={1}
          step={100}
          required
          hint="1000 = 1 CPU"
          value={cpu}
          onChange={(e) => setCpu(e.target.value)}
          error={save.fieldError("max_cpu_millicores")}
        />
        <Field
          label="Max memory (MB)"
          type="number"
          min={1}
          step={128}
          required
          value={mem}
          onChange={(e) => setMem(e.target.value)}
          error={save.fieldError("max_memory_mb")}
        />
      </div>
      <div className="row">
        <Button type="submit" variant="primary" busy={save.pending}>
          {save.pending ? "Saving…" : plan ? "Save limits" : "Create plan"}
        </Button>
        {onCancel && <Button onClick={onCancel}>Cancel</Button>}
      </div>
    </form>
  );
}
