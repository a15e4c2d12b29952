"""The route table: every endpoint of the REST API, declared once.

aiohttp's router (:func:`api.app.create_api`) and the OpenAPI description
(:mod:`api.openapi`) are both built from :data:`OPERATIONS`.  Paths are
relative to the mount point (``/api``).
"""

from __future__ import annotations

import json
from functools import lru_cache

from aiohttp import web

from core.errors import (
    ControlRefused,
    Forbidden,
    InvalidPayload,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    NotFound,
    OccurrenceNotFound,
    PayloadTooLarge,
    RecurrenceInvalid,
    ScheduleConflict,
    ScheduleInvalid,
    SessionClosed,
    SessionNotFound,
    StaleVersion,
    StationNotFound,
    TransitionRefused,
    UsernameTaken,
)

from api import auth, calendar, directory, invitations, joininfo, live, openapi, recordings, roster, schemas as s, sessions, setup
from api.framework import Call, Operation

_SCHEDULING = (Forbidden, StationNotFound, ScheduleInvalid, RecurrenceInvalid, ScheduleConflict)
_VERSIONED = (SessionNotFound, Forbidden, TransitionRefused, StaleVersion)

@lru_cache(maxsize=4)
def _spec_text(server_url: str) -> str:
    return json.dumps(openapi.build_spec(OPERATIONS, server_url), ensure_ascii=False, indent=1)


async def spec_handler(call: Call) -> web.Response:
    """``GET /openapi.json``: the description built from :data:`OPERATIONS` below."""
    return web.Response(text=_spec_text(call.services.mount_path), content_type="application/json")


