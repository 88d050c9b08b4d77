import { describe, expect, it } from "vitest";
import type { CliIO } from "./context.js";
import { displayWidth, formatBytes, printList, renderFields, renderTable, type Column } from "./table.js";

interface Row {
  name: string;
  n: number | null;
}
const cols: Column<Row>[] = [
  { header: "NAME", value: (r) => r.name },
  { header: "COUNT", value: (r) => r.n, right: true },
];

function capture(): { io: CliIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    stdin: process.stdin,
    env: {},
  } as CliIO;
  return { io, out: () => out, err: () => err };
}

describe("renderTable", () => {
  it("aligns columns, right-aligns numbers, shows missing values as '-' and has no trailing spaces", () => {
    const text = renderTable(cols, [
      { name: "web", n: 12 },
      { name: "a-much-longer-name", n: 3 },
      { name: "", n: null },
    ]);
    expect(text).toBe(
      "NAME                COUNT\n" +
        "web                    12\n" +
        "a-much-longer-name      3\n" +
        "-                       -\n",
    );
  });

  it("neutralises escape sequences in cells and measures what is printed", () => {
    const text = renderTable(cols, [{ name: "\x1b[31mred\x1b[0m\x1b]0;pwned\x07", n: 1 }]);
    expect(text).not.toContain("\x1b");
    expect(text).toContain("red");
    expect(text.split("\n")[1]).toBe("red       1");
  });

  it("counts wide characters twice", () => {
    expect(displayWidth("日本")).toBe(4);
    expect(displayWidth("abc")).toBe(3);
  });
});

describe("printList", () => {
  it("prints the API body as JSON with --json, parseable as it came", () => {
    const c = capture();
    const body = { apps: [{ name: "web", n: 1 }] };
    printList(c.io, true, body, cols, body.apps, "none");
    expect(JSON.parse(c.out())).toEqual(body);
  });

  it("prints the table, or the empty message on stderr", () => {
    const c = capture();
    printList(c.io, false, {}, cols, [{ name: "web", n: 1 }], "none");
    expect(c.out()).toBe("NAME  COUNT\nweb       1\n");
    const e = capture();
    printList(e.io, undefined, {}, cols, [], "no apps yet");
    expect(e.out()).toBe("");
    expect(e.err()).toBe("no apps yet\n");
  });
});

describe("formatters", () => {
  it("renderFields aligns keys; formatBytes uses binary units", () => {
    expect(
      renderFields([
        ["a", 1],
        ["long", "x"],
      ]),
    ).toBe("a:    1\nlong: x\n");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3.0 MB");
    expect(formatBytes(null)).toBe("-");
  });
});
