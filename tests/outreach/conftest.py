import pytest

from outreach.composition.spamd import spamd_reset
from tests.support.spamd import running_spamd


@pytest.fixture(autouse=True)
def composition_offline(settings):
    """No AI keys and no spamd unless a test asks: every test is exact and offline."""
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.SPAMD_HOST = ""
    settings.JENGU_TASKS_SYNC = True
    settings.STAGE_RETRY_DELAYS = [0]
    settings.SEARCH_PROVIDER = "sandbox"
    spamd_reset()


@pytest.fixture(scope="session")
def spamd_server():
    with running_spamd() as address:
        if address is None:
            pytest.skip("spamd is not installed (Debian: apt-get install spamassassin spamd; make test does it)")
        yield address


@pytest.fixture
def spamd(settings, spamd_server):
    settings.SPAMD_HOST, settings.SPAMD_PORT = spamd_server
    spamd_reset()
    return spamd_server
