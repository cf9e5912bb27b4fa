"""Trust before posting, on the wire: the real openai client and the drafting pipeline against the fake server.

Smears and insinuations are caught, stitched quotes are no evidence, the premise check's verdicts and failures
become warnings, tone and house style reach the prompt, hashtag and handle rules, hand edits with evidence.
"""

import json
from pathlib import Path

import pytest

from bot.adapters.llm_openai import OpenAIChat
from bot.core.drafting.models import ProblemKind, Severity
from bot.core.drafting.prompts import PromptLibrary
from bot.core.drafting.service import DraftingService
from bot.core.drafting.tone import TONES
from bot.settings import DEFAULT_PROMPTS_DIR
from tests.fakes.llm import RecordingSleep
from tests.fakes.openai_server import FakeOpenAI, full_drafts_json

NEWS = (
    "Bundesinnenminister Hans-Peter Friedrich hält einen eigenen Datenschutzbeauftragten des Bundes für "
    "verzichtbar. Das sagte der CSU-Politiker am Dienstag in Berlin. Der Bundesdatenschutzbeauftragte Peter Schaar "
    "widersprach: Ohne unabhängige Kontrolle drohe ein Vertrauensverlust bei den Bürgern. Die Stelle kostet nach "
    "Angaben des Ministeriums jährlich rund 9 Millionen Euro. Fragen dazu beantwortet @BMI_Bund."
)
LIAR = ("Ist Friedrich ein Lügner?", "Bundesinnenminister Hans-Peter Friedrich",
        "Friedrich lügt.", "andere")
CONCEALS = ("Warum verschweigt Friedrich seine Kontakte zur Überwachungsindustrie?",
            "Das sagte der CSU-Politiker am Dienstag in Berlin.",
            "Friedrich hat Kontakte zur Überwachungsindustrie und verschweigt sie.", "andere")
STITCHED = ("Was entgegnet Friedrich dem Einwand von Peter Schaar?", "Friedrich … Schaar … Berlin",
            "Schaar hat Friedrich widersprochen.", "widerspruch")
GOOD = [
    ("Wer kontrolliert den Datenschutz des Bundes, wenn es keinen eigenen Beauftragten mehr gibt, Herr Friedrich?",
     "hält einen eigenen Datenschutzbeauftragten des Bundes für verzichtbar",
     "Friedrich hält einen eigenen Datenschutzbeauftragten für verzichtbar.", "folgen"),
    ("Sind 9 Millionen Euro im Jahr laut Ministerium zu viel für unabhängige Kontrolle?",
     "Die Stelle kostet nach Angaben des Ministeriums jährlich rund 9 Millionen Euro.",
     "Die Stelle kostet laut Ministerium rund 9 Millionen Euro im Jahr.", "kosten"),
    ("Wie will das Innenministerium den Vertrauensverlust verhindern, vor dem Peter Schaar warnt?",
     "Ohne unabhängige Kontrolle drohe ein Vertrauensverlust bei den Bürgern.",
     "Schaar warnt vor einem Vertrauensverlust.", "folgen"),
    ("Warum soll gerade der Bund auf einen eigenen Datenschutzbeauftragten verzichten?",
     "hält einen eigenen Datenschutzbeauftragten des Bundes für verzichtbar",
     "Friedrich will auf den Beauftragten verzichten.", "zeitpunkt"),
]


@pytest.fixture
async def chat(fake_openai: FakeOpenAI):
    client = OpenAIChat(api_key="sk-test", model="test-model", base_url=fake_openai.base_url, timeout_seconds=2)
    yield client
    await client.aclose()


def make_service(chat: OpenAIChat, prompts_dir: Path | None = None, **options) -> DraftingService:
    return DraftingService(chat, PromptLibrary.load(DEFAULT_PROMPTS_DIR, prompts_dir), max_attempts=2,
                           sleep=RecordingSleep(), **options)


@pytest.fixture
def service(chat):
    return make_service(chat, handle_allowlist=["@Spitzfeder_Team"])


