"""Who approves, and when a draft is approved."""

import pytest

from bot.core.conversation.approval import ApprovalPolicy, Reactor, Refusal, refusal_text

ROLE, ANNA, BERT, CARLA = 10, 1, 2, 3
POLICY = ApprovalPolicy(approver_role_ids=frozenset({ROLE}), approver_user_ids=frozenset({BERT}))


def test_approvers_by_role_or_by_user():
    assert POLICY.may_vote(Reactor(ANNA, frozenset({ROLE})), requester_id=CARLA) is None
    assert POLICY.may_vote(Reactor(BERT), requester_id=CARLA) is None
    assert POLICY.may_vote(Reactor(CARLA, frozenset({99})), requester_id=ANNA) is Refusal.NOT_APPROVER


def test_bots_never_count_even_with_the_role():
    assert POLICY.may_vote(Reactor(ANNA, frozenset({ROLE}), is_bot=True), requester_id=CARLA) is Refusal.BOT
    assert not POLICY.is_approver(Reactor(BERT, is_bot=True))


@pytest.mark.parametrize("allow, expected", [(True, None), (False, Refusal.SELF_APPROVAL)])
def test_self_approval(allow, expected):
    policy = ApprovalPolicy(approver_user_ids=frozenset({ANNA}), allow_self_approval=allow)
    assert policy.may_vote(Reactor(ANNA), requester_id=ANNA) is expected
    assert policy.may_act(Reactor(ANNA)) is None  # cancelling one's own news is always allowed


def test_quorum_counts_distinct_approvers():
    policy = ApprovalPolicy(approver_user_ids=frozenset({ANNA, BERT}), required=2)
    assert not policy.approved([ANNA, ANNA])
    assert policy.approved([ANNA, BERT])


def test_nobody_approves_when_no_approver_is_configured():
    policy = ApprovalPolicy()
    assert not policy.configured and policy.may_vote(Reactor(ANNA), requester_id=CARLA) is Refusal.NOT_APPROVER


def test_refusals_are_explained_in_german():
    assert "nicht selbst freigeben" in refusal_text(Refusal.SELF_APPROVAL, "@anna")
    assert "nur Freigebende" in refusal_text(Refusal.NOT_APPROVER, "@carla")
    assert "Bot" in refusal_text(Refusal.BOT, "@robot")
