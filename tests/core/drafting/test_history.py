"""The draft prompt's „Was bei uns gut lief“: where the block goes, and drafting without it."""

import pytest

from bot.core.drafting.history import HistoryBlock, PastPost
from bot.core.drafting.models import ConversationTurn
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.settings import DEFAULT_PROMPTS_DIR
from tests.fakes.llm import RecordingSleep, ScriptedLLM
from tests.fakes.samples import GOOD_DRAFTS, NEWS

BLOCK = HistoryBlock((PastPost("Wer zahlt am Ende die Zeche?", "kosten", 3.2),), (("kosten", 2.5),))


class FixedHistory:
    def __init__(self, block: HistoryBlock | None = BLOCK, error: Exception | None = None) -> None:
        self.block, self.error, self.calls = block, error, 0

    async def examples(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.block


def service(llm, history) -> DraftingService:
    return DraftingService(llm, PromptLibrary.load(DEFAULT_PROMPTS_DIR), premise_check=False, sleep=RecordingSleep(),
                           history=history)


@pytest.fixture
def llm():
    return ScriptedLLM()


async def test_draft_and_refine_prompts_end_with_the_block(llm):
    history = FixedHistory()
    drafting = service(llm, history)
    news = drafting.prepare_news(NEWS)
    llm.drafts(*GOOD_DRAFTS).drafts(*GOOD_DRAFTS)
    first = await drafting.draft(news, 4)
    await drafting.refine(news, first.drafts, [ConversationTurn("anna", "kürzer")], "kürzer", 4)
    for call in llm.calls:
        user = call[-1].content
        assert "Was bei uns gut lief (zwischen <verlauf_" in user
        assert "1. [kosten, 3,2×] „Wer zahlt am Ende die Zeche?“" in user
        assert user.rstrip().endswith(">") and user.index("Was bei uns gut lief") > user.index(NEWS[:40])
        assert "Was bei uns gut lief" not in call[0].content  # never in the system prompt
    assert history.calls == 2  # once per run


async def test_the_repair_round_gets_no_block(llm):
    drafting = service(llm, FixedHistory())
    llm.drafts(("Das ist keine Frage.", GOOD_DRAFTS[0][1]), *GOOD_DRAFTS[1:])
    llm.drafts(GOOD_DRAFTS[0])
    await drafting.draft(drafting.prepare_news(NEWS), 4)
    assert len(llm.calls) == 2
    assert "Was bei uns gut lief" in llm.calls[0][-1].content
    assert "Was bei uns gut lief" not in llm.calls[1][-1].content


@pytest.mark.parametrize("history", [None, FixedHistory(block=None), FixedHistory(error=RuntimeError("db down"))])
async def test_without_history_the_prompt_has_no_block(llm, history):
    drafting = service(llm, history)
    llm.drafts(*GOOD_DRAFTS)
    result = await drafting.draft(drafting.prepare_news(NEWS), 4)
    assert len(result.drafts) == 4
    assert "Was bei uns gut lief" not in llm.calls[0][-1].content
