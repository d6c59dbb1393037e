// The upload's pure parts: the parts it sends, the offsets it accepts from the server, what a
// failure means (try again later, or refused for good), and the queue's backoff.
import { describe, expect, test } from "vitest";

import { ApiFailure, Offline } from "../../src/auth/api";
import { afterAttempt, backoff } from "../../src/photos/queue";
import type { Queued } from "../../src/photos/store";
import { contentRange, offsetOf, outcome, PART_BYTES } from "../../src/photos/upload";

describe("parts", () => {
  test("512 KiB parts, END inclusive, the last one short", () => {
    expect(PART_BYTES).toBe(524_288);
    expect(contentRange(0, 1_200_000)).toBe("bytes 0-524287/1200000");
    expect(contentRange(524_288, 1_200_000)).toBe("bytes 524288-1048575/1200000");
    expect(contentRange(1_048_576, 1_200_000)).toBe("bytes 1048576-1199999/1200000");
    expect(contentRange(0, 10)).toBe("bytes 0-9/10");
  });

  test("an Upload-Offset is taken only when it is a whole number within the photo", () => {
    const at = (value: string | null) => offsetOf(new Response(null, { headers: value === null ? {} : { "upload-offset": value } }), 1000);
    expect(at("0")).toBe(0);
    expect(at("524")).toBe(524);
    expect(at("1000")).toBe(1000);
    expect(at("1001")).toBeNull();
    expect(at("-1")).toBeNull();
    expect(at("1.5")).toBeNull();
    expect(at("abc")).toBeNull();
  });
});

describe("failures", () => {
  test("the photo refused for good: too large, not an image, wrong hash", () => {
    for (const [status, code] of [
      [413, "too_large"],
      [415, "not_an_image"],
      [400, "hash_mismatch"],
    ] as const) {
      expect(outcome(new ApiFailure(status, code, "refused"))).toEqual({ kind: "failed", error: { code, message: "refused" } });
    }
  });

  test("everything else is tried again: offline, busy, signed out, server errors, cut bodies", () => {
    expect(outcome(new Offline()).kind).toBe("retry");
    for (const [status, code] of [
      [429, "too_many_uploads"],
      [401, "session_ended"],
      [500, "internal"],
      [503, "http"],
      [400, "incomplete_body"],
      [409, "offset_mismatch"],
    ] as const) {
      expect(outcome(new ApiFailure(status, code, "x")).kind).toBe("retry");
    }
    expect(outcome(new TypeError("network")).kind).toBe("retry");
  });
});

describe("backoff", () => {
  test("doubles from 2 s to at most 5 minutes, with the second half random", () => {
    expect(backoff(0, () => 0)).toBe(1_000);
    expect(backoff(0, () => 1)).toBe(2_000);
    expect(backoff(3, () => 0)).toBe(8_000);
    expect(backoff(3, () => 1)).toBe(16_000);
    expect(backoff(30, () => 1)).toBe(300_000);
    expect(backoff(1000, () => 0)).toBe(150_000);
  });

  const entry: Queued = {
    sha256: "a".repeat(64),
    mime: "image/jpeg",
    size: 10,
    state: "sending",
    sent: 5,
    attempts: 2,
    nextAt: 0,
    error: null,
    addedAt: 0,
  };

  test("after an attempt: gone when done, waiting with a later time when to retry, failed when refused", () => {
    expect(afterAttempt(entry, { kind: "done" }, 100)).toBeNull();
    const retry = afterAttempt(entry, { kind: "retry", error: { code: "offline", message: "" } }, 100, () => 0);
    expect(retry).toMatchObject({ state: "waiting", attempts: 3, nextAt: 100 + 4_000, sent: 5 });
    const failed = afterAttempt(entry, { kind: "failed", error: { code: "too_large", message: "big" } }, 100);
    expect(failed).toMatchObject({ state: "failed", attempts: 2, error: { code: "too_large" } });
  });
});
