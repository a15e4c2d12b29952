/** Reading the hub's answers: Socket.IO acknowledgements (docs/protocol.md: `{ok: true, …}` or
 * `{ok: false, error}`), REST replies (docs/api.md: `{error: {code, message}}`), and the live
 * console's merge of opinion news by version. */
import { expect, test } from "vitest";
import { ApiError, readResponse } from "../src/common/api";
import { mergeOpinions } from "../src/opinions/merge";
import type { LiveOpinion } from "../src/live/protocol";
import { HubRequestError, Signaling } from "../src/live/signaling";

/** A Signaling whose socket acknowledges every emit with `answer` (or times out). */
function answering(answer: unknown, timedOut = false): Signaling {
  const sig = new Signaling({});
  const socket = {
    timeout: () => ({
      emit: (_e: string, _p: unknown, cb: (err: Error | null, res: unknown) => void) =>
        cb(timedOut ? new Error("timeout") : null, answer),
    }),
  };
  Object.defineProperty(sig, "socket", { value: socket });
  return sig;
}

test("an ok acknowledgement is the result", async () => {
  await expect(answering({ ok: true, hand: "waiting" }).request("raiseHand", {})).resolves.toEqual({ ok: true, hand: "waiting" });
});

test("a refusal rejects with the hub's error, naming the event", async () => {
  const err = await answering({ ok: false, error: { code: "forbidden", message: "不允许" } }).request("raiseHand", {}).catch((e) => e);
  expect(err).toBeInstanceOf(HubRequestError);
  expect(err.hubError).toEqual({ code: "forbidden", message: "不允许", event: "raiseHand" });
  expect(err.message).toBe("不允许");
});

test("a malformed acknowledgement is an internal error, a missing one a timeout", async () => {
  const bad = await answering({ hello: 1 }).request("raiseHand", {}).catch((e) => e);
  expect(bad.hubError.code).toBe("internal_error");
  const late = await answering(undefined, true).request("raiseHand", {}).catch((e) => e);
  expect(late.hubError).toMatchObject({ code: "timeout", event: "raiseHand" });
});

/** The error a REST read rejects with (fails the test when it resolves). */
async function refusal(reply: Promise<unknown>): Promise<ApiError> {
  try {
    await reply;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error("the reply was read as a success");
}

test("a REST reply: JSON, nothing for 204, the hub's error code, Retry-After", async () => {
  await expect(readResponse(new Response('{"a": 1}', { status: 200 }))).resolves.toEqual({ a: 1 });
  await expect(readResponse(new Response(null, { status: 204 }))).resolves.toBeUndefined();
  const err = await refusal(
    readResponse(new Response('{"error": {"code": "too_many_attempts", "message": "稍后再试"}}', { status: 429, headers: { "Retry-After": "30" } })),
  );
  expect(err).toBeInstanceOf(ApiError);
  expect([err.status, err.code, err.message, err.retryAfter]).toEqual([429, "too_many_attempts", "稍后再试", 30]);
  const plain = await refusal(readResponse(new Response("<html>bad gateway</html>", { status: 502 })));
  expect([plain.code, plain.message, plain.retryAfter]).toEqual(["http_502", "服务器错误（502）", null]);
});

function opinion(id: number, version: number, capturedAt: string): LiveOpinion {
  return { id, version, capturedAt, summary: `#${id} v${version}` } as LiveOpinion;
}

test("opinion news merges by id, the higher version wins, newest first", () => {
  const list = [opinion(1, 2, "2026-03-01T09:00:00Z"), opinion(2, 1, "2026-03-01T09:05:00Z")];
  const merged = mergeOpinions(list, [opinion(1, 1, "2026-03-01T09:00:00Z"), opinion(2, 3, "2026-03-01T09:05:00Z"), opinion(3, 1, "2026-03-01T09:10:00Z")]);
  expect(merged.map((o) => o.summary)).toEqual(["#3 v1", "#2 v3", "#1 v2"]);
});