OPERATIONS: tuple[Operation, ...] = (
    # --- auth
    Operation("POST", "/auth/login", auth.login, "Log in", "auth", auth="none", body=s.LoginIn,
              response=s.LoginOut, errors=(LoginFailed, LoginThrottled),
              description="Returns a bearer token and sets it as an HttpOnly cookie. "
              "Too many failures: 429 with Retry-After."),
    Operation("GET", "/setup", setup.setup_state, "First start: is the administrator still to be created", "auth",
              auth="none", response=setup.SetupState,
              description="`link` (the one-time link the hub prints at start) only to a browser on the hub's own machine."),
    Operation("POST", "/setup", setup.create_administrator, "First start: create the administrator with the one-time link",
              "auth", auth="none", body=setup.SetupIn, response=s.AccountOut, status=201,
              errors=(Forbidden, UsernameTaken),
              description="Works while no account exists; the token is the one of `/console#setup=…`."),
    Operation("POST", "/auth/logout", auth.logout, "Log out (revoke the token)", "auth", status=204),
    Operation("GET", "/auth/me", auth.me, "The logged-in account", "auth", response=s.AccountOut, join_token=True,
              description="With a join link's token: who it stands for (id 0)."),
    # --- stations
    Operation("GET", "/stations", directory.stations, "The station tree (for pickers)", "stations",
              response=s.StationTree, join_token=True),
    Operation("GET", "/stations/{code}/calendar-link", calendar.calendar_link,
              "The station's calendar subscription address", "calendar", path_model=s.StationPath,
              response=s.CalendarLink, errors=(StationNotFound, Forbidden),
              roles="the station's operator; dispatchers above it; administrators"),
    Operation("POST", "/stations/{code}/calendar-link", calendar.rotate_calendar_link,
              "Rotate the station's calendar key: a new subscription address", "calendar",
              path_model=s.StationPath, response=s.CalendarLink, errors=(StationNotFound, Forbidden),
              roles="the station's operator; dispatchers above it; administrators",
              description="The key travels in URLs (calendar programs, logs): a new one makes every address "
              "with the old key answer 403 (audited as station.calendar_key_rotate)."),
    Operation("GET", "/stations/{code}/calendar.ics", calendar.station_calendar,
              "The station's sessions as iCalendar (RFC 5545)", "calendar", auth="feed",
              path_model=s.StationPath, query=s.FeedQuery, content="text/calendar",
              errors=(StationNotFound, Forbidden)),
    # --- accounts
    Operation("GET", "/accounts", directory.list_accounts, "List accounts", "accounts",
              response=s.AccountList, errors=(Forbidden,), roles="administrator"),
    Operation("POST", "/accounts", directory.create_account, "Create an account", "accounts",
              body=s.AccountIn, response=s.AccountOut, status=201,
              errors=(Forbidden, StationNotFound, directory.UsernameTaken),
              roles="administrator"),
    Operation("POST", "/accounts/{id}/deactivate", directory.deactivate_account, "Deactivate an account",
              "accounts", path_model=s.IdPath, response=s.AccountOut, errors=(Forbidden, NotFound),
              roles="administrator"),
    Operation("POST", "/accounts/{id}/reactivate", directory.reactivate_account, "Reactivate an account",
              "accounts", path_model=s.IdPath, response=s.AccountOut, errors=(Forbidden, NotFound),
              roles="administrator", description="It logs in again with its password (audited as account.reactivate)."),
    Operation("POST", "/accounts/{id}/role", directory.change_role, "Change an account's role and scope",
              "accounts", path_model=s.IdPath, body=s.AccountRoleIn, response=s.AccountOut,
              errors=(Forbidden, NotFound, StationNotFound), roles="administrator",
              description="Not one's own, not a deputy's; live connections end (audited as account.role)."),
    Operation("POST", "/accounts/{id}/password", directory.reset_password, "Reset an account's password",
              "accounts", path_model=s.IdPath, body=s.PasswordResetIn, response=s.AccountOut,
              errors=(Forbidden, NotFound), roles="administrator",
              description="Sets a new password; the account's open logins end (audited as account.password_reset)."),
    # --- deputies
    Operation("GET", "/deputies", roster.list_deputies, "The deputy roster in scope, filtered", "deputies",
              query=s.DeputyQuery, response=s.DeputyList, errors=(Forbidden, StationNotFound),
              roles="administrator; dispatcher (its subtree)",
              description="Serving deputies by default (active=false: the deactivated; includeInactive or "
              "active omitted with includeInactive=true: both), by station and name; each with every level."),
    Operation("POST", "/deputies", directory.create_deputy, "Create a deputy", "deputies", body=s.DeputyIn,
              response=s.DeputyOut, status=201, errors=(Forbidden, StationNotFound, InvalidPayload, UsernameTaken),
              roles="administrator; dispatcher (its subtree)",
              description="level and/or levels (the primary level is the highest); phone unique on the roster "
              "(409 username_taken)."),
    Operation("PATCH", "/deputies/{id}", roster.update_deputy, "Edit a deputy (name, levels, group, station, phone)",
              "deputies", path_model=s.IdPath, body=s.DeputyPatch, response=s.DeputyOut,
              errors=(Forbidden, NotFound, StationNotFound, InvalidPayload, UsernameTaken),
              roles="administrator; dispatcher (the deputy's station and the new one in its subtree)",
              description="Fields left out stay; phone \"\" clears the number. Refused: nothing changes. The "
              "deputy's account follows (name, station; its user name when it was the old number). Audited "
              "as deputy.update."),
    Operation("POST", "/deputies/{id}/reactivate", roster.reactivate_deputy, "Reactivate a deputy", "deputies",
              path_model=s.IdPath, response=s.DeputyOut, errors=(Forbidden, NotFound),
              roles="administrator; dispatcher (its subtree)", description="Audited as deputy.reactivate."),
    Operation("GET", "/deputies/groups", roster.deputy_groups, "The deputy groups (代表小组) in use in scope",
              "deputies", response=roster.GroupList, errors=(Forbidden,),
              roles="administrator; dispatcher (its subtree)"),
    Operation("GET", "/deputies.xlsx", roster.export_roster, "The filtered roster (Excel)", "deputies",
              query=s.DeputyQuery, content=roster.XLSX, errors=(Forbidden, StationNotFound),
              roles="administrator; dispatcher (its subtree)",
              description="GET /deputies's filters; columns 姓名, 手机号码, 代表层级, 所属联络站, 代表小组, 状态 "
              "(string cells, the header frozen). It imports back as it is (状态 is not imported)."),
    Operation("GET", "/deputies/template.xlsx", roster.roster_template, "The roster import template (Excel)",
              "deputies", content=roster.XLSX, roles="administrator; dispatcher",
              description="The header row in Chinese, an example row, and a sheet naming the stations and levels."),
    Operation("POST", "/deputies/import", roster.import_roster, "Import the roster from Excel (dry run, then confirm)",
              "deputies", query=roster.ImportQuery, response=roster.ImportReport,
              errors=(Forbidden, InvalidPayload, PayloadTooLarge, UsernameTaken),
              roles="administrator; dispatcher (rows of its subtree)",
              description="Body: the .xlsx (at most 5 MiB, 5,000 rows). The first sheet; its header row 姓名, "
              "手机号码, 代表层级 (names joined by 、), 所属联络站 (name or code), 代表小组. Without confirm: a dry "
              "run that writes nothing and names every bad row (its number in the sheet) with each reason in "
              "zh-CN and en, and counts the good rows. confirm=good_rows: the good rows are written in one "
              "transaction, the bad rows skipped; audited (deputy.import with the counts and fileName). A row "
              "whose phone number is on the roster updates that deputy; a row without a number updates the one "
              "deputy of that name at that station without a number; the rest are created."),
    Operation("POST", "/deputies/{id}/deactivate", directory.deactivate_deputy, "Deactivate a deputy",
              "deputies", path_model=s.IdPath, response=s.DeputyOut, errors=(Forbidden, NotFound),
              roles="administrator; dispatcher (its subtree)"),
    # --- recordings (issue 12)
    Operation("GET", "/recordings", recordings.list_recordings, "Recordings of live sessions, newest first",
              "recordings", query=recordings.RecordingQuery, response=recordings.RecordingList,
              description="Each caller sees the recordings of the sessions it may see."),
    Operation("GET", "/recordings/{id}", recordings.get_recording, "A recording with its timeline", "recordings",
              path_model=recordings.RecordingPath, response=recordings.TimelineOut, errors=(NotFound,)),
    Operation("GET", "/recordings/{id}/timeline.json", recordings.timeline_download,
              "Download a recording's timeline (JSON)", "recordings", path_model=recordings.RecordingPath,
              content="application/json", errors=(NotFound,)),
    Operation("GET", "/recordings/{id}/export", recordings.export_status, "The MP4 export job's state",
              "recordings", path_model=recordings.RecordingPath, response=recordings.ExportOut, errors=(NotFound,)),
    Operation("POST", "/recordings/{id}/export", recordings.start_export,
              "Start composing the recording's stage into one MP4 (a background job)", "recordings",
              path_model=recordings.RecordingPath, response=recordings.ExportOut, errors=(NotFound,),
              description="Runs in its own process at a lower priority, after the session; poll GET for "
              "the progress. Started again while it runs, it changes nothing."),
    Operation("GET", "/recordings/{id}/export.mp4", recordings.export_file, "Download the exported MP4",
              "recordings", path_model=recordings.RecordingPath, content="video/mp4", errors=(NotFound,)),
    Operation("GET", "/recordings/{id}/files/{name}", recordings.media_file,
              "One participant's recorded media (WebM or Matroska; HTTP ranges)", "recordings",
              path_model=recordings.RecordingFilePath, query=recordings.MediaQuery, content="video/webm",
              errors=(NotFound,)),
    # --- sessions
    Operation("GET", "/sessions", sessions.list_sessions, "Sessions with an occurrence in a window",
              "sessions", query=s.SessionListQuery, response=s.SessionList, errors=(StationNotFound,),
              description="Each caller sees what its scope allows."),
    Operation("POST", "/sessions", sessions.create_session, "Schedule a linked session", "sessions",
              body=s.SessionIn, response=s.SessionOut, status=201, errors=_SCHEDULING,
              roles="administrator; dispatcher (every station in its subtree)"),
    Operation("POST", "/sessions/check", sessions.check_session, "Dry run: validate and list conflicts",
              "sessions", body=s.SessionCheckIn, response=s.CheckOut, errors=_SCHEDULING,
              description="Validates like create/update (errors alike) and returns every conflict; "
              "saves nothing."),
    Operation("GET", "/sessions/{id}", sessions.get_session, "A session", "sessions", path_model=s.IdPath,
              response=s.SessionOut, errors=(SessionNotFound, Forbidden)),
    Operation("PUT", "/sessions/{id}", sessions.update_session, "Edit a session", "sessions",
              path_model=s.IdPath, body=s.SessionUpdateIn, response=s.SessionOut,
              errors=_SCHEDULING + _VERSIONED, description="A stale version is refused with 409 stale_version."),
    Operation("POST", "/sessions/{id}/cancel", sessions.cancel_session, "Cancel a whole session", "sessions",
              path_model=s.IdPath, body=s.VersionIn, response=s.SessionOut, errors=_VERSIONED),
    Operation("GET", "/sessions/{id}/occurrences", sessions.occurrences, "Occurrences in a window, with state",
              "sessions", path_model=s.IdPath, query=s.WindowQuery, response=s.OccurrenceList,
              errors=(SessionNotFound, Forbidden)),
    Operation("POST", "/sessions/{id}/occurrences/cancel", sessions.cancel_occurrence,
              "Cancel one occurrence of a series", "sessions", path_model=s.IdPath, body=s.OccurrenceIn,
              response=s.SessionOut, errors=_VERSIONED + (OccurrenceNotFound,)),
    Operation("POST", "/sessions/{id}/occurrences/move", sessions.move_occurrence,
              "Move one occurrence of a series", "sessions", path_model=s.IdPath, body=s.MoveIn,
              response=s.SessionOut, errors=_VERSIONED + (OccurrenceNotFound, ScheduleConflict, ScheduleInvalid)),
    Operation("POST", "/sessions/{id}/occurrences/end", sessions.end_occurrence,
              "End a live occurrence early", "sessions", path_model=s.IdPath, body=s.OccurrenceIn,
              response=s.SessionOut, errors=_VERSIONED + (OccurrenceNotFound,)),
    Operation("GET", "/sessions/{id}/join-link", sessions.join_link, "A station join link (lobby or live)",
              "sessions", path_model=s.IdPath, query=s.JoinLinkQuery, response=s.JoinLink,
              errors=(SessionNotFound, Forbidden, SessionClosed),
              roles="operator of a participating station; dispatcher in scope; administrator"),
    # --- the live console (dispatchers)
    Operation("GET", "/sessions/{id}/live", live.live_state, "The live control state and participants",
              "live", path_model=s.IdPath, response=live.LiveState, errors=(SessionNotFound, Forbidden),
              roles="administrators; dispatchers whose scope holds the session"),
    Operation("POST", "/sessions/{id}/live/control", live.live_control,
              "A control action: roll call, broadcast, polling, layout, mute, hands, remove, lock", "live",
              path_model=s.IdPath, body=live.LiveControlIn, response=live.LiveControlOut,
              errors=(SessionNotFound, Forbidden, SessionClosed, ControlRefused, InvalidPayload),
              roles="administrators; dispatchers whose scope holds the session",
              description="The same actions as the socket event `control` (docs/protocol.md); "
              "enforced at the relay, shown to every station, written to the audit log."),
    Operation("POST", "/sessions/{id}/extend", live.extend, "延长会议: the live occurrence ends later", "live",
              path_model=s.IdPath, body=live.ExtendIn, response=s.SessionOut, join_token=True,
              errors=(SessionNotFound, Forbidden, TransitionRefused, ScheduleConflict, StaleVersion),
              roles="administrators; dispatchers whose scope holds the session; the dispatcher's console join token",
              description="The occurrence in its lobby or live now ends `minutes` later (a one-off session's end, "
              "one occurrence of a series), checked for conflicts like any edit (409 schedule_conflict names the "
              "other session). 409 transition_refused when nothing is open now or for a standing session. "
              "Audited as session.extend; the scheduler ends the meeting at the new end."),
    Operation("GET", "/sessions/{id}/console-link", live.console_link,
              "A join link for the dispatcher's console (lobby or live)", "live", path_model=s.IdPath,
              response=s.JoinLink, errors=(SessionNotFound, Forbidden, SessionClosed),
              roles="administrators; dispatchers whose scope holds the session"),
    Operation("GET", "/sessions/{id}/calendar.ics", calendar.session_calendar, "One session as iCalendar",
              "calendar", auth="feed", path_model=s.IdPath, query=s.SessionFeedQuery, content="text/calendar",
              errors=(SessionNotFound, Forbidden, LoginRequired),
              description="With ?station=&key= (a station's feed key) or a login."),
    Operation("GET", "/join-info", joininfo.join_info, "What a join page shows before joining", "live",
              auth="none", response=joininfo.JoinInfo, errors=(LoginRequired, SessionNotFound),
              roles="a join link's token (Authorization: Bearer), also when the meeting ended or was cancelled",
              description="The meeting (title, state, the start and end of its current or next occurrence and "
              "when its lobby opens, in Asia/Shanghai), who the token joins as (station, deputy or dispatcher) "
              "and the convening unit (the chair station). The join page shows it before joining and waits "
              "(等候室) while the state is scheduled, joining by itself once it is lobby or live."),
    Operation("GET", "/net-probe", joininfo.net_probe, "Network check: a download of a given size", "live",
              query=joininfo.ProbeQuery, content="application/octet-stream", join_token=True,
              errors=(LoginRequired,), roles="any login; a live page's join token",
              description="`bytes` (0 to 2 MiB) incompressible bytes, never cached: the join page's device check "
              "times a few empty calls (round trip) and one download of 256 KiB (bandwidth)."),
    Operation("GET", "/me/sessions", sessions.my_sessions, "Upcoming sessions of my station", "sessions",
              query=s.MySessionsQuery, response=s.SessionList),
    # --- invitations
    Operation("GET", "/sessions/{id}/invitations", invitations.list_invitations, "A session's invitations",
              "invitations", path_model=s.IdPath, response=s.InvitationList, errors=(SessionNotFound, Forbidden)),
    Operation("POST", "/sessions/{id}/invitations", invitations.create_invitation, "Invite a deputy",
              "invitations", path_model=s.IdPath, body=s.InvitationIn, response=s.InvitationLink, status=201,
              errors=(SessionNotFound, NotFound, Forbidden, TransitionRefused),
              roles="administrator; dispatcher (session and deputy in its subtree)"),
    Operation("GET", "/sessions/{id}/invitations/{invitationId}/link", invitations.invitation_link,
              "An invitation's join link, signed afresh", "invitations", path_model=s.InvitationPath,
              response=s.InvitationLink, errors=(NotFound, Forbidden, invitations.InvitationInactive)),
    Operation("GET", "/sessions/{id}/invitations/{invitationId}/qr.png", invitations.invitation_qr_png,
              "The join link as a QR code (PNG)", "invitations", path_model=s.InvitationPath,
              content="image/png", errors=(NotFound, Forbidden, invitations.InvitationInactive)),
    Operation("GET", "/sessions/{id}/invitations/{invitationId}/qr.svg", invitations.invitation_qr_svg,
              "The join link as a QR code (SVG)", "invitations", path_model=s.InvitationPath,
              content="image/svg+xml", errors=(NotFound, Forbidden, invitations.InvitationInactive)),
    Operation("DELETE", "/sessions/{id}/invitations/{invitationId}", invitations.revoke_invitation,
              "Revoke an invitation", "invitations", path_model=s.InvitationPath, response=s.InvitationOut,
              errors=(NotFound, Forbidden)),
    # --- audit
    Operation("GET", "/audit", directory.audit, "The audit log, newest first", "audit", query=s.AuditQuery,
              response=s.AuditList, errors=(Forbidden,), roles="administrator (all); dispatcher (its subtree)"),
    # --- this description
    Operation("GET", "/openapi.json", spec_handler, "This API as OpenAPI 3.1", "meta", auth="none",
              content="application/json"),
    Operation("GET", "/docs", openapi.docs_handler, "This API for people (HTML)", "meta", auth="none",
              content="text/html"),
)


