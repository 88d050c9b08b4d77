import { useState } from "react";
import type { Plan } from "../../api/account-types";
import { Button } from "../../components/button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { formatMb, formatMillicores } from "../../format";
import { useApi } from "../../hooks/use-api";
import { PlanForm } from "./plan-form";

/** Plans with their limits and users; edit one's limits, or add a plan. */
export function PlansTab() {
  const list = useApi<{ plans: Plan[] }>("/admin/plans");
  const [editing, setEditing] = useState<{ name: string } | "new">();
  const [outcome, setOutcome] = useState<string>();
  const plans = list.data?.plans ?? [];
  const saved = (p: Plan) => {
    setEditing(undefined);
    setOutcome(
      `Saved plan ${p.name}: ${p.max_apps} apps, ${formatMillicores(p.max_cpu_millicores)}, ${formatMb(p.max_memory_mb)}.`,
    );
    list.reload();
  };
  const editedPlan = editing === "new" ? undefined : plans.find((p) => p.name === editing?.name);
  return (
    <section aria-labelledby="plans-h">
      <div className="section-head">
        <h2 id="plans-h">Plans</h2>
        <Button
          onClick={() => {
            setOutcome(undefined);
            setEditing("new");
          }}
        >
          New plan
        </Button>
      </div>
      <Notice kind="success">{outcome}</Notice>
      <Notice kind="error">{list.error?.message}</Notice>
      {editing === "new" && (
        <PlanForm
          existing={(list.data?.plans ?? []).map((p) => p.name)}
          onSaved={saved}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {editedPlan && (
        <PlanForm
          key={editedPlan.name}
          plan={editedPlan}
          onSaved={saved}
          onCancel={() => setEditing(undefined)}
        />
      )}
      {list.data && plans.length === 0 && <EmptyState title="No plans.">Add one with “New plan”.</EmptyState>}
      {plans.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Plans</caption>
            <thead>
              <tr>
                <th scope="col">Plan</th>
                <th scope="col" className="num">
                  Apps
                </th>
                <th scope="col" className="num">
                  CPU
                </th>
                <th scope="col" className="num">
                  Memory
                </th>
                <th scope="col" className="num">
                  Users
                </th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {plans.map((p) => (
                <tr key={p.name}>
                  <td>
                    <strong>{p.name}</strong>
                    {p.configured && <div className="muted">from config</div>}
                  </td>
                  <td className="num">{p.max_apps}</td>
                  <td className="num">{formatMillicores(p.max_cpu_millicores)}</td>
                  <td className="num">{formatMb(p.max_memory_mb)}</td>
                  <td className="num">{p.users ?? "–"}</td>
                  <td>
                    <TimeText iso={p.updated_at} />
                  </td>
                  <td>
                    <Button
                      aria-label={`Edit plan ${p.name}`}
                      onClick={() => {
                        setOutcome(undefined);
                        setEditing({ name: p.name });
                      }}
                    >
                      Edit
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
