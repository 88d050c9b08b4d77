import { describe, expect, it } from "vitest";
import { agentCommand, shellQuote } from "./agent-command";

describe("agentCommand", () => {
  it("is the wisehosting agent command line with the page's origin and the token", () => {
    expect(agentCommand({ server: "https://paas.example.com", token: "wh_abc123" })).toBe(
      "wisehosting agent --server https://paas.example.com --join-token wh_abc123",
    );
    expect(
      agentCommand({ server: "http://10.0.0.1:8080", token: "wh_x", name: "worker-2", zone: "eu-2" }),
    ).toBe("wisehosting agent --server http://10.0.0.1:8080 --join-token wh_x --name worker-2 --zone eu-2");
  });

  it("quotes anything a shell would interpret", () => {
    expect(shellQuote("plain-value_1.2")).toBe("plain-value_1.2");
    expect(shellQuote("a b")).toBe("'a b'");
    expect(shellQuote("$(rm -rf ~)")).toBe("'$(rm -rf ~)'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
  });
});