# --- opinions 民情 and duty records 履职 (appended) ----------------------------------------------

from core.errors import DutyReviewRefused, IdempotencyConflict, OpinionTransitionRefused, PayloadTooLarge  # noqa: E402

from api import duty as duty_api, opinion_export, opinion_towns, opinions as opinions_api  # noqa: E402

_SCOPE = (Forbidden, StationNotFound)
_PREVIOUS = ("The previous period (previousFrom, previousTo): a period of whole calendar months in Asia/Shanghai "
             "(a month, a quarter, a year) is compared with as many calendar months just before it (March with "
             "February); any other period with the same length of time just before it.")

OPERATIONS += (
    Operation("GET", "/opinion-options", opinions_api.options, "Categories, request types and departments",
              "opinions", response=s.OpinionOptions, join_token=True),
    Operation("POST", "/opinions", opinions_api.create_opinion, "Capture an opinion (idempotent by clientKey)",
              "opinions", body=s.OpinionIn, response=s.OpinionDetail, status=201,
              errors=_SCOPE + (NotFound, SessionNotFound, IdempotencyConflict),
              description="Stored durably before the reply. A retry with the same clientKey returns the stored "
              "opinion (200, replayed: true) — never a copy; the same key with other content is 409 "
              "idempotency_conflict.",
              roles="administrator; dispatcher (its subtree); operator (its station); deputy (its own); "
              "a live page's join token as that station, deputy or dispatcher", join_token=True),
    Operation("GET", "/opinions", opinions_api.list_opinions, "Search the 民情数据库", "opinions",
              query=s.OpinionQuery, response=s.OpinionList, errors=_SCOPE,
              description="Newest first; filters combine. Each caller sees its scope."),
    Operation("GET", "/opinions.xlsx", opinion_export.export_opinions, "The filtered 民情 list (Excel)", "opinions",
              query=opinion_export.OpinionExportQuery, content=opinions_api.XLSX, errors=_SCOPE,
              description="GET /opinions's filters, every row (at most 10,000), in the 民情 pages' words."),
    Operation("GET", "/sessions/{id}/opinions", opinions_api.session_opinions,
              "The opinions of the session's sitting so far (the live console's 本场民情)", "opinions",
              path_model=s.IdPath, response=s.SessionOpinionsOut, errors=(SessionNotFound, Forbidden),
              description="What a dispatcher's live console shows when it joins or rejoins, before the socket "
              "events opinionCaptured/opinionUpdated take over: the opinions taken in session {id} (its number) "
              "since the start of the occurrence running now, less an hour for its lobby (or, when none runs, "
              "since midnight Asia/Shanghai), newest first, at most 500, each as the socket events' opinion "
              "object. Each caller sees its scope.",
              roles="any login (filtered by its scope); a dispatcher's console join token for this very "
              "session (an account that may control it); station and deputy join tokens are refused",
              join_token=True),
    Operation("GET", "/opinion-events", opinions_api.opinion_events, "Live news of opinions (Server-Sent Events)",
              "opinions", content="text/event-stream", errors=(LoginRequired,),
              description="A text/event-stream for the console's 民情 pages: `ready` on every (re)connection "
              "(reload your list), then `opinion` {kind: captured|updated, action, opinion: summary} for each "
              "committed capture or handling step the caller may see, a heartbeat comment every 20 s, and `end` "
              "when the login is no longer valid. Needs a login (the cookie serves EventSource)."),
    Operation("GET", "/opinions/{id}", opinions_api.get_opinion, "An opinion with its whole timeline",
              "opinions", path_model=s.IdPath, response=s.OpinionDetail, errors=(NotFound,),
              description="With deputyName, the raising deputy's name, when a deputy raised it."),
    Operation("POST", "/opinions/{id}/actions", opinions_api.act, "Take a handling step", "opinions",
              path_model=s.IdPath, body=s.OpinionActionIn, response=s.OpinionDetail,
              errors=(NotFound, Forbidden, OpinionTransitionRefused, StaleVersion),
              description="accept, reject, assign (@-notifies the department), return, start, extend, answer, "
              "feed_back, rate (不满意 reopens), close, flag, unflag. An illegal step is 409 "
              "opinion_transition_refused with the reason."),
    Operation("PUT", "/opinions/{id}/photos/{position}", opinions_api.put_photo, "Upload a photo (raw bytes)",
              "opinions", path_model=s.PhotoPath, response=s.OpinionPhotoOut,
              errors=(NotFound, PayloadTooLarge),
              description="Body: the image (image/jpeg, image/png or image/webp, at most 2 MiB). The same "
              "position again replaces it; the same bytes change nothing.", join_token=True),
    Operation("GET", "/opinions/{id}/photos/{position}", opinions_api.get_photo, "A photo", "opinions",
              path_model=s.PhotoPath, content="image/jpeg", errors=(NotFound,)),
    Operation("GET", "/notices", opinions_api.list_notices, "Department @-notices", "opinions",
              query=s.NoticeQuery, response=s.NoticeList, errors=(Forbidden,), roles="administrator; dispatcher"),
    Operation("POST", "/notices/{id}/read", opinions_api.read_notice, "Mark a notice read", "opinions",
              path_model=s.IdPath, response=s.NoticeOut, errors=(Forbidden, NotFound)),
    Operation("GET", "/reports/opinion-stats", opinions_api.stats, "Opinion statistics of a period and scope",
              "reports", query=s.PeriodQuery, response=s.StatsOut, errors=_SCOPE),
    Operation("GET", "/reports/opinion-towns", opinion_towns.town_stats,
              "Opinion statistics of a period, town by town", "reports", query=s.PeriodQuery,
              response=opinion_towns.TownStatsList, errors=_SCOPE,
              description="One row per town or sub-district station within the scope, with its liaison rooms."),
    Operation("GET", "/reports/opinion-ranking", opinions_api.ranking,
              "Categories by volume, with the previous period", "reports", query=s.PeriodQuery,
              response=s.RankingOut, errors=_SCOPE, description=_PREVIOUS),
    Operation("GET", "/reports/hot-topics.xlsx", opinions_api.hot_topics_xlsx, "民情热点专报 (Excel)", "reports",
              query=s.PeriodQuery, content=opinions_api.XLSX, errors=_SCOPE, description=_PREVIOUS),
    # --- duty records
    Operation("GET", "/duty/records", duty_api.list_records, "Duty records", "duty", query=s.DutyQuery,
              response=s.DutyList, errors=_SCOPE),
    Operation("GET", "/duty/kinds", duty_api.kinds, "The scoring kinds (configs/scoring.yaml)", "duty",
              response=s.DutyKindList,
              description="Every kind with its name, default points and whether staff enter it (manual: the kinds "
              "POST /duty/records accepts) or the hub records it (session_joined, opinion_raised, "
              "opinion_resolved). For the manual record form."),
    Operation("POST", "/duty/records", duty_api.add_manual, "Add a manual duty record (pending review)", "duty",
              body=s.DutyManualIn, response=s.DutyRecordOut, status=201, errors=_SCOPE + (NotFound,),
              roles="administrator; dispatcher (its subtree)"),
    Operation("POST", "/duty/records/{id}/review", duty_api.review, "Approve or reject a duty record", "duty",
              path_model=s.IdPath, body=s.DutyReviewIn, response=s.DutyRecordOut,
              errors=(Forbidden, NotFound, DutyReviewRefused),
              roles="administrator; dispatcher (its subtree, never a record it entered itself)"),
    Operation("POST", "/duty/attendance", duty_api.attendance, "Enter a session's attendance by hand (pending review)",
              "duty", body=s.AttendanceIn, response=s.AttendanceOut,
              errors=(Forbidden, NotFound, SessionNotFound, OccurrenceNotFound),
              roles="administrator; dispatcher (controlling the session, over every deputy's station)",
              description="The live layer records the attendance it sees by itself. This is for a deputy it "
                          "missed: occurrenceStart names a real occurrence of the session (its start or original "
                          "start) that is over, each stay lies within it (from its lobby to its end). One record "
                          "per deputy present at least min_minutes, per session and China-time day (the live "
                          "layer's key: neither doubles the other), stored pending review; idempotent."),
    Operation("GET", "/duty/ledger", duty_api.ledger, "Duty ledger per deputy, group, town or the city", "duty",
              query=s.LedgerQuery, response=s.LedgerOut, errors=_SCOPE),
    Operation("GET", "/duty/ledger.xlsx", duty_api.ledger_xlsx, "Duty ledgers (Excel)", "duty",
              query=s.LedgerQuery, content=opinions_api.XLSX, errors=_SCOPE),
)