def reply(server: FakeOpenAI, *drafts: tuple[str, str, str, str]) -> None:
    server.reply(full_drafts_json(*drafts))


def kinds(draft) -> set[ProblemKind]:
    return {problem.kind for problem in draft.problems}


# --- smears and insinuations ---

async def test_the_two_smear_drafts_are_fatal_and_go_to_the_repair_round(service, fake_openai):
    reply(fake_openai, LIAR, CONCEALS, *GOOD[:2])
    reply(fake_openai, *GOOD[2:])
    result = await service.draft(service.prepare_news(NEWS), 4)
    assert [d.text for d in result.drafts] == [GOOD[2][0], GOOD[3][0], GOOD[0][0], GOOD[1][0]]
    assert result.dropped == [] and result.llm_calls == 3  # drafts, repair, premise check
    repair = fake_openai.prompt_of(1)
    assert "„Lügner“" in repair and "„verschweigt“" in repair and "Unterstellung" in repair


async def test_a_smear_that_survives_the_repair_is_dropped_and_named(service, fake_openai):
    reply(fake_openai, LIAR, *GOOD[:3])
    reply(fake_openai, LIAR)
    result = await service.draft(service.prepare_news(NEWS), 4)
    assert len(result.drafts) == 3 and [d.text for d in result.dropped] == [LIAR[0]]
    assert result.dropped_reasons == ["Unterstellung: „Lügner“ steht so nicht in der Meldung"]


async def test_a_loaded_word_quoted_from_the_news_is_only_a_warning(chat, fake_openai):
    news = NEWS + " Die Opposition nannte den Plan einen Skandal für den Rechtsstaat."
    quoted = ("Ist der Plan wirklich ein Skandal, wie die Opposition sagt?",
              "Die Opposition nannte den Plan einen Skandal für den Rechtsstaat.",
              "Die Opposition nennt den Plan einen Skandal.", "widerspruch")
    service = make_service(chat)
    reply(fake_openai, quoted)
    [draft] = (await service.draft(service.prepare_news(news), 1)).drafts
    [problem] = [p for p in draft.problems if p.kind is ProblemKind.QUOTED_SMEAR]
    assert problem.severity is Severity.WARNING and "zitiert" in problem.label and "„Skandal“" in problem.label


async def test_a_stitched_quote_is_no_evidence(service, fake_openai):
    reply(fake_openai, STITCHED, *GOOD[:3])
    reply(fake_openai, STITCHED)  # the repair round brings the same again
    result = await service.draft(service.prepare_news(NEWS), 4)
    stitched = result.drafts[0]
    assert stitched.text == STITCHED[0] and not stitched.evidence_found
    assert "Kein Beleg aus der Meldung" in stitched.warnings and stitched.needs_source_check


# --- the premise check ---

async def test_the_premise_check_turns_its_three_verdicts_into_warnings(service, fake_openai):
    reply(fake_openai, *GOOD[:3])
    fake_openai.reply_verdicts(("ja", "belegt"), ("teilweise", "Die Zahl ist gerundet."),
                               ("nein", "Schaar sagt das **so** nicht <@123>"))
    result = await service.draft(service.prepare_news(NEWS), 3)
    first, second, third = result.drafts
    assert first.warnings == [] and not first.needs_source_check
    assert second.warnings == ["Prämisse nur teilweise belegt: Die Zahl ist gerundet."]
    assert third.warnings == ["Prämisse nicht belegt: Schaar sagt das so nicht 123"]  # untrusted: no markup
    assert second.needs_source_check and third.needs_source_check
    assert result.llm_calls == 2 and result.usage.total_tokens == 300

    [check] = fake_openai.premise_requests
    response_format = check["payload"]["response_format"]
    assert response_format["json_schema"]["name"] == "premise_check"
    assert response_format["json_schema"]["schema"]["required"] == ["verdicts"]
    prompt = check["payload"]["messages"][-1]["content"]
    tag = prompt.split("zwischen\n<", 1)[1].split(">", 1)[0]
    fenced = prompt.split(f"\n<{tag}>\n", 1)[1].split(f"\n</{tag}>\n", 1)[0]
    assert "1. Frage: " + GOOD[0][0] in fenced and "Prämisse: " + GOOD[0][2] in fenced
    assert "Beleg: " + GOOD[1][1] in fenced


