import { describe, expect, it } from "vitest";
import {
  AddressInUseError,
  BrokenPipeError,
  ConnectionError,
  ConnectionResetError,
  FileExistsError,
  FileNotFoundError,
  OSError,
  PermissionError,
  osErrorClass,
} from "../src/index.js";

describe("the shared OSError family", () => {
  it("maps Node codes to Python's classes, with OSError for the rest", () => {
    expect(osErrorClass("ENOENT")).toBe(FileNotFoundError);
    expect(osErrorClass("EEXIST")).toBe(FileExistsError);
    expect(osErrorClass("EACCES")).toBe(PermissionError);
    expect(osErrorClass("EPERM")).toBe(PermissionError);
    expect(osErrorClass("EADDRINUSE")).toBe(AddressInUseError);
    expect(osErrorClass("ECONNRESET")).toBe(ConnectionResetError);
    expect(osErrorClass("EPIPE")).toBe(BrokenPipeError);
    expect(osErrorClass("EWHATEVER")).toBe(OSError);
    expect(osErrorClass(undefined)).toBe(OSError);
  });

  it("keeps Node's fields and the cause, and nests as Python's hierarchy does", () => {
    const cause = new Error("node said so");
    const e = new (osErrorClass("ECONNRESET"))("connection reset by peer", {
      code: "ECONNRESET",
      errno: -104,
      syscall: "read",
      address: "127.0.0.1",
      port: 8080,
      cause,
    });
    expect(e).toBeInstanceOf(ConnectionResetError);
    expect(e).toBeInstanceOf(ConnectionError);
    expect(e).toBeInstanceOf(OSError);
    expect(e).toMatchObject({
      name: "ConnectionResetError",
      code: "ECONNRESET",
      errno: -104,
      syscall: "read",
    });
    expect(e).toMatchObject({ address: "127.0.0.1", port: 8080 });
    expect(e.cause).toBe(cause);
    const f = new FileNotFoundError("no such file", { code: "ENOENT", path: "/nope" }, { cause });
    expect([f.path, f.cause, f.name]).toEqual(["/nope", cause, "FileNotFoundError"]);
  });
});
