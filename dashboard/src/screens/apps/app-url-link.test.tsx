import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { AppUrlLink } from "./app-url-link";

afterEach(cleanup);

describe("AppUrlLink", () => {
  it("links an http(s) URL in a new tab without opener or referrer", () => {
    render(<AppUrlLink url="https://shop.apps.example.com" />);
    const a = screen.getByRole("link", { name: "https://shop.apps.example.com" });
    expect(a.getAttribute("href")).toBe("https://shop.apps.example.com/");
    expect(a.getAttribute("rel")).toBe("noopener noreferrer");
  });

  it("shows any other scheme as text, never as a link", () => {
    render(<AppUrlLink url="javascript:alert(document.cookie)" />);
    expect(screen.queryByRole("link")).toBeNull();
    expect(screen.getByText("javascript:alert(document.cookie)").tagName).toBe("SPAN");
  });
});
