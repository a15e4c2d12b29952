"""The deputy roster's reasons (``core/roster.py``, ``store/roster.py``, issue 13), merged into
:data:`core.reasons.REASONS`: each import row's problem and the import file's, in both languages."""

from __future__ import annotations

_LEVELS_ZH = "省人大代表、嘉兴市人大代表、海宁市人大代表、镇人大代表、街道居民代表"

ROSTER_REASONS: dict[str, dict[str, str]] = {
    # one row of an import (core/roster.py)
    "roster_name_missing": {"zh-CN": "缺少姓名", "en": "the name is missing"},
    "roster_name_too_long": {"zh-CN": "姓名超过 {limit} 个字", "en": "the name is longer than {limit} characters"},
    "roster_group_too_long": {"zh-CN": "代表小组超过 {limit} 个字", "en": "the deputy group is longer than {limit} characters"},
    "roster_phone_invalid": {"zh-CN": "手机号码“{phone}”不是 11 位手机号", "en": "the phone number '{phone}' is not an 11-digit mobile number"},
    "roster_level_unknown": {"zh-CN": f"未知的代表层级“{{level}}”（可填：{_LEVELS_ZH}）",
                             "en": "unknown level '{level}' (provincial, Jiaxing, Haining or town deputy, or street residents' representative)"},
    "roster_level_missing": {"zh-CN": "缺少代表层级", "en": "the level is missing"},
    "roster_station_missing": {"zh-CN": "缺少所属联络站", "en": "the station is missing"},
    "roster_station_unknown": {"zh-CN": "未知的联络站“{station}”", "en": "unknown station '{station}'"},
    "roster_station_outside_scope": {"zh-CN": "联络站“{station}”不在你的管辖范围内", "en": "the station '{station}' lies outside your scope"},
    "roster_phone_outside_scope": {"zh-CN": "手机号 {phone} 属于你管辖范围以外的代表", "en": "the number {phone} belongs to a deputy outside your scope"},
    "roster_phone_repeated": {"zh-CN": "与第 {rows} 行的手机号码重复", "en": "the same phone number as row {rows}"},
    "roster_row_repeated": {"zh-CN": "与第 {rows} 行重复（同一联络站、同名、无手机号）", "en": "the same person as row {rows} (same name and station, no phone number)"},
    # the import file (api/roster.py)
    "roster_file_unreadable": {"zh-CN": "文件不是有效的 Excel 工作簿（.xlsx）", "en": "the file is not an Excel workbook (.xlsx)"},
    "roster_header": {"zh-CN": "第一行须为表头：{columns}", "en": "the first row must be the header: {columns}"},
    "roster_too_many_rows": {"zh-CN": "一次最多导入 {limit} 行", "en": "at most {limit} rows in one import"},
    "roster_empty": {"zh-CN": "文件中没有代表", "en": "the file holds no deputies"},
    "roster_file_too_large": {"zh-CN": "文件最大 {kib} KiB", "en": "the file is at most {kib} KiB"},
    # editing one deputy (store/roster.py)
    "deputy_levels_required": {"zh-CN": "请至少选择一个代表层级", "en": "choose at least one level"},
}
