/** Shapes of the opinions and duty REST API (api/schemas.py), camelCase as on the wire. */
export type OpinionStatus =
  | "submitted" | "accepted" | "rejected" | "assigned" | "returned" | "in_progress"
  | "answered" | "fed_back" | "rated" | "reopened" | "closed";
export type OpinionLevel = "town" | "county" | "city";
export type OpinionAction =
  | "accept" | "reject" | "assign" | "return" | "start" | "extend" | "answer"
  | "feed_back" | "rate" | "close" | "flag" | "unflag";
export type Grade = "A" | "B" | "C" | "D";
export type Rating = "satisfied" | "basic" | "unsatisfied";
export type Flag = "suggestion" | "hot" | "supervision";

export interface CodeName { code: string; name: string; nameEn: string }
export interface Department {
  code: string; name: string; nameEn: string; level: OpinionLevel; station: string | null;
  liaisonName: string; liaisonContact: string; example: boolean;
}
export interface OpinionOptions {
  categories: CodeName[]; requestTypes: CodeName[]; departments: Department[]; handlingDays: Record<string, number>;
  /** The current or next year when the working-day calendar lacks its official holidays. */
  calendarMissingYears?: number[];
}

export interface OpinionIn {
  clientKey: string; station: string; category: string; requestType: string; summary: string; details: string;
  deputyId?: number | null; residentName?: string; residentContact?: string; sessionId?: number | null; capturedAt: string;
}

export interface Opinion {
  /** the reference number 民情编号, e.g. MQ2026-000017 */
  reference: string;
  id: number; clientKey: string; replayed: boolean; station: string; stationName: string; town: string | null;
  raisedBy: "deputy" | "resident"; deputyId: number | null; deputyName: string | null; residentName: string; residentContact: string;
  category: string; categoryName: string; requestType: string; requestTypeName: string; summary: string; details: string;
  sessionId: number | null; occurrenceStart: string | null; sessionOffset: number | null; capturedAt: string; receivedAt: string;
  status: OpinionStatus; level: OpinionLevel | null; department: string | null; deadline: string | null; overdue: boolean;
  overdueWorkingDays: number; extensions: number; returns: number; reopenings: number; grade: Grade | null;
  rating: Rating | null; resolved: boolean; flags: Flag[]; version: number; allowedActions: OpinionAction[];
}
/** The summary of an opinion (opinions/news.py LiveOpinionOut): the `opinion` of the socket events
 * `opinionCaptured` / `opinionUpdated`, of the console's event stream (GET /api/opinion-events) and the
 * items of GET /api/sessions/{id}/opinions. */
export interface LiveOpinion {
  id: number;
  /** the reference number 民情编号, e.g. MQ2026-000017 */
  reference: string;
  status: string;
  station: string;
  stationName: string;
  stationNameEn: string;
  raisedBy: "deputy" | "resident";
  raiserName: string;
  deputyId: number | null;
  category: string;
  categoryName: string;
  /** the category's English name (configs/categories.yaml `name_en`) */
  categoryNameEn: string;
  requestType: string;
  summary: string;
  /** the linked session's number (`session.number` of the join result) */
  sessionId: number | null;
  /** seconds into the session's occurrence when it was taken */
  sessionOffset: number | null;
  capturedAt: string;
  level: string | null;
  department: string | null;
  departmentName: string | null;
  departmentNameEn: string | null;
  /** grows with every handling step: of two copies of one opinion, the higher is newer */
  version: number;
}

/** An `opinion` event of the console's stream (GET /api/opinion-events, docs/api.md). */
export interface OpinionStreamEvent {
  kind: "captured" | "updated";
  /** the handling step: `submit` for a capture, `accept`, `assign`, … */
  action: string;
  opinion: LiveOpinion;
}
export interface OpinionEvent {
  seq: number; action: string; fromStatus: string | null; toStatus: string; actorId: number | null; actorName: string;
  actorRole: string; at: string; note: string; payload: Record<string, unknown> | null;
}
export interface Photo { position: number; contentType: string; size: number; url: string }
export interface Notice {
  id: number; opinionId: number; department: string; liaisonName: string; liaisonContact: string; message: string;
  createdAt: string; readAt: string | null; webhookStatus: string;
}
export interface OpinionDetail extends Opinion { timeline: OpinionEvent[]; photos: Photo[]; notices: Notice[] }
export interface OpinionList { items: Opinion[]; total: number }

export interface Deputy { id: number; name: string; level: string; station: string; group: string; active: boolean }

export interface Stats {
  scope: string | null; from: string; to: string; received: number; assigned: number; resolved: number;
  resolvedTown: number; answered: number; rated: number; satisfied: number; basic: number; unsatisfied: number;
  resolutionRate: number | null; townShare: number | null; avgHoursToAnswer: number | null; satisfaction: number | null;
}
export interface RankRow {
  rank: number; category: string; name: string; count: number; previous: number; previousRank: number | null;
  change: number; changeRate: number | null;
}
export interface Ranking { scope: string | null; from: string; to: string; previousFrom: string; previousTo: string; items: RankRow[] }

export interface DutyRecord {
  id: number; key: string; deputyId: number; personKind: "deputy" | "street_rep"; station: string; town: string | null;
  group: string; kind: string; kindName: string; occasion: string; occurredAt: string; points: number; minutes: number | null;
  manual: boolean; status: "pending" | "approved" | "rejected"; note: string; reviewReason: string;
  /** the account that entered it (null: the hub); a dispatcher does not approve its own */
  createdBy: number | null;
}
export interface LedgerRow {
  key: string; name: string; personKind: string; people: number; records: number; points: number; pending: number;
  byKind: Record<string, number>; counts: Record<string, number>;
}
export interface Ledger { by: string; personKind: string; scope: string | null; from: string; to: string; items: LedgerRow[] }

/** A scoring kind of configs/scoring.yaml (GET /api/duty/kinds). */
export interface DutyKind {
  kind: string; name: string; nameEn: string; points: number; manual: boolean; minMinutes: number;
}
