import { useState } from "react";
import { Link, useLocation } from "wouter";
import { api, seg } from "../../api/client";
import type { DeploymentDetail, DeploymentResponse, JobResponse } from "../../api/apps-types";
import { Button } from "../../components/button";
import { CopyButton } from "../../components/copy-button";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { useApi } from "../../hooks/use-api";
import { deployCommand } from "../apps/cli-commands";
import { redeployNeedsDeployment, redeployPlan } from "./app-status";
import type { AppTabProps } from "./app-tab-props";

/**
 * Offers to apply changed settings now: a new deployment that copies the
 * app's current env (redeployPlan says how: start, the current image again,
 * or the CLI for code that was built from an upload).
 */
export function RedeployButton({ app, reloadApp }: AppTabProps) {
  const [, navigate] = useLocation();
  const [done, setDone] = useState(false);
  // A stopped, failed or crashed app is just started: its deployment is not fetched.
  const current = useApi<DeploymentDetail>(
    redeployNeedsDeployment(app) ? `/deployments/${app.current_deployment_id}` : null,
  );
  const plan = redeployPlan(app, current.data?.deployment);
  const redeploy = useAction(async () => {
    if (plan.kind === "start") {
      await api.post<JobResponse>(`/apps/${seg(app.slug)}/start`);
      setDone(true);
      reloadApp();
    } else if (plan.kind === "image") {
      const r = await api.post<DeploymentResponse>(`/apps/${seg(app.slug)}/deployments`, {
        image: plan.image,
      });
      reloadApp();
      navigate(`/apps/${seg(app.slug)}/deployments/${r.deployment.id}`);
    }
  });
  return (
    <div className="card redeploy">
      {plan.kind === "none" && <p className="muted">Nothing to redeploy: {plan.reason}.</p>}
      {plan.kind === "cli" && (
        <>
          <p>This app runs code built from an upload: deploy the folder again to apply the change.</p>
          <div className="cli-line">
            <code>{deployCommand(app.slug)}</code>
            <CopyButton text={deployCommand(app.slug)} label="Copy command" />
          </div>
        </>
      )}
      {(plan.kind === "start" || plan.kind === "image") && (
        <div className="row">
          <p className="grow">
            {plan.kind === "start"
              ? `Start ${app.name} again with the new settings?`
              : `Deploy ${plan.image} again with the new settings?`}
          </p>
          <Button variant="primary" busy={redeploy.pending} onClick={() => void redeploy.run()}>
            {redeploy.pending ? "Redeploying…" : "Redeploy now"}
          </Button>
        </div>
      )}
      <Notice kind="error">{(redeploy.error ?? current.error)?.message}</Notice>
      <Notice kind="success">
        {done && (
          <>
            Started: a new deployment is on its way.{" "}
            <Link href={`/apps/${seg(app.slug)}/deployments`}>Follow it</Link>
          </>
        )}
      </Notice>
    </div>
  );
}
