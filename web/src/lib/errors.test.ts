import { describe, expect, it } from "vitest";
import { ErrorCode } from "../protocol.gen";
import { errorMessage, formatDateTime, quotaExceeded } from "./errors";
import { RpcError } from "./rpc";

const MSG = "your daily LLM token limit is reached: 120 of 100 tokens used today; it resets at 2026-12-07 00:00 UTC; an admin can raise the limit";
const AT = Date.UTC(2026, 11, 7);

describe("errorMessage", () => {
  it("adds when a reached quota resets, in the reader's language and time zone", () => {
    const e = new RpcError(ErrorCode.quota_exceeded, MSG, { limit: "tokens_per_day", scope: "user", used: 120, max: 100, resets_at: AT });
    expect(quotaExceeded(e)).toEqual({ limit: "tokens_per_day", scope: "user", used: 120, max: 100, resets_at: AT });
    expect(errorMessage(e, "en")).toBe(`${MSG} (Resets ${formatDateTime(AT, "en")}.)`);
    expect(errorMessage(e, "zh")).toBe(`${MSG} （将于 ${formatDateTime(AT, "zh")} 重置。）`);
  });

  it("shows just the message without a reset time, with missing or odd data, and for other errors", () => {
    const storage = new RpcError(ErrorCode.quota_exceeded, "your workspace storage limit is reached", {
      limit: "storage_bytes",
      scope: "user",
      used: 10,
      max: 5,
    });
    expect(errorMessage(storage, "en")).toBe("your workspace storage limit is reached");
    expect(errorMessage(new RpcError(ErrorCode.quota_exceeded, "over"), "en")).toBe("over");
    expect(quotaExceeded(new RpcError(ErrorCode.quota_exceeded, "over", "nonsense"))).toBeNull();
    expect(errorMessage(new RpcError(ErrorCode.quota_exceeded, "over", { resets_at: "soon" }), "en")).toBe("over");
    expect(errorMessage(new RpcError(ErrorCode.forbidden, "no", { resets_at: AT }), "en")).toBe("no");
    expect(errorMessage("plain", "en")).toBe("plain");
  });
});