# --- the deputy's phone (issue 13; appended) ------------------------------------------------------

from api import deputy_home  # noqa: E402
from core.errors import UsernameTaken  # noqa: E402

OPERATIONS += (
    Operation("POST", "/deputy/setup", deputy_home.set_up, "Set up a deputy's account from its invitation link",
              "deputies", body=deputy_home.DeputySetupIn, response=deputy_home.DeputySetupOut, status=201,
              errors=(Forbidden, InvalidPayload, UsernameTaken, LoginRequired), join_token=True,
              roles="a deputy's invitation link (its join token), once",
              description="The mobile number becomes the user name (the roster's number when the roster has one: "
              "403 phone_not_on_roster otherwise); a second set-up is 403 deputy_account_exists. Logs the deputy "
              "in like POST /auth/login; afterwards it logs in with its phone number. With bindDevice instead of "
              "a password the phone is bound: the reply's deviceToken logs in (POST /auth/device)."),
    Operation("GET", "/me/deputy", deputy_home.my_home, "The logged-in deputy's home: points, open items",
              "deputies", response=deputy_home.DeputyHomeOut, errors=(Forbidden,), roles="deputy"),
    Operation("GET", "/me/sessions/{id}/deputy-link", deputy_home.my_join_link,
              "A join link for a session the deputy is invited to (lobby or live)", "sessions",
              path_model=s.IdPath, response=s.JoinLink, errors=(Forbidden, NotFound, SessionClosed),
              roles="deputy (an unrevoked, unexpired invitation)"),
)


