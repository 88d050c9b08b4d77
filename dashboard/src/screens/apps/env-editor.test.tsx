import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { blankEnvRow, EnvEditor } from "./env-editor";
import type { EnvRow } from "./env-rows";

afterEach(cleanup);

function Harness({
  problems = new Map<number, string>(),
  apiError = () => undefined,
}: {
  problems?: ReadonlyMap<number, string>;
  apiError?: (name: string) => string | undefined;
}) {
  const [rows, setRows] = useState<EnvRow[]>(() => [{ key: 1, name: "", value: "" }]);
  return (
    <>
      <EnvEditor rows={rows} onChange={setRows} problems={problems} apiError={apiError} />
      <output data-testid="rows">{JSON.stringify(rows.map((r) => [r.name, r.value]))}</output>
    </>
  );
}

describe("EnvEditor", () => {
  it("splits NAME=value typed into a name, adds and removes rows by their labelled buttons", () => {
    render(<Harness />);
    act(() => {
      fireEvent.change(screen.getByLabelText("Variable 1 name"), { target: { value: "URL=https://x/?a=b" } });
    });
    expect(screen.getByTestId("rows").textContent).toBe('[["URL","https://x/?a=b"]]');
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Add variable" }));
    });
    expect(screen.getByLabelText("Variable 2 value")).toBeDefined();
    act(() => {
      fireEvent.click(screen.getByRole("button", { name: "Remove variable 1 (URL)" }));
    });
    expect(screen.getByTestId("rows").textContent).toBe('[["",""]]');
  });

  it("shows a row's problem beside it, as an alert the input points to", () => {
    render(<Harness problems={new Map([[1, "give the variable a name"]])} />);
    const input = screen.getByLabelText("Variable 1 name");
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe("give the variable a name");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toBe(alert.id);
  });

  it("shows the API's message for the variable it names", () => {
    render(<Harness apiError={(n) => (n === "BIG" ? "env.BIG: value is larger than 32 KiB" : undefined)} />);
    expect(screen.queryByRole("alert")).toBeNull();
    act(() => {
      fireEvent.change(screen.getByLabelText("Variable 1 name"), { target: { value: "BIG" } });
    });
    expect(screen.getByRole("alert").textContent).toBe("env.BIG: value is larger than 32 KiB");
  });

  it("gives a blank row a key no other row has", () => {
    expect(blankEnvRow().key).toBe(1);
    expect(
      blankEnvRow([
        { key: 4, name: "", value: "" },
        { key: 2, name: "", value: "" },
      ]).key,
    ).toBe(5);
  });
});
