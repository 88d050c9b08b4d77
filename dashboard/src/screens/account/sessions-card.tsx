import { useState } from "react";
import { api, seg } from "../../api/client";
import type { WebSession } from "../../api/account-types";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { EmptyState } from "../../components/empty-state";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";

/** The account's signed-in browsers (read on demand), each but this one revocable. */
export function SessionsCard() {
  const list = useApi<{ sessions: WebSession[] }>("/me/sessions");
  const [outcome, setOutcome] = useState<string>();
  const revoke = useAction(async (s: WebSession) => {
    await api.del(`/me/sessions/${seg(s.id)}`);
    setOutcome(`Signed out the session from ${s.ip ?? "an unknown address"}.`);
    list.reload();
  });
  const sessions = list.data?.sessions ?? [];
  return (
    <section className="card" aria-labelledby="sessions-h">
      <div className="section-head">
        <h2 id="sessions-h">Sessions</h2>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <Notice kind="success">{outcome}</Notice>
      <Notice kind="error">{revoke.error?.message ?? list.error?.message}</Notice>
      {list.data && sessions.length === 0 && <EmptyState title="No other browser is signed in." />}
      {sessions.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Signed-in browsers</caption>
            <thead>
              <tr>
                <th scope="col">Browser</th>
                <th scope="col">Address</th>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td className="wrap-cell">{s.user_agent ?? "unknown"}</td>
                  <td className="mono">{s.ip ?? "–"}</td>
                  <td>
                    <TimeText iso={s.created_at} />
                  </td>
                  <td>
                    <TimeText iso={s.last_used_at} relative />
                  </td>
                  <td>
                    {s.current ? (
                      <span className="badge badge-ok">this browser</span>
                    ) : (
                      <ConfirmButton
                        label="Sign out"
                        question="Sign that session out?"
                        danger
                        busy={revoke.pending}
                        onConfirm={() => revoke.run(s)}
                      />
                    )}
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