# --- the departments' page (issue 13; appended) ---------------------------------------------------

from api import departments as departments_api  # noqa: E402

OPERATIONS += (
    Operation("GET", "/department/items", departments_api.my_items,
              "The opinions assigned to my department, overdue first", "opinions",
              query=departments_api.DepartmentItemsQuery, response=departments_api.DepartmentItems,
              errors=(Forbidden,), roles="department",
              description="Held now (assigned, in progress), or with done=true also those answered since. "
              "Sorted overdue first (most overdue first), then by deadline. The department's steps go through "
              "POST /opinions/{id}/actions: start (accept), return (退回, a note is the reason), extend (a later "
              "deadline, a note is the reason), answer (grade, answer); attachments through PUT "
              "/opinions/{id}/photos/{position}."),
)


# --- signed webhooks: the delivery log (issue 13; appended) --------------------------------------

from api import webhooks as webhooks_api  # noqa: E402

OPERATIONS += (
    Operation("GET", "/webhook-deliveries", webhooks_api.list_deliveries, "The webhook delivery log, newest first",
              "opinions", query=webhooks_api.DeliveryQuery, response=webhooks_api.DeliveryList,
              errors=(Forbidden,), roles="administrator",
              description="Every try to post a department notice to its webhook: when, where, the HTTP status or "
              "the error, how long it took, and the outcome (sent; pending, retried at nextAt with backoff: 30 s, "
              "1 min, 2 min … at most an hour; failed after 8 tries). Posts are signed: X-Hub-Timestamp, "
              "X-Hub-Signature-256 = sha256=hex(HMAC-SHA256(webhook_secret, timestamp + '.' + body))."),
)


