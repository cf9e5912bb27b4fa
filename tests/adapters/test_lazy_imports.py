"""Heavy libraries load when they are first needed, not when our modules are imported (start-up time and memory)."""

import subprocess
import sys

HEAVY = ("matplotlib", "alembic", "openai", "trafilatura", "dateparser", "emoji")


def test_importing_the_adapters_loads_no_heavy_library():
    script = (
        "import sys\n"
        "import bot.adapters.chart, bot.adapters.storage.database, bot.adapters.llm_openai, bot.adapters.news_fetch\n"
        "import bot.core.drafting.service, bot.wiring, bot.cli\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["none"]
