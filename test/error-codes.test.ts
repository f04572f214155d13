/** Every error code the service can answer with is in the README's table, with its status, and nothing else is. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../edge/errors.ts";

describe("the README's error table", () => {
  it("lists exactly the codes of edge/errors.ts, each with its status", () => {
    const readme = readFileSync("README.md", "utf8");
    const rows = [...readme.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])] as const);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(Object.entries(ERRORS).map(([code, e]) => [code, e.status])));
    expect(rows.length).toBe(Object.keys(ERRORS).length);
  });
});
