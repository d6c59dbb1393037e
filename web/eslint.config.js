// Flat config: typescript-eslint's type-aware recommended rules plus the React hooks rules.
// `npm run lint` runs with --max-warnings 0.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist", "node_modules", "dev-dist"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "no-console": ["warn", { allow: ["warn", "error"] }],
      "@typescript-eslint/no-unused-vars": ["warn", { argsIgnorePattern: "^_" }],
      // The full Automerge entry points inline the wasm as base64 (megabytes of JS); the app
      // loads the wasm as a separate, cached file through the slim entries only.
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@automerge/automerge", message: "import @automerge/automerge/slim" },
            { name: "@automerge/automerge-repo", message: "import @automerge/automerge-repo/slim" },
          ],
        },
      ],
    },
  },
  {
    files: ["scripts/**/*.mjs", "*.config.{js,ts}"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ["src/generated/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
