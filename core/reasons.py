"""The words of the hub's errors, in every language the UI speaks.

An error (``core/errors.py``) carries a class (its ``code``), an optional
*reason* and parameters; this catalogue words each reason in Chinese and in
English, so that a message is wholly in the language a person asked for
(issue 8: details used to be English appended to a Chinese message).  Code
raises ``ScheduleInvalid("too_few_stations", minimum=2)``, never a sentence;
``tests/test_errors.py`` checks that every reason raised in the code is here,
in both languages, and that no Chinese wording holds an English sentence.

Parameters are values (station codes, ids, limits).  A few are words that
need translating themselves (a session's state, a role, an opinion's
status or action): :data:`TERMS` words them by parameter name.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

LANGUAGES = ("zh-CN", "en")

# --- reasons: key → {zh-CN, en} --------------------------------------------------------

REASONS: dict[str, dict[str, str]] = {
    # requests and fields (REST and socket payloads)
    "body_not_json": {"zh-CN": "请求内容不是有效的 JSON", "en": "the body is not valid JSON"},
    "payload_not_object": {"zh-CN": "请求内容须为 JSON 对象", "en": "the payload must be a JSON object"},
    "query_repeated": {"zh-CN": "查询参数 {field} 重复给出", "en": "query {field}: given more than once"},
    "query_unknown": {"zh-CN": "不支持查询参数 {field}", "en": "query {field}: unknown parameter"},
    "field_unknown": {"zh-CN": "不支持字段 {field}", "en": "{field}: unknown field"},
    "field_missing": {"zh-CN": "缺少必填字段 {field}", "en": "{field}: required"},
    "field_too_short": {"zh-CN": "{field} 至少需要 {limit} 个字符或项", "en": "{field}: at least {limit} characters or items"},
    "field_too_long": {"zh-CN": "{field} 最多 {limit} 个字符或项", "en": "{field}: at most {limit} characters or items"},
    "field_at_least": {"zh-CN": "{field} 不能小于 {limit}", "en": "{field}: must be at least {limit}"},
    "field_above": {"zh-CN": "{field} 须大于 {limit}", "en": "{field}: must be greater than {limit}"},
    "field_at_most": {"zh-CN": "{field} 不能大于 {limit}", "en": "{field}: must be at most {limit}"},
    "field_below": {"zh-CN": "{field} 须小于 {limit}", "en": "{field}: must be less than {limit}"},
    "field_choice": {"zh-CN": "{field} 须为以下之一：{choices}", "en": "{field}: one of {choices}"},
    "field_datetime": {"zh-CN": "{field} 须为带时区的日期时间", "en": "{field}: {detail}"},
    "field_date": {"zh-CN": "{field} 须为日期（YYYY-MM-DD）", "en": "{field}: {detail}"},
    "field_type": {"zh-CN": "{field} 的值类型不对", "en": "{field}: {detail}"},
    "field_invalid": {"zh-CN": "{field} 的值无效", "en": "{field}: {detail}"},
    "field_year_range": {"zh-CN": "{field} 须在 2000 年到 2100 年之间", "en": "{field}: must lie between the years 2000 and 2100"},
    "field_nul": {"zh-CN": "{field} 不能包含空字符（NUL）", "en": "{field}: must not contain NUL characters"},
    "range_reversed": {"zh-CN": "{field} 须晚于开始时间", "en": "{field}: must be after from"},
    "window_too_long": {"zh-CN": "查询的时间跨度最多 {days} 天", "en": "query to: the window is at most {days} days"},
    "http_refused": {"zh-CN": "请求被拒绝（HTTP {status}）", "en": "the request was refused (HTTP {status})"},
    # identities in a message
    "session_number": {"zh-CN": "编号 {id}", "en": "{id}"},
    "station_code": {"zh-CN": "代码 {station}", "en": "{station}"},
    "username": {"zh-CN": "{username}", "en": "{username}"},
    "client_key": {"zh-CN": "提交编号 {key}", "en": "client key {key}"},
    "method": {"zh-CN": "{method}", "en": "{method}"},
    # logins, links and scope
    "bearer_scheme": {"zh-CN": "请在 Authorization 头中使用 Bearer 令牌", "en": "use Authorization: Bearer <token>"},
    "cross_site_cookie": {"zh-CN": "跨站请求不能使用登录凭据", "en": "cross-site request with the login cookie"},
    "join_link_admits_nobody": {"zh-CN": "该加入链接已不再有效", "en": "the join link no longer admits anyone"},
    "join_token_needed": {"zh-CN": "请在 Authorization 头中给出加入链接的令牌", "en": "give the join link's token as Authorization: Bearer"},
    "join_link_not_here": {"zh-CN": "加入链接不能打开此功能，请登录", "en": "a join link does not open this; log in"},
    "join_link_other_session": {"zh-CN": "该加入链接属于另一个会议", "en": "this join link is for another session"},
    "console_link_only": {"zh-CN": "只有调度员的控制台链接可以列出会议的民情", "en": "only a dispatcher's console link lists the session's opinions"},
    "may_no_longer_control": {"zh-CN": "该账号已不能控制此会议", "en": "the account may no longer control this session"},
    "outside_subtree": {"zh-CN": "{station} 不在 {scope} 的管辖范围内", "en": "{station} lies outside {scope}'s subtree"},
    "stations_outside_subtree": {"zh-CN": "联络站 {stations} 不在 {scope} 的管辖范围内", "en": "stations outside {scope}'s subtree: {stations}"},
    "deputy_outside_subtree": {"zh-CN": "代表所在的联络站 {station} 不在 {scope} 的管辖范围内", "en": "the deputy's station {station} lies outside {scope}'s subtree"},
    "no_station_in_subtree": {"zh-CN": "会议中没有联络站在 {scope} 的管辖范围内", "en": "no station of the session lies within {scope}'s subtree"},
    "station_not_in_session": {"zh-CN": "联络站 {station} 不在此会议中", "en": "{station} is not a station of the session"},
    "session_excludes_station": {"zh-CN": "会议不包括联络站 {station}", "en": "the session does not include {station}"},
    "operator_joins_own": {"zh-CN": "联络站操作员只能以本站 {station} 的身份加入", "en": "an operator joins only as its own station {station}"},
    "operator_not_chair": {"zh-CN": "只有主会场联络站的操作员可以控制会议，{station} 不是主会场", "en": "only the chair station's operator controls the session; {station} is not the chair"},
    "role_may_not_do": {"zh-CN": "{role}不能执行此操作", "en": "a {role} may not {action}"},
    "deputy_joins_as_deputy": {"zh-CN": "代表以代表身份加入，而不是以联络站身份", "en": "a deputy joins as a deputy, not as a station"},
    "deputy_not_invited": {"zh-CN": "该代表没有受邀参加此会议", "en": "the deputy is not invited to this session"},
    "setup_link_invalid": {"zh-CN": "创建管理员的链接不正确", "en": "the link to create the administrator is not valid"},
    "setup_done": {"zh-CN": "管理员已经创建，该链接不再有效，请登录", "en": "the administrator exists: the link no longer works, log in"},
    "admin_manages_accounts": {"zh-CN": "只有管理员可以管理账号", "en": "only an administrator manages accounts"},
    "admin_self_deactivate": {"zh-CN": "管理员不能停用自己的账号", "en": "an administrator cannot deactivate its own account"},
    "admin_self_role": {"zh-CN": "管理员不能更改自己的角色", "en": "an administrator cannot change its own role"},
    "account_deputy_role": {"zh-CN": "代表账号绑定代表本人，不能更改角色", "en": "a deputy's account belongs to the deputy: its role cannot change"},
    "audit_log_staff": {"zh-CN": "只有管理员和调度员可以查看审计日志", "en": "only administrators and dispatchers read the audit log"},
    "role_needs_station": {"zh-CN": "{role}须指定联络站", "en": "a {role} needs a station"},
    "username_required": {"zh-CN": "请填写用户名", "en": "a user name is required"},
    "admin_reads_deliveries": {"zh-CN": "只有管理员可以查看推送记录", "en": "only administrators read the delivery log"},
    "resident_rate_limited": {"zh-CN": "提交或查询过于频繁（{minutes} 分钟内最多 {limit} 次），请稍后再试", "en": "too many submissions or lookups (at most {limit} in {minutes} minutes); try again later"},
    "role_needs_department": {"zh-CN": "承办单位账号须指定承办单位", "en": "a department account needs its department"},
    "department_not_assigned": {"zh-CN": "该民情没有交办给 {department}", "en": "the opinion is not assigned to {department}"},
    "department_unknown_account": {"zh-CN": "承办单位 {department} 不在配置中", "en": "no department {department} is configured"},
    "department_no_statistics": {"zh-CN": "承办单位只能查看交办给本单位的民情", "en": "a department sees only the opinions assigned to it"},
    "password_too_short": {"zh-CN": "密码至少 {minimum} 个字符", "en": "a password has at least {minimum} characters"},
    "session_cancelled": {"zh-CN": "会议已取消", "en": "the session was cancelled"},
    # calendars
    "calendar_private": {"zh-CN": "联络站 {station} 的日历只供本站操作员及其上级调度员查看", "en": "{station}'s calendar belongs to its operator and the dispatchers above it"},
    "calendar_key_wrong": {"zh-CN": "日历密钥不正确", "en": "wrong calendar key"},
    "calendar_key_needs_station": {"zh-CN": "日历密钥须与联络站一起给出", "en": "a calendar key needs its station"},
    # linked sessions
    "too_few_stations": {"zh-CN": "联动会议至少需要 {minimum} 个联络站", "en": "a linked session joins at least {minimum} stations"},
    "title_required": {"zh-CN": "请填写标题", "en": "a title is required"},
    "title_too_long": {"zh-CN": "标题最多 {maximum} 个字符", "en": "a title has at most {maximum} characters"},
    "start_in_past": {"zh-CN": "开始时间已经过去", "en": "the start lies in the past"},
    "end_before_start": {"zh-CN": "结束时间须晚于开始时间", "en": "the end must be after the start"},
    "moved_end_before_start": {"zh-CN": "调整后的场次须在开始之后结束", "en": "a moved occurrence must end after it starts"},
    "needs_timezone": {"zh-CN": "时间须带时区", "en": "{name} must be a date-time with a time zone"},
    "lobby_negative": {"zh-CN": "候会分钟数不能为负", "en": "lobby minutes cannot be negative"},
    "unknown_timezone": {"zh-CN": "未知的时区 {zone}", "en": "unknown time zone {zone}"},
    "occurrences_overlap": {"zh-CN": "会议的场次相互重叠：{first} 与 {second}", "en": "occurrences of the session overlap each other: {first} and {second}"},
    "expected_version": {"zh-CN": "应为第 {expected} 版", "en": "expected version {expected}"},
    "version_not_current": {"zh-CN": "第 {version} 版不是当前的第 {current} 版", "en": "version {version} is not the current {current}"},
    "session_is": {"zh-CN": "会议{state}", "en": "the session is {state}"},
    "session_time_fixed": {"zh-CN": "会议{state}，时间不能再修改", "en": "the session is {state}: its time can no longer change"},
    "occurrence_fixed": {"zh-CN": "该场次{state}，不能再调整", "en": "the occurrence is {state}: it can no longer move"},
    "standing_has_no_end": {"zh-CN": "常设会议没有结束时间，无需延长", "en": "a standing meeting has no end to extend"},
    "one_off_as_whole": {"zh-CN": "单次会议只能整体取消或修改，不能按场次操作", "en": "a one-off session is cancelled or edited as a whole, not by occurrence"},
    "no_live_core": {"zh-CN": "此进程没有实时服务", "en": "no live core in this process"},
    "nobody_in_session": {"zh-CN": "会议中还没有人", "en": "the session has nobody in it"},
    "unknown_action": {"zh-CN": "未知的操作 {action}", "en": "unknown action '{action}'"},
    "live_end_not_cancel": {"zh-CN": "会议正在进行：请结束会议，而不是取消", "en": "the session is live: end it instead of cancelling it"},
    "not_started_cancel": {"zh-CN": "会议尚未开始：请取消会议", "en": "the session has not started: cancel it instead"},
    "already_ended": {"zh-CN": "会议已经结束", "en": "the session has already ended"},
    "already_cancelled": {"zh-CN": "会议已经取消", "en": "the session is already cancelled"},
    "cannot_in_state": {"zh-CN": "会议{state}，不能执行此操作", "en": "cannot {action} when {state}"},
    "no_occurrence_at": {"zh-CN": "{start} 没有场次开始", "en": "no occurrence starts at {start}"},
    "occurrence_cancelled": {"zh-CN": "{start} 的场次已取消", "en": "the occurrence of {start} is cancelled"},
    # recurrence rules (RRULE)
    "rrule_empty": {"zh-CN": "重复规则为空", "en": "the rule is empty"},
    "rrule_one_line": {"zh-CN": "只能有一行 RRULE：DTSTART、RDATE 和 EXDATE 是单独的字段", "en": "one RRULE line only: DTSTART, RDATE and EXDATE are separate fields"},
    "rrule_part_syntax": {"zh-CN": "“{item}”不是“名称=值”的形式", "en": "'{item}' is not NAME=VALUE"},
    "rrule_part_unknown": {"zh-CN": "{name} 不是 RRULE 的组成部分", "en": "{name} is not a part of an RRULE"},
    "rrule_part_twice": {"zh-CN": "{name} 重复给出", "en": "{name} is given twice"},
    "rrule_freq_required": {"zh-CN": "缺少 FREQ", "en": "FREQ is required"},
    "rrule_freq": {"zh-CN": "FREQ={freq}：联动会议只能按 {choices} 重复", "en": "FREQ={freq}: a linked session repeats {choices}"},
    "rrule_count_and_until": {"zh-CN": "COUNT 和 UNTIL 不能同时给出", "en": "COUNT and UNTIL cannot both be given"},
    "rrule_count": {"zh-CN": "COUNT 须为 1 到 {maximum} 的整数", "en": "COUNT must be a whole number from 1 to {maximum}"},
    "rrule_interval": {"zh-CN": "INTERVAL 须为不小于 1 的整数", "en": "INTERVAL must be a whole number of at least 1"},
    "rrule_invalid": {"zh-CN": "不是有效的 RRULE", "en": "not a valid RRULE ({detail})"},
    "rrule_not_single": {"zh-CN": "不是单一的 RRULE", "en": "not a single RRULE"},
    "rrule_no_occurrence": {"zh-CN": "规则在开始时间之后没有任何场次", "en": "the rule yields no occurrence after the start"},
    "rrule_until": {"zh-CN": "UNTIL={value} 不是日期（YYYYMMDD）或日期时间（YYYYMMDDTHHMMSS[Z]）", "en": "UNTIL={value} is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])"},
    "series_unbounded": {"zh-CN": "该系列没有结束：请给出展开的时间范围", "en": "the series has no end: give a window to expand it in"},
    "too_many_occurrences": {"zh-CN": "场次超过 {maximum} 个：请缩小时间范围或限定规则", "en": "more than {maximum} occurrences: narrow the window or bound the rule"},
    # opinions 民情
    "category_unknown": {"zh-CN": "“{category}”不是已配置的民情类别", "en": "category: '{category}' is not a configured category"},
    "request_type_unknown": {"zh-CN": "“{request_type}”不是已配置的诉求类型", "en": "requestType: '{request_type}' is not a configured request type"},
    "summary_required": {"zh-CN": "请填写民情摘要", "en": "summary: required"},
    "raiser_both": {"zh-CN": "提出人是代表或群众之一，不能同时填写", "en": "raised by a deputy or by a resident, not both"},
    "raiser_missing": {"zh-CN": "请选择提出的代表（deputyId）或填写群众姓名", "en": "who raised it: a deputyId, or a resident's name"},
    "captured_at_window": {"zh-CN": "录入时间须在最近 {days} 天之内", "en": "capturedAt: must lie within the last {days} days"},
    "deputy_captures_at_own_station": {"zh-CN": "代表只能在本站、本镇（街道）的联络站或所受邀会议的联络站录入民情", "en": "a deputy captures at its own station, a station of its town or a station of its session"},
    "deputy_outside_scope": {"zh-CN": "代表 {deputy} 不在 {scope} 的管辖范围内，也未受邀参加此会议", "en": "deputy {deputy} lies outside {scope}'s scope and is not invited to the session"},
    "deputy_deactivated": {"zh-CN": "代表 {deputy} 已停用", "en": "deputyId: deputy {deputy} is deactivated"},
    "deputy_captures_own": {"zh-CN": "代表只能录入自己提出的民情", "en": "a deputy captures the opinions it raises itself"},
    "operator_captures_own": {"zh-CN": "联络站操作员只能在本站 {station} 录入民情", "en": "an operator captures opinions at its own station {station}"},
    "operator_sees_own": {"zh-CN": "联络站操作员只能查看本站 {station}", "en": "an operator sees only its own station {station}"},
    "deputy_no_statistics": {"zh-CN": "代表只能查看自己提出的民情，不能查看统计", "en": "deputies see the opinions they raised, not statistics"},
    "notices_staff": {"zh-CN": "部门通知只供工作人员查看", "en": "department notices are read by staff"},
    "opinion_action_unknown": {"zh-CN": "未知的操作“{action}”，可选：{choices}", "en": "unknown action '{action}'; one of {choices}"},
    "opinion_action_choice": {"zh-CN": "操作须为以下之一：{choices}", "en": "action: one of {choices}"},
    "department_unknown": {"zh-CN": "“{department}”不是已配置的部门", "en": "department: '{department}' is not a configured department"},
    "department_level": {"zh-CN": "部门 {department} 处理{has}事项，而不是{level}事项", "en": "department: {department} handles {has}-level matters, not {level}"},
    "department_town": {"zh-CN": "部门 {department} 服务于 {station}，而该民情所属镇街为 {town}", "en": "department: {department} serves {station}; the opinion's town is {town}"},
    "photo_position": {"zh-CN": "照片位置须为 0 到 {maximum}", "en": "position: 0 to {maximum}"},
    "photo_type": {"zh-CN": "照片类型须为以下之一：{choices}", "en": "photo: one of {choices}"},
    "photo_bytes": {"zh-CN": "照片内容与类型 {content_type} 不符", "en": "photo: the bytes are not {content_type}"},
    "photo_body": {"zh-CN": "请求内容须为照片本身（image/jpeg、image/png 或 image/webp）", "en": "the body is the photo's bytes (image/jpeg, image/png or image/webp)"},
    "photo_too_large": {"zh-CN": "照片最大 {kib} KiB", "en": "a photo is at most {kib} KiB"},
    "photo_malformed": {"zh-CN": "照片内容不是有效的 {content_type} 图像", "en": "photo: the bytes are not a well-formed {content_type} image"},
    "photo_pixels": {"zh-CN": "照片为 {width}×{height} 像素，最多 {millions} 百万像素", "en": "photo: {width}×{height} pixels; at most {millions} million"},
    "photo_too_many_pixels": {"zh-CN": "照片像素过多，最多 {millions} 百万像素", "en": "photo: too many pixels; at most {millions} million"},
    "body_too_large": {"zh-CN": "请求内容最大 {kib} KiB", "en": "the body is at most {kib} KiB"},
    "flag_choice": {"zh-CN": "标记须为以下之一：{choices}", "en": "flag: one of {choices}"},
    "role_may_not_act": {"zh-CN": "{role}不能对民情执行“{action}”", "en": "a {role} may not {action} an opinion"},
    "opinion_submitted_once": {"zh-CN": "民情只在录入时提交一次", "en": "an opinion is submitted once, when it is captured"},
    "rejected_no_flags": {"zh-CN": "已不予受理的民情不能加标记", "en": "a rejected opinion carries no flags"},
    "flag_present": {"zh-CN": "该民情已有标记“{flag}”", "en": "the opinion already has the flag {flag}"},
    "flag_absent": {"zh-CN": "该民情没有标记“{flag}”", "en": "the opinion does not have the flag {flag}"},
    "opinion_final": {"zh-CN": "该民情{status}，不能再有任何操作", "en": "the opinion is {status}; nothing more can happen to it"},
    "opinion_cannot": {"zh-CN": "民情当前{status}，不能“{action}”（可以：{possible}）", "en": "cannot {action} an opinion that is {status} (possible: {possible})"},
    "deadline_needs_timezone": {"zh-CN": "办理期限须为带时区的日期时间", "en": "deadline: must be a date-time with a time zone"},
    "note_required": {"zh-CN": "“{action}”需要填写理由", "en": "{action} needs a reason (note)"},
    "level_choice": {"zh-CN": "办理层级须为以下之一：{choices}", "en": "level: one of {choices}"},
    "department_required": {"zh-CN": "请选择承办部门", "en": "department: required"},
    "extension_needs_deadline": {"zh-CN": "延期需要给出新的办理期限", "en": "deadline: an extension needs the new deadline"},
    "deadline_in_past": {"zh-CN": "办理期限须在将来", "en": "deadline: must lie in the future"},
    "extension_not_later": {"zh-CN": "延期须把办理期限往后推", "en": "an extension must move the deadline later"},
    "deadline_required": {"zh-CN": "请给出办理期限（交办时未设定）", "en": "deadline: required (the assignment set none)"},
    "grade_choice": {"zh-CN": "答复等级须为以下之一：{choices}", "en": "grade: one of {choices}"},
    "answer_required": {"zh-CN": "请填写部门的答复", "en": "answer: the department's answer is required"},
    "rating_choice": {"zh-CN": "评价须为以下之一：{choices}", "en": "rating: one of {choices}"},
    # deputies and duty records 履职
    "deputy_level": {"zh-CN": "代表层级须为以下之一：{choices}", "en": "level must be one of {choices}"},
    "name_required": {"zh-CN": "请填写姓名", "en": "a name is required"},
    "duty_staff_only": {"zh-CN": "履职记录由管理员和调度员维护", "en": "duty records are kept by administrators and dispatchers"},
    "attendance_by_hub": {"zh-CN": "出勤记录由系统或工作人员登记", "en": "attendance is recorded by the hub or by staff"},
    "duty_own_record": {"zh-CN": "调度员不能审核自己录入的履职记录", "en": "a dispatcher does not approve a record it entered itself"},
    "attendance_by_staff": {"zh-CN": "出勤记录只能由管理员和调度员录入", "en": "attendance is entered by administrators and dispatchers"},
    "attendance_standing_session": {"zh-CN": "常设会议没有场次，其出勤由实时会议记录", "en": "a standing session has no occurrences: its attendance comes from the live layer"},
    "attendance_occurrence_not_over": {"zh-CN": "该场次尚未结束（{state}）", "en": "occurrenceStart: the occurrence is {state}, not over"},
    "rejection_needs_reason": {"zh-CN": "驳回需要说明理由", "en": "a rejection needs a reason"},
    "duty_already": {"zh-CN": "该记录已经{review}", "en": "the record is already {review}"},
    "duty_kind_unknown": {"zh-CN": "未知的履职类型 {kind}，可选：{choices}", "en": "unknown duty kind '{kind}'; one of {choices}"},
    "duty_kind_automatic": {"zh-CN": "{kind} 类记录由系统自动生成，不能手工录入", "en": "{kind} records are made automatically, not by hand"},
    "duty_needs_occasion": {"zh-CN": "手工记录须写明事由", "en": "a manual record names its occasion"},
    # live control and media
    "not_member": {"zh-CN": "{participant} 不在会议中", "en": "{participant} is not in the session"},
    "content_busy": {"zh-CN": "{participant} 正在共享，同一时间只能有一路共享", "en": "{participant} is sharing: one shared source at a time"},
    "no_content": {"zh-CN": "当前没有共享内容", "en": "nobody shares content now"},
    "station_required": {"zh-CN": "须指定站点（station）", "en": "station is required"},
    "station_present": {"zh-CN": "{station} 已在会议中", "en": "{station} is in the meeting already"},
    "watch_stations_only": {"zh-CN": "只有站点的页面可以等候呼叫", "en": "only a station's page waits to be called"},
    "recording_budget_used": {"zh-CN": "录制存储空间已用完，无法开始录制", "en": "the recordings' disk budget is used up: recording cannot start"},
    "recording_cannot_start": {"zh-CN": "无法开始录制（存储不可写）", "en": "recording cannot start (the storage cannot be written)"},
    "recording_unavailable": {"zh-CN": "此服务未配置录制", "en": "this hub does not record"},
    "participant_required": {"zh-CN": "须指定参会方（participantId）", "en": "participantId is required"},
    "on_required": {"zh-CN": "须给出开关值（on）", "en": "on is required"},
    "order_required": {"zh-CN": "须给出轮询顺序（order）", "en": "order is required"},
    "interval_required": {"zh-CN": "须给出轮询间隔（interval）", "en": "interval is required"},
    "layout_required": {"zh-CN": "须给出布局（layout）", "en": "layout is required"},
    "polling_needs_two": {"zh-CN": "轮询至少需要两个参会方", "en": "polling needs at least two participants"},
    "polling_interval": {"zh-CN": "轮询间隔至少 {seconds} 秒", "en": "the polling interval is at least {seconds} seconds"},
    "polling_not_running": {"zh-CN": "轮询没有在进行", "en": "polling is not running"},
    "layout_unknown": {"zh-CN": "布局“{layout}”不是以下之一：{choices}", "en": "layout '{layout}' is not one of {choices}"},
    "floor_already_yours": {"zh-CN": "你已经在发言", "en": "the floor is already yours"},
    "no_hand": {"zh-CN": "{participant} 没有申请发言", "en": "{participant} has not asked to speak"},
    "media_refused": {"zh-CN": "媒体描述无法处理", "en": "the media description could not be used ({detail})"},
    # the deputy's phone (store/deputy_home.py, issue 13)
    "phone_invalid": {"zh-CN": "请填写 11 位手机号码", "en": "give an 11-digit mobile number"},
    "phone_taken": {"zh-CN": "手机号 {phone} 已被其他账号使用", "en": "the number {phone} belongs to another account"},
    "phone_not_on_roster": {"zh-CN": "手机号与代表名册登记的不一致，请联系联络站", "en": "the number differs from the one on the deputies' roster; ask your station"},
    "deputy_account_exists": {"zh-CN": "账号已经设置过，请用手机号登录", "en": "the account is set up already; log in with your phone number"},
    "deputy_setup_needs_link": {"zh-CN": "请从邀请链接打开，首次设置账号", "en": "open the invitation link to set up the account"},
    "deputy_only": {"zh-CN": "这是代表的页面，请用代表账号登录", "en": "this page is for deputies; log in with a deputy's account"},
    # deputies' phones bound instead of a password (store/devices.py, issue 13)
    "password_or_device": {"zh-CN": "请设置密码，或选择绑定本机", "en": "set a password, or bind this phone"},
    "device_deputies_only": {"zh-CN": "只有代表本人可以绑定手机", "en": "only a deputy binds its phone"},
    "device_not_bound": {"zh-CN": "本机的绑定已解除或无效，请用手机号和密码登录", "en": "this phone is no longer bound: log in with your phone number and password"},
    # departments' extension requests (opinions/extensions.py, store/extensions.py, issue 13)
    "extension_by_request": {"zh-CN": "承办单位延期须提交延期申请，由调度员批准后生效", "en": "a department asks for an extension; a dispatcher's approval moves the deadline"},
    "extension_not_in_progress": {"zh-CN": "民情{status}，只有办理中的事项可以延期", "en": "the opinion is {status}: only an item in progress can be extended"},
    "extension_pending": {"zh-CN": "已有一项延期申请待批准", "en": "an extension request is already waiting for approval"},
    "extension_decided": {"zh-CN": "该延期申请已经处理过", "en": "this extension request was decided already"},
    "refusal_needs_reason": {"zh-CN": "不批准须填写理由", "en": "a refusal needs a reason"},
    "extension_department_only": {"zh-CN": "只有承办该事项的单位可以申请延期", "en": "only the department holding the item asks for an extension"},
    "extension_deciders": {"zh-CN": "只有该事项所在镇（街道）及上级的调度员或管理员可以审批延期", "en": "only dispatchers of the item's town or above, or administrators, decide extensions"},
    # station reception duty and sign-in by QR (store/reception.py, issue 13)
    "reception_staff_only": {"zh-CN": "只有联络站操作员、调度员和管理员可以管理进站接待", "en": "only the station's operator, dispatchers and administrators manage reception duty"},
    "reception_day_past": {"zh-CN": "不能修改已过去日期的排班", "en": "the roster of a past day cannot change"},
    "reception_not_your_town": {"zh-CN": "您不在 {station} 今天的排班中，且该站不在您所在的镇（街道），不能签到", "en": "you are not on {station}'s roster today and it is not a station of your town: no sign-in"},
    "signin_code_invalid": {"zh-CN": "签到码无效，请重新扫描联络站屏幕上的二维码", "en": "the sign-in code is not valid; scan the code on the station's screen again"},
    "signin_code_other_day": {"zh-CN": "这是其他日期的签到码，请扫描今天的二维码", "en": "this sign-in code is of another day; scan today's code"},
    "signin_session_not_live": {"zh-CN": "会议{state}，签到码仅在会议进行时有效", "en": "the session is {state}: its sign-in code works only while it is live"},
    "signin_deputy_not_in_session": {"zh-CN": "您所在的联络站 {station} 不在此会议的参会联络站中，也没有受邀，不能签到", "en": "your station {station} is not one of the session's stations and you are not invited: no sign-in"},
}

from core.roster_words import ROSTER_REASONS  # noqa: E402  (the deputy roster's, issue 13)

REASONS.update(ROSTER_REASONS)

# --- terms: words inside a reason, by parameter name ---------------------------------------

TERMS: dict[str, dict[str, dict[str, str]]] = {
    "state": {  # a session's or occurrence's state (scheduler/lifecycle.py)
        "scheduled": {"zh-CN": "尚未开始", "en": "scheduled"},
        "lobby": {"zh-CN": "正在候会", "en": "in its lobby"},
        "live": {"zh-CN": "正在进行", "en": "live"},
        "ended": {"zh-CN": "已经结束", "en": "ended"},
        "cancelled": {"zh-CN": "已经取消", "en": "cancelled"},
    },
    "role": {
        "administrator": {"zh-CN": "管理员", "en": "administrator"},
        "dispatcher": {"zh-CN": "调度员", "en": "dispatcher"},
        "operator": {"zh-CN": "联络站操作员", "en": "operator"},
        "deputy": {"zh-CN": "代表", "en": "deputy"},
        "department": {"zh-CN": "承办单位", "en": "department"},
    },
    "status": {  # an opinion's status (opinions/workflow.py)
        "submitted": {"zh-CN": "待受理", "en": "submitted"},
        "accepted": {"zh-CN": "已受理", "en": "accepted"},
        "rejected": {"zh-CN": "不予受理", "en": "rejected"},
        "assigned": {"zh-CN": "已交办", "en": "assigned"},
        "returned": {"zh-CN": "已退单", "en": "returned"},
        "in_progress": {"zh-CN": "办理中", "en": "in_progress"},
        "answered": {"zh-CN": "已答复", "en": "answered"},
        "fed_back": {"zh-CN": "已反馈", "en": "fed_back"},
        "rated": {"zh-CN": "已评价", "en": "rated"},
        "reopened": {"zh-CN": "重新办理", "en": "reopened"},
        "closed": {"zh-CN": "已办结归档", "en": "closed"},
    },
    "review": {
        "approved": {"zh-CN": "审核通过", "en": "approved"},
        "rejected": {"zh-CN": "被驳回", "en": "rejected"},
        "pending": {"zh-CN": "待审核", "en": "pending"},
    },
    "level": {"town": {"zh-CN": "镇级", "en": "town"}, "county": {"zh-CN": "市级（海宁）", "en": "county"},
              "city": {"zh-CN": "嘉兴市级", "en": "city"}},
}
TERMS["has"] = TERMS["level"]
TERMS["what"] = {  # the kind of record that is missing (NotFound)
    w: {"zh-CN": zh, "en": w} for w, zh in {
        "deputy": "代表", "opinion": "民情", "invitation": "邀请", "account": "账号", "duty record": "履职记录",
        "photo": "照片", "notice": "部门通知", "path": "地址", "session": "会议", "station": "联络站",
        "extension request": "延期申请", "device": "绑定的手机",
    }.items()
}
#: An opinion's actions (a parameter ``action`` of the opinion reasons), in the
#: words of the 民情 pages (``web/src/opinions/strings.ts``), as are the states above.
OPINION_ACTIONS = {
    "submit": "提交", "accept": "受理", "reject": "不予受理", "assign": "交办", "return": "退单",
    "start": "开始办理", "extend": "延期", "answer": "答复", "feed_back": "反馈代表和群众", "rate": "评价",
    "close": "办结归档", "flag": "标记", "unflag": "取消标记",
}


def _word(name: str, value: Any, lang: str, key: Optional[str]) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_word(name, v, lang, key) for v in value]
        return ("、" if lang == "zh-CN" else ", ").join(items)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if lang == "zh-CN" and name in ("action", "possible") and key in _OPINION_KEYS:
        return OPINION_ACTIONS.get(text, text)
    term = TERMS.get(name, {}).get(text)
    return term[lang] if term else text


_OPINION_KEYS = {"role_may_not_act", "opinion_cannot", "note_required", "opinion_action_unknown"}


class _Params(dict[str, object]):
    def __missing__(self, name: str) -> str:
        return "…"


def render(key: Optional[str], lang: str, params: Mapping[str, Any], template: Optional[str] = None) -> str:
    """``key``'s wording (or ``template``) in ``lang``, its parameters filled
    in and translated where :data:`TERMS` knows them."""
    lang = lang if lang in LANGUAGES else "zh-CN"
    if template is None:
        if key not in REASONS:
            return ""
        template = REASONS[key][lang]
    if "{" not in template:
        return template
    values = _Params({name: _word(name, value, lang, key) for name, value in params.items()})
    return template.format_map(values)
