/** The little of a browser that the modules under test touch when they load (the language
 * choice reads the query string and localStorage and sets <html lang>); vitest runs in Node. */
const storage = new Map<string, string>();
Object.assign(globalThis, {
  window: {
    location: { search: "", origin: "http://127.0.0.1:8080" },
    localStorage: {
      getItem: (k: string) => storage.get(k) ?? null,
      setItem: (k: string, v: string) => void storage.set(k, v),
    },
  },
  document: { documentElement: { lang: "" } },
});
