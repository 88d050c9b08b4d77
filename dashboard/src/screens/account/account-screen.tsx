import { useCallback, useState } from "react";
import { useAuth } from "../../auth";
import { PasswordCard } from "./password-card";
import { PlanUsageCard } from "./plan-usage-card";
import { SessionsCard } from "./sessions-card";
import { TokensCard } from "./tokens-card";
import { TwoFactorCard } from "./two-factor-card";

/**
 * The account: plan and usage, two-factor authentication, password,
 * sessions and API tokens. A credential change (password, 2FA on or off)
 * makes the server rotate this page's cookie and revoke every other session
 * and token: the account is re-read and the session and token lists are
 * re-mounted, so what the page shows matches the server.
 */
export function AccountScreen() {
  const { refresh } = useAuth();
  const [generation, setGeneration] = useState(0);
  const credentialsChanged = useCallback(async () => {
    await refresh();
    setGeneration((g) => g + 1);
  }, [refresh]);
  return (
    <>
      <div className="page-head">
        <h1>Account</h1>
      </div>
      <PlanUsageCard />
      <TwoFactorCard onChanged={credentialsChanged} />
      <PasswordCard onChanged={credentialsChanged} />
      <SessionsCard key={`s${generation}`} />
      <TokensCard key={`t${generation}`} />
    </>
  );
}