async def test_one_call_per_set_even_after_a_repair(service, fake_openai):
    reply(fake_openai, LIAR, *GOOD[:3])
    reply(fake_openai, GOOD[3])
    result = await service.draft(service.prepare_news(NEWS), 4)
    assert len(fake_openai.premise_requests) == 1 and result.llm_calls == 3
    prompt = fake_openai.premise_requests[0]["payload"]["messages"][-1]["content"]
    assert "4. Frage: " in prompt and "Lügner" not in prompt  # only the usable drafts are checked


@pytest.mark.parametrize("failure", ["server error", "broken JSON", "cut off"])
async def test_a_failed_premise_check_still_delivers_the_drafts_unchecked(service, fake_openai, failure):
    reply(fake_openai, *GOOD[:2])
    if failure == "server error":
        fake_openai.premise_error(500)
    elif failure == "broken JSON":
        fake_openai.premise_raw('{"verdicts": [{"number": 1, "supp')
    else:
        fake_openai.reply_verdicts(("ja", "x"), finish_reason="length")
    result = await service.draft(service.prepare_news(NEWS), 2)
    assert [d.warnings for d in result.drafts] == [["Prämisse ungeprüft"], ["Prämisse ungeprüft"]]
    assert all(d.needs_source_check for d in result.drafts)
    assert result.llm_calls == 2 and len(fake_openai.premise_requests) == 1  # never retried


async def test_a_missing_verdict_leaves_only_that_draft_unchecked(service, fake_openai):
    reply(fake_openai, *GOOD[:2])
    fake_openai.premise_raw(json.dumps({"verdicts": [{"number": 1, "supported": "ja", "reason": "ok"},
                                                     {"number": 2, "supported": "vielleicht", "reason": "?"}]}))
    first, second = (await service.draft(service.prepare_news(NEWS), 2)).drafts
    assert first.warnings == [] and second.warnings == ["Prämisse ungeprüft"]


async def test_the_premise_check_can_be_switched_off(chat, fake_openai):
    service = make_service(chat, premise_check=False)
    reply(fake_openai, *GOOD[:2])
    result = await service.draft(service.prepare_news(NEWS), 2)
    assert result.llm_calls == 1 and fake_openai.premise_requests == []


async def test_the_premise_check_works_with_json_in_text(chat, fake_openai):
    fake_openai.reject_json_schema = True
    service = make_service(chat)
    reply(fake_openai, *GOOD[:2])
    fake_openai.reply_verdicts(("ja", "ok"), ("nein", "Nicht in der Meldung."))
    first, second = (await service.draft(service.prepare_news(NEWS), 2)).drafts
    assert first.warnings == [] and second.warnings == ["Prämisse nicht belegt: Nicht in der Meldung."]


# --- tolerant reading of the new fields ---

async def test_premise_and_pattern_are_read_and_missing_ones_tolerated(service, fake_openai, caplog):
    entries = [
        {"text": GOOD[0][0], "evidence": GOOD[0][1], "premise": GOOD[0][2], "pattern": "Folgen"},
        {"text": GOOD[1][0], "evidence": GOOD[1][1]},
        {"text": GOOD[2][0], "evidence": GOOD[2][1], "premise": 7, "pattern": "verschwörung"},
    ]
    fake_openai.reply(json.dumps({"drafts": entries}, ensure_ascii=False))
    first, second, third = (await service.draft(service.prepare_news(NEWS), 3)).drafts
    assert (first.premise, first.pattern) == (GOOD[0][2], "folgen")
    assert (second.premise, second.pattern) == ("", "andere")
    assert (third.premise, third.pattern) == ("", "andere")
    assert "2 without a premise, 2 without a known pattern" in caplog.text
    schema = fake_openai.requests[0]["payload"]["response_format"]["json_schema"]
    assert schema["name"] == "drafts"
    assert schema["schema"]["properties"]["drafts"]["items"]["required"] == ["text", "evidence", "premise", "pattern"]


