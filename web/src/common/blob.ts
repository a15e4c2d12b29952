/** A data: URL (a resized photo) as a Blob, without fetch(): the hub's
 * Content-Security-Policy (connect-src 'self') does not let a page fetch data: URLs. */
export function dataUrlBlob(url: string): Blob {
  const [head, b64] = url.split(",", 2);
  const type = /data:([^;]+)/.exec(head)?.[1] ?? "image/jpeg";
  const bin = atob(b64 ?? "");
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type });
}
