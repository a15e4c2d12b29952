/** How stations and participants are named on screen. */
import { getLang, t, tMaybe } from "../common/i18n";
import type { Participant } from "../live/protocol";

export function participantName(p: Participant): string {
  const st = p.station;
  if (getLang() === "en") return st?.nameEn || p.displayName || st?.name || p.identity;
  return st?.name || p.displayName || p.identity;
}

/** Two or three characters for the placeholder badge when there is no video. */
export function avatarText(p: Participant): string {
  if (getLang() === "en" && p.station?.nameEn) {
    const words = p.station.nameEn.split(/\s+/).filter((w) => /^[A-Za-z]/.test(w));
    return words.slice(0, 2).map((w) => w[0].toUpperCase()).join("") || "?";
  }
  let n = p.station?.name || p.displayName || "";
  n = n.replace(/(人大代表|代表)?联络(总站|分站|站|室|点)$/, "").replace(/(代表)$/, "");
  n = n.replace(/^(嘉兴市|嘉兴|海宁市|海宁)(?=.)/, (m) => (n.length > m.length ? "" : m));
  n = n.replace(/(镇|街道|市)$/, "");
  return Array.from(n).slice(0, 3).join("") || Array.from(p.displayName || "?")[0];
}

export function levelLabel(p: Participant): string {
  const lvl = p.station?.level;
  return lvl ? tMaybe(`level_${lvl}`, "") : "";
}

export function sessionTitle(s: { id: string; title: string; titleEn?: string } | null, fallbackId: string | null): string {
  if (s) return getLang() === "en" ? s.titleEn || s.title : s.title;
  return fallbackId ? t("sessionUnknown", { id: fallbackId }) : "";
}
