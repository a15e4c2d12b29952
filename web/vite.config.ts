import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The hub serves web/dist/ under /static/ and answers GET /join/{sessionId} with
// web/dist/index.html, so every built asset is referenced as /static/assets/...
//
// `npm run dev` proxies the hub's Socket.IO endpoint to HUB_URL (default
// http://127.0.0.1:8000) so the page can be developed against a running hub:
// open http://localhost:5173/static/join/<sessionId>#token=... (any path works).
const hub = process.env.HUB_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/static/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    assetsInlineLimit: 8192,
    // Swagger UI (/api/docs) is one 1.5 MB bundle, loaded by that page alone.
    chunkSizeWarningLimit: 1600,
    // The station page (index.html, served at /join/{id}), the dispatcher /
    // operator console (console.html, at /console), the deputy's phone page
    // (deputy.html, at /deputy), the department's page (department.html, at
    // /department), the residents' online liaison station (resident.html, at
    // /liaison) and the API's documentation (api-docs.html, at /api/docs).
    rollupOptions: {
      input: {
        index: fileURLToPath(new URL("index.html", import.meta.url)),
        console: fileURLToPath(new URL("console.html", import.meta.url)),
        deputy: fileURLToPath(new URL("deputy.html", import.meta.url)),
        department: fileURLToPath(new URL("department.html", import.meta.url)),
        resident: fileURLToPath(new URL("resident.html", import.meta.url)),
        // The REST API's documentation (Swagger UI), served at /api/docs.
        "api-docs": fileURLToPath(new URL("api-docs.html", import.meta.url)),
      },
    },
  },
  server: {
    proxy: {
      "/socket.io": { target: hub, ws: true, changeOrigin: true },
      "/api": { target: hub, changeOrigin: true },
    },
  },
  appType: "spa",
});
