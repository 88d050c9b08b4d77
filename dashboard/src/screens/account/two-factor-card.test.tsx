import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuthProvider, useAuth } from "../../auth";
import { TwoFactorCard } from "./two-factor-card";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const USER = {
  id: 1,
  email: "ann@example.com",
  is_admin: false,
  plan: "free",
  totp_enabled: false,
  created_at: "2030-01-01T00:00:00.000Z",
};

function json(status: number, body: unknown): Promise<Response> {
  return Promise.resolve(
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }),
  );
}

/** A fake API: /me, set-up (expiring after `setupMs`), enable and disable answering as told. */
function fakeApi(
  opts: {
    setupMs?: number;
    totpOn?: boolean;
    enable?: () => Promise<Response>;
    disable?: (body: unknown) => Promise<Response>;
  } = {},
) {
  const calls: string[] = [];
  vi.stubGlobal("fetch", (url: string, init: RequestInit) => {
    const key = `${init.method} ${url}`;
    calls.push(key);
    if (key === "GET /api/v1/me") {
      return json(200, { user: { ...USER, totp_enabled: opts.totpOn ?? false }, plan: {}, usage: {} });
    }
    if (key === "POST /api/v1/me/totp/disable" && opts.disable) {
      return opts.disable(JSON.parse(init.body as string));
    }
    if (key === "POST /api/v1/me/totp/setup") {
      return json(200, {
        secret: SECRET,
        otpauth_url: `otpauth://totp/wisehosting:ann%40example.com?secret=${SECRET}&issuer=wisehosting`,
        expires_at: new Date(Date.now() + (opts.setupMs ?? 600_000)).toISOString(),
      });
    }
    if (key === "POST /api/v1/me/totp/enable" && opts.enable) return opts.enable();
    return json(404, { error: { code: "not_found", message: `no fake for ${key}` } });
  });
  return calls;
}

function SignedIn() {
  const { state } = useAuth();
  return state.status === "signed-in" ? <TwoFactorCard onChanged={() => Promise.resolve()} /> : null;
}

const renderCard = () =>
  render(
    <AuthProvider>
      <SignedIn />
    </AuthProvider>,
  );

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("TwoFactorCard", () => {
  it("shows the QR code and the secret during set-up; an expired set-up drops them and offers to start again", async () => {
    fakeApi({
      enable: () =>
        json(409, {
          error: { code: "totp_setup_expired", message: "no two-factor set-up in progress (or it expired)" },
        }),
    });
    renderCard();
    fireEvent.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
    expect((await screen.findByTestId("totp-secret")).textContent).toBe(SECRET);
    const qr = screen.getByRole("img", { name: "QR code of the two-factor secret" });
    expect(qr.querySelectorAll("rect").length).toBeGreaterThan(50);

    fireEvent.change(screen.getByLabelText("6-digit code from your authenticator app"), {
      target: { value: "12 34 56" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Turn on" }));
    await screen.findByText(/The two-factor set-up expired/);
    expect(screen.queryByTestId("totp-secret")).toBeNull();
    expect(document.body.textContent).not.toContain(SECRET);
    screen.getByRole("button", { name: "Start set-up again" });
  });

  it("says so when the set-up's 10 minutes pass on screen", async () => {
    fakeApi({ setupMs: 50 });
    renderCard();
    fireEvent.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
    await screen.findByTestId("totp-secret");
    await screen.findByText(/The two-factor set-up expired/, {}, { timeout: 2000 });
    expect(screen.queryByTestId("totp-secret")).toBeNull();
  });

  it("after leaving mid-set-up, says it is unfinished instead of showing the secret again", async () => {
    fakeApi();
    const first = renderCard();
    fireEvent.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
    await screen.findByTestId("totp-secret");
    first.unmount();

    renderCard();
    await screen.findByText(/You left a two-factor set-up unfinished/);
    expect(screen.queryByTestId("totp-secret")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Start set-up again" }));
    await screen.findByTestId("totp-secret");
    fireEvent.click(screen.getByRole("button", { name: "Cancel set-up" }));
    expect(screen.queryByTestId("totp-secret")).toBeNull();
    expect(sessionStorage.length).toBe(0);
  });

  it("shows the API's message for a wrong code beside the code field", async () => {
    fakeApi({
      enable: () =>
        json(400, {
          error: { code: "invalid_request", message: "code: wrong or already used code", field: "code" },
        }),
    });
    renderCard();
    fireEvent.click(await screen.findByRole("button", { name: "Set up two-factor authentication" }));
    const input = await screen.findByLabelText("6-digit code from your authenticator app");
    fireEvent.change(input, { target: { value: "000000" } });
    fireEvent.click(screen.getByRole("button", { name: "Turn on" }));
    expect((await screen.findByRole("alert")).textContent).toBe("wrong or already used code");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    screen.getByTestId("totp-secret");
  });

  it("turns 2FA off with a current code and says other sessions were signed out", async () => {
    const sent: unknown[] = [];
    fakeApi({
      totpOn: true,
      disable: (body) => {
        sent.push(body);
        return json(200, { user: USER });
      },
    });
    renderCard();
    const input = await screen.findByLabelText("6-digit code from your authenticator app");
    fireEvent.change(input, { target: { value: "654321" } });
    fireEvent.click(screen.getByRole("button", { name: "Turn off two-factor authentication" }));
    await screen.findByText(
      /Two-factor authentication is off. Every other session and API token was signed out./,
    );
    expect(sent).toEqual([{ code: "654321" }]);
  });
});
