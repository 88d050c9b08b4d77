import { useState, type FormEvent } from "react";
import { useLocation } from "wouter";
import { api, seg } from "../../api/client";
import type { DeploymentResponse } from "../../api/apps-types";
import { Button } from "../../components/button";
import { CopyButton } from "../../components/copy-button";
import { Field } from "../../components/field";
import { Notice } from "../../components/notice";
import { useAction } from "../../hooks/use-action";
import { deployCommand } from "../apps/cli-commands";
import type { AppTabProps } from "./app-tab-props";

/**
 * Deploys an image (POST /apps/:slug/deployments {image}), then opens the
 * new deployment's build log. The folder alternative is the CLI command.
 */
export function DeployImageForm({ app, reloadApp }: AppTabProps) {
  const [, navigate] = useLocation();
  const [image, setImage] = useState("");
  const deploy = useAction(async () => {
    const r = await api.post<DeploymentResponse>(`/apps/${seg(app.slug)}/deployments`, {
      image: image.trim(),
    });
    reloadApp();
    navigate(`/apps/${seg(app.slug)}/deployments/${r.deployment.id}`);
  });
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void deploy.run();
  };
  const cmd = deployCommand(app.slug);
  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="deploy-title" noValidate>
      <h2 id="deploy-title">Deploy</h2>
      <Notice kind="error">{deploy.formError(["image"])}</Notice>
      <div className="row deploy-row">
        <Field
          label="Image"
          className="grow mono-input"
          autoComplete="off"
          spellCheck={false}
          required
          placeholder="docker.io/library/nginx:1.27"
          value={image}
          onChange={(e) => setImage(e.target.value)}
          error={deploy.fieldError("image")}
        />
        <Button type="submit" variant="primary" busy={deploy.pending} className="deploy-submit">
          {deploy.pending ? "Deploying…" : "Deploy image"}
        </Button>
      </div>
      <p className="muted">Or deploy a folder with a Dockerfile from your terminal:</p>
      <div className="cli-line">
        <code>{cmd}</code>
        <CopyButton text={cmd} label="Copy command" />
      </div>
    </form>
  );
}
