import { defineConfig } from "vitest/config";

// End-to-end tests: the real server and fake LLM, driven through Debian's Chromium.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
