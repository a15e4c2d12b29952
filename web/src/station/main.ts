/**
 * Entry point of the station page. Served by the hub at /join/{sessionId};
 * the join token is in the fragment: /join/{sessionId}#token={token}.
 *
 * Query options: ?autojoin=1 (skip the pre-join screen with default devices),
 * ?camera=0 / ?mic=0 (start with the camera / microphone off), ?lang=en|zh-CN,
 * ?codec=h264 (offer H264 before VP8), ?ice=relay (use only the TURN server's candidates),
 * ?small=off (send the camera's big stream alone, no small one: to measure what it costs),
 * ?receive=auto|phone|audio|360|540|720 (what to receive, as the 画质 setting). The page talks only to the hub that served it (its own
 * origin): there is no parameter to point it at another server (docs/protocol.md).
 */
import "../common/styles.css";
import { HubClient } from "../live/client";
import { mountApp } from "./app";
import { SMALL_HEIGHT, iceOptions, smallStream, videoCodecPreference } from "../live/peer";
import { isQuality } from "../live/receive";
import { cameraProfile, isSendHeight } from "../live/media";

function readToken(): string | null {
  const hash = window.location.hash.replace(/^#/, "");
  const token = new URLSearchParams(hash).get("token");
  return token && token.trim() ? token.trim() : null;
}

function readSessionId(): string | null {
  const m = window.location.pathname.match(/\/join\/([^/?#]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

const query = new URLSearchParams(window.location.search);
const flag = (name: string) => {
  const v = query.get(name);
  return v !== null && v !== "0" && v !== "false" && v !== "no";
};
const off = (name: string) => ["0", "false", "off", "no"].includes(query.get(name) ?? "");

const client = new HubClient({
  token: readToken(),
  sessionId: readSessionId(),
});
if (query.get("codec")?.toLowerCase() === "h264") videoCodecPreference.order = ["video/H264", "video/VP8"];
if (query.get("ice")?.toLowerCase() === "relay") iceOptions.transportPolicy = "relay";
if (off("small")) smallStream.enabled = false;
const send = Number(query.get("send"));
if (isSendHeight(send)) cameraProfile.height = send;
if (cameraProfile.height <= SMALL_HEIGHT) smallStream.enabled = false; // already a small stream
const quality = query.get("receive");
if (quality && isQuality(quality)) client.receive.choose(quality, false);
if (off("camera")) client.media.cameraOn = false;
if (off("mic")) client.media.micOn = false;

declare global {
  interface Window {
    hubClient: HubClient;
  }
}
window.hubClient = client;

mountApp(document.getElementById("app")!, client, { autojoin: flag("autojoin") });
