"""The composition root builds what the settings describe."""

from bot.core.conversation.approval import ApprovalPolicy
from bot.settings import Settings
from bot.wiring import approval_policy


def test_the_approval_policy_comes_from_the_settings():
    settings = Settings(approver_role_ids="10", approver_user_ids="2;3", approvals_required=2,
                        allow_self_approval=False)
    assert approval_policy(settings) == ApprovalPolicy(frozenset({10}), frozenset({2, 3}), 2, False)
