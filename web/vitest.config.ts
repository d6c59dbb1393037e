// Unit tests run in Node: the domain ports and the local index need no browser (IndexedDB is
// provided by fake-indexeddb in the tests that use it).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
