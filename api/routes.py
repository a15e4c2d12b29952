"""The route table: every endpoint of the REST API, declared once.

aiohttp's router (:func:`api.app.create_api`) and the OpenAPI description
(:mod:`api.openapi`) are both built from :data:`OPERATIONS`.  Paths are
relative to the mount point (``/api``).
"""

from __future__ import annotations

from hub.errors import (
    Forbidden,
    LoginFailed,
    LoginRequired,
    LoginThrottled,
    NotFound,
    OccurrenceNotFound,
    RecurrenceInvalid,
    ScheduleConflict,
    ScheduleInvalid,
    SessionClosed,
    SessionNotFound,
    StaleVersion,
    StationNotFound,
    TransitionRefused,
)

from api import auth, calendar, directory, invitations, openapi, schemas as s, sessions
from api.framework import Operation

_SCHEDULING = (Forbidden, StationNotFound, ScheduleInvalid, RecurrenceInvalid, ScheduleConflict)
_VERSIONED = (SessionNotFound, Forbidden, TransitionRefused, StaleVersion)

OPERATIONS: tuple[Operation, ...] = (
    # --- auth
    Operation("POST", "/auth/login", auth.login, "Log in", "auth", auth="none", body=s.LoginIn,
              response=s.LoginOut, errors=(LoginFailed, LoginThrottled),
              description="Returns a bearer token and sets it as an HttpOnly cookie. "
              "Too many failures: 429 with Retry-After."),
    Operation("POST", "/auth/logout", auth.logout, "Log out (revoke the token)", "auth", status=204),
    Operation("GET", "/auth/me", auth.me, "The logged-in account", "auth", response=s.AccountOut),
    # --- stations
    Operation("GET", "/stations", directory.stations, "The station tree (for pickers)", "stations",
              response=s.StationTree),
    Operation("GET", "/stations/{code}/calendar-link", calendar.calendar_link,
              "The station's calendar subscription address", "calendar", path_model=s.StationPath,
              response=s.CalendarLink, errors=(StationNotFound, Forbidden),
              roles="the station's operator; dispatchers above it; administrators"),
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
    # --- deputies
    Operation("GET", "/deputies", directory.list_deputies, "List deputies in scope", "deputies",
              query=s.DeputyQuery, response=s.DeputyList, errors=(Forbidden, StationNotFound),
              roles="administrator; dispatcher (its subtree)"),
    Operation("POST", "/deputies", directory.create_deputy, "Create a deputy", "deputies", body=s.DeputyIn,
              response=s.DeputyOut, status=201, errors=(Forbidden, StationNotFound),
              roles="administrator; dispatcher (its subtree)"),
    Operation("POST", "/deputies/{id}/deactivate", directory.deactivate_deputy, "Deactivate a deputy",
              "deputies", path_model=s.IdPath, response=s.DeputyOut, errors=(Forbidden, NotFound),
              roles="administrator; dispatcher (its subtree)"),
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
    Operation("GET", "/sessions/{id}/calendar.ics", calendar.session_calendar, "One session as iCalendar",
              "calendar", auth="feed", path_model=s.IdPath, query=s.SessionFeedQuery, content="text/calendar",
              errors=(SessionNotFound, Forbidden, LoginRequired),
              description="With ?station=&key= (a station's feed key) or a login."),
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
    Operation("GET", "/openapi.json", openapi.spec_handler, "This API as OpenAPI 3.1", "meta", auth="none",
              content="application/json"),
    Operation("GET", "/docs", openapi.docs_handler, "This API for people (HTML)", "meta", auth="none",
              content="text/html"),
)
