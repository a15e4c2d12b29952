/**
 * What the join page knows before joining: the meeting, who joins, the convening unit
 * (`GET /api/join-info` with the page's join token, docs/api.md), and the device check's
 * network test against the hub (`GET /api/net-probe`: a few empty calls for the round trip,
 * one download for the bandwidth). The verdict and the waiting room's timing are pure
 * functions (web/test/joininfo.test.ts).
 */
import { apiHeaders, readResponse } from "../common/api";
import type { SessionState } from "../common/types";

export interface JoinInfo {
  session: {
    id: string;
    number: number;
    title: string;
    titleEn: string;
    state: SessionState;
    standing: boolean;
    start: string | null;
    end: string | null;
    lobbyOpens: string | null;
  };
  joining: { kind: "station" | "deputy" | "dispatcher"; name: string; nameEn: string; station: string | null; admitted: boolean };
  unit: { code: string; name: string; nameEn: string } | null;
  now: string;
}

export async function fetchJoinInfo(token: string): Promise<JoinInfo> {
  const res = await fetch("/api/join-info", { headers: apiHeaders(token), cache: "no-store", credentials: "omit" });
  return readResponse<JoinInfo>(res);
}

/** May the page join now (the lobby is open or the meeting live)? */
export function canJoin(info: JoinInfo): boolean {
  return info.session.state === "lobby" || info.session.state === "live";
}

/** The meeting is over for good: ended or cancelled. */
export function isOver(info: JoinInfo): boolean {
  return info.session.state === "ended" || info.session.state === "cancelled";
}

/** How long the waiting room waits before asking again (ms): at the lobby's opening by the
 * hub's clock (`now`, not the device's), never sooner than 1 s nor later than `most`. */
export function nextCheckMs(info: JoinInfo, most = 10_000): number {
  if (!info.session.lobbyOpens) return most;
  const left = new Date(info.session.lobbyOpens).getTime() - new Date(info.now).getTime();
  return Math.min(most, Math.max(1000, left + 300));
}

export type NetVerdict = "good" | "fair" | "poor";

/** A plain verdict for a round trip (ms) and a download rate (Mbit/s): a station sends about
 * 1.5 Mbit/s and receives up to 4 (docs/deployment.md, bandwidth). */
export function netVerdict(rttMs: number, mbps: number): NetVerdict {
  if (rttMs <= 150 && mbps >= 4) return "good";
  if (rttMs <= 400 && mbps >= 1.5) return "fair";
  return "poor";
}

export interface NetResult {
  rttMs: number;
  mbps: number;
  verdict: NetVerdict;
}

/** Bytes of the bandwidth probe (256 KiB: about half a second at 4 Mbit/s). */
export const PROBE_BYTES = 256 * 1024;

/** Time the hub: the median of `pings` empty calls, then one download of `bytes`. */
export async function checkNetwork(token: string, pings = 4, bytes = PROBE_BYTES): Promise<NetResult> {
  const headers = apiHeaders(token);
  const once = async (size: number): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`/api/net-probe?bytes=${size}`, { headers, cache: "no-store", credentials: "omit" });
    if (!res.ok) throw new Error(`net-probe ${res.status}`);
    await res.arrayBuffer();
    return performance.now() - t0;
  };
  const rtts: number[] = [];
  for (let i = 0; i < pings; i++) rtts.push(await once(0));
  rtts.sort((a, b) => a - b);
  const rttMs = rtts[Math.floor(rtts.length / 2)];
  const took = await once(bytes);
  const seconds = Math.max(0.001, (took - rttMs) / 1000);
  const mbps = (bytes * 8) / seconds / 1e6;
  return { rttMs: Math.round(rttMs), mbps: Math.round(mbps * 10) / 10, verdict: netVerdict(rttMs, mbps) };
}