# --- the residents' online liaison station, no login (issue 13; appended) -------------------------

from api import residents as residents_api  # noqa: E402
from core.errors import RateLimited  # noqa: E402

OPERATIONS += (
    Operation("GET", "/public/options", residents_api.public_options, "Stations and categories for the online station",
              "residents", auth="none", response=residents_api.PublicOptions),
    Operation("POST", "/public/opinions", residents_api.resident_submit, "A resident sends a matter (no login)", "residents",
              auth="none", body=residents_api.ResidentIn, response=residents_api.ResidentOut, status=201,
              errors=(InvalidPayload, StationNotFound, RateLimited),
              description="To a town/street station or a grassroots room; the same workflow as every opinion. "
              "At most 5 per address an hour and 3 per phone number a day (429 rate_limited). The reply's "
              "reference number and the last four digits of the phone look it up; its uploadKey adds photos."),
    Operation("PUT", "/public/opinions/{id}/photos/{position}", residents_api.resident_photo,
              "A photo of the matter just sent (header X-Upload-Key)", "residents", auth="none",
              path_model=s.PhotoPath, response=residents_api.PhotoDone, errors=(NotFound, InvalidPayload),
              description="Positions 0-2, within an hour of sending; an unknown or expired key is 404."),
    Operation("GET", "/public/progress", residents_api.resident_progress, "Look up a matter's progress", "residents",
              auth="none", query=residents_api.ProgressQuery, response=residents_api.ProgressOut,
              errors=(NotFound, RateLimited),
              description="By reference number and the last four digits of the phone: the status, the steps "
              "without names, the department's answer once answered, the name and number masked. Any mismatch is "
              "the same 404; at most 20 lookups per address in 15 minutes."),
)


