/** The bell's lines (common/bell.ts): each reminder kind the hub sends (opinions/reminders.py
 * KINDS) has its words in both languages, then the item's reference and title. */
import { afterEach, describe, expect, test } from "vitest";
import { reminderText, type Reminder } from "../src/common/bell";
import { setLang } from "../src/common/i18n";

const KINDS = ["overdue", "deadline_soon", "assigned", "returned", "answered", "lobby_open", "session_soon"];
const base: Reminder = { kind: "lobby_open", at: "2025-03-07T13:45:00+08:00", title: "三月联络", opinionId: null, reference: null, sessionId: 4 };

describe("reminderText", () => {
  afterEach(() => setLang("zh-CN"));

  test.each(KINDS)("%s has its own words in both languages", (kind) => {
    setLang("zh-CN");
    const zh = reminderText({ ...base, kind });
    setLang("en");
    const en = reminderText({ ...base, kind });
    expect(zh.startsWith(kind)).toBe(false);
    expect(en.startsWith(kind)).toBe(false);
    expect(zh).not.toEqual(en);
  });

  test("Chinese first: the lobby of a meeting, then the title", () => {
    setLang("zh-CN");
    expect(reminderText(base)).toBe("会议候会已开放 · 三月联络");
  });

  test("an opinion's reference comes before its summary", () => {
    setLang("en");
    expect(reminderText({ ...base, kind: "overdue", reference: "MQ2025-0007", title: "噪声", opinionId: 7, sessionId: null }))
      .toBe("An item is overdue · MQ2025-0007 · 噪声");
  });
});
