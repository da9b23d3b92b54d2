"""Start-up checks: every integration that is off is named, with its missing settings."""

from django.core.checks import run_checks
from django.utils import translation

from integrations import checks
from integrations.jobs import integration_status
from integrations.jobs.kinds import INTEGRATION_SETTINGS


def warnings_by_id() -> dict[str, str]:
    return {w.id: w.msg for w in run_checks() if w.id.startswith(("integrations.", "calls."))}


def test_every_integration_has_a_check_id_a_name_and_an_effect():
    every = {*INTEGRATION_SETTINGS, "order_webhook"}
    assert checks._IDS.keys() == integration_status.NAMES.keys() == every
    assert integration_status.EFFECTS.keys() == every


def test_a_warning_says_what_the_pages_say_does_not_happen_in_english(settings):
    settings.SLACK_WEBHOOK_URL = ""
    with translation.override("ko"):  # the site's language does not reach start-up output
        found = warnings_by_id()
    assert found["integrations.W001"] == ("slack is off: SLACK_WEBHOOK_URL is not set. "
                                          "Missed calls are not posted to Slack.")


def test_nothing_is_reported_when_everything_is_configured(settings):
    settings.CLAWOPS_FROM_NUMBER = "07052351234"
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_1"
    settings.ORDER_WEBHOOK_SECRETS = ["shop-secret"]
    assert warnings_by_id() == {}


def test_a_missing_setting_turns_off_every_integration_that_needs_it(settings):
    settings.CLAWOPS_FROM_NUMBER = ""
    settings.CLAWOPS_ORDER_AGENT_ID = "agent_1"
    settings.ORDER_WEBHOOK_SECRETS = []
    found = warnings_by_id()
    assert set(found) == {"integrations.W004", "integrations.W005", "integrations.W006"}
    assert "CLAWOPS_FROM_NUMBER is not set" in found["integrations.W005"]
    assert "CLAWOPS_FROM_NUMBER is not set" in found["integrations.W006"]


def test_several_missing_settings_are_named_together(settings):
    settings.CRM_API_URL = ""
    settings.CRM_API_TOKEN = ""
    assert "CRM_API_URL and CRM_API_TOKEN are not set" in warnings_by_id()["integrations.W002"]
