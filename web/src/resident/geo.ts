/** The nearest station by great-circle distance (haversine), for the residents' page's
 * "按位置选择": pure, no I/O (web/test/geo.test.ts). Computed in the browser: the
 * resident's position never leaves the phone. */

export interface Placed {
  lat?: number | null;
  lon?: number | null;
}

const EARTH_KM = 6371.0088; // mean Earth radius

/** Kilometres between two points given in degrees (WGS-84, on a sphere). */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** The item nearest to (lat, lon) with its distance, among those with coordinates; null
 * when none has any. Ties keep the first (the configured order). */
export function nearest<T extends Placed>(items: readonly T[], lat: number, lon: number): { item: T; km: number } | null {
  let best: { item: T; km: number } | null = null;
  for (const item of items) {
    if (item.lat == null || item.lon == null) continue;
    const km = haversineKm(lat, lon, item.lat, item.lon);
    if (!best || km < best.km) best = { item, km };
  }
  return best;
}

/** Whether the page may ask for the position: the browser offers geolocation and the page
 * runs in a secure context (https, or localhost), where browsers allow it. */
export function canLocate(win: { isSecureContext?: boolean; navigator?: { geolocation?: unknown } }): boolean {
  return !!win.isSecureContext && !!win.navigator?.geolocation;
}
