import { useState } from "react";
import { api, seg } from "../../api/client";
import type { AdminUser, Plan } from "../../api/account-types";
import type { User } from "../../api/types";
import { useAuth, useUser } from "../../auth";
import { Button } from "../../components/button";
import { ConfirmButton } from "../../components/confirm-button";
import { Notice } from "../../components/notice";
import { TimeText } from "../../components/time-text";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";

/** One account's row: its plan (changed with PATCH) and its admin flag. */
function UserRow({
  user,
  plans,
  self,
  onChanged,
}: {
  user: AdminUser;
  plans: readonly Plan[];
  self: boolean;
  onChanged: (text: string) => void;
}) {
  const [plan, setPlan] = useState(user.plan);
  const patch = useAction(async (body: { plan?: string; is_admin?: boolean }, text: string) => {
    await api.patch<{ user: User }>(`/admin/users/${seg(user.id)}`, body);
    onChanged(text);
  });
  const selectId = `user-${user.id}-plan`;
  const names = plans.some((p) => p.name === user.plan)
    ? plans.map((p) => p.name)
    : [user.plan, ...plans.map((p) => p.name)];
  return (
    <tr>
      <td className="wrap-cell">
        {user.email}
        {self && <span className="muted"> (you)</span>}
      </td>
      <td>
        <div className="inline-form">
          <label htmlFor={selectId} className="visually-hidden">
            Plan of {user.email}
          </label>
          <select id={selectId} value={plan} onChange={(e) => setPlan(e.target.value)}>
            {names.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
          <Button
            disabled={plan === user.plan}
            busy={patch.pending}
            aria-label={`Change the plan of ${user.email}`}
            onClick={() => void patch.run({ plan }, `${user.email} is now on the ${plan} plan.`)}
          >
            Change plan
          </Button>
        </div>
        {patch.error && (
          <small className="field-error" role="alert">
            {patch.error.message}
          </small>
        )}
      </td>
      <td>
        {user.is_admin ? <span className="badge badge-ok">admin</span> : <span className="muted">user</span>}
      </td>
      <td>{user.totp_enabled ? "on" : "off"}</td>
      <td className="num">{user.apps}</td>
      <td>
        <TimeText iso={user.created_at} />
      </td>
      <td>
        <ConfirmButton
          label={user.is_admin ? "Remove admin" : "Make admin"}
          question={
            user.is_admin
              ? `Take administrator rights from ${user.email}?`
              : `Make ${user.email} an administrator?`
          }
          danger={user.is_admin}
          busy={patch.pending}
          onConfirm={() =>
            patch.run(
              { is_admin: !user.is_admin },
              user.is_admin
                ? `${user.email} is no longer an administrator.`
                : `${user.email} is now an administrator.`,
            )
          }
        />
      </td>
    </tr>
  );
}

/** Every account with its plan, admin flag, 2FA and app count. */
export function UsersTab() {
  const me = useUser();
  const { refresh } = useAuth();
  const list = useApi<{ users: AdminUser[] }>("/admin/users");
  const plans = useApi<{ plans: Plan[] }>("/admin/plans");
  const [outcome, setOutcome] = useState<string>();
  const users = list.data?.users ?? [];
  return (
    <section aria-labelledby="users-h">
      <div className="section-head">
        <h2 id="users-h">Users</h2>
        <Button onClick={list.reload} busy={list.loading}>
          Refresh
        </Button>
      </div>
      <Notice kind="success">{outcome}</Notice>
      <Notice kind="error">{list.error?.message ?? plans.error?.message}</Notice>
      {users.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Plan</th>
                <th scope="col">Role</th>
                <th scope="col">2FA</th>
                <th scope="col" className="num">
                  Apps
                </th>
                <th scope="col">Signed up</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <UserRow
                  // Re-mounted after a change so the select starts from the saved plan.
                  key={`${u.id}:${u.plan}:${u.is_admin}`}
                  user={u}
                  plans={plans.data?.plans ?? []}
                  self={u.id === me.id}
                  onChanged={(text) => {
                    setOutcome(text);
                    list.reload();
                    // Your own plan or admin flag: the nav and the Account screen follow.
                    if (u.id === me.id) void refresh();
                  }}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
