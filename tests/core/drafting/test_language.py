import subprocess
import sys
import threading

import pytest

from bot.core.drafting.language import PROFILES, guess_language, loaded_languages


def test_only_the_chosen_profiles_load_and_only_when_needed():
    # A fresh interpreter: importing the module loads nothing, the first guess loads exactly PROFILES,
    # and langdetect's own all-55-languages factory stays empty.
    script = (
        "import sys, langdetect.detector_factory as f\n"
        "import bot.core.drafting.language as language\n"
        "assert language._factory is None\n"
        "language.guess_language('Wer zahlt am Ende für die gestiegenen Energiekosten?')\n"
        "print(','.join(language._factory.get_lang_list()), f._factory is None)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    languages, global_factory_empty = result.stdout.split()
    assert languages.split(",") == list(PROFILES)
    assert global_factory_empty == "True"


def test_profile_set_is_small_and_covers_the_neighbours_of_german():
    assert loaded_languages() == list(PROFILES)
    assert {"de", "en", "nl", "da", "sv", "no", "fr", "it", "es", "pl"} <= set(PROFILES)
    assert len(PROFILES) <= 20


@pytest.mark.parametrize(("text", "language"), [
    ("Warum erhöht der Senat die Preise, obwohl die Fahrgastzahlen sinken?", "de"),
    ("Ist das Update von Apple wirklich ein Game Changer für die Security?", "de"),
    ("Die Bahn streicht im Winter jede dritte Verbindung nach Kiel.", "de"),
    ("The city of Hamburg raises public transport fares by 9.5 percent.", "en"),
    ("Why does the senate raise fares while ridership falls?", "en"),
    ("Pourquoi le gouvernement augmente-t-il les prix des transports publics?", "fr"),
    ("La ville augmente les tarifs de 9,5 pour cent.", "fr"),
    ("Wie betaalt uiteindelijk de hogere energiekosten in het openbaar vervoer?", "nl"),
    ("De stad Hamburg verhoogt de tarieven met 9,5 procent.", "nl"),
    ("Hvem betaler i sidste ende for de højere energiomkostninger?", "da"),
    ("Vem betalar till slut för de högre energikostnaderna i kollektivtrafiken?", "sv"),
    ("Kto ostatecznie zapłaci za wyższe koszty energii w transporcie publicznym?", "pl"),
    ("Кто в итоге заплатит за более высокие расходы на энергию?", "ru"),
])
def test_typical_texts_are_classified(text, language):
    guess = guess_language(text)
    assert guess.language == language
    assert guess.is_german == (language == "de")


@pytest.mark.parametrize("text", [
    "Kuka lopulta maksaa joukkoliikenteen korkeammat energiakustannukset?",  # Finnish: not in the set
    "Ki fizeti végül a tömegközlekedés magasabb energiaköltségeit?",  # Hungarian: not in the set
    "Cine plătește în final costurile mai mari ale energiei în transportul public?",  # Romanian: not in the set
])
def test_languages_outside_the_set_are_not_taken_for_german(text):
    assert not guess_language(text).is_german


def test_guesses_from_many_threads_agree():
    texts = ["Ist das fair für die Pendler?", "Who pays for the higher energy costs in the end?"] * 8
    expected = [guess_language(t) for t in texts]
    results: list = [None] * len(texts)

    def work(index: int) -> None:
        results[index] = guess_language(texts[index])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected
