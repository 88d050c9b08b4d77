import type { Page } from "playwright-core";
import type { JobPayload } from "../../src/protocol/messages-server.js";
import { SimWorker } from "../../src/agent/sim/sim-worker.js";
import type { BuildOverrides } from "../../src/main.js";
import { startTestControlPlane, TEST_SECRET, type TestControlPlane } from "./control-plane.js";

export interface DashboardFixture {
  cp: TestControlPlane;
  /** A simulated worker that takes every job: deploys print a short build log and succeed. */
  sim: SimWorker;
  /** Every job the worker took, in order. */
  jobs: JobPayload[];
  stop(): Promise<void>;
}

/**
 * What the dashboard's browser tests run against: the real control plane
 * (serving the built dist/dashboard) in this process, and a simulated worker
 * with room for many apps that sends stats every second. `opts.overrides`
 * replace parts of the control plane (a fake TXT resolver, a clock).
 */
export async function startDashboardFixture(
  env: Record<string, string> = {},
  opts: { overrides?: BuildOverrides } = {},
): Promise<DashboardFixture> {
  const cp = await startTestControlPlane(opts.overrides ?? {}, env);
  const jobs: JobPayload[] = [];
  const sim: SimWorker = new SimWorker({
    baseUrl: cp.url,
    name: "sim-1",
    zone: "eu-1",
    bearer: TEST_SECRET,
    cpuMillicores: 64_000,
    memoryMb: 131_072,
    statsIntervalMs: 1000,
    jobBehaviour: (job) => {
      jobs.push(job);
      if (job.type !== "deploy") return { success: true };
      sim.sendBuildLog(job.job_id, "STEP 1/2: pulling the image\n");
      sim.sendBuildLog(job.job_id, "STEP 2/2: starting the container\n");
      // The result comes a moment later (the sim's own delay), so "deploying" is seen; its logs
      // are appended to the streamed ones.
      return { success: true, logs: "started\n", delayMs: 500 };
    },
  });
  await sim.start();
  return {
    cp,
    sim,
    jobs,
    stop: async () => {
      await sim.stop();
      await cp.stop();
    },
  };
}

/**
 * Logs the page in through the dashboard's own form (an account made with
 * signUp() from api-client.ts) and waits for the apps screen.
 */
export async function logInThroughForm(
  page: Page,
  url: string,
  email: string,
  password: string,
): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("navigation", { name: "Main" }).waitFor();
}
