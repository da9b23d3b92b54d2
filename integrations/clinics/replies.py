"""Reading a patient's SMS reply: confirm, cancel, opt out, or something for staff.

Deliberately strict: a reply counts as a confirmation only when every word in it is a
confirmation word (or a courtesy), so "네 근데 시간 바꿀 수 있나요?" goes to staff
instead of confirming.
"""

from __future__ import annotations

import re

from integrations.models import ReplyIntent

CONFIRM_WORDS = {"네", "넵", "넹", "예", "응", "1", "확인", "확인요", "확인함", "확인합니다",
                 "확인했습니다", "확인했어요", "갈게요", "가겠습니다", "ok", "okay", "yes", "y"}
CANCEL_WORDS = {"취소", "2", "취소요", "취소합니다", "취소할게요", "취소해주세요", "못가요",
                "못갑니다", "no", "n"}
OPT_OUT_WORDS = {"수신거부", "stop", "거부", "문자거부", "unsubscribe"}
# Words that change nothing about what a reply means.
COURTESY_WORDS = {"감사합니다", "고맙습니다", "감사해요", "네네", "요"}

_TOKEN = re.compile(r"[^\w]+")


def read_intent(body: str) -> str:
    words = [word.lower() for word in _TOKEN.split(body) if word]
    if any(word in OPT_OUT_WORDS for word in words) or "수신거부" in body.replace(" ", ""):
        return ReplyIntent.OPT_OUT
    meaningful = [word for word in words if word not in COURTESY_WORDS]
    if meaningful and all(word in CONFIRM_WORDS for word in meaningful):
        return ReplyIntent.CONFIRM
    if meaningful and all(word in CANCEL_WORDS for word in meaningful):
        return ReplyIntent.CANCEL
    return ReplyIntent.OTHER


def is_courtesy_only(body: str) -> bool:
    words = [word.lower() for word in _TOKEN.split(body) if word]
    return bool(words) and all(word in COURTESY_WORDS for word in words)