# --- the notification centre (issue 13; appended) -----------------------------------------------

from api import notifications as notifications_api  # noqa: E402

OPERATIONS += (
    Operation("GET", "/me/notifications", notifications_api.my_notifications, "My reminders", "auth",
              response=notifications_api.NotificationList,
              description="Derived when asked, most pressing first: a department's overdue items, items due today "
              "or on the next working day, items waiting to be accepted; a dispatcher's returned and overdue items "
              "of its scope (the escalation); a deputy's answers waiting for its rating; a deputy's or operator's "
              "session starting within 15 minutes or whose lobby is open."),
)


# --- station reception duty 进站接待 and 签到 by QR code (issue 13; appended) ---------------------

from api import reception as reception_api  # noqa: E402

OPERATIONS += (
    Operation("GET", "/stations/{code}/reception", reception_api.reception_day,
              "A station's reception day: the roster, sign-ins, residents received", "reception",
              path_model=reception_api.ReceptionPath, query=reception_api.ReceptionQuery,
              response=reception_api.ReceptionDay, errors=(Forbidden, StationNotFound),
              roles="the station's operator; dispatchers above it; administrators",
              description="Each deputy on the day's roster (China time) or come without it (rostered false: 临时), "
                          "when it signed in, its reception duty record, and the opinions it raised that day at "
                          "this station (the residents it received)."),
    Operation("PUT", "/stations/{code}/reception", reception_api.set_roster, "Set a station's reception roster of a day",
              "reception", path_model=reception_api.ReceptionPath, body=reception_api.RosterIn,
              response=reception_api.ReceptionDay, errors=(Forbidden, StationNotFound, NotFound, InvalidPayload),
              roles="the station's operator (deputies of its town); dispatchers above it (also deputies of their "
                    "subtree); administrators",
              description="The roster becomes deputyIds. A deputy who signed in stays (its record is reviewed, "
                          "never withdrawn here); past days do not change (400 reception_day_past). Audited as "
                          "reception.roster."),
    Operation("GET", "/stations/{code}/reception-code", reception_api.reception_code,
              "The station's sign-in QR code of the day", "reception", path_model=reception_api.ReceptionPath,
              response=reception_api.SigninCode, errors=(Forbidden, StationNotFound),
              roles="the station's operator; dispatchers above it; administrators",
              description="An HMAC of the station and the China-time date with the hub's key: it changes at "
                          "midnight Asia/Shanghai and needs no row. The QR code carries "
                          "{base}/deputy#signin={code}."),
    Operation("GET", "/sessions/{id}/signin-code", reception_api.session_code,
              "A live session's sign-in QR code for one station's screen", "reception", path_model=s.IdPath,
              query=reception_api.SessionCodeQuery, response=reception_api.SigninCode,
              errors=(Forbidden, SessionNotFound, SessionClosed, StationNotFound), join_token=True,
              roles="the station's operator or its live page's join link; a dispatcher who sees the session; "
                    "administrators",
              description="An HMAC of the occurrence (session and start) and the station. Made while the occurrence "
                          "is in its lobby or live; it signs in while live and 5 minutes after the end."),
    Operation("POST", "/me/signin", reception_api.sign_in, "Sign in with a scanned code (reception or session)",
              "reception", body=reception_api.SignInIn, response=reception_api.SignInOut,
              errors=(Forbidden, InvalidPayload, SessionClosed, SessionNotFound), roles="deputy",
              description="A station's code of the day: one reception record per deputy, station and day (approved "
                          "when on the roster; a deputy not on it signs in only at a station of its own town, "
                          "marked 临时 and pending review). A session's code: the attendance record of the occurrence "
                          "with the live layer's key (one per deputy, session and day: never doubled), refused to a "
                          "deputy neither of the session's stations nor invited. Again: already true, nothing new."),
    Operation("GET", "/me/receptions", reception_api.my_receptions, "My reception days (from a week ago)",
              "reception", response=reception_api.MyReceptions, errors=(Forbidden,), roles="deputy"),
)


