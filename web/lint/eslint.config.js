// ESLint for web/src (run from web/: `npm run lint`). It lives in web/lint/ with its own
// node_modules because typescript-eslint parses with the TypeScript 5 compiler API, which the
// TypeScript 7 compiler of the build no longer ships.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "lint/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["src/**/*.ts", "test/**/*.ts"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module" },
    rules: {
      // tsc (noUnusedLocals, noUnusedParameters) reports unused names already.
      "@typescript-eslint/no-unused-vars": "off",
      // Where the DOM's or WebRTC's typings fall short, cast to a named shape, never to `any`.
      "@typescript-eslint/no-explicit-any": "error",
      eqeqeq: ["error", "smart"],
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
);
