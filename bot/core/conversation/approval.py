"""Who may approve a draft, and when a draft is approved (votes, quorum, and the source confirmation ✅)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Reactor:
    """The person (or bot) behind a reaction, as far as the approval rules care."""

    user_id: int
    role_ids: frozenset[int] = frozenset()
    is_bot: bool = False


class SourceRule(str, enum.Enum):
    """Which drafts need an approver's ✅ „Quelle geprüft" before their votes approve them (SOURCE_CONFIRMATION)."""

    WARNED = "warned"  # drafts whose premise is not (surely) backed, or that have no evidence
    ALWAYS = "always"  # every draft
    NEVER = "never"  # none


class Refusal(enum.Enum):
    BOT = "bot"
    NOT_APPROVER = "not_approver"
    SELF_APPROVAL = "self_approval"


@dataclass(frozen=True)
class ApprovalPolicy:
    approver_role_ids: frozenset[int] = frozenset()
    approver_user_ids: frozenset[int] = frozenset()
    required: int = 1
    allow_self_approval: bool = True
    source_rule: SourceRule = SourceRule.WARNED

    @property
    def configured(self) -> bool:
        return bool(self.approver_role_ids or self.approver_user_ids)

    def is_approver(self, reactor: Reactor) -> bool:
        if reactor.is_bot:
            return False
        return reactor.user_id in self.approver_user_ids or bool(reactor.role_ids & self.approver_role_ids)

    def may_act(self, reactor: Reactor) -> Refusal | None:
        """May this reactor cancel or discard (approver rights without the self-approval rule)?"""
        if reactor.is_bot:
            return Refusal.BOT
        return None if self.is_approver(reactor) else Refusal.NOT_APPROVER

    def may_vote(self, reactor: Reactor, *, requester_id: int) -> Refusal | None:
        refusal = self.may_act(reactor)
        if refusal:
            return refusal
        if not self.allow_self_approval and reactor.user_id == requester_id:
            return Refusal.SELF_APPROVAL
        return None

    def approved(self, voter_ids: Iterable[int]) -> bool:
        """Votes from distinct approvers reach the quorum."""
        return len(set(voter_ids)) >= self.required

    def needs_source_check(self, flagged: bool) -> bool:
        """Does a draft need an approver's ✅ before approval? ``flagged``: its checks asked for one."""
        if self.source_rule is SourceRule.ALWAYS:
            return True
        return flagged and self.source_rule is SourceRule.WARNED



def refusal_reason(refusal: Refusal) -> str:
    """Why a vote does not count, in a few words."""
    if refusal is Refusal.SELF_APPROVAL:
        return "wer die Meldung eingebracht hat, darf sie nicht selbst freigeben"
    if refusal is Refusal.BOT:
        return "Bots geben nie frei"
    return "keine Freigabe-Berechtigung mehr"


def refusal_text(refusal: Refusal, who: str) -> str:
    if refusal is Refusal.SELF_APPROVAL:
        return (f"{who}, du hast die Meldung eingebracht und darfst sie nicht selbst freigeben "
                "(ALLOW_SELF_APPROVAL ist aus). Deine Reaktion zählt nicht.")
    if refusal is Refusal.BOT:
        return f"{who} ist ein Bot; Reaktionen von Bots zählen nie als Freigabe."
    return (f"{who}, nur Freigebende (APPROVER_ROLE_IDS / APPROVER_USER_IDS) können freigeben, die Quelle "
            "bestätigen (✅), abbrechen oder verwerfen. Deine Reaktion zählt nicht.")


def source_gap(warnings: Sequence[str], evidence: str) -> str:
    """Why a draft needs an approver's ✅ before approval, in a few words (from its warnings).

    Only how a warning begins counts: the rest may be the premise check's reason, written by the model."""
    def said(start: str) -> bool:
        return any(warning.startswith(start) for warning in warnings)

    if said("Prämisse ungeprüft"):
        return "die Prämisse ist ungeprüft"
    if said("Prämisse nur teilweise belegt"):
        return "die Prämisse ist nur teilweise belegt"
    if not evidence.strip() or said("Kein Beleg aus der Meldung"):
        return "der Entwurf hat keinen Beleg aus der Meldung"
    if said("Prämisse nicht belegt"):
        return "die Prämisse ist nicht belegt"
    return "vor jeder Freigabe ist die Quelle zu prüfen (SOURCE_CONFIRMATION=always)"


def source_needed_text(number: int, why: str) -> str:
    return (f"Entwurf {number} braucht vor der Freigabe ein ✅ „Quelle geprüft“ einer freigebenden Person — "
            f"{why}. Bitte die Quelle prüfen und dann ✅ an den Entwurf setzen.")