# --- departments' extension requests, approved by a dispatcher (issue 13; appended) --------------

from api import extensions as extensions_api  # noqa: E402

OPERATIONS += (
    Operation("POST", "/opinions/{id}/extension-requests", extensions_api.request_extension,
              "A department asks for more time (延期申请)", "opinions", path_model=s.IdPath,
              body=extensions_api.ExtensionIn, response=extensions_api.ExtensionOut, status=201,
              errors=(Forbidden, NotFound, InvalidPayload, OpinionTransitionRefused), roles="department (its own items)",
              description="For an item in progress: a later deadline and the reason. One pending request per item "
                          "(409 extension_pending). The deadline does not move until a dispatcher approves; a "
                          "department's own extend step is refused (409 extension_by_request)."),
    Operation("GET", "/extension-requests", extensions_api.list_requests, "Extension requests, newest first",
              "opinions", query=extensions_api.ExtensionQuery, response=extensions_api.ExtensionList,
              errors=(Forbidden,), roles="dispatcher (its subtree); administrator; department (its own)"),
    Operation("POST", "/extension-requests/{id}/decision", extensions_api.decide,
              "Approve or refuse an extension request", "opinions", path_model=s.IdPath,
              body=extensions_api.DecisionIn, response=extensions_api.ExtensionOut,
              errors=(Forbidden, NotFound, InvalidPayload, OpinionTransitionRefused),
              roles="dispatcher (the item's town or above); administrator",
              description="Approving moves the deadline by the approver's extend step (in the item's timeline, "
                          "with the department's reason), in one transaction with the decision; refusing needs a "
                          "reason and leaves the deadline. The department hears of it in its notifications."),
)


# --- deputies' phones bound instead of a password (issue 13; appended) ---------------------------

from api import devices as devices_api  # noqa: E402

OPERATIONS += (
    Operation("POST", "/auth/device", devices_api.device_login, "Log in with a bound phone's device token", "auth",
              auth="none", body=devices_api.DeviceLoginIn, response=s.LoginOut, errors=(LoginRequired,),
              description="As POST /auth/login (a bearer token, also the HttpOnly cookie). An unknown or revoked "
                          "device token is 401 device_not_bound."),
    Operation("POST", "/auth/device/forget", devices_api.device_forget, "A bound phone ends its own binding",
              "auth", auth="none", body=devices_api.DeviceLoginIn, status=204,
              description="With its logout: whoever holds the device token may end it. Unknown or ended: 204 all "
                          "the same."),
    Operation("GET", "/devices", devices_api.list_devices, "Bound phones", "auth", query=devices_api.DeviceQuery,
              response=devices_api.DeviceList, errors=(Forbidden,),
              roles="deputy (its own); administrator (all, or one account's)"),
    Operation("POST", "/devices", devices_api.bind_device, "Bind the phone in use (instead of a password)", "auth",
              body=devices_api.DeviceIn, response=devices_api.DeviceBound, status=201, errors=(Forbidden,),
              roles="deputy",
              description="The reply's token (shown once) is kept by the phone and logs in with POST /auth/device. "
                          "POST /deputy/setup with bindDevice does the same at set-up, without a password."),
    Operation("POST", "/devices/{id}/revoke", devices_api.revoke_device, "Revoke a bound phone", "auth",
              path_model=s.IdPath, response=devices_api.DeviceOut, errors=(Forbidden, NotFound),
              roles="deputy (its own); administrator",
              description="The device token stops working and the account's open logins end. Audited as "
                          "device.revoke."),
)
