/**
 * The Socket.IO connection to the hub (docs/protocol.md): typed requests with
 * acknowledgement-as-result, typed server events, and reconnection bookkeeping.
 */
import { io, type Socket } from "socket.io-client";
import { t } from "../common/i18n";
import type {
  ClientEventName,
  ClientRequests,
  HubError,
  ServerToClientEvents,
} from "./protocol";

/** A request that the hub answered with `{ok: false, error}` (or that timed out). */
export class HubRequestError extends Error {
  readonly hubError: HubError;
  constructor(hubError: HubError) {
    super(hubError.message || hubError.code);
    this.name = "HubRequestError";
    this.hubError = hubError;
  }
}

export interface SignalingOptions {
  /** Acknowledgement timeout in milliseconds. */
  ackTimeoutMs?: number;
}

export interface SignalingLifecycle {
  connect: () => void;
  disconnect: (reason: string) => void;
  reconnectAttempt: (attempt: number) => void;
  connectError: (err: Error) => void;
}

type AnySocket = Socket<ServerToClientEvents, Record<string, (...args: unknown[]) => void>>;

export class Signaling {
  readonly socket: AnySocket;
  private readonly ackTimeoutMs: number;

  constructor(opts: SignalingOptions = {}) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 15000;
    // Always the page's own origin: the hub that served the page (its CSP's
    // connect-src allows nothing else).
    this.socket = io(window.location.origin, {
      path: "/socket.io/",
      transports: ["websocket", "polling"],
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 4000,
      randomizationFactor: 0.3,
      timeout: 8000,
    }) as AnySocket;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  connect(): void {
    if (!this.socket.connected) this.socket.connect();
  }

  /** Close for good (no reconnection). */
  close(): void {
    this.socket.disconnect();
  }

  /** Subscribe to a hub event; returns an unsubscribe function. */
  on<E extends keyof ServerToClientEvents>(event: E, handler: ServerToClientEvents[E]): () => void {
    // Socket.IO's typings for a generic event name are awkward; the map above keeps callers typed.
    const s = this.socket as unknown as {
      on(e: string, h: (...a: unknown[]) => void): void;
      off(e: string, h: (...a: unknown[]) => void): void;
    };
    const h = handler as unknown as (...a: unknown[]) => void;
    s.on(event, h);
    return () => s.off(event, h);
  }

  onLifecycle<E extends keyof SignalingLifecycle>(event: E, handler: SignalingLifecycle[E]): void {
    switch (event) {
      case "connect":
        this.socket.on("connect", handler as SignalingLifecycle["connect"]);
        break;
      case "disconnect":
        this.socket.on("disconnect", (reason) => (handler as SignalingLifecycle["disconnect"])(String(reason)));
        break;
      case "connectError":
        this.socket.on("connect_error", handler as SignalingLifecycle["connectError"]);
        break;
      case "reconnectAttempt":
        this.socket.io.on("reconnect_attempt", handler as SignalingLifecycle["reconnectAttempt"]);
        break;
    }
  }

  /**
   * Send a client event and resolve with its result. Rejects with HubRequestError
   * when the hub answers `{ok: false}` or when no acknowledgement arrives in time.
   */
  request<E extends ClientEventName>(
    event: E,
    payload: ClientRequests[E]["payload"],
    timeoutMs = this.ackTimeoutMs,
  ): Promise<ClientRequests[E]["result"]> {
    return new Promise((resolve, reject) => {
      const s = this.socket as unknown as {
        timeout(ms: number): { emit(e: string, p: unknown, cb: (err: Error | null, res: unknown) => void): void };
      };
      s.timeout(timeoutMs).emit(event, payload, (err, res) => {
        if (err) {
          reject(new HubRequestError({ code: "timeout", message: t("timeout"), event }));
          return;
        }
        const r = res as { ok?: boolean; error?: HubError } | undefined;
        if (r && r.ok === true) {
          resolve(r as unknown as ClientRequests[E]["result"]);
        } else {
          const e: HubError = r?.error ?? { code: "internal_error", message: t("errUnexpected"), event };
          reject(new HubRequestError({ ...e, event: e.event ?? event }));
        }
      });
    });
  }

  /** Fire and forget (the hub still reports failures with an `error` event). */
  send<E extends ClientEventName>(event: E, payload: ClientRequests[E]["payload"]): void {
    this.request(event, payload).catch(() => {
      /* reported through the `error` event / caller toasts */
    });
  }
}
