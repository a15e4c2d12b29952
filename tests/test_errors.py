"""The error tree and its catalogue (``hub/errors.py``, ``hub/reasons.py``):
every error code and every reason is worded in Chinese and in English, a
Chinese wording holds no English sentence, and the code raises reasons of
the catalogue, never a sentence (issue 8: 102 places appended an English
detail to a Chinese message)."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from hub import errors
from hub.errors import HubError, InvalidPayload, Reason, RuleError, ScheduleInvalid
from hub.reasons import LANGUAGES, REASONS, TERMS, render

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("api", "hub", "signaling", "scheduler", "store", "opinions", "duty")
#: Two Latin words in a row: an English phrase.  Single tokens (RRULE,
#: image/png, a station code) are names, not sentences.
LATIN_SENTENCE = re.compile(r"[A-Za-z]{2,}[\s,;:'’]+[A-Za-z]{2,}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


ERRORS = [HubError, *_subclasses(HubError)]


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _without_fields(template: str) -> str:
    return re.sub(r"\{[a-z_]+\}", "", template)


@pytest.mark.parametrize("cls", ERRORS, ids=[c.code for c in ERRORS])
def test_every_error_code_speaks_both_languages(cls):
    assert set(cls.messages) == set(LANGUAGES), cls
    zh, en = cls.messages["zh-CN"], cls.messages["en"]
    assert CJK.search(zh) and not LATIN_SENTENCE.search(_without_fields(zh)), zh
    assert not CJK.search(en), en
    assert _fields(zh) == _fields(en), cls


def test_error_codes_are_unique():
    codes = [c.code for c in ERRORS if "code" in c.__dict__]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("key", sorted(REASONS))
def test_every_reason_speaks_both_languages_and_the_chinese_holds_no_english_sentence(key):
    words = REASONS[key]
    assert set(words) == set(LANGUAGES), key
    zh, en = words["zh-CN"], words["en"]
    assert zh.strip() and en.strip()
    assert not LATIN_SENTENCE.search(_without_fields(zh)), zh
    assert not CJK.search(en), en
    # the Chinese may leave out an English-only detail, never invent a parameter
    assert _fields(zh) <= _fields(en), key


def test_terms_are_worded_in_both_languages():
    for name, values in TERMS.items():
        for value, words in values.items():
            assert set(words) == set(LANGUAGES), (name, value)
            assert CJK.search(words["zh-CN"]) and not CJK.search(words["en"]), (name, value)


def _raised_reasons() -> list[tuple[str, int, str]]:
    """(file, line, first argument) of every call that words an error: the
    constructors of the error tree, RuleError and its subclasses, Reason,
    scope refusals (``_no``); an f-string or a sentence there is a bug."""
    names = {c.__name__ for c in ERRORS} | {"RuleError", "ControlError", "Reason", "_no"}
    out = []
    for package in SOURCES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names):
                    continue
                if not node.args:
                    continue
                first = node.args[0]
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if isinstance(first, ast.JoinedStr):
                    out.append((where, node.lineno, "<f-string>"))
                elif isinstance(first, ast.Constant) and isinstance(first.value, str):
                    out.append((where, node.lineno, first.value))
    return out


def test_the_code_raises_reasons_of_the_catalogue_never_sentences():
    raised = _raised_reasons()
    assert len(raised) > 100  # the walk found the raise sites
    unknown = [(where, value) for where, _, value in raised if value not in REASONS]
    assert not unknown, unknown


def test_the_lifecycle_refusals_are_reasons_of_the_catalogue():
    from scheduler.lifecycle import _REFUSALS

    assert set(_REFUSALS.values()) <= set(REASONS)


def test_a_message_is_wholly_in_one_language():
    error = ScheduleInvalid("too_few_stations", minimum=2)
    assert error.message() == "会话安排有误：联动会话至少需要 2 个联络站"
    assert error.message("zh-CN") == error.message("fr")  # an unknown language falls back to Chinese
    assert error.message("en") == "The session plan is not valid: a linked session joins at least 2 stations"
    assert str(error) == error.detail == "a linked session joins at least 2 stations"
    assert error.to_dict("en", event="join") == {
        "code": "schedule_invalid", "reason": "too_few_stations", "event": "join",
        "message": "The session plan is not valid: a linked session joins at least 2 stations",
    }
    # no reason: the class's message alone, no "reason" key
    assert HubError().to_dict() == {"code": "internal_error", "message": "服务器内部错误，操作未执行"}
    # words outside the catalogue (a raise site the walk below refuses) never reach a Chinese message
    stray = errors.Forbidden("you may not")
    assert stray.message() == "无权执行此操作" and stray.message("en") == "You may not do this: you may not"
    assert str(stray) == "you may not" and "reason" not in stray.to_dict()


def test_terms_translate_words_inside_a_reason():
    assert errors.TransitionRefused("session_is", state="ended").message() == "会话当前状态不允许此操作：会话已经结束"
    assert errors.TransitionRefused("session_is", state="ended").message("en").endswith("the session is ended")
    refused = errors.OpinionTransitionRefused("role_may_not_act", role="deputy", action="assign")
    assert refused.message() == "民情当前状态不允许此操作：代表不能对民情执行“交办”"
    assert errors.NotFound(what="deputy", id=7).message() == "记录不存在（代表 7）"
    assert errors.NotFound(what="deputy", id=7).message("en") == "No such record (deputy 7)"
    lists = InvalidPayload("flag_choice", choices=("hot", "supervision"))
    assert lists.message().endswith("标记须为以下之一：hot、supervision")
    assert lists.message("en").endswith("flag: one of hot, supervision")


def test_a_rule_error_keeps_its_reason_through_because():
    rule = RuleError("polling_interval", seconds=3)
    assert str(rule) == "the polling interval is at least 3 seconds"
    error = errors.ControlRefused.because(rule)
    assert error.message() == "该调度操作无法执行：轮询间隔至少 3 秒"
    assert errors.OpinionTransitionRefused.because(Reason("flag_absent", {"flag": "hot"})).params == {"flag": "hot"}


def test_every_reason_renders_in_chinese_without_an_english_sentence():
    sample = {"field": "title", "limit": 2, "choices": ["a", "b"], "state": "live", "role": "deputy",
              "status": "closed", "review": "approved", "level": "town", "has": "county", "action": "assign",
              "possible": ["accept", "reject"], "detail": "some English words from a library"}
    for key in REASONS:
        text = render(key, "zh-CN", sample)
        assert not LATIN_SENTENCE.search(text), (key, text)


def test_pydantic_refusals_become_reasons():
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    class Body(BaseModel):
        model_config = ConfigDict(extra="forbid")
        interval: float = Field(ge=3)
        layout: str = Field(max_length=4)

    def first(data: dict) -> dict:
        with pytest.raises(ValidationError) as info:
            Body.model_validate(data)
        return info.value.errors(include_url=False)[0]

    low = InvalidPayload.of_validation(first({"interval": 0, "layout": "x"}), "interval")
    assert low.reason == "field_at_least" and low.message() == "请求内容有误：interval 不能小于 3"
    extra = InvalidPayload.of_validation(first({"interval": 5, "layout": "x", "colour": 1}), "colour")
    assert extra.message("en") == "Malformed request: colour: unknown field"
    missing = InvalidPayload.of_validation(first({"layout": "x"}), "interval")
    assert missing.message() == "请求内容有误：缺少必填字段 interval"
