// The sizes photos are stored and thumbnailed at.
import { expect, test } from "vitest";

import { fitWithin, MAX_EDGE, THUMB_EDGE } from "../../src/photos/resize";

test("the long edge at most 2560 px, the aspect kept, never enlarged", () => {
  expect(MAX_EDGE).toBe(2560);
  expect(fitWithin({ width: 4032, height: 3024 }, MAX_EDGE)).toEqual({ width: 2560, height: 1920 });
  expect(fitWithin({ width: 3024, height: 4032 }, MAX_EDGE)).toEqual({ width: 1920, height: 2560 });
  expect(fitWithin({ width: 1600, height: 1200 }, MAX_EDGE)).toEqual({ width: 1600, height: 1200 });
  expect(fitWithin({ width: 2560, height: 10 }, MAX_EDGE)).toEqual({ width: 2560, height: 10 });
  expect(fitWithin({ width: 100_000, height: 10 }, THUMB_EDGE)).toEqual({ width: 320, height: 1 });
});
