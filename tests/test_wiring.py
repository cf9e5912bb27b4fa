"""The composition root builds what the settings describe."""

from bot.core.conversation.approval import ApprovalPolicy, SourceRule
from bot.settings import Settings
from bot.wiring import approval_policy


def test_the_approval_policy_comes_from_the_settings():
    settings = Settings(approver_role_ids="10", approver_user_ids="2;3", approvals_required=2,
                        allow_self_approval=False)
    assert approval_policy(settings) == ApprovalPolicy(frozenset({10}), frozenset({2, 3}), 2, False)
    assert approval_policy(Settings(source_confirmation="always")).source_rule is SourceRule.ALWAYS


def test_by_default_votes_wait_for_a_source_check_where_needed_and_the_source_goes_out_as_a_reply():
    settings = Settings()
    assert approval_policy(settings).source_rule is SourceRule.WARNED and settings.source_as_reply