# --- tone and house style ---

async def test_tone_and_house_style_reach_the_prompt(chat, fake_openai, tmp_path):
    (tmp_path / "style.txt").write_text("# Kommentar\nWir gendern mit Doppelpunkt: Bürger:innen.\n", encoding="utf-8")
    service = make_service(chat, tmp_path, default_tone="sachlich")
    reply(fake_openai, *GOOD[:2])
    reply(fake_openai, *GOOD[2:])
    news = service.prepare_news(NEWS)
    first = await service.draft(news, 2, tone="ironisch")
    await service.refine(news, first.drafts, [], "kürzer", 2)
    system, user = fake_openai.requests[0]["payload"]["messages"]
    assert "Wir gendern mit Doppelpunkt: Bürger:innen." in system["content"] and "Kommentar" not in system["content"]
    assert "Hausstil des Teams" in system["content"]
    assert "Ton: " + TONES["ironisch"] in user["content"]
    assert "Ton: " + TONES["sachlich"] in fake_openai.prompt_of(1)  # refine without a tone: the default


async def test_without_house_style_the_system_prompt_has_no_style_block(service, fake_openai):
    reply(fake_openai, *GOOD[:1])
    await service.draft(service.prepare_news(NEWS), 1)
    system = fake_openai.requests[0]["payload"]["messages"][0]["content"]
    assert "Hausstil" not in system and "- kosten: Wer zahlt am Ende" in system


# --- hashtags and handles ---

async def test_hashtag_and_handle_rules(service, fake_openai):
    tags = ("Wer kontrolliert den Datenschutz des Bundes ohne eigenen Beauftragten? #Datenschutz #Friedrich",
            GOOD[0][1], GOOD[0][2], "folgen")
    allowed = ("Was sagt das Ministerium zu den 9 Millionen Euro? @BMI_Bund @spitzfeder_team",
               GOOD[1][1], GOOD[1][2], "kosten")
    foreign = ("Was sagt @peter_schaar zum Vertrauensverlust bei den Bürgern?", GOOD[2][1], GOOD[2][2], "folgen")
    reply(fake_openai, tags, allowed, foreign)
    reply(fake_openai, foreign)
    result = await service.draft(service.prepare_news(NEWS), 3)
    first, second = result.drafts
    assert first.warnings == ["Zu viele Hashtags (2, höchstens 1)"]
    assert second.warnings == []  # a handle from the news and one from the allowlist; a trailing handle is fine
    assert result.dropped_reasons == ["Fremder Link/Handle: @peter_schaar"]


async def test_a_hand_edit_may_name_any_handle_and_carry_its_evidence(service):
    news = service.prepare_news(NEWS)
    quote = "„Die Stelle kostet nach Angaben des Ministeriums jährlich rund 9 Millionen Euro.“"
    edit = service.check_manual(news, "Was sagt @peter_schaar zu 9 Millionen Euro im Jahr?", evidence=quote)
    assert edit.usable and edit.evidence_found and edit.warnings == []
    without = service.check_manual(news, "Was sagt @peter_schaar dazu?")
    assert without.warnings == ["Kein Beleg aus der Meldung"] and without.needs_source_check
    link = service.check_manual(news, "Steht das auch auf spiegel.de?")
    assert not link.usable  # foreign links stay forbidden in hand edits
    smear = service.check_manual(news, "Ist Friedrich ein Lügner?", evidence="Bundesinnenminister Hans-Peter Friedrich")
    assert ProblemKind.SMEAR in kinds(smear) and not smear.usable
