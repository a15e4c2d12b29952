/** Shapes of the REST API (api/schemas.py), camelCase as on the wire. */
export type Role = "administrator" | "dispatcher" | "operator" | "deputy" | "department";
export type SessionState = "scheduled" | "lobby" | "live" | "ended" | "cancelled";
export type StationLevel = "general" | "branch" | "town" | "room";

export interface Account {
  id: number;
  username: string;
  displayName: string;
  role: Role;
  station: string | null;
  deputyId: number | null;
  active: boolean;
  /** a department account's department (configs/departments.yaml) */
  department?: string | null;
}

export interface StationNode {
  code: string;
  name: string;
  nameEn: string;
  level: StationLevel;
  kind: "street" | "town" | null;
  example: boolean;
  children: StationNode[];
}

export interface Occurrence {
  originalStart: string;
  start: string;
  end: string;
  moved: boolean;
  state: SessionState;
}

export interface Session {
  id: number;
  code: string | null;
  standing: boolean;
  title: string;
  titleEn: string;
  agenda: string;
  chair: string;
  stations: string[];
  start: string;
  end: string;
  timezone: string;
  rrule: string | null;
  /** recorded from its start (issue 12) */
  record?: boolean;
  status: SessionState;
  state: SessionState;
  version: number;
  nextOccurrence: Occurrence | null;
  /** May the caller open its live console (进入调度台)? */
  mayControl?: boolean;
}

export interface Conflict {
  sessionId: number;
  title: string;
  station: string;
  stationName: string;
  start: string;
  end: string;
  proposedStart: string;
  proposedEnd: string;
  message: string;
}

export interface CheckOut {
  ok: boolean;
  conflicts: Conflict[];
}

export interface SessionIn {
  title: string;
  agenda: string;
  chair: string;
  stations: string[];
  start: string;
  end: string;
  rrule: string | null;
  timezone: string;
  /** recorded from its start (issue 12) */
  record?: boolean;
}

export interface Deputy {
  id: number;
  name: string;
  level: string;
  /** every level, highest first (issue 13: a person may hold several) */
  levels?: string[];
  station: string;
  group: string;
  active: boolean;
}

export interface Invitation {
  id: number;
  sessionId: number;
  deputyId: number;
  deputyName: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  active: boolean;
}

export interface InvitationLink {
  invitation: Invitation;
  url: string;
  /** {base_url}/i/{invitation}-{check}: what the QR code carries (api/invite_links.py) */
  shortUrl: string;
  expiresAt: string;
  qrPng: string;
  qrSvg: string;
}

export interface JoinLink {
  url: string;
  expiresAt: string;
}

export interface CalendarLink {
  station: string;
  url: string;
  sessionUrlTemplate: string;
}

export interface Items<T> {
  items: T[];
}
