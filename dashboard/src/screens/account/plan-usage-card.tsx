import type { Me } from "../../api/types";
import { Meter } from "../../components/meter";
import { Notice } from "../../components/notice";
import { formatMb, formatMillicores } from "../../format";
import { useApi } from "../../hooks/use-api";

interface UsageLine {
  label: string;
  used: number;
  total: number;
  show: (n: number) => string;
}

/** The account's plan and what its apps use of it (GET /me, read when the screen opens). */
export function PlanUsageCard() {
  const me = useApi<Me>("/me");
  const lines: UsageLine[] = me.data
    ? [
        { label: "Apps", used: me.data.usage.apps, total: me.data.plan.max_apps, show: String },
        {
          label: "CPU",
          used: me.data.usage.cpu_millicores,
          total: me.data.plan.max_cpu_millicores,
          show: formatMillicores,
        },
        {
          label: "Memory",
          used: me.data.usage.memory_mb,
          total: me.data.plan.max_memory_mb,
          show: formatMb,
        },
      ]
    : [];
  return (
    <section className="card" aria-labelledby="plan-h">
      <h2 id="plan-h">Plan and usage</h2>
      <Notice kind="error">{me.error?.message}</Notice>
      {me.loading && <p className="muted">Loading…</p>}
      {me.data && (
        <>
          <p>
            Your plan: <strong>{me.data.plan.name}</strong>. An administrator can change it.
          </p>
          <dl className="usage-list">
            {lines.map((l) => (
              <div key={l.label} className="usage-line">
                <dt>{l.label}</dt>
                <dd>
                  <Meter used={l.used} total={l.total} label={`${l.label} used of the plan`} />
                  <span className="usage-numbers">
                    {l.show(l.used)} of {l.show(l.total)}
                  </span>
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}
