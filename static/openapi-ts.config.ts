// The UI's API client (types and one function per operation) is generated from the
// server's OpenAPI schema by @hey-api/openapi-ts, as the FastAPI full-stack template does:
// `make api-types` writes src/api/openapi.json, then this. Its version is pinned exactly
// (0.95.0, the newest that runs on Node 20) because the generated code is committed and a
// test compares it with a fresh run: another version would write other code.
import { defineConfig } from "@hey-api/openapi-ts";

export default defineConfig({
  input: "src/api/openapi.json",
  output: { path: "src/api/gen" },
  plugins: [
    // a call answers {data, error, response}: src/api/client.ts turns a refusal into an
    // ApiError with the answer's status, detail and per-field issues
    "@hey-api/client-fetch",
    "@hey-api/typescript",
    "@hey-api/sdk",
  ],
});
